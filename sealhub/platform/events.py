"""Transactional outbox: domain events written with the change, delivered at least once.

    await events.emit(session, "requests.approved", {"request_id": str(r.id)}, org_id=r.org_id)

Handlers register by name and must be idempotent; the relay (worker.py) delivers each
event to every handler in its own transaction, then publishes it on the cache bus so
listeners in any process (the console's live updates) see it.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import JSON, Index, String, Text, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from sealhub.platform import clock
from sealhub.platform.db import appends
from sealhub.platform.db.base import Base, IdMixin
from sealhub.platform.ids import new_id

log = logging.getLogger("sealhub.events")

Handler = Callable[[AsyncSession, "OutboxEvent"], Awaitable[None]]
_HANDLERS: dict[str, list[Handler]] = defaultdict(list)
BUS_CHANNEL = "events"


class OutboxEvent(IdMixin, Base):
    __tablename__ = "outbox_events"
    __table_args__ = (Index("ix_outbox_pending", "delivered_at", "id"),)

    name: Mapped[str] = mapped_column(String(100))
    org_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)


def on(name: str) -> Callable[[Handler], Handler]:
    """Register an idempotent handler for the named event."""

    def register(fn: Handler) -> Handler:
        if fn not in _HANDLERS[name]:
            _HANDLERS[name].append(fn)
        return fn

    return register


def handlers_for(name: str) -> list[Handler]:
    return list(_HANDLERS.get(name, ()))


async def emit(
    session: AsyncSession, name: str, payload: dict[str, Any], *, org_id: uuid.UUID | None
) -> None:
    """Write an event in the caller's transaction (with its next flush or the commit)."""
    appends.append(
        session,
        OutboxEvent,
        {
            "id": new_id(),
            "name": name,
            "org_id": org_id,
            "payload": orjson.loads(orjson.dumps(payload)),
            "created_at": clock.now(),
            "delivered_at": None,
            "attempts": 0,
            "last_error": None,
        },
    )


def bus_message(event: OutboxEvent) -> bytes:
    return orjson.dumps(
        {
            "id": str(event.id),
            "name": event.name,
            "org_id": str(event.org_id) if event.org_id else None,
            "payload": event.payload,
            "at": event.created_at.isoformat(),
        }
    )


async def pending(session: AsyncSession, limit: int = 100) -> list[OutboxEvent]:
    stmt = (
        select(OutboxEvent)
        .where(OutboxEvent.delivered_at.is_(None), OutboxEvent.attempts < 20)
        .order_by(OutboxEvent.id)
        .limit(limit)
    )
    if session.bind is not None and session.bind.dialect.name != "sqlite":
        stmt = stmt.with_for_update(skip_locked=True)
    return list((await session.execute(stmt)).scalars())
