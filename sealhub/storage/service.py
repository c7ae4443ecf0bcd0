"""Storage use cases: put, get and describe a tenant's encrypted files."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import uuid
from collections.abc import Callable, Set
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from cryptography.exceptions import InvalidTag
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from sealhub.platform import clock, untrusted
from sealhub.platform.actor import Actor
from sealhub.platform.crypto import Envelope, Sealed
from sealhub.platform.errors import AppError
from sealhub.platform.ids import new_id
from sealhub.platform.ports import BlobStore
from sealhub.platform.settings import Settings
from sealhub.storage.errors import (
    BlobNotFound,
    ConcurrentUpload,
    DataMissing,
    ImageSideTooLarge,
    IntegrityFailed,
)
from sealhub.storage.models import StoredObject
from sealhub.storage.repository import StoredObjectRepository
from sealhub.storage.sniff import (
    IMAGE,
    PDF,
    Sniffed,
    check_size,
    clean_filename,
    sniff,
)

DEFAULT_KINDS = frozenset({PDF, IMAGE})
untrusted.preload(__name__)  # its `_prepare` runs in the untrusted-file pool


class StorageRuntime(Protocol):
    """The part of `platform.runtime.Runtime` storage uses (any Runtime satisfies it)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def envelope(self) -> Envelope: ...

    @property
    def blobs(self) -> BlobStore: ...


@dataclass(frozen=True)
class _Prepared:
    sniffed: Sniffed
    sha256: str
    filename: str


def blob_key(org_id: uuid.UUID, sha256: str, object_id: uuid.UUID) -> str:
    """Where an object's ciphertext lives.

    The org id keeps tenants from ever sharing ciphertext. The object id makes every write
    a new key: two racing uploads of the same bytes each seal with their own data key, and
    with a shared key the loser could overwrite the winner's blob; it also keeps writes
    compatible with write-once (Object Lock) buckets.
    """
    return f"{org_id}/{sha256[:2]}/{sha256}/{object_id}"


def _aad(org_id: uuid.UUID, sha256: str) -> bytes:
    # Binds the ciphertext to its tenant and content: a blob copied elsewhere will not open.
    return org_id.bytes + bytes.fromhex(sha256)


def _prepare(data: bytes, filename: str, allowed: Set[str]) -> _Prepared:
    sniffed = sniff(data, filename, allowed=frozenset(allowed))
    return _Prepared(sniffed, hashlib.sha256(data).hexdigest(), clean_filename(filename))


async def put(
    session: AsyncSession,
    runtime: StorageRuntime,
    actor: Actor,
    data: bytes,
    *,
    filename: str,
    purpose: str,
    allowed_kinds: Set[str] = DEFAULT_KINDS,
    max_bytes: int | None = None,
    retain_until: datetime | None = None,
    check: Callable[[Sniffed], None] | None = None,
) -> StoredObject:
    """Validate, encrypt and store an upload; the same bytes in one org give the same object."""
    check_size(len(data), runtime.settings.max_upload_bytes if max_bytes is None else max_bytes)
    # Parsing a PDF or image is parsing untrusted bytes: in a limited child process (time,
    # memory), so a hostile file fails fast and never holds the server's threads.
    limits = dataclasses.replace(untrusted.default_limits(), max_input_bytes=max(len(data), 1))
    prepared = await untrusted.run(
        _prepare, data, filename, frozenset(allowed_kinds), limits=limits
    )
    if check is not None:  # the caller's own rule on what the sniffing found
        check(prepared.sniffed)
    repo = StoredObjectRepository(session, actor)
    existing = await repo.by_sha256(prepared.sha256)
    if existing is not None:
        if retain_until is not None and (
            existing.retain_until is None or existing.retain_until < retain_until
        ):
            existing.retain_until = retain_until
            await session.flush()
        return existing

    object_id = new_id()
    key = blob_key(actor.org_id, prepared.sha256, object_id)
    sealed = await asyncio.to_thread(
        runtime.envelope.seal, data, _aad(actor.org_id, prepared.sha256)
    )
    # Written before the row: if the transaction later fails the blob is an unreferenced
    # orphan under a fresh key — harmless, never read, and left for a sweep to reclaim.
    await runtime.blobs.put(key, sealed.ciphertext, "application/octet-stream")
    obj = StoredObject(
        id=object_id,
        org_id=actor.org_id,
        sha256=prepared.sha256,
        size=len(data),
        content_type=prepared.sniffed.content_type,
        filename=prepared.filename,
        pages=prepared.sniffed.pages,
        wrapped_key=sealed.wrapped_key,
        blob_key=key,
        purpose=purpose,
        created_at=clock.now(),
        created_by=actor.user_id,
        retain_until=retain_until,
    )
    session.add(obj)
    try:
        await session.flush()
    except IntegrityError as exc:
        # Lost a race with the same bytes in the same org; a retry finds the winner's row.
        if "stored_objects" in str(exc.orig):
            raise ConcurrentUpload() from exc
        raise
    return obj


