"""Engine and session factory for any of the three supported databases."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


DEFAULT_POOL_SIZE = 15


def make_engine(
    url: str, *, pool_size: int = DEFAULT_POOL_SIZE, max_overflow: int = 5, **kwargs: Any
) -> AsyncEngine:
    parsed = make_url(url)
    # no pre-ping: it costs a round trip per request; a dropped connection is invalidated
    # on its first error and the pool recycles connections well before server timeouts
    # a pool as large as the sustained concurrency: overflow connections are closed on
    # return, so a small pool under steady load reconnects (TLS attempt included) per request
    options: dict[str, Any] = {
        "pool_recycle": 1800,
        "pool_size": pool_size,
        "max_overflow": max_overflow,
    }
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        options = {"connect_args": {"timeout": 30}}
    options.update(kwargs)
    engine = create_async_engine(url, **options)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


class Database:
    """Owns the engine; hands out one transaction per unit of work."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        # requests queue here, first come first served, for one of the pool's connections:
        # a wait inside SQLAlchemy's async pool costs a task and a timer per waiter and, with
        # many waiters, starves some for seconds. The overflow is left to work outside
        # requests (the relay, jobs); a request never holds two connections at once.
        self.gate: asyncio.Semaphore | None = None
        if self.engine.dialect.name != "sqlite":
            self.gate = asyncio.Semaphore(engine_kwargs.get("pool_size", DEFAULT_POOL_SIZE))
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=True)
        # safe (GET) requests: no BEGIN/COMMIT round trips; a stray write still commits
        self.read_sessions = async_sessionmaker(
            self.engine.execution_options(isolation_level="AUTOCOMMIT"),
            expire_on_commit=False,
            autoflush=True,
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: commits on success, rolls back on any error."""
        async with self.sessions() as session, session.begin():
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()
