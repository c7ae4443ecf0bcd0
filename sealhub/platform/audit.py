"""The audit trail: every write goes through `record()` (one place to make tamper-evident).

A write that also tells other contexts passes its typed event to the same call
(`record(..., event=RequestApproved(...))`): the entry and the outbox row are queued
together, so no use case writes one without the other."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import JSON, Index, Select, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from sealhub.platform import clock, events
from sealhub.platform.actor import Actor, SystemActor
from sealhub.platform.db import appends
from sealhub.platform.db.base import Base, IdMixin
from sealhub.platform.ids import new_id


class AuditEntry(IdMixin, Base):
    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_org_at", "org_id", "at"),)

    org_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    at: Mapped[datetime] = mapped_column(default=clock.now)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    actor_name: Mapped[str] = mapped_column(String(100), default="")
    api_key_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    action: Mapped[str] = mapped_column(String(100), index=True)
    target_type: Mapped[str] = mapped_column(String(50), index=True)
    target_id: Mapped[str | None] = mapped_column(String(64), index=True)
    ip: Mapped[str | None] = mapped_column(String(64))
    client: Mapped[str | None] = mapped_column(String(255))
    summary: Mapped[str] = mapped_column(String(500), default="")
    summary_en: Mapped[str] = mapped_column(String(500), default="")
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)


@dataclass(frozen=True)
class Summary:
    """What an entry says, in both console languages (rendered by the caller)."""

    zh: str
    en: str

    def in_locale(self, locale: str) -> str:
        return self.en if locale.startswith("en") and self.en else self.zh


def localized(entry: AuditEntry, locale: str) -> str:
    """The entry's summary for a reader (entries without English fall back to Chinese)."""
    return Summary(entry.summary, entry.summary_en).in_locale(locale)


def _jsonable(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return orjson.loads(orjson.dumps(value, default=str))  # type: ignore[no-any-return]


async def record(
    session: AsyncSession,
    actor: Actor | SystemActor,
    action: str,
    target_type: str,
    target_id: uuid.UUID | str | None,
    *,
    summary: Summary | str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    org_id: uuid.UUID | None = None,
    event: events.Event | None = None,
) -> None:
    """Append one audit entry (and the change's event, if any) in the caller's transaction."""
    member = actor if isinstance(actor, Actor) and not actor.is_system else None
    # written with the caller's next flush or commit, batched with the transaction's other
    # entries (a failed write never leaves an entry, a committed one always has it)
    appends.append(
        session,
        AuditEntry,
        {
            "id": new_id(),
            "org_id": org_id or actor.org_id,
            "at": clock.now(),
            "actor_id": member.user_id if member else None,
            "actor_name": actor.name[:100],
            "api_key_id": member.api_key_id if member else None,
            "action": action,
            "target_type": target_type,
            "target_id": str(target_id) if target_id is not None else None,
            "ip": member.ip if member else None,
            "client": (member.client or "")[:255] if member else None,
            "summary": (summary.zh if isinstance(summary, Summary) else summary)[:500],
            "summary_en": (summary.en if isinstance(summary, Summary) else "")[:500],
            "before": _jsonable(before),
            "after": _jsonable(after),
        },
    )
    if event is not None:
        await events.emit(session, event)


def query(
    org_id: uuid.UUID,
    *,
    actor_id: uuid.UUID | None = None,
    action: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    q: str | None = None,
) -> Select[AuditEntry]:
    """The auditor's filtered view of one organisation's trail, newest first."""
    stmt = select(AuditEntry).where(AuditEntry.org_id == org_id)
    if actor_id:
        stmt = stmt.where(AuditEntry.actor_id == actor_id)
    if action:
        stmt = stmt.where(AuditEntry.action.startswith(action))
    if target_type:
        stmt = stmt.where(AuditEntry.target_type == target_type)
    if target_id:
        stmt = stmt.where(AuditEntry.target_id == target_id)
    if since:
        stmt = stmt.where(AuditEntry.at >= since)
    if until:
        stmt = stmt.where(AuditEntry.at < until)
    if q:
        like = f"%{q}%"
        stmt = stmt.where(
            AuditEntry.summary.like(like)
            | AuditEntry.summary_en.like(like)
            | AuditEntry.actor_name.like(like)
        )
    return stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
