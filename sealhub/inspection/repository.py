"""Tenant-bound queries of the inspection context."""

from __future__ import annotations

import uuid

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from sealhub.inspection.errors import InspectionNotFound
from sealhub.inspection.models import InspectionResult, InspectionSetting
from sealhub.platform.db.repository import TenantRepository


class ResultRepository(TenantRepository[InspectionResult]):
    """Readable through the application (the service checks its visibility first)."""

    model = InspectionResult
    not_found = InspectionNotFound

    async def of_request(self, request_id: uuid.UUID) -> list[InspectionResult]:
        stmt = self.tenant().where(InspectionResult.request_id == request_id)
        rows = await self.session.execute(stmt.order_by(InspectionResult.created_at))
        return list(rows.scalars())

    async def of_photo(self, photo_id: uuid.UUID) -> InspectionResult | None:
        stmt = self.tenant().where(InspectionResult.photo_id == photo_id)
        row: InspectionResult | None = (await self.session.execute(stmt)).scalar_one_or_none()
        return row

    async def pending(self, limit: int) -> list[InspectionResult]:
        stmt = self.tenant().where(InspectionResult.status == "pending").limit(limit)
        return list((await self.session.execute(stmt)).scalars())


class SettingRepository(TenantRepository[InspectionSetting]):
    model = InspectionSetting

    async def current(self) -> InspectionSetting | None:
        row: InspectionSetting | None = (
            await self.session.execute(self.tenant())
        ).scalar_one_or_none()
        return row


_PENDING = (
    select(InspectionResult.org_id, InspectionResult.request_id, InspectionResult.photo_id)
    .where(InspectionResult.status == "pending")
    .order_by(InspectionResult.created_at)
    .limit(bindparam("limit"))
)


async def pending_everywhere(
    session: AsyncSession, limit: int
) -> list[tuple[uuid.UUID, uuid.UUID, uuid.UUID]]:
    """Photos waiting for inspection in every organisation (the worker's sweep only)."""
    rows = await session.execute(_PENDING, {"limit": limit})
    return [(r[0], r[1], r[2]) for r in rows]
