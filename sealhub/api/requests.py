"""/api/v1 routes for stamp applications: apply, inboxes, decisions, use and photos.

Deciding needs no permission of its own: a pending task assigned to the caller is the
authority (a flow may name any member), and separation of duties is enforced by the service.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, File, Query, Request, Response, UploadFile

from sealhub.api.common import Page, api_router, idempotent, read_upload
from sealhub.api.deps import CurrentActor, Db, PagingDep, Require, RuntimeDep
from sealhub.api.documents import attachment
from sealhub.platform.actor import Actor
from sealhub.platform.types import Instant
from sealhub.requests import schemas
from sealhub.requests import service as requests_service
from sealhub.requests.policy import RequestStatus, Urgency

router = api_router(tags=["requests"])

Applicant = Annotated[Actor, Depends(Require("request.create"))]
Manager = Annotated[Actor, Depends(Require("request.manage"))]
Detail = schemas.RequestDetail


@router.get("/requests", response_model=Page[schemas.RequestOut])
async def list_requests(
    session: Db,
    actor: CurrentActor,
    paging: PagingDep,
    box: schemas.Box = "mine",
    status: RequestStatus | None = None,
    seal_id: uuid.UUID | None = None,
    urgency: Urgency | None = None,
    created_from: Instant | None = None,
    created_to: Instant | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> Page[schemas.RequestOut]:
    """An inbox: mine, pending (awaiting me), decided (by me) or all (needs request.read)."""
    rows, total = await requests_service.list_requests(
        session,
        actor,
        box=box,
        status=status,
        seal_id=seal_id,
        urgency=urgency,
        created_from=created_from,
        created_to=created_to,
        q=q,
        paging=paging,
    )
    return Page(items=rows, total=total, page=paging.page, page_size=paging.page_size)


@router.post("/requests", status_code=201, response_model=Detail)
async def create_request(
    body: schemas.RequestCreate, request: Request, session: Db, actor: Applicant
) -> Response:
    """Apply to use seals; `submit: true` submits at once (send Idempotency-Key for retries)."""
    return await idempotent(
        request,
        session,
        actor,
        lambda: requests_service.create_request(session, actor, data=body),
    )


@router.get("/requests/{request_id}", response_model=Detail)
async def get_request(request_id: uuid.UUID, session: Db, actor: CurrentActor) -> Detail:
    """Items, documents, tasks, timeline and what the caller may do."""
    return await requests_service.get_request(session, actor, request_id)


@router.post("/requests/{request_id}/submit", response_model=Detail)
async def submit(request_id: uuid.UUID, session: Db, actor: Applicant) -> Detail:
    """Submit a draft for approval."""
    return await requests_service.submit(session, actor, request_id)


@router.post("/requests/{request_id}/withdraw", response_model=Detail)
async def withdraw(request_id: uuid.UUID, session: Db, actor: CurrentActor) -> Detail:
    """The applicant withdraws an application in review."""
    return await requests_service.withdraw(session, actor, request_id)


@router.post("/requests/{request_id}/approve", response_model=Detail)
async def approve(
    request_id: uuid.UUID, body: schemas.CommentIn, session: Db, actor: CurrentActor
) -> Detail:
    """Approve the caller's pending task."""
    return await requests_service.approve(session, actor, request_id, comment=body.comment)


@router.post("/requests/{request_id}/reject", response_model=Detail)
async def reject(
    request_id: uuid.UUID, body: schemas.RejectIn, session: Db, actor: CurrentActor
) -> Detail:
    """Reject, with a comment."""
    return await requests_service.reject(session, actor, request_id, comment=body.comment)


@router.post("/requests/{request_id}/transfer", response_model=Detail)
async def transfer(
    request_id: uuid.UUID, body: schemas.TransferIn, session: Db, actor: CurrentActor
) -> Detail:
    """Hand the caller's pending task to someone else (转交)."""
    return await requests_service.transfer(
        session, actor, request_id, to_user_id=body.to_user_id, comment=body.comment
    )


@router.post("/requests/{request_id}/add-approver", response_model=Detail)
async def add_approver(
    request_id: uuid.UUID, body: schemas.AddApproverIn, session: Db, actor: CurrentActor
) -> Detail:
    """Add an approver to the current step (加签)."""
    return await requests_service.add_approver(
        session, actor, request_id, user_id=body.user_id, comment=body.comment
    )


@router.post("/requests/{request_id}/add-presses", response_model=Detail)
async def add_presses(
    request_id: uuid.UUID, body: schemas.AddPressesIn, session: Db, actor: Applicant
) -> Detail:
    """Ask for more presses of one seal (追加次数), approved again by the same flow."""
    return await requests_service.add_presses(
        session,
        actor,
        request_id,
        item_id=body.item_id,
        seal_id=body.seal_id,
        presses=body.presses,
        reason=body.reason,
    )


@router.post("/requests/{request_id}/end", response_model=Detail)
async def end(
    request_id: uuid.UUID, body: schemas.EndIn, session: Db, actor: CurrentActor
) -> Detail:
    """End an approved application early (the applicant or request.manage)."""
    return await requests_service.end(session, actor, request_id, reason=body.reason)


@router.post("/requests/{request_id}/window", response_model=Detail)
async def change_window(
    request_id: uuid.UUID, body: schemas.WindowIn, session: Db, actor: CurrentActor
) -> Detail:
    """Change the validity window (the applicant or request.manage)."""
    return await requests_service.change_window(
        session, actor, request_id, valid_from=body.valid_from, valid_until=body.valid_until
    )


@router.post("/requests/{request_id}/archive", response_model=Detail)
async def archive(request_id: uuid.UUID, session: Db, actor: Manager) -> Detail:
    """Archive a completed or expired application."""
    return await requests_service.archive(session, actor, request_id)


@router.post("/requests/{request_id}/photos", status_code=201, response_model=schemas.PhotoOut)
async def upload_photo(
    request_id: uuid.UUID,
    session: Db,
    runtime: RuntimeDep,
    actor: CurrentActor,
    file: Annotated[UploadFile, File()],
) -> schemas.PhotoOut:
    """The applicant uploads a photo or scan of the stamped pages."""
    data = await read_upload(file, runtime.settings.max_upload_bytes)
    return await requests_service.upload_photo(
        session, runtime, actor, request_id, data, filename=file.filename or "photo"
    )


@router.get("/requests/{request_id}/photos/{photo_id}/content", response_class=Response)
async def photo_content(
    request_id: uuid.UUID,
    photo_id: uuid.UUID,
    session: Db,
    runtime: RuntimeDep,
    actor: CurrentActor,
) -> Response:
    """A stamp photo's bytes."""
    photo, data = await requests_service.photo_content(
        session, runtime, actor, request_id, photo_id
    )
    return attachment(data, photo.content_type, photo.filename)
