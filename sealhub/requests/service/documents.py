"""Documents to be stamped: upload and read."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from sealhub.platform import audit, clock
from sealhub.platform.actor import Actor
from sealhub.requests.errors import (
    DocumentNotFound,
    RequestNotFound,
)
from sealhub.requests.models import (
    Document,
)
from sealhub.requests.repository import (
    DocumentRepository,
)
from sealhub.requests.schemas import (
    DocumentOut,
)
from sealhub.requests.service._common import DOCUMENT_KINDS, DOCUMENT_PURPOSE, _basename, _visible
from sealhub.storage import service as storage_service
from sealhub.storage.service import StorageRuntime

# ---- documents ----


async def upload_document(
    session: AsyncSession, runtime: StorageRuntime, actor: Actor, data: bytes, *, filename: str
) -> DocumentOut:
    """Store a PDF or image to be stamped (its hash and page count recorded)."""
    obj = await storage_service.put(
        session,
        runtime,
        actor,
        data,
        filename=filename,
        purpose=DOCUMENT_PURPOSE,
        allowed_kinds=DOCUMENT_KINDS,
    )
    doc = Document(
        org_id=actor.org_id,
        object_id=obj.id,
        filename=_basename(filename) or obj.filename,
        sha256=obj.sha256,
        size=obj.size,
        content_type=obj.content_type,
        pages=obj.pages or 1,
        uploaded_by=actor.user_id,
        created_at=clock.now(),
    )
    session.add(doc)
    await session.flush()
    out = DocumentOut.model_validate(doc)
    await audit.record(
        session,
        actor,
        "request.upload_document",
        "document",
        doc.id,
        summary=audit.Summary(
            f"上传用印文件“{doc.filename}”（{doc.pages} 页）",
            f"Uploaded document “{doc.filename}” ({doc.pages} pages)",
        ),
        after=out.model_dump(mode="json"),
    )
    return out


async def get_document(session: AsyncSession, actor: Actor, document_id: uuid.UUID) -> DocumentOut:
    """A document the actor uploaded or may read through an application."""
    return DocumentOut.model_validate(await _readable_document(session, actor, document_id))


async def document_content(
    session: AsyncSession, runtime: StorageRuntime, actor: Actor, document_id: uuid.UUID
) -> tuple[DocumentOut, bytes]:
    """The bytes of a document the actor may read."""
    doc = await _readable_document(session, actor, document_id)
    _, data = await storage_service.get(session, runtime, actor, doc.object_id)
    return DocumentOut.model_validate(doc), data


async def _readable_document(
    session: AsyncSession, actor: Actor, document_id: uuid.UUID
) -> Document:
    repo = DocumentRepository(session, actor)
    doc = await repo.get(document_id)
    if doc.uploaded_by == actor.user_id:
        return doc
    for request_id in await repo.request_ids_using(doc.id):
        try:
            await _visible(session, actor, request_id)
        except RequestNotFound:
            continue
        return doc
    raise DocumentNotFound()


async def request_documents(
    session: AsyncSession, actor: Actor, request_id: uuid.UUID
) -> list[DocumentOut]:
    """The documents of an application the actor may read (jobs act as `system_in(org)`)."""
    req = await _visible(session, actor, request_id)
    return [
        DocumentOut.model_validate(d)
        for d in await DocumentRepository(session, actor).of_request(req.id)
    ]
