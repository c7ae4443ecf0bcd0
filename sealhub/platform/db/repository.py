"""TenantRepository: the only way to read tenant rows; applies tenant and data scope."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, false, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from sealhub.platform.actor import Actor, DataScope
from sealhub.platform.errors import NotFound

M = TypeVar("M")


async def page(
    session: AsyncSession, stmt: Select[Any], order: Sequence[Any], offset: int, limit: int
) -> tuple[list[Any], int]:
    """One page of `stmt`'s rows (first column) in `order`, and the count over all pages."""
    total = await session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = (await session.execute(stmt.order_by(*order).offset(offset).limit(limit))).scalars()
    return list(rows), int(total or 0)


class TenantRepository(Generic[M]):
    """Subclass with `model = X`; set `scope_unit`/`scope_owner` column names to apply data scope.

    A model without them is visible org-wide to anyone in the tenant holding the permission.
    """

    model: ClassVar[type[Any]]
    scope_unit: ClassVar[str | None] = None
    scope_owner: ClassVar[str | None] = None
    not_found: ClassVar[type[NotFound]] = NotFound

    def __init__(self, session: AsyncSession, actor: Actor) -> None:
        self.session = session
        self.actor = actor

    def scope_clause(self) -> ColumnElement[bool]:
        actor = self.actor
        scope = actor.data_scope
        if scope == DataScope.ORG or (self.scope_unit is None and self.scope_owner is None):
            return true()
        owner = getattr(self.model, self.scope_owner) if self.scope_owner else None
        unit = getattr(self.model, self.scope_unit) if self.scope_unit else None
        mine = owner == actor.user_id if owner is not None else false()
        if scope == DataScope.SELF or unit is None:
            return mine
        units = actor.unit_ids if scope == DataScope.UNIT else actor.subtree_unit_ids
        return mine | unit.in_(list(units)) if units else mine

    def tenant(self) -> Select[M]:
        """Every row of the actor's organisation, ignoring data scope (for writes and checks)."""
        return select(self.model).where(self.model.org_id == self.actor.org_id)

    def readable(self) -> Select[M]:
        """Rows the actor may see: tenant plus data scope."""
        return self.tenant().where(self.scope_clause())

    async def get(self, obj_id: uuid.UUID, *, scoped: bool = True) -> M:
        stmt = (self.readable() if scoped else self.tenant()).where(self.model.id == obj_id)
        row = (await self.session.execute(stmt)).scalar_one_or_none()
        if row is None:
            raise self.not_found()
        return row

    async def get_for_update(self, obj_id: uuid.UUID, *, scoped: bool = True) -> M:
        stmt = (self.readable() if scoped else self.tenant()).where(self.model.id == obj_id)
        if self.session.bind is not None and self.session.bind.dialect.name != "sqlite":
            stmt = stmt.with_for_update()
        row = (await self.session.execute(stmt)).scalar_one_or_none()
        if row is None:
            raise self.not_found()
        return row

    async def get_many(self, ids: Iterable[uuid.UUID], *, scoped: bool = True) -> list[M]:
        """Rows by id in the order given (repeats dropped); `not_found` if any is missing,
        of another organisation or, when scoped, outside the actor's data scope."""
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return []
        stmt = (self.readable() if scoped else self.tenant()).where(self.model.id.in_(wanted))
        rows = await self.session.execute(stmt.add_columns(self.model.id))
        found: dict[uuid.UUID, M] = {row_id: row for row, row_id in rows.all()}
        if len(found) != len(wanted):
            raise self.not_found()
        return [found[i] for i in wanted]
