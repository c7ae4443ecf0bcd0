"""/api/v1 routes for the documents to stamp: upload first, then name them in an application."""

from __future__ import annotations

import uuid
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, File, Response, UploadFile

from sealhub.api.common import api_router, read_upload
from sealhub.api.deps import CurrentActor, Db, Require, RuntimeDep
from sealhub.platform.actor import Actor
from sealhub.requests import schemas
from sealhub.requests import service as requests_service

router = api_router(tags=["documents"])

Applicant = Annotated[Actor, Depends(Require("request.create"))]


def attachment(content: bytes, content_type: str, filename: str) -> Response:
    """Bytes with their type; the file name RFC 5987-encoded (Chinese names survive)."""
    disposition = f"inline; filename*=UTF-8''{quote(filename)}"
    return Response(
        content,
        media_type=content_type,
        headers={"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff"},
    )


@router.post("/documents", status_code=201, response_model=schemas.DocumentOut)
async def upload_document(
    session: Db,
    runtime: RuntimeDep,
    actor: Applicant,
    file: Annotated[UploadFile, File()],
) -> schemas.DocumentOut:
    """Upload a PDF or image to stamp (checked, hashed, its pages counted)."""
    data = await read_upload(file, runtime.settings.max_upload_bytes)
    return await requests_service.upload_document(
        session, runtime, actor, data, filename=file.filename or "document"
    )


# Reading needs no permission of its own: the uploader and whoever may read an application
# using the document (applicant, approvers, keepers, readers in scope) may fetch it.
@router.get("/documents/{document_id}", response_model=schemas.DocumentOut)
async def get_document(
    document_id: uuid.UUID, session: Db, actor: CurrentActor
) -> schemas.DocumentOut:
    """A document's name, hash, size, type and page count."""
    return await requests_service.get_document(session, actor, document_id)


@router.get("/documents/{document_id}/content", response_class=Response)
async def document_content(
    document_id: uuid.UUID, session: Db, runtime: RuntimeDep, actor: CurrentActor
) -> Response:
    """The document's bytes."""
    doc, data = await requests_service.document_content(session, runtime, actor, document_id)
    return attachment(data, doc.content_type, doc.filename)
