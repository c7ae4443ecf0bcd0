"""The storage service on a real database and each real blob backend."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import func, select

from sealhub.platform.actor import Actor
from sealhub.platform.errors import NotFound, PayloadTooLarge, UnsupportedFile
from sealhub.platform.runtime import Runtime
from sealhub.storage import service
from sealhub.storage.backends import LocalBlobStore
from sealhub.storage.errors import (
    DataMissing,
    IntegrityFailed,
    NotPdf,
    ObjectNotFound,
    TypeNotAllowed,
)
from sealhub.storage.models import StoredObject
from sealhub.storage.repository import StoredObjectRepository
from sealhub.storage.schemas import ObjectOut

from .conftest import make_actor
from .samples import image, reportlab_pdf

PDF = reportlab_pdf(4, text="Plaintext marker 0123456789")


async def _put(runtime: Runtime, actor: Actor, data: bytes = PDF, **kw: object) -> StoredObject:
    options: dict[str, object] = {"filename": "合同.pdf", "purpose": "document"} | kw
    async with runtime.transaction() as session:
        return await service.put(session, runtime, actor, data, **options)  # type: ignore[arg-type]


async def _count(runtime: Runtime) -> int:
    async with runtime.transaction() as session:
        return (await session.execute(select(func.count()).select_from(StoredObject))).scalar_one()


async def test_round_trip(runtime: Runtime, actor: Actor) -> None:
    obj = await _put(runtime, actor)
    assert (obj.org_id, obj.created_by) == (actor.org_id, actor.user_id)
    assert (obj.content_type, obj.pages, obj.size) == ("application/pdf", 4, len(PDF))
    assert obj.sha256 == hashlib.sha256(PDF).hexdigest()
    assert obj.filename == "合同.pdf"
    # Read back in a fresh transaction: everything needed to decrypt was persisted.
    async with runtime.transaction() as session:
        again, data = await service.get(session, runtime, actor, obj.id)
    assert data == PDF
    assert again.id == obj.id
    out = ObjectOut.model_validate(again)
    assert (out.pages, out.sha256, out.created_at.tzinfo is not None) == (4, obj.sha256, True)
    assert "wrapped_key" not in out.model_dump() and "blob_key" not in out.model_dump()


async def test_image_round_trip(runtime: Runtime, actor: Actor) -> None:
    png = image("PNG", (40, 40), mode="RGBA")
    obj = await _put(runtime, actor, png, filename="stamp.png", purpose="seal_image")
    assert (obj.content_type, obj.pages, obj.purpose) == ("image/png", None, "seal_image")
    async with runtime.transaction() as session:
        assert (await service.get(session, runtime, actor, obj.id))[1] == png


async def test_ciphertext_at_rest(runtime: Runtime, actor: Actor) -> None:
    obj = await _put(runtime, actor)
    assert obj.blob_key.startswith(f"{actor.org_id}/{obj.sha256[:2]}/{obj.sha256}/")
    raw = await runtime.blobs.get(obj.blob_key)
    assert raw != PDF
    assert b"Plaintext marker" not in raw and b"%PDF" not in raw
    assert len(raw) == len(PDF) + 12 + 16  # nonce + GCM tag
    if isinstance(runtime.blobs, LocalBlobStore):
        on_disk = runtime.blobs.path_for(obj.blob_key).read_bytes()
        assert on_disk == raw


async def test_dedupe_within_org(runtime: Runtime, actor: Actor) -> None:
    first = await _put(runtime, actor)
    colleague = make_actor(actor.org_id)
    second = await _put(runtime, colleague, filename="copy.pdf")
    assert second.id == first.id
    assert second.filename == "合同.pdf"  # the first upload's row is returned as is
    assert await _count(runtime) == 1


async def test_same_bytes_in_two_orgs_never_share(
    runtime: Runtime, actor: Actor, other_actor: Actor
) -> None:
    mine = await _put(runtime, actor)
    theirs = await _put(runtime, other_actor)
    assert mine.id != theirs.id and mine.sha256 == theirs.sha256
    assert mine.blob_key != theirs.blob_key
    assert await runtime.blobs.get(mine.blob_key) != await runtime.blobs.get(theirs.blob_key)
    # Swapping another tenant's ciphertext in does not open: keys and AAD are per object/org.
    await runtime.blobs.put(theirs.blob_key, await runtime.blobs.get(mine.blob_key))
    async with runtime.transaction() as session:
        with pytest.raises(IntegrityFailed):
            await service.get(session, runtime, other_actor, theirs.id)


async def test_dedupe_extends_retention(runtime: Runtime, actor: Actor) -> None:
    from datetime import UTC, datetime

    early, late = datetime(2030, 1, 1, tzinfo=UTC), datetime(2035, 1, 1, tzinfo=UTC)
    await _put(runtime, actor, retain_until=early)
    obj = await _put(runtime, actor, retain_until=late)
    await _put(runtime, actor, retain_until=early)
    async with runtime.transaction() as session:
        assert (await service.info(session, actor, obj.id)).retain_until == late


async def test_tampered_ciphertext(runtime: Runtime, actor: Actor) -> None:
    obj = await _put(runtime, actor)
    raw = bytearray(await runtime.blobs.get(obj.blob_key))
    raw[len(raw) // 2] ^= 0x01
    await runtime.blobs.put(obj.blob_key, bytes(raw))
    async with runtime.transaction() as session:
        with pytest.raises(IntegrityFailed) as err:
            await service.get(session, runtime, actor, obj.id)
    assert err.value.code == "storage.integrity"


async def test_tampered_hash_record(runtime: Runtime, actor: Actor) -> None:
    obj = await _put(runtime, actor)
    async with runtime.transaction() as session:
        row = await StoredObjectRepository(session, actor).get(obj.id)
        row.sha256 = hashlib.sha256(b"something else").hexdigest()
    async with runtime.transaction() as session:
        with pytest.raises(IntegrityFailed):
            await service.get(session, runtime, actor, obj.id)


async def test_missing_blob(runtime: Runtime, actor: Actor) -> None:
    obj = await _put(runtime, actor)
    await runtime.blobs.delete(obj.blob_key)
    async with runtime.transaction() as session:
        with pytest.raises(DataMissing):
            await service.get(session, runtime, actor, obj.id)


async def test_other_org_gets_not_found(runtime: Runtime, actor: Actor, other_actor: Actor) -> None:
    obj = await _put(runtime, actor)
    async with runtime.transaction() as session:
        with pytest.raises(NotFound) as err:
            await service.get(session, runtime, other_actor, obj.id)
        assert isinstance(err.value, ObjectNotFound)
        assert err.value.status == 404
        with pytest.raises(NotFound):
            await service.info(session, other_actor, obj.id)
        assert (await service.info(session, actor, obj.id)).pages == 4


async def test_oversized(runtime: Runtime, actor: Actor) -> None:
    with pytest.raises(PayloadTooLarge):
        await _put(runtime, actor, max_bytes=len(PDF) - 1)
    big = reportlab_pdf(1) + b"\n" * runtime.settings.max_upload_bytes  # default limit
    with pytest.raises(PayloadTooLarge):
        await _put(runtime, actor, big)
    assert await _count(runtime) == 0
    assert await _put(runtime, actor, max_bytes=len(PDF))


async def test_rejected_upload_stores_nothing(runtime: Runtime, actor: Actor) -> None:
    with pytest.raises(NotPdf):
        await _put(runtime, actor, b"<html>not a pdf</html>")
    with pytest.raises(TypeNotAllowed):
        await _put(runtime, actor, PDF, allowed_kinds={"image"}, purpose="logo")
    with pytest.raises(UnsupportedFile):
        await _put(runtime, actor, PDF[:-50])
    assert await _count(runtime) == 0
    if isinstance(runtime.blobs, LocalBlobStore):
        assert not runtime.blobs.root.exists() or not any(runtime.blobs.root.rglob("*"))


async def test_failed_transaction_leaves_harmless_orphan(runtime: Runtime, actor: Actor) -> None:
    with pytest.raises(RuntimeError):
        async with runtime.transaction() as session:
            await service.put(session, runtime, actor, PDF, filename="a.pdf", purpose="document")
            raise RuntimeError("later step fails")
    assert await _count(runtime) == 0
    # The retry writes under a fresh key and reads back fine.
    obj = await _put(runtime, actor)
    async with runtime.transaction() as session:
        assert (await service.get(session, runtime, actor, obj.id))[1] == PDF


# The lost race (ConcurrentUpload) is tested for real, two sessions: test_race.py.
