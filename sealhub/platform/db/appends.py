"""Append-only rows (audit entries, outbox events, request timelines) written with the
transaction.

They are never changed by the transaction that writes them, so they skip the ORM's unit of
work: each table's rows go out in one executemany right after the session's next flush, or
at its commit (the ORM spends ~65 µs of bookkeeping per object). Written after the flushed
ORM rows, they may reference rows created in the same transaction. A query that must see
them in that transaction calls `write()` first. A rollback drops them with everything else;
a savepoint's rollback drops the rows queued inside it.

A context may `listen(model, fn)` to append a row of its own beside each row of a model (the
evidence log adds a leaf per audit entry and event): `fn(row)` returns (its model, its row),
queued in the same transaction and savepoint, so both are written or neither is. The
platform calls listeners without knowing who they are.

A savepoint must not start with rows queued outside it (they would be written inside it and
lost with it): use `savepoint()`, which writes them first.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

_KEY = "sealhub.appends"
# (the transaction that queued the row, the mapped class, the row)
Pending = list[tuple[SessionTransaction | None, type[Any], dict[str, Any]]]
Listener = Callable[[dict[str, Any]], tuple[type[Any], dict[str, Any]]]
_LISTENERS: dict[type[Any], list[Listener]] = {}


def listen(model: type[Any], fn: Listener) -> None:
    """Append `fn(row)` (a model and its row) with every row appended for `model`."""
    fns = _LISTENERS.setdefault(model, [])
    if fn not in fns:
        fns.append(fn)


def append(session: AsyncSession, model: type[Any], row: dict[str, Any]) -> None:
    """Queue one row (every column) of a mapped class's table for this transaction."""
    sync = session.sync_session
    pending: Pending = sync.info.setdefault(_KEY, [])
    tx = sync.get_nested_transaction()
    pending.append((tx, model, row))
    for fn in _LISTENERS.get(model, ()):
        extra_model, extra_row = fn(row)
        pending.append((tx, extra_model, extra_row))


def _write(session: Session) -> None:
    pending: Pending | None = session.info.pop(_KEY, None)
    if not pending:
        return
    by_model: dict[type[Any], list[dict[str, Any]]] = {}
    for _, model, row in pending:
        by_model.setdefault(model, []).append(row)
    conn = session.connection()
    for model, rows in by_model.items():
        conn.execute(insert(model), rows)


def pending(session: AsyncSession) -> bool:
    """Whether rows are queued (a read-only unit of work that wrote some must commit)."""
    return bool(session.sync_session.info.get(_KEY))


async def write(session: AsyncSession) -> None:
    """Write the queued rows now."""
    if session.sync_session.info.get(_KEY):
        await session.run_sync(_write)


@asynccontextmanager
async def savepoint(session: AsyncSession) -> AsyncIterator[None]:
    """`session.begin_nested()` after writing the rows queued outside it."""
    await write(session)
    async with session.begin_nested():
        yield


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    _write(session)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    if session.info.get(_KEY):
        session.flush()  # the ORM's rows first (after_flush then writes ours)
        _write(session)  # a flush with nothing to do runs no after_flush


@event.listens_for(Session, "after_transaction_create")
def _no_rows_into_savepoints(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested and session.info.get(_KEY):
        raise RuntimeError("rows are queued outside this savepoint: use appends.savepoint()")


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous: SessionTransaction) -> None:
    pending: Pending | None = session.info.get(_KEY)
    if not pending:
        return
    if previous.nested:
        session.info[_KEY] = [p for p in pending if p[0] is not previous]
    else:
        session.info.pop(_KEY, None)
