"""Stored replies for create requests carrying an Idempotency-Key."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, UniqueConstraint, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from sealhub.platform import clock
from sealhub.platform.db.base import Base, IdMixin
from sealhub.platform.errors import IdempotencyConflict


class IdempotentReply(IdMixin, Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("principal", "key"),)

    principal: Mapped[str] = mapped_column(String(80))
    key: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int]
    body: Mapped[Any] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


async def lookup(
    session: AsyncSession, principal: str, key: str, fingerprint: str
) -> IdempotentReply | None:
    """The stored reply for this key, or None; a different request under the key is an error."""
    stmt = select(IdempotentReply).where(
        IdempotentReply.principal == principal, IdempotentReply.key == key
    )
    row = (await session.execute(stmt)).scalar_one_or_none()
    if row is not None and row.fingerprint != fingerprint:
        raise IdempotencyConflict()
    return row


async def remember(
    session: AsyncSession, principal: str, key: str, fingerprint: str, status_code: int, body: Any
) -> None:
    session.add(
        IdempotentReply(
            principal=principal,
            key=key,
            fingerprint=fingerprint,
            status_code=status_code,
            body=body,
        )
    )
    await session.flush()


def principal_of(org_id: uuid.UUID, user_id: uuid.UUID) -> str:
    return f"{org_id}:{user_id}"
