"""What a simulated device keeps across restarts (a real one keeps it in flash): its sequence
number, journal and authorisations. Without it a restarted device would reuse numbers."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from sealhub.devices.protocol import codec
from sealhub.devices.protocol import messages as m
from sealhub.simulator.device import AuthState, SimDevice


def dump(device: SimDevice) -> dict[str, Any]:
    return {
        "seq": device.seq,
        "battery": device.battery,
        "ink_presses": device.ink_presses,
        "firmware": device.firmware,
        "mode": device.mode,
        "camera": device.camera,
        "journal": {
            "next_n": device.journal.next_n,
            "head": device.journal.head,
            "kept": [codec.as_json(r) for r in device.journal.kept],
            "acked": sorted(device.journal.acked),
        },
        "auths": [{"terms": codec.as_json(s.terms), "used": s.used} for s in device.auths.values()],
        "fingerprints": {str(k): v for k, v in device.fingerprints.items()},
    }


def load(device: SimDevice, doc: dict[str, Any]) -> None:
    device.seq = int(doc["seq"])
    device.battery = int(doc["battery"])
    device.ink_presses = int(doc["ink_presses"])
    device.firmware = str(doc["firmware"])
    device.mode = str(doc["mode"])
    device.camera = bool(doc["camera"])
    j = doc["journal"]
    device.journal.next_n, device.journal.head = int(j["next_n"]), str(j["head"])
    device.journal.kept = [codec.decode_record(r) for r in j["kept"]]
    device.journal.acked = set(j["acked"])
    device.auths = {}
    for a in doc["auths"]:
        terms: m.Authorise = codec.to_body(m.Authorise, a["terms"])
        device.auths[terms.auth] = AuthState(terms, int(a["used"]))
    device.fingerprints = {int(k): str(v) for k, v in doc["fingerprints"].items()}


def save(device: SimDevice, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{device.serial}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(dump(device)), "utf-8")
    os.replace(tmp, path)  # never a half-written state


def restore(device: SimDevice, folder: Path) -> bool:
    path = folder / f"{device.serial}.json"
    if not path.exists():
        return False
    load(device, json.loads(path.read_text("utf-8")))
    return True
