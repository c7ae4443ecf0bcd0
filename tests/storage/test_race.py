"""Two uploads of the same bytes racing in two real transactions (no patched repository).

The first upload holds its new row uncommitted; the second, in its own session, passes the
dedupe check (it cannot see the row), writes its blob and inserts: on PostgreSQL and
MariaDB the insert waits on the unique index, on SQLite on the write lock. When the first
commits, the second must fail as a retryable 409, and a retry returns the winner's row.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from sealhub.platform.actor import Actor
from sealhub.platform.cache import MemoryCache
from sealhub.platform.crypto import Envelope
from sealhub.platform.db.engine import Database
from sealhub.platform.runtime import Runtime, make_broker
from sealhub.platform.settings import Settings
from sealhub.storage import service
from sealhub.storage.backends import LocalBlobStore
from sealhub.storage.errors import ConcurrentUpload
from sealhub.storage.models import StoredObject

from .conftest import NullSms, make_actor
from .samples import reportlab_pdf

PDF = reportlab_pdf(3, text="racing upload")


@pytest.fixture
async def race_runtime(db_url: str, tmp_path: Path) -> AsyncIterator[Runtime]:
    """The migrated database of each backend (tests/conftest.py) and a local blob folder."""
    database = Database(db_url)
    runtime = Runtime(
        settings=Settings(data_dir=tmp_path, max_upload_bytes=2_000_000, _env_file=None),
        db=database,
        cache=MemoryCache(),
        envelope=Envelope(os.urandom(32)),
        broker=make_broker("memory://"),
        blobs=LocalBlobStore(tmp_path / "objects"),
        sms=NullSms(),
    )
    yield runtime
    await database.dispose()


async def _put(runtime: Runtime, actor: Actor) -> StoredObject:
    async with runtime.transaction() as session:
        return await service.put(session, runtime, actor, PDF, filename="a.pdf", purpose="doc")


def _blobs(runtime: Runtime, actor: Actor) -> list[Path]:
    assert isinstance(runtime.blobs, LocalBlobStore)
    sha = hashlib.sha256(PDF).hexdigest()
    folder = runtime.blobs.root / str(actor.org_id) / sha[:2] / sha
    return sorted(folder.iterdir()) if folder.exists() else []


async def _rows(runtime: Runtime, actor: Actor) -> int:
    async with runtime.transaction() as session:
        stmt = select(func.count()).select_from(StoredObject)
        return (await session.execute(stmt.where(StoredObject.org_id == actor.org_id))).scalar_one()


async def test_two_sessions_racing_on_the_same_bytes(race_runtime: Runtime) -> None:
    runtime = race_runtime
    alice = make_actor()
    bob = make_actor(alice.org_id)  # a colleague: same organisation, same bytes
    async with runtime.transaction() as first_session:
        first = await service.put(
            first_session, runtime, alice, PDF, filename="a.pdf", purpose="doc"
        )
        second = asyncio.create_task(_put(runtime, bob))
        # The second blob appears only after the second upload found no row for the hash:
        # from here on it has lost the race, whatever the timing of the commit below.
        for _ in range(500):
            if len(_blobs(runtime, alice)) == 2 or second.done():
                break
            await asyncio.sleep(0.01)
        assert len(_blobs(runtime, alice)) == 2, "the second upload never reached its insert"
        await asyncio.sleep(0.1)  # let it block on the first one's row
        assert not second.done(), "the second insert did not wait for the first transaction"
    # committed: the waiting insert now meets the unique constraint
    with pytest.raises(ConcurrentUpload) as err:
        await asyncio.wait_for(second, timeout=30)
    assert (err.value.status, err.value.code) == (409, "storage.concurrent_upload")
    assert await _rows(runtime, alice) == 1
    # the client's retry finds the winner's row
    again = await _put(runtime, bob)
    assert again.id == first.id
    assert await _rows(runtime, alice) == 1
