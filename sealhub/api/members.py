"""The organisation's members (`/api/v1/members`)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, File, Query, Request, Response, UploadFile

from sealhub.api.common import Page, api_router, read_upload
from sealhub.api.deps import Auth, Db, PagingDep, Require, RuntimeDep, client_ip
from sealhub.identity import schemas
from sealhub.identity import service as identity
from sealhub.platform.actor import Actor
from sealhub.platform.errors import Unauthenticated

router = api_router(tags=["members"])

Reader = Annotated[Actor, Depends(Require("member.read"))]
Manager = Annotated[Actor, Depends(Require("member.manage"))]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/members", response_model=Page[schemas.MemberOut])
async def list_members(
    session: Db,
    actor: Reader,
    paging: PagingDep,
    q: Annotated[str | None, Query(max_length=50)] = None,
    unit_id: uuid.UUID | None = None,
    below: bool = False,
    role_id: uuid.UUID | None = None,
    status: Annotated[str | None, Query(pattern=r"^(active|disabled|pending)$")] = None,
) -> Page[schemas.MemberOut]:
    """Members within my data scope; search by name or phone, filter by unit (and
    `below=true` for its sub-units), role and status; sort by registered_at or real_name."""
    field, desc = paging.sort_key({"registered_at", "real_name"}, "-registered_at")
    items, total = await identity.list_members(
        session,
        actor,
        q=q,
        unit_id=unit_id,
        below=below,
        role_id=role_id,
        status=status,
        page=paging.page,
        page_size=paging.page_size,
        sort=field,
        descending=desc,
    )
    return Page(items=items, total=total, page=paging.page, page_size=paging.page_size)


@router.post(
    "/members",
    status_code=201,
    response_model=schemas.MemberCreatedOut | schemas.InvitationOut,
    responses={202: {"model": schemas.InvitationOut, "description": "Invited"}},
)
async def create_member(
    body: schemas.MemberCreateIn,
    response: Response,
    session: Db,
    runtime: RuntimeDep,
    actor: Manager,
) -> schemas.MemberCreatedOut | schemas.InvitationOut:
    """Add a person by phone: 201 with the new member (a temporary password is returned
    once for a new account without one), or 202 with an invitation when the phone already
    has an account: its owner accepts before anything is granted. No Idempotency-Key
    replay: it would store that password."""
    out = await identity.create_member(
        session,
        runtime,
        actor,
        real_name=body.real_name,
        phone=body.phone,
        password=body.password,
        role_ids=body.role_ids,
        unit_ids=body.unit_ids,
    )
    if isinstance(out, schemas.InvitationOut):
        response.status_code = 202
    return out


@router.get("/members/invitations", response_model=Page[schemas.InvitationOut])
async def list_invitations(
    session: Db, actor: Reader, paging: PagingDep
) -> Page[schemas.InvitationOut]:
    """Invitations of this organisation still waiting for an answer, newest first."""
    items, total = await identity.list_invitations(
        session, actor, page=paging.page, page_size=paging.page_size
    )
    return Page(items=items, total=total, page=paging.page, page_size=paging.page_size)


@router.delete("/members/invitations/{invitation_id}", status_code=204)
async def cancel_invitation(invitation_id: uuid.UUID, session: Db, actor: Manager) -> Response:
    """Withdraw a pending invitation."""
    await identity.cancel_invitation(session, actor, invitation_id)
    return Response(status_code=204)


def _person(auth: Auth) -> uuid.UUID:
    # invitations are answered by the person in a session of their own, never by an API key
    if auth.csrf_token is None:
        raise Unauthenticated()
    return auth.user_id


@router.get("/me/invitations", response_model=list[schemas.InvitationOut])
async def my_invitations(session: Db, auth: Auth) -> list[schemas.InvitationOut]:
    """Invitations waiting for my answer, from any organisation."""
    return await identity.my_invitations(session, _person(auth))


@router.post("/me/invitations/{invitation_id}/accept", response_model=schemas.InvitationOut)
async def accept_invitation(
    invitation_id: uuid.UUID, request: Request, session: Db, runtime: RuntimeDep, auth: Auth
) -> schemas.InvitationOut:
    """Accept: I become a member of the inviting organisation."""
    return await identity.accept_invitation(
        session,
        runtime,
        _person(auth),
        invitation_id,
        ip=client_ip(request),
        client=request.headers.get("user-agent", "")[:255],
    )


@router.post("/me/invitations/{invitation_id}/decline", response_model=schemas.InvitationOut)
async def decline_invitation(
    invitation_id: uuid.UUID, request: Request, session: Db, auth: Auth
) -> schemas.InvitationOut:
    """Decline: nothing changes for me."""
    return await identity.decline_invitation(
        session,
        _person(auth),
        invitation_id,
        ip=client_ip(request),
        client=request.headers.get("user-agent", "")[:255],
    )


@router.post("/invitations/accept", response_model=schemas.InvitationOut)
async def accept_invitation_by_code(
    body: schemas.InvitationCodeIn, request: Request, session: Db, runtime: RuntimeDep
) -> schemas.InvitationOut:
    """Accept an invitation with the code it texted to my phone (no sign-in needed)."""
    return await identity.accept_invitation_by_code(
        session,
        runtime,
        phone=body.phone,
        code=body.code,
        ip=client_ip(request),
        client=request.headers.get("user-agent", "")[:255],
    )


@router.get("/members/import-template", response_class=Response)
async def import_template(actor: Manager) -> Response:
    """The .xlsx to fill in for a bulk import (姓名/手机号/角色/部门代码)."""
    return Response(
        content=identity.member_import_template(),
        media_type=XLSX,
        headers={"Content-Disposition": "attachment; filename*=UTF-8''members-template.xlsx"},
    )


@router.post("/members/import", response_model=schemas.ImportOut)
async def import_members(
    session: Db,
    runtime: RuntimeDep,
    actor: Manager,
    file: Annotated[UploadFile, File()],
) -> schemas.ImportOut:
    """Bulk-add members from .xlsx or .csv; valid rows are added, bad rows reported."""
    data = await read_upload(file, identity.IMPORT_MAX_BYTES)
    return await identity.import_members(session, runtime, actor, data)


@router.get("/members/{member_id}", response_model=schemas.MemberOut)
async def get_member(member_id: uuid.UUID, session: Db, actor: Reader) -> schemas.MemberOut:
    """One member."""
    return await identity.get_member(session, actor, member_id)


@router.patch("/members/{member_id}", response_model=schemas.MemberOut)
async def patch_member(
    member_id: uuid.UUID,
    body: schemas.MemberPatchIn,
    session: Db,
    runtime: RuntimeDep,
    actor: Manager,
) -> schemas.MemberOut:
    """Edit a member's name, roles or units (the first unit is the primary one)."""
    return await identity.update_member(
        session,
        runtime,
        actor,
        member_id,
        real_name=body.real_name,
        role_ids=body.role_ids,
        unit_ids=body.unit_ids,
    )


