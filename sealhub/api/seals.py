"""/api/v1 routes for the seal registry, seal status and custody of physical seals."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, File, Query, Request, Response, UploadFile
from sqlalchemy.ext.asyncio import AsyncSession

from sealhub.api.common import Page, api_router, idempotent, read_upload
from sealhub.api.deps import Db, PagingDep, Require, RuntimeDep
from sealhub.platform.actor import Actor
from sealhub.requests import service as requests_service
from sealhub.seals import schemas
from sealhub.seals import service as seals_service
from sealhub.seals.schemas import SealKind, SealStatus, SealType

router = api_router(tags=["seals"])

Reader = Annotated[Actor, Depends(Require("seal.read"))]
Manager = Annotated[Actor, Depends(Require("seal.manage"))]
Custodian = Annotated[Actor, Depends(Require("seal.custody"))]


@router.get("/seals", response_model=Page[schemas.SealOut])
async def list_seals(
    session: Db,
    actor: Reader,
    paging: PagingDep,
    kind: SealKind | None = None,
    type: SealType | None = None,
    status: SealStatus | None = None,
    unit_id: uuid.UUID | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> Page[schemas.SealOut]:
    """Seals the caller may see; sort by created_at, name or code."""
    rows, total = await seals_service.list_seals(
        session,
        actor,
        kind=kind,
        type=type,
        status=status,
        unit_id=unit_id,
        q=q,
        paging=paging,
    )
    return Page(items=rows, total=total, page=paging.page, page_size=paging.page_size)


@router.get("/seals/options", response_model=list[schemas.SealOut])
async def seal_options(
    session: Db,
    actor: Annotated[Actor, Depends(Require("request.create"))],
    kind: SealKind | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> list[schemas.SealOut]:
    """Active seals to choose from when applying (not limited by data scope)."""
    return await seals_service.usable_seals(session, actor, kind=kind, q=q)


@router.post("/seals", status_code=201, response_model=schemas.SealDetail)
async def create_seal(
    body: schemas.SealCreate, request: Request, session: Db, actor: Manager
) -> Response:
    """Register a seal (send Idempotency-Key to make retries safe)."""
    return await idempotent(
        request, session, actor, lambda: seals_service.create_seal(session, actor, data=body)
    )


@router.get("/seals/{seal_id}", response_model=schemas.SealDetail)
async def get_seal(seal_id: uuid.UUID, session: Db, actor: Reader) -> schemas.SealDetail:
    """One seal with keepers, unit name and image link."""
    return await seals_service.get_seal(session, actor, seal_id)


@router.patch("/seals/{seal_id}", response_model=schemas.SealDetail)
async def update_seal(
    seal_id: uuid.UUID, body: schemas.SealUpdate, session: Db, actor: Manager
) -> schemas.SealDetail:
    """Change a seal's type, name, code, unit, keepers or description."""
    return await seals_service.update_seal(session, actor, seal_id, data=body)


@router.post("/seals/{seal_id}/status", response_model=schemas.SealDetail)
async def change_status(
    seal_id: uuid.UUID, body: schemas.StatusChangeIn, session: Db, actor: Manager
) -> schemas.SealDetail:
    """Suspend, report lost, revoke, destroy or reactivate a seal, with a reason."""
    return await seals_service.change_status(
        session, actor, seal_id, status=body.status, reason=body.reason
    )


@router.get("/seals/{seal_id}/history", response_model=list[schemas.StatusChangeOut])
async def status_history(
    seal_id: uuid.UUID, session: Db, actor: Reader
) -> list[schemas.StatusChangeOut]:
    """The seal's status changes, oldest first."""
    return await seals_service.status_history(session, actor, seal_id)


@router.post("/seals/{seal_id}/image", response_model=schemas.SealDetail)
async def upload_image(
    seal_id: uuid.UUID,
    session: Db,
    runtime: RuntimeDep,
    actor: Manager,
    file: Annotated[UploadFile, File()],
) -> schemas.SealDetail:
    """Upload the seal's imprint image (PNG, JPEG or WebP)."""
    data = await read_upload(file, runtime.settings.max_upload_bytes)
    return await seals_service.set_image(
        session, runtime, actor, seal_id, data, filename=file.filename or "seal"
    )


@router.get("/seals/{seal_id}/image", response_class=Response)
async def get_image(
    seal_id: uuid.UUID, session: Db, runtime: RuntimeDep, actor: Reader
) -> Response:
    """The seal's imprint image."""
    content_type, data = await seals_service.get_image(session, runtime, actor, seal_id)
    return Response(
        data,
        media_type=content_type,
        headers={"Cache-Control": "private, max-age=300", "X-Content-Type-Options": "nosniff"},
    )


@router.get("/seals/{seal_id}/custody", response_model=Page[schemas.CustodyOut])
async def list_custody(
    seal_id: uuid.UUID,
    session: Db,
    actor: Reader,
    paging: PagingDep,
    open_only: bool = False,
) -> Page[schemas.CustodyOut]:
    """The seal's hand-outs and returns, newest first."""
    rows, total = await seals_service.list_custody(
        session, actor, seal_id, open_only=open_only, paging=paging
    )
    rows = await _numbered(session, actor, rows)
    return Page(items=rows, total=total, page=paging.page, page_size=paging.page_size)


@router.post("/seals/{seal_id}/hand-out", status_code=201, response_model=schemas.CustodyOut)
async def hand_out(
    seal_id: uuid.UUID, body: schemas.HandOutIn, session: Db, actor: Custodian
) -> schemas.CustodyOut:
    """Hand an active physical seal to the holder named in an approved application."""
    # the application is checked (item, window, holder, count) before custody is written
    custody = await requests_service.hand_out(
        session,
        actor,
        body.request_id,
        seal_id=seal_id,
        holder_id=body.holder_id,
        expected_return_at=body.expected_return_at,
        carried_out=body.carried_out,
        note=body.note,
    )
    return (await _numbered(session, actor, [custody]))[0]


@router.post("/custody/{custody_id}/return", response_model=schemas.CustodyOut)
async def take_back(
    custody_id: uuid.UUID, body: schemas.ReturnIn, session: Db, actor: Custodian
) -> schemas.CustodyOut:
    """Record that a handed-out seal came back."""
    custody = await requests_service.take_back(
        session, actor, custody_id, note=body.note, presses=body.presses
    )
    return (await _numbered(session, actor, [custody]))[0]


@router.get("/custody/overdue", response_model=Page[schemas.CustodyOut])
async def overdue(session: Db, actor: Reader, paging: PagingDep) -> Page[schemas.CustodyOut]:
    """Hand-outs past their expected return time, most overdue first."""
    rows, total = await seals_service.overdue_custody(session, actor, paging=paging)
    rows = await _numbered(session, actor, rows)
    return Page(items=rows, total=total, page=paging.page, page_size=paging.page_size)


async def _numbered(
    session: AsyncSession, actor: Actor, rows: list[schemas.CustodyOut]
) -> list[schemas.CustodyOut]:
    """Custody records with the number of the application each served."""
    ids = [r.request_id for r in rows if r.request_id]
    found = await requests_service.numbers(session, actor.org_id, ids)
    return [
        r.model_copy(update={"request_number": found.get(r.request_id)}) if r.request_id else r
        for r in rows
    ]
