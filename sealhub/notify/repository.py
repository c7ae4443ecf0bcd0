"""Tenant-bound queries on alerts, and the one race-safe upsert that raises them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from sealhub.notify.errors import AlertNotFound
from sealhub.notify.models import Alert
from sealhub.notify.policy import AlertStatus
from sealhub.platform.db.repository import TenantRepository, page

_KEY = ("org_id", "kind", "subject_type", "subject_id", "open_flag")

# the unresolved alert of one condition on one object (built once: raised on hot paths)
_OPEN = select(Alert).where(
    Alert.org_id == bindparam("org_id"),
    Alert.kind == bindparam("kind"),
    Alert.subject_type == bindparam("subject_type"),
    Alert.subject_id == bindparam("subject_id"),
    Alert.open_flag.is_(True),
)


class AlertRepository(TenantRepository[Alert]):
    """Alerts are visible org-wide to whoever holds `alert.read` (no data scope)."""

    model = Alert
    not_found = AlertNotFound

    async def search(
        self,
        *,
        status: Sequence[str],
        kind: str | None,
        severity: str | None,
        subject_type: str | None,
        subject_id: str | None,
        request_id: uuid.UUID | None,
        since: datetime | None,
        until: datetime | None,
        order: Sequence[Any],
        offset: int,
        limit: int,
    ) -> tuple[list[Alert], int]:
        stmt = self.readable()
        if status:
            stmt = stmt.where(Alert.status.in_(list(status)))
        if kind:
            # a prefix ending in "." picks a family: "device." is every device alert
            stmt = stmt.where(
                Alert.kind.startswith(kind, autoescape=True)
                if kind.endswith(".")
                else Alert.kind == kind
            )
        if severity:
            stmt = stmt.where(Alert.severity == severity)
        if subject_type:
            stmt = stmt.where(Alert.subject_type == subject_type)
        if subject_id:
            stmt = stmt.where(Alert.subject_id == subject_id)
        if request_id:
            stmt = stmt.where(Alert.request_id == request_id)
        if since:
            stmt = stmt.where(Alert.last_at >= since)
        if until:
            stmt = stmt.where(Alert.last_at < until)
        return await page(self.session, stmt, order, offset, limit)

    async def counts(self) -> list[tuple[str, str, int]]:
        """(status, severity, alerts) of the unresolved alerts."""
        stmt = (
            select(Alert.status, Alert.severity, func.count())
            .where(
                Alert.org_id == self.actor.org_id,
                or_(Alert.status == AlertStatus.OPEN, Alert.status == AlertStatus.ACKNOWLEDGED),
            )
            .group_by(Alert.status, Alert.severity)
        )
        return [(s, v, int(n)) for s, v, n in (await self.session.execute(stmt)).all()]


async def upsert_open(session: AsyncSession, values: dict[str, Any]) -> Alert:
    """Insert the alert, or when one of the same condition and object is still unresolved,
    count one more occurrence on it — in one statement, so concurrent raisers never make
    two rows nor lose a count (PostgreSQL and SQLite: ON CONFLICT; MariaDB: ON DUPLICATE
    KEY, which locks the existing row exclusively instead of read-then-write)."""
    dialect = session.get_bind().dialect.name
    if dialect in ("mysql", "mariadb"):
        my = mysql.insert(Alert).values(values)
        # MariaDB evaluates the SET list left to right on the row: count first, then the rest
        await session.execute(
            my.on_duplicate_key_update(
                count=Alert.count + 1,
                last_at=my.inserted.last_at,
                details=my.inserted.details,
            )
        )
    else:
        ins = postgresql.insert(Alert) if dialect == "postgresql" else sqlite.insert(Alert)
        ins = ins.values(values)
        repeat = {
            "count": Alert.count + 1,
            "last_at": ins.excluded.last_at,
            "details": ins.excluded.details,
        }
        stmt = ins.on_conflict_do_update(index_elements=list(_KEY), set_=repeat)
        await session.execute(stmt)
    params = {k: values[k] for k in ("org_id", "kind", "subject_type", "subject_id")}
    # populate_existing: an Alert of this session's identity map must show the new count
    found = await session.execute(_OPEN.execution_options(populate_existing=True), params)
    return found.scalar_one()