@router.delete("/members/{member_id}", status_code=204)
async def delete_member(
    member_id: uuid.UUID, session: Db, runtime: RuntimeDep, actor: Manager
) -> Response:
    """Remove a member from the organisation and end their sessions in it."""
    await identity.delete_member(session, runtime, actor, member_id)
    return Response(status_code=204)


@router.post("/members/{member_id}/reset-password", response_model=schemas.TemporaryPasswordOut)
async def reset_password(
    member_id: uuid.UUID, session: Db, runtime: RuntimeDep, actor: Manager
) -> schemas.TemporaryPasswordOut:
    """Text the member's account owner a reset code; only for an account this organisation
    opened and nobody has signed in with yet, a new first password (shown once; sessions end)."""
    return await identity.reset_member_password(session, runtime, actor, member_id)


@router.post("/members/{member_id}/approve", response_model=schemas.MemberOut)
async def approve(
    member_id: uuid.UUID, session: Db, runtime: RuntimeDep, actor: Manager
) -> schemas.MemberOut:
    """Accept a pending request to join."""
    return await identity.approve_member(session, runtime, actor, member_id)


@router.post("/members/{member_id}/disable", response_model=schemas.MemberOut)
async def disable(
    member_id: uuid.UUID, session: Db, runtime: RuntimeDep, actor: Manager
) -> schemas.MemberOut:
    """Disable a member (or turn down a pending request)."""
    return await identity.disable_member(session, runtime, actor, member_id)


@router.post("/members/{member_id}/enable", response_model=schemas.MemberOut)
async def enable(
    member_id: uuid.UUID, session: Db, runtime: RuntimeDep, actor: Manager
) -> schemas.MemberOut:
    """Enable a disabled member."""
    return await identity.enable_member(session, runtime, actor, member_id)
