"""Work that must wait until the transaction has committed (cache invalidation...).

    aftercommit.call(session, lambda: cache.set("authz:...", new_epoch))

The callback runs inside the outermost commit, right after the database has committed and
before `commit()` returns, so the unit of work (and the reply) waits for it; a rollback,
or the rollback of the savepoint it was queued in, drops it. Done before the commit, a
cache invalidation lets a concurrent reader rebuild the entry from the old rows and keep
it under the new version.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.util import await_only

Callback = Callable[[], Awaitable[Any]]
_KEY = "sealhub.after_commit"
# (the savepoint it was queued in, if any; the callback)
Pending = list[tuple[SessionTransaction | None, Callback]]


def call(session: AsyncSession, fn: Callback) -> None:
    """Run `await fn()` once this session's transaction has committed."""
    sync = session.sync_session
    pending: Pending = sync.info.setdefault(_KEY, [])
    pending.append((sync.get_nested_transaction(), fn))


@event.listens_for(Session, "after_commit")
def _run(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint released: the work is not durable yet
        return
    pending: Pending | None = session.info.pop(_KEY, None)
    for _, fn in pending or ():
        # commit() runs in SQLAlchemy's greenlet for AsyncSession: await on the event loop
        await_only(fn())


@event.listens_for(Session, "after_soft_rollback")
def _drop(session: Session, previous: SessionTransaction) -> None:
    pending: Pending | None = session.info.get(_KEY)
    if not pending:
        return
    if previous.nested:
        session.info[_KEY] = [p for p in pending if p[0] is not previous]
    else:
        session.info.pop(_KEY, None)
