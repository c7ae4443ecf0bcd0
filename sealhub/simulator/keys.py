"""Provisioning data of simulated devices, and the files that carry it.

- `<data_dir>/demo-devices.json` (written by the demo seed): a list of `{serial, device_id,
  org_id, broker_url, mqtt_username, mqtt_password, ed25519_seed_hex, device_secret_hex}`,
  optionally `platform_public_key_hex`.
- a fleet file (`sealhub simulate --make-fleet`): the same records for devices the simulator
  made up itself, plus `platform_seed_hex` so a test platform (the conformance kit) can sign.
- the conformance keys file of one device (docs/device-protocol.md §2): what the platform
  knows of it — its public key, secret and credentials, and the platform's own key.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sealhub.devices.protocol.signing import Signer


@dataclass(frozen=True)
class Provisioned:
    serial: str
    broker_url: str
    mqtt_username: str
    mqtt_password: str
    ed25519_seed_hex: str
    device_secret_hex: str
    device_id: str = ""
    org_id: str = ""
    platform_public_key_hex: str | None = None

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Provisioned:
        names = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in doc.items() if k in names})

    def signer(self) -> Signer:
        return Signer.from_seed_hex(self.ed25519_seed_hex)

    def conformance_keys(self, platform_seed_hex: str) -> dict[str, str]:
        """The keys file the conformance kit reads for this device (§2)."""
        return {
            "serial": self.serial,
            "device_public_key_hex": self.signer().public_hex,
            "platform_seed_hex": platform_seed_hex,
            "device_secret_hex": self.device_secret_hex,
            "mqtt_username": "sealhub-conformance",
            "mqtt_password": "",
        }


def made_up(serial: str, broker_url: str, *, platform_public_hex: str | None) -> Provisioned:
    """A device with keys derived from its serial (deterministic, for tests and load runs)."""
    seed = hashlib.sha256(f"sealhub-sim-key|{serial}".encode()).hexdigest()
    secret = hashlib.sha256(f"sealhub-sim-secret|{serial}".encode()).hexdigest()
    return Provisioned(
        serial=serial,
        broker_url=broker_url,
        mqtt_username=serial,
        mqtt_password=hashlib.sha256(f"sealhub-sim-mqtt|{serial}".encode()).hexdigest()[:24],
        ed25519_seed_hex=seed,
        device_secret_hex=secret,
        platform_public_key_hex=platform_public_hex,
    )


def load_list(path: Path) -> list[Provisioned]:
    doc = json.loads(path.read_text("utf-8"))
    items = doc["devices"] if isinstance(doc, dict) else doc
    return [Provisioned.from_json(d) for d in items]


def write_list(path: Path, devices: list[Provisioned], **extra: str) -> None:
    doc = {"devices": [asdict(d) for d in devices], **extra}
    path.write_text(json.dumps(doc, indent=2), "utf-8")
