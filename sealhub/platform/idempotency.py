"""Stored replies for create requests carrying an Idempotency-Key.

A create first claims its key with a row in its own transaction, then runs, then writes its
reply into that row; all commit together. A twin sent at the same moment meets the claim in
the key's unique index: PostgreSQL and MariaDB make its INSERT wait for the first
transaction (SQLite serialises writers the same way), after which it either replays the
committed reply or, if the first rolled back, takes the key and runs. The wait is bounded:
past it the twin answers 409 `common.idempotency_in_progress` with Retry-After.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, UniqueConstraint, insert, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from sealhub.platform import clock, ids
from sealhub.platform.db import appends
from sealhub.platform.db.base import Base, IdMixin
from sealhub.platform.errors import AppError, IdempotencyConflict

PENDING = 0  # status_code of a claim whose reply is not written yet (never committed so)
WAIT_SECONDS = 10  # how long a twin waits for the first request's transaction


class IdempotencyInProgress(AppError):
    code = "common.idempotency_in_progress"
    status = 409
    zh = "使用同一幂等键的请求仍在处理中，请 {retry_after} 秒后重试"
    en = "A request with this Idempotency-Key is still in progress; retry in {retry_after} s"


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
    session: AsyncSession, principal: str, key: str, fingerprint: str, *, latest: bool = False
) -> IdempotentReply | None:
    """The stored reply for this key, or None; a different request under the key is an error.
    `latest`: a locking read, which sees rows committed after a REPEATABLE READ snapshot."""
    stmt = select(IdempotentReply).where(
        IdempotentReply.principal == principal, IdempotentReply.key == key
    )
    if latest and session.get_bind().dialect.name != "sqlite":
        # shared: twins that all met the same duplicate key must not deadlock each other
        stmt = stmt.with_for_update(read=True)
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


async def claim(
    session: AsyncSession, principal: str, key: str, fingerprint: str
) -> IdempotentReply | uuid.UUID:
    """The committed reply under this key (replay it), or the id of this request's own claim
    (run the create, then `complete` the claim)."""
    found = await lookup(session, principal, key, fingerprint)
    if found is not None:
        return _replayable(found)
    claim_id = ids.new_id()
    stmt = insert(IdempotentReply).values(
        id=claim_id,
        principal=principal,
        key=key,
        fingerprint=fingerprint,
        status_code=PENDING,
        body={},
        created_at=clock.now(),
    )
    dialect = session.get_bind().dialect.name
    try:
        if dialect == "sqlite":
            # a failed statement leaves SQLite's transaction as it was; and a SAVEPOINT
            # opened before any write would start (and its release commit) a transaction
            await session.execute(stmt)
        else:
            async with appends.savepoint(session):
                if dialect == "postgresql":  # bound the wait; undone with the savepoint
                    await session.execute(text(f"SET LOCAL lock_timeout = '{WAIT_SECONDS}s'"))
                await session.execute(stmt)
                if dialect == "postgresql":
                    await session.execute(text("SET LOCAL lock_timeout TO DEFAULT"))
    except IntegrityError:
        # a twin committed first: its reply is ours
        found = await lookup(session, principal, key, fingerprint, latest=True)
        if found is None:  # and was purged since: let the client try again
            raise IdempotencyInProgress(retry_after=1) from None
        return _replayable(found)
    except DBAPIError as exc:
        if not _lock_wait(exc):
            raise
        raise IdempotencyInProgress(retry_after=WAIT_SECONDS) from None
    return claim_id


def _replayable(row: IdempotentReply) -> IdempotentReply:
    if row.status_code == PENDING:  # never committed so; refuse rather than run twice
        raise IdempotencyInProgress(retry_after=1)
    return row


def _lock_wait(exc: DBAPIError) -> bool:
    """A lock wait that ran out or deadlocked (PostgreSQL, MariaDB, SQLite busy)."""
    message = str(exc.orig).lower()
    markers = (
        "lock timeout",
        "lock_timeout",
        "database is locked",
        "lock wait timeout",
        "deadlock",
    )
    return any(m in message for m in markers) or type(exc.orig).__name__ == (
        "LockNotAvailableError"
    )


async def complete(session: AsyncSession, claim_id: uuid.UUID, status_code: int, body: Any) -> None:
    """Write the create's reply into its claim (committed with the create itself)."""
    stmt = (
        update(IdempotentReply)
        .where(IdempotentReply.id == claim_id)
        .values(status_code=status_code, body=body)
    )
    await session.execute(stmt)


def principal_of(org_id: uuid.UUID, user_id: uuid.UUID) -> str:
    return f"{org_id}:{user_id}"
