"""Blob backends behind the platform's BlobStore port; `make_backend` picks one by URL."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from sealhub.platform.ports import BlobStore
from sealhub.platform.settings import Settings
from sealhub.storage.backends.local import LocalBlobStore
from sealhub.storage.backends.s3 import S3BlobStore

__all__ = ["LocalBlobStore", "S3BlobStore", "make_backend"]


def make_backend(settings: Settings) -> BlobStore:
    """`file:///path` → LocalBlobStore, `s3://bucket[/prefix]?endpoint=...` → S3BlobStore."""
    url = settings.resolved_storage_url()
    parts = urlsplit(url)
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise ValueError(f"storage URL must be file:///absolute/path, got {url!r}")
        return LocalBlobStore(Path(unquote(parts.path)))
    if parts.scheme == "s3":
        return S3BlobStore.from_url(
            url,
            access_key=settings.s3_access_key,
            secret_key=settings.s3_secret_key,
            region=settings.s3_region,
        )
    raise ValueError(f"unsupported storage URL scheme: {url!r}")
