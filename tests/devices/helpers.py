"""Building devices the way an administrator does: through the API."""

from __future__ import annotations

import uuid
from typing import Any

from tests.builders import Api


async def root_unit(admin: Api) -> str:
    units = await admin.get("/api/v1/org/units")
    items = units["items"] if isinstance(units, dict) else units
    return str(next(u["id"] for u in items if u.get("parent_id") is None))


async def smart_seal(admin: Api, unit_id: str, keeper_ids: list[str] | None = None) -> str:
    tag = uuid.uuid4().hex[:8]
    seal = await admin.post(
        "/api/v1/seals",
        json={
            "kind": "smart",
            "type": "contract",
            "name": f"智能章{tag}",
            "code": f"S{tag}",
            "unit_id": unit_id,
            "keeper_ids": keeper_ids or [admin.user_id],
        },
    )
    return str(seal["id"])


async def provision(admin: Api, unit_id: str, **extra: Any) -> dict[str, Any]:
    serial = extra.pop("serial", f"SH-{uuid.uuid4().hex[:10]}")
    body = {
        "serial": serial,
        "claim_code": "CLAIM-" + uuid.uuid4().hex[:8],
        "name": f"设备{serial[-4:]}",
        "unit_id": unit_id,
        **extra,
    }
    out: dict[str, Any] = await admin.post("/api/v1/devices", json=body)
    return out
