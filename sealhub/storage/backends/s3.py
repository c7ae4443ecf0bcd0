"""Blobs in an S3-compatible bucket (AWS, SeaweedFS, MinIO...) through boto3 in worker threads."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from sealhub.storage.errors import BlobNotFound

_MISSING = {"404", "NoSuchKey", "NoSuchBucket", "NotFound"}


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class S3BlobStore:
    """A BlobStore on one bucket, optionally under a key prefix; creates the bucket if missing."""

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        access_key: str = "",
        secret_key: str = "",
        region: str = "us-east-1",
        prefix: str = "",
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.region = region
        # Custom endpoints (SeaweedFS, MinIO) rarely resolve bucket subdomains: use path style.
        config = Config(
            signature_version="s3v4",
            s3={"addressing_style": "path" if endpoint_url else "auto"},
            retries={"max_attempts": 3, "mode": "standard"},
            connect_timeout=5,
            read_timeout=60,
        )
        # Empty keys fall back to boto3's default chain (env, instance role...).
        session = boto3.session.Session()
        # Any: the S3 service stubs (mypy-boto3-s3) are optional for type checking.
        self.client: Any = session.client(
            "s3",
            endpoint_url=endpoint_url or None,
            aws_access_key_id=access_key or None,
            aws_secret_access_key=secret_key or None,
            region_name=region,
            config=config,
        )
        self._bucket_ready = False
        self._bucket_lock = asyncio.Lock()

    @classmethod
    def from_url(
        cls, url: str, *, access_key: str = "", secret_key: str = "", region: str = "us-east-1"
    ) -> S3BlobStore:
        """From `s3://bucket[/prefix]?endpoint=http://host:port[&region=...]`."""
        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise ValueError(f"S3 storage URL must be s3://bucket..., got {url!r}")
        query = parse_qs(parts.query)
        return cls(
            parts.netloc,
            endpoint_url=query.get("endpoint", [None])[0],
            access_key=access_key,
            secret_key=secret_key,
            region=query.get("region", [region])[0],
            prefix=parts.path,
        )

    def _key(self, key: str) -> str:
        if not key or key.startswith("/") or ".." in key.split("/"):
            raise ValueError(f"invalid blob key: {key!r}")
        return self.prefix + key

    async def ensure_bucket(self) -> None:
        """Create the bucket on first use if it does not exist yet."""
        if self._bucket_ready:
            return
        async with self._bucket_lock:
            if not self._bucket_ready:
                await asyncio.to_thread(self._ensure_bucket)
                self._bucket_ready = True

    def _ensure_bucket(self) -> None:
        try:
            self.client.head_bucket(Bucket=self.bucket)
            return
        except ClientError as exc:
            if _code(exc) not in _MISSING:
                raise
        try:
            if self.region == "us-east-1":
                self.client.create_bucket(Bucket=self.bucket)
            else:
                self.client.create_bucket(
                    Bucket=self.bucket,
                    CreateBucketConfiguration={"LocationConstraint": self.region},
                )
        except ClientError as exc:
            # Another process may have created it between our check and create.
            if _code(exc) not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise

    async def put(
        self, key: str, data: bytes, content_type: str = "application/octet-stream"
    ) -> None:
        await self.ensure_bucket()
        await asyncio.to_thread(
            self.client.put_object,
            Bucket=self.bucket,
            Key=self._key(key),
            Body=data,
            ContentType=content_type,
        )

    async def get(self, key: str) -> bytes:
        await self.ensure_bucket()
        return await asyncio.to_thread(self._get, self._key(key))

    def _get(self, full_key: str) -> bytes:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=full_key)
        except ClientError as exc:
            if _code(exc) in _MISSING:
                raise BlobNotFound(full_key) from exc
            raise
        with response["Body"] as body:
            data: bytes = body.read()
        return data

    async def exists(self, key: str) -> bool:
        await self.ensure_bucket()
        return await asyncio.to_thread(self._exists, self._key(key))

    def _exists(self, full_key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=full_key)
        except ClientError as exc:
            if _code(exc) in _MISSING:
                return False
            raise
        return True

    async def delete(self, key: str) -> None:
        await self.ensure_bucket()
        await asyncio.to_thread(self.client.delete_object, Bucket=self.bucket, Key=self._key(key))

    async def close(self) -> None:
        await asyncio.to_thread(self.client.close)
