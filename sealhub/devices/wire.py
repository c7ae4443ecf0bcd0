"""The platform's view of the device protocol (`sealhub.devices.protocol`, pure): command
kinds as the console names them -> the protocol's command names and typed args."""

from __future__ import annotations

from typing import Any

from sealhub.devices.protocol import codec
from sealhub.devices.protocol import messages as m

# the console's command kinds (policy.CommandKind) -> protocol names (§9.4)
NAMES = {
    "fingerprint_enrol": "fp_enrol",
    "fingerprint_delete": "fp_delete",
}


def protocol_name(kind: str) -> str:
    return NAMES.get(kind, kind)


def command_args(kind: str, params: dict[str, Any]) -> tuple[str, m.Body | None, str]:
    """(protocol name, typed args or None, why not) for a stored command."""
    name = protocol_name(kind)
    cls = m.COMMAND_ARGS.get(name)
    if cls is None:
        return name, None, f"unknown command {name}"
    try:
        return name, codec.to_body(cls, params, "params"), ""
    except codec.ProtocolError as exc:
        return name, None, exc.detail or exc.code


def command_params_problem(kind: str, params: dict[str, Any]) -> str | None:
    """Why these parameters do not fit the protocol's schema for the command, or None."""
    _, args, problem = command_args(kind, params)
    return None if args is not None else problem
