"""MQTT topics of protocol v1 (docs/device-protocol.md §3)."""

from __future__ import annotations

import re
from typing import Literal

PREFIX = "sealhub/v1"
SERIAL_RE = re.compile(r"^[A-Za-z0-9_-]{4,64}$")
SHARED_GROUP = "sealhub"

Direction = Literal["up", "down"]


def up(serial: str, kind: str) -> str:
    return f"{PREFIX}/{serial}/up/{kind}"


def down(serial: str, kind: str) -> str:
    return f"{PREFIX}/{serial}/down/{kind}"


def device_up_filter(serial: str) -> str:
    return f"{PREFIX}/{serial}/up/#"


def device_down_filter(serial: str) -> str:
    return f"{PREFIX}/{serial}/down/#"


def fleet_up_filter(*, shared: bool = False) -> str:
    """Every device's uplinks; `shared` splits them over platform processes (MQTT 5 / Mosquitto)."""
    topic = f"{PREFIX}/+/up/#"
    return f"$share/{SHARED_GROUP}/{topic}" if shared else topic


def parse(topic: str) -> tuple[str, Direction, str] | None:
    """(serial, direction, kind) of a protocol topic, or None."""
    parts = topic.split("/")
    if len(parts) != 5 or parts[0] != "sealhub" or parts[1] != "v1":
        return None
    serial, direction, kind = parts[2], parts[3], parts[4]
    if not SERIAL_RE.match(serial):
        return None
    if direction == "up":
        return serial, "up", kind
    if direction == "down":
        return serial, "down", kind
    return None
