"""Both blob backends for real: a folder, and an S3 server (SeaweedFS)."""

from __future__ import annotations

import os
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from sealhub.platform.ports import BlobStore
from sealhub.platform.settings import Settings
from sealhub.storage.backends import LocalBlobStore, S3BlobStore, make_backend
from sealhub.storage.errors import BlobNotFound

from .conftest import S3Server, new_bucket

KEY = "0190aaaa-org/ab/abcdef0123/0190bbbb-obj"


async def test_round_trip(blob_store: BlobStore) -> None:
    data = os.urandom(70_000)
    assert not await blob_store.exists(KEY)
    await blob_store.put(KEY, data)
    assert await blob_store.exists(KEY)
    assert await blob_store.get(KEY) == data


async def test_overwrite_replaces_whole_blob(blob_store: BlobStore) -> None:
    await blob_store.put(KEY, b"x" * 5000)
    await blob_store.put(KEY, b"short")
    assert await blob_store.get(KEY) == b"short"


async def test_empty_blob(blob_store: BlobStore) -> None:
    await blob_store.put("empty", b"")
    assert await blob_store.get("empty") == b""


async def test_missing_and_delete(blob_store: BlobStore) -> None:
    with pytest.raises(BlobNotFound):
        await blob_store.get("no/such/key")
    await blob_store.put(KEY, b"data")
    await blob_store.delete(KEY)
    assert not await blob_store.exists(KEY)
    with pytest.raises(BlobNotFound):
        await blob_store.get(KEY)
    await blob_store.delete(KEY)  # deleting twice is fine


@pytest.mark.parametrize("key", ["../escape", "/etc/passwd", "a/../../b", "", "a//b", ".tmp-x"])
async def test_local_rejects_unsafe_keys(local_store: LocalBlobStore, key: str) -> None:
    with pytest.raises(ValueError):
        await local_store.put(key, b"x")


async def test_local_layout_and_atomic_write(local_store: LocalBlobStore) -> None:
    await local_store.put("org/ab/abcd", b"payload")
    path = local_store.root / "org" / "ab" / "abcd"
    assert path.read_bytes() == b"payload"
    # The temp file was renamed into place, never left behind.
    assert sorted(p.name for p in path.parent.iterdir()) == ["abcd"]


async def test_local_failed_write_leaves_old_blob(
    local_store: LocalBlobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    await local_store.put("k", b"old")

    def boom(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        await local_store.put("k", b"new")
    monkeypatch.undo()
    assert await local_store.get("k") == b"old"
    assert [p.name for p in local_store.root.iterdir()] == ["k"]


def _raw_client(server: S3Server, secret: str | None = None):  # type: ignore[no-untyped-def]
    return boto3.client(
        "s3",
        endpoint_url=server.url,
        aws_access_key_id=server.access_key,
        aws_secret_access_key=secret or server.secret_key,
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}),
    )


async def test_s3_creates_missing_bucket(s3_server: S3Server) -> None:
    bucket = new_bucket()
    raw = _raw_client(s3_server)
    with pytest.raises(ClientError):
        raw.head_bucket(Bucket=bucket)
    store = S3BlobStore(
        bucket,
        endpoint_url=s3_server.url,
        access_key=s3_server.access_key,
        secret_key=s3_server.secret_key,
    )
    await store.put("a/b", b"hello", "text/plain")
    head = raw.head_object(Bucket=bucket, Key="a/b")
    assert head["ContentType"] == "text/plain"
    # A second store on the now-existing bucket just uses it.
    again = S3BlobStore(
        bucket,
        endpoint_url=s3_server.url,
        access_key=s3_server.access_key,
        secret_key=s3_server.secret_key,
    )
    assert await again.get("a/b") == b"hello"
    await store.close()
    await again.close()


async def test_s3_url_with_prefix(s3_server: S3Server, tmp_path: Path) -> None:
    bucket = new_bucket()
    settings = Settings(
        data_dir=tmp_path,
        storage_url=f"s3://{bucket}/tenant-files/?endpoint={s3_server.url}",
        s3_access_key=s3_server.access_key,
        s3_secret_key=s3_server.secret_key,
        _env_file=None,
    )
    store = make_backend(settings)
    assert isinstance(store, S3BlobStore)
    await store.put("x/y", b"1")
    raw = _raw_client(s3_server)
    assert raw.get_object(Bucket=bucket, Key="tenant-files/x/y")["Body"].read() == b"1"
    await store.close()


async def test_s3_wrong_secret_is_refused(s3_server: S3Server) -> None:
    if not s3_server.access_key:
        pytest.skip("server runs without credentials")
    store = S3BlobStore(
        new_bucket(),
        endpoint_url=s3_server.url,
        access_key=s3_server.access_key,
        secret_key="not-the-secret",
    )
    with pytest.raises(ClientError):
        await store.put("k", b"x")
    await store.close()


def test_make_backend_local(tmp_path: Path) -> None:
    default = make_backend(Settings(data_dir=tmp_path, storage_url="", _env_file=None))
    assert isinstance(default, LocalBlobStore)
    assert default.root == (tmp_path / "objects").resolve()
    there = tmp_path / "elsewhere dir"
    chosen = make_backend(Settings(data_dir=tmp_path, storage_url=there.as_uri(), _env_file=None))
    assert isinstance(chosen, LocalBlobStore)
    assert chosen.root == there.resolve()


def test_make_backend_s3_settings(tmp_path: Path) -> None:
    store = make_backend(
        Settings(
            data_dir=tmp_path,
            storage_url="s3://media?endpoint=http://127.0.0.1:8333&region=cn-north-1",
            s3_access_key="AK",
            s3_secret_key="SK",
            _env_file=None,
        )
    )
    assert isinstance(store, S3BlobStore)
    assert (store.bucket, store.prefix, store.region) == ("media", "", "cn-north-1")
    assert store.client.meta.endpoint_url == "http://127.0.0.1:8333"
    assert store.client.meta.config.s3["addressing_style"] == "path"
    creds = store.client._request_signer._credentials
    assert (creds.access_key, creds.secret_key) == ("AK", "SK")


@pytest.mark.parametrize("url", ["ftp://host/x", "file://remotehost/x", "s3://"])
def test_make_backend_rejects(tmp_path: Path, url: str) -> None:
    with pytest.raises(ValueError):
        make_backend(Settings(data_dir=tmp_path, storage_url=url, _env_file=None))
