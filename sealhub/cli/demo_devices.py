"""The demo's smart seals: three devices, each holding a smart seal, provisioned through the
API like an administrator does, and `<data_dir>/demo-devices.json` for the simulators the
server starts (`sealhub.simulator.demo`)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

SERIALS = ("DEMO-SEAL-001", "DEMO-SEAL-002", "DEMO-SEAL-003")
EXTRA_SEALS = (("ZN-002", "智能财务章", "finance"), ("ZN-003", "智能公章", "official"))
DEMO_FILE = "demo-devices.json"


async def seed_devices(admin: Any, data_dir: Path) -> list[dict[str, Any]]:
    """Provision the three demo devices bound to three smart seals (adding seals when the
    demo has fewer) and write the simulators' file; returns its records."""
    smart = (await admin.call("GET", "/seals", params={"kind": "smart", "page_size": 100}))["items"]
    if not smart:
        return []
    first = smart[0]
    keepers = first.get("keeper_ids") or [k["user_id"] for k in first.get("keepers", [])]
    for code, name, type_ in EXTRA_SEALS[: max(0, 3 - len(smart))]:
        smart.append(
            await admin.call(
                "POST",
                "/seals",
                json={
                    "kind": "smart",
                    "type": type_,
                    "name": name,
                    "code": code,
                    "unit_id": first["unit_id"],
                    "keeper_ids": keepers,
                },
            )
        )
    records = []
    for serial, seal in zip(SERIALS, smart[:3], strict=False):
        out = await admin.call(
            "POST",
            "/devices",
            json={
                "serial": serial,
                "claim_code": f"CLAIM-{serial[-3:]}-2026",
                "name": f"{seal['name']}（智能印章）",
                "model": "SealHub-Sim",
                "unit_id": seal["unit_id"],
            },
        )
        device, creds = out["device"], out["credentials"]
        await admin.call("POST", f"/devices/{device['id']}/bind", json={"seal_id": seal["id"]})
        records.append(
            {
                "serial": serial,
                "device_id": device["id"],
                "org_id": "",
                "broker_url": creds["broker_url"],
                "mqtt_username": creds["mqtt_username"],
                "mqtt_password": creds["mqtt_password"],
                "ed25519_seed_hex": creds["ed25519_seed_hex"],
                "device_secret_hex": creds["device_secret_hex"],
                "platform_public_key_hex": creds["platform_public_key_hex"],
            }
        )
    me = await admin.call("GET", "/auth/me")
    for r in records:
        r["org_id"] = me["organization"]["id"]
    await asyncio.to_thread(_write, data_dir, records)
    return records


def _write(data_dir: Path, records: list[dict[str, Any]]) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / DEMO_FILE
    path.write_text(json.dumps(records, indent=2, ensure_ascii=False), "utf-8")
    path.chmod(0o600)  # device credentials


def seed_settings(settings: Any) -> Any:
    """Seeding needs no device channel of its own (a server may hold the port); the devices
    are still told the broker the server will run."""
    public = (
        settings.mqtt_public_url
        or settings.mqtt_url.split("@")[-1]
        or (f"mqtt://{settings.mqtt_host}:{settings.mqtt_port}")
    )
    return settings.model_copy(update={"mqtt_public_url": public, "mqtt_port": 0, "mqtt_url": ""})