async def put_image(
    session: AsyncSession,
    runtime: StorageRuntime,
    actor: Actor,
    data: bytes,
    *,
    filename: str,
    purpose: str,
    max_bytes: int | None = None,
    max_side: int | None = None,
    too_large: Callable[..., AppError] | None = None,
) -> StoredObject:
    """Store an image to attach to a row (a unit's logo, a seal's imprint): PNG, JPEG or
    WebP, sniffed and pixel-bounded like any upload; `max_side` bounds each side, refused
    with `too_large(width=, height=, limit=)`."""

    def within(sniffed: Sniffed) -> None:
        width, height = sniffed.width or 0, sniffed.height or 0
        if max_side is not None and max(width, height) > max_side:
            raise (too_large or ImageSideTooLarge)(width=width, height=height, limit=max_side)

    return await put(
        session,
        runtime,
        actor,
        data,
        filename=filename,
        purpose=purpose,
        allowed_kinds=frozenset({IMAGE}),
        max_bytes=max_bytes,
        check=within,
    )


async def get_attached(
    session: AsyncSession,
    runtime: StorageRuntime,
    actor: Actor,
    object_id: uuid.UUID | None,
    *,
    missing: Callable[[], AppError],
) -> tuple[str, bytes]:
    """An object a row points at, as (content type, bytes); `missing()` when it has none."""
    if object_id is None:
        raise missing()
    obj, data = await get(session, runtime, actor, object_id)
    return obj.content_type, data


async def info(session: AsyncSession, actor: Actor, object_id: uuid.UUID) -> StoredObject:
    """Describe one of the actor's organisation's objects (hash, size, type, pages)."""
    return await StoredObjectRepository(session, actor).get(object_id)


async def get(
    session: AsyncSession, runtime: StorageRuntime, actor: Actor, object_id: uuid.UUID
) -> tuple[StoredObject, bytes]:
    """Read back and decrypt an object, proving its bytes still match the recorded hash."""
    obj = await info(session, actor, object_id)
    try:
        ciphertext = await runtime.blobs.get(obj.blob_key)
    except BlobNotFound as exc:
        raise DataMissing(obj.blob_key) from exc
    data = await asyncio.to_thread(_open, runtime, obj, ciphertext)
    return obj, data


def _open(runtime: StorageRuntime, obj: StoredObject, ciphertext: bytes) -> bytes:
    try:
        data = runtime.envelope.open(
            Sealed(ciphertext=ciphertext, wrapped_key=obj.wrapped_key),
            _aad(obj.org_id, obj.sha256),
        )
    except (InvalidTag, ValueError) as exc:
        raise IntegrityFailed(f"object {obj.id}: decryption failed") from exc
    if hashlib.sha256(data).hexdigest() != obj.sha256:
        raise IntegrityFailed(f"object {obj.id}: sha256 mismatch")
    return data
