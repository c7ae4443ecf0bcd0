"""The Runtime: every long-lived resource of one process, built from settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from taskiq import AsyncBroker, InMemoryBroker

from sealhub.platform.cache import Cache, make_cache
from sealhub.platform.crypto import Envelope, load_master_key
from sealhub.platform.db.engine import Database
from sealhub.platform.ports import BlobStore, SmsSender
from sealhub.platform.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    db: Database
    cache: Cache
    envelope: Envelope
    broker: AsyncBroker
    blobs: BlobStore
    sms: SmsSender
    extras: dict[str, Any] = field(default_factory=dict)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        async with self.db.transaction() as session:
            yield session

    async def close(self) -> None:
        await self.broker.shutdown()
        await self.blobs.close()
        await self.cache.close()
        await self.db.dispose()


def make_broker(url: str, queue: str = "sealhub") -> AsyncBroker:
    """The job queue: taskiq's in-memory broker, or Redis streams shared by every process."""
    if url.startswith("memory://"):
        return InMemoryBroker(max_stored_results=1000, await_inplace=False)
    if url.startswith(("redis://", "rediss://")):
        from taskiq_redis import RedisStreamBroker

        broker: AsyncBroker = RedisStreamBroker(url=url, queue_name=queue)
        return broker
    raise ValueError(f"unsupported jobs URL: {url}")


def build_platform(settings: Settings) -> tuple[Database, Cache, Envelope, AsyncBroker]:
    """The context-free parts; app.py adds the adapters owned by contexts."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(
        settings.resolved_database_url(),
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
    )
    cache = make_cache(settings.cache_url, settings.cache_prefix)
    envelope = Envelope(load_master_key(settings.master_key, settings.data_dir))
    # the cache prefix keeps deployments sharing one Redis apart; their job queues too
    broker = make_broker(settings.jobs_url, settings.cache_prefix + "jobs")
    return db, cache, envelope, broker
