"""Tenant-bound queries on seals, keepers, status history and custody."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, bindparam, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from sealhub.platform.actor import Actor, DataScope
from sealhub.platform.db.repository import TenantRepository, page
from sealhub.seals.errors import CustodyNotFound, SealNotFound
from sealhub.seals.models import CustodyRecord, Seal, SealKeeper, SealStatusChange


class SealRepository(TenantRepository[Seal]):
    model = Seal
    scope_unit = "unit_id"
    not_found = SealNotFound

    def scope_clause(self) -> ColumnElement[bool]:
        if self.actor.data_scope == DataScope.ORG:
            return true()
        # keepers always see the seals they keep, whatever their data scope
        kept = select(SealKeeper.seal_id).where(
            SealKeeper.org_id == self.actor.org_id, SealKeeper.user_id == self.actor.user_id
        )
        return or_(super().scope_clause(), Seal.id.in_(kept))

    async def by_code(self, code: str) -> Seal | None:
        stmt = self.tenant().where(Seal.code == code)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def search(
        self,
        *,
        kind: str | None,
        type: str | None,
        status: str | None,
        unit_id: uuid.UUID | None,
        q: str | None,
        order: Sequence[Any],
        offset: int,
        limit: int,
    ) -> tuple[list[Seal], int]:
        stmt = self.readable()
        if kind:
            stmt = stmt.where(Seal.kind == kind)
        if type:
            stmt = stmt.where(Seal.type == type)
        if status:
            stmt = stmt.where(Seal.status == status)
        if unit_id:
            stmt = stmt.where(Seal.unit_id == unit_id)
        if q:
            like = f"%{q}%"
            stmt = stmt.where(
                or_(Seal.name.like(like), Seal.code.like(like), Seal.custom_type_name.like(like))
            )
        return await page(self.session, stmt, order, offset, limit)

    async def keepers(self, seal_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[uuid.UUID]]:
        return await keepers_of(self.session, self.actor.org_id, seal_ids)

    async def keeper_rows(self, seal_id: uuid.UUID) -> list[SealKeeper]:
        stmt = select(SealKeeper).where(
            SealKeeper.org_id == self.actor.org_id, SealKeeper.seal_id == seal_id
        )
        return list((await self.session.execute(stmt)).scalars())

    async def history(self, seal_id: uuid.UUID) -> list[SealStatusChange]:
        stmt = (
            select(SealStatusChange)
            .where(
                SealStatusChange.org_id == self.actor.org_id, SealStatusChange.seal_id == seal_id
            )
            .order_by(SealStatusChange.at, SealStatusChange.id)
        )
        return list((await self.session.execute(stmt)).scalars())


class CustodyRepository(TenantRepository[CustodyRecord]):
    """Custody records are visible with their seal, and to their holder."""

    model = CustodyRecord
    not_found = CustodyNotFound

    def scope_clause(self) -> ColumnElement[bool]:
        if self.actor.data_scope == DataScope.ORG:
            return true()
        seals = SealRepository(self.session, self.actor).readable().with_only_columns(Seal.id)
        return or_(CustodyRecord.seal_id.in_(seals), CustodyRecord.holder_id == self.actor.user_id)

    async def open_for_seal(self, seal_id: uuid.UUID) -> CustodyRecord | None:
        stmt = self.tenant().where(
            CustodyRecord.seal_id == seal_id, CustodyRecord.returned_at.is_(None)
        )
        return (await self.session.execute(stmt)).scalars().first()

    async def for_seal(
        self, seal_id: uuid.UUID, *, open_only: bool, offset: int, limit: int
    ) -> tuple[list[CustodyRecord], int]:
        stmt = self.tenant().where(CustodyRecord.seal_id == seal_id)
        if open_only:
            stmt = stmt.where(CustodyRecord.returned_at.is_(None))
        order = (CustodyRecord.handed_out_at.desc(), CustodyRecord.id.desc())
        return await page(self.session, stmt, order, offset, limit)

    async def overdue(
        self, now: datetime, *, offset: int, limit: int
    ) -> tuple[list[CustodyRecord], int]:
        stmt = self.readable().where(
            CustodyRecord.returned_at.is_(None),
            CustodyRecord.expected_return_at.is_not(None),
            CustodyRecord.expected_return_at < now,
        )
        order = (CustodyRecord.expected_return_at, CustodyRecord.id)
        return await page(self.session, stmt, order, offset, limit)


# Look-ups by organisation id for other contexts (no actor: the caller has checked access).


async def keepers_of(
    session: AsyncSession, org_id: uuid.UUID, seal_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    if not seal_ids:
        return {}
    rows = await session.execute(
        select(SealKeeper.seal_id, SealKeeper.user_id)
        .where(SealKeeper.org_id == org_id, SealKeeper.seal_id.in_(list(set(seal_ids))))
        .order_by(SealKeeper.created_at, SealKeeper.id)
    )
    found: dict[uuid.UUID, list[uuid.UUID]] = {}
    for seal_id, user_id in rows.all():
        found.setdefault(seal_id, []).append(user_id)
    return found


# built once (the create path runs it on every application)
_SEALS_WITH_KEEPERS = (
    select(Seal, SealKeeper.user_id)
    .outerjoin(
        SealKeeper,
        (SealKeeper.seal_id == Seal.id) & (SealKeeper.org_id == bindparam("org_id")),
    )
    .where(Seal.org_id == bindparam("org_id"), Seal.id.in_(bindparam("ids", expanding=True)))
    .order_by(Seal.id, SealKeeper.created_at, SealKeeper.id)
)


async def seals_with_keepers(
    session: AsyncSession, org_id: uuid.UUID, seal_ids: list[uuid.UUID]
) -> list[tuple[Seal, list[uuid.UUID]]]:
    """Seals by id with their keepers (oldest first), in one round trip."""
    if not seal_ids:
        return []
    params = {"org_id": org_id, "ids": list(set(seal_ids))}
    found: dict[uuid.UUID, tuple[Seal, list[uuid.UUID]]] = {}
    for seal, keeper_id in (await session.execute(_SEALS_WITH_KEEPERS, params)).all():
        keepers = found.setdefault(seal.id, (seal, []))[1]
        if keeper_id is not None:
            keepers.append(keeper_id)
    return list(found.values())


async def seals_by_ids(
    session: AsyncSession, org_id: uuid.UUID, seal_ids: list[uuid.UUID]
) -> list[Seal]:
    if not seal_ids:
        return []
    stmt = select(Seal).where(Seal.org_id == org_id, Seal.id.in_(list(set(seal_ids))))
    return list((await session.execute(stmt)).scalars())


async def open_custody_for_request(
    session: AsyncSession, org_id: uuid.UUID, request_id: uuid.UUID
) -> list[CustodyRecord]:
    stmt = (
        select(CustodyRecord)
        .where(
            CustodyRecord.org_id == org_id,
            CustodyRecord.request_id == request_id,
            CustodyRecord.returned_at.is_(None),
        )
        .order_by(CustodyRecord.handed_out_at, CustodyRecord.id)
    )
    return list((await session.execute(stmt)).scalars())


async def pressed_for_request(
    session: AsyncSession, org_id: uuid.UUID, request_id: uuid.UUID
) -> dict[uuid.UUID, int]:
    """Presses counted at the returns of an application's hand-outs, per seal."""
    stmt = (
        select(CustodyRecord.seal_id, func.sum(CustodyRecord.presses))
        .where(
            CustodyRecord.org_id == org_id,
            CustodyRecord.request_id == request_id,
            CustodyRecord.presses.is_not(None),
        )
        .group_by(CustodyRecord.seal_id)
    )
    return {seal_id: int(total or 0) for seal_id, total in (await session.execute(stmt)).all()}


async def count_by_status(session: AsyncSession, actor: Actor) -> dict[str, int]:
    """Seals per status within what the actor may see."""
    visible = SealRepository(session, actor).readable().with_only_columns(Seal.id).subquery()
    stmt = (
        select(Seal.status, func.count())
        .where(Seal.id.in_(select(visible.c.id)))
        .group_by(Seal.status)
    )
    return {status: int(n) for status, n in (await session.execute(stmt)).all()}
