"""Application numbers (SQ<yyyymmdd>-<seq>): per organisation and local calendar day."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from sealhub.platform import clock
from sealhub.requests.repository import (
    next_request_seq,
)


def _number(day: date, seq: int) -> str:
    """SQ20261123-0001: per organisation and local day; a fifth digit after 9999."""
    return f"SQ{day:%Y%m%d}-{seq:04d}"


def _holds_connection(session: AsyncSession) -> bool:
    trans = session.sync_session.get_transaction()
    if trans is None:
        return False
    # SessionTransaction.connections is public from SQLAlchemy 2.1.7
    held = getattr(trans, "connections", None)
    return bool(held if held is not None else getattr(trans, "_connections", None))


async def _number_apart(session: AsyncSession, org_id: uuid.UUID, now: datetime) -> str | None:
    """The next number from the day's counter in a transaction of its own, committed at once,
    so concurrent applications of one organisation neither fail nor wait on each other's
    transactions. A create that then fails leaves a gap in the numbers (accepted).

    None when the session already holds a connection (an Idempotency-Key look-up, a cold
    actor cache): taking a second one from the same pool could deadlock a busy pool, so the
    caller takes the number in its own transaction instead (`_number_in`)."""
    bind = session.bind
    if not isinstance(bind, AsyncEngine) or _holds_connection(session):
        return None
    day = clock.local_day(now)  # numbers follow the local calendar day
    for attempt in range(3):
        try:
            async with bind.connect() as conn:
                if conn.dialect.name in ("postgresql", "sqlite"):
                    # one atomic statement: its own transaction, no BEGIN/COMMIT round trips
                    await conn.execution_options(isolation_level="AUTOCOMMIT")
                    seq = await next_request_seq(conn, org_id, day)
                else:
                    async with conn.begin():
                        seq = await next_request_seq(conn, org_id, day)
        except DBAPIError:
            # MariaDB may pick a deadlock victim among the first upserts of a day: retry
            if attempt == 2:
                raise
            continue
        return _number(day, seq)
    raise AssertionError("unreachable")


async def _number_in(session: AsyncSession, org_id: uuid.UUID, now: datetime) -> str:
    """The next number from the day's counter in the caller's transaction: the counter row
    stays locked until it commits, so call this as late as possible (never fails, may wait)."""
    day = clock.local_day(now)  # numbers follow the local calendar day
    return _number(day, await next_request_seq(await session.connection(), org_id, day))
