"""The platform's view of the device protocol (`sealhub.devices.protocol`, pure): what the
service and ingest need of it, in one place."""

from __future__ import annotations

from typing import Any


def command_params_problem(kind: str, params: dict[str, Any]) -> str | None:
    """Why these parameters do not fit the protocol's schema for the command, or None."""
    if not isinstance(params, dict):
        return "an object expected"
    return None
