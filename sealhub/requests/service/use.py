"""After approval: every use of an application, photos, completion, ending, expiry, archive."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from sealhub.platform import audit, clock, events
from sealhub.platform.actor import Actor, SystemActor
from sealhub.requests import policy
from sealhub.requests.errors import (
    HandOutNotAllowed,
    InvalidRequestTransition,
    RequestNotFound,
)
from sealhub.requests.events import OverPressed, RequestCompleted, RequestExpired
from sealhub.requests.models import (
    RequestItem,
    StampPhoto,
    StampRequest,
)
from sealhub.requests.policy import Action, RequestStatus
from sealhub.requests.repository import (
    PhotoRepository,
    RequestRepository,
    due_for_expiry,
)
from sealhub.requests.schemas import (
    PhotoOut,
    RequestDetail,
    status_zh,
)
from sealhub.requests.service._common import (
    _SYSTEM_USER,
    _TARGET,
    DOCUMENT_KINDS,
    PHOTO_PURPOSE,
    _applicant_only,
    _applicant_or_manager,
    _basename,
    _cancel_pending,
    _detail,
    _event,
    _facts,
    _for_update,
    _move,
    _system,
    _visible,
)
from sealhub.seals import service as seals_service
from sealhub.seals.schemas import SealKind
from sealhub.storage import service as storage_service
from sealhub.storage.service import StorageRuntime


async def end(
    session: AsyncSession, actor: Actor, request_id: uuid.UUID, *, reason: str
) -> RequestDetail:
    """End an approved application early (the applicant or a manager)."""
    req = await _for_update(session, actor, request_id)
    _applicant_or_manager(actor, req)
    target = policy.transition(req.status, Action.END)
    await _cancel_pending(session, actor, req)
    before = req.status
    _move(session, actor, req, target, "end", comment=reason)
    req.finished_at = clock.now()
    req.end_reason = reason
    await audit.record(
        session,
        actor,
        "requests.end",
        _TARGET,
        req.id,
        summary=audit.Summary(
            f"提前结束用章申请“{req.name}”（{req.number}）：{reason}",
            f"Ended application “{req.name}” ({req.number}) early: {reason}",
        ),
        before={"status": before},
        after={"status": req.status},
    )
    await events.emit(session, _facts(RequestCompleted, req, ended_early=True))
    return await _detail(session, actor, req)


async def archive(session: AsyncSession, actor: Actor, request_id: uuid.UUID) -> RequestDetail:
    """File a completed or expired application away."""
    req = await _for_update(session, actor, request_id)
    target = policy.transition(req.status, Action.ARCHIVE)
    before = req.status
    _move(session, actor, req, target, "archive")
    await audit.record(
        session,
        actor,
        "requests.archive",
        _TARGET,
        req.id,
        summary=audit.Summary(
            f"归档用章申请“{req.name}”（{req.number}）",
            f"Archived application “{req.name}” ({req.number})",
        ),
        before={"status": before},
        after={"status": req.status},
    )
    return await _detail(session, actor, req)


# ---- physical seals: hand-out, photos, return ----


async def check_hand_out(
    session: AsyncSession,
    actor: Actor,
    request_id: uuid.UUID,
    seal_id: uuid.UUID,
    holder_id: uuid.UUID,
) -> None:
    """Allow a physical seal's hand-out for an application (the first one puts it in use)."""
    repo = RequestRepository(session, actor)
    req = await repo.tenant_get(request_id, lock=True)
    if req.status not in policy.ALLOWED[Action.HAND_OUT]:
        raise HandOutNotAllowed(reason=f"申请单{status_zh(req.status)}")
    items = await repo.items([req.id])
    item = next((i for i in items if i.seal_id == seal_id), None)
    if item is None or item.seal_kind != SealKind.PHYSICAL:
        raise HandOutNotAllowed(reason="申请单中没有该实体印章")
    if holder_id != req.applicant_id:
        raise HandOutNotAllowed(reason="领用人必须是申请人")
    now = clock.now()
    if not req.valid_from <= now < req.valid_until:
        raise HandOutNotAllowed(reason="不在申请的有效期内")
    item.handed_out = True
    if not await repo.has_photos(req.id):
        req.photos_owed = True
    if req.status == RequestStatus.APPROVED:
        _move(session, actor, req, policy.transition(req.status, Action.USE), "use")
    req.updated_at = now
    await session.flush()
    await audit.record(
        session,
        actor,
        "requests.hand_out",
        _TARGET,
        req.id,
        summary=audit.Summary(
            f"为用章申请“{req.name}”（{req.number}）外借印章“{item.seal_name}”",
            f"Handed out seal “{item.seal_name}” for “{req.name}” ({req.number})",
        ),
        after={"seal_id": str(seal_id), "status": req.status},
    )


async def upload_photo(
    session: AsyncSession,
    runtime: StorageRuntime,
    actor: Actor,
    request_id: uuid.UUID,
    data: bytes,
    *,
    filename: str,
) -> PhotoOut:
    """The applicant uploads a photo (or scan) of stamped pages."""
    req = await _for_update(session, actor, request_id)
    _applicant_only(actor, req)
    policy.require(req.status, Action.UPLOAD_PHOTOS)
    repo = RequestRepository(session, actor)
    items = await repo.items([req.id])
    if not any(i.handed_out for i in items):
        raise InvalidRequestTransition(current=req.status, action=Action.UPLOAD_PHOTOS)
    obj = await storage_service.put(
        session,
        runtime,
        actor,
        data,
        filename=filename,
        purpose=PHOTO_PURPOSE,
        allowed_kinds=DOCUMENT_KINDS,
    )
    photo = StampPhoto(
        org_id=req.org_id,
        request_id=req.id,
        object_id=obj.id,
        filename=_basename(filename) or obj.filename,
        sha256=obj.sha256,
        content_type=obj.content_type,
        size=obj.size,
        uploaded_by=actor.user_id,
        created_at=clock.now(),
    )
    session.add(photo)
    req.photos_owed = False
    await session.flush()
    _event(session, actor, req, "upload_photo", req.status, req.status, comment=photo.filename)
    await audit.record(
        session,
        actor,
        "requests.upload_photo",
        _TARGET,
        req.id,
        summary=audit.Summary(
            f"上传用章申请“{req.name}”（{req.number}）的盖章照片“{photo.filename}”",
            f"Uploaded stamped-page photo “{photo.filename}” for “{req.name}” ({req.number})",
        ),
        after={"photo_id": str(photo.id), "sha256": photo.sha256},
    )
    await _maybe_complete(session, actor, req)
    return PhotoOut.model_validate(photo)


async def photo_content(
    session: AsyncSession,
    runtime: StorageRuntime,
    actor: Actor,
    request_id: uuid.UUID,
    photo_id: uuid.UUID,
) -> tuple[PhotoOut, bytes]:
    """The bytes of a stamp photo of an application the actor may read."""
    await _visible(session, actor, request_id)
    photo = await PhotoRepository(session, actor).get(photo_id)
    if photo.request_id != request_id:
        raise RequestNotFound()
    _, data = await storage_service.get(session, runtime, actor, photo.object_id)
    return PhotoOut.model_validate(photo), data


async def seal_returned(session: AsyncSession, org_id: uuid.UUID, request_id: uuid.UUID) -> None:
    """A physical seal came back: complete the application if nothing else is owed."""
    actor = _system(org_id)
    try:
        req = await RequestRepository(session, actor).tenant_get(request_id, lock=True)
    except RequestNotFound:
        return
    items = await RequestRepository(session, actor).items([req.id])
    await _count_presses(session, req, items)
    await _maybe_complete(session, actor, req, items)


async def _count_presses(
    session: AsyncSession, req: StampRequest, items: list[RequestItem]
) -> None:
    """Physical items' presses_used = what the keepers counted at the returns (recomputed, so
    a redelivered event changes nothing); more than approved is flagged once."""
    counted = await seals_service.pressed_for_request(session, req.org_id, req.id)
    for item in items:
        if item.seal_kind != SealKind.PHYSICAL or item.seal_id not in counted:
            continue
        before, item.presses_used = item.presses_used, counted[item.seal_id]
        if item.presses_used > item.presses >= before:
            over = item.presses_used - item.presses
            _event(
                session,
                None,
                req,
                "over_pressed",
                req.status,
                req.status,
                comment=f"{item.seal_name}：{item.presses_used}/{item.presses}",
            )
            await audit.record(
                session,
                SystemActor(org_id=req.org_id),
                "requests.over_pressed",
                _TARGET,
                req.id,
                summary=audit.Summary(
                    f"用章申请“{req.name}”（{req.number}）的印章“{item.seal_name}”"
                    f"盖了 {item.presses_used} 次，超出批准的 {item.presses} 次",
                    f"Seal “{item.seal_name}” was pressed {item.presses_used} times on "
                    f"“{req.name}” ({req.number}), {over} more than the {item.presses} approved",
                ),
                before={"presses_used": before},
                after={"presses_used": item.presses_used, "presses": item.presses},
            )
            await events.emit(
                session,
                OverPressed(
                    org_id=req.org_id,
                    request_id=req.id,
                    seal_id=item.seal_id,
                    presses=item.presses,
                    presses_used=item.presses_used,
                ),
            )


async def _maybe_complete(
    session: AsyncSession, actor: Actor, req: StampRequest, items: list[RequestItem] | None = None
) -> None:
    """In use, every physical seal handed out and back, and photographed: completed."""
    if req.status != RequestStatus.IN_USE:
        return
    repo = RequestRepository(session, actor)
    if items is None:
        items = await repo.items([req.id])
    physical = [i for i in items if i.seal_kind == SealKind.PHYSICAL]
    if not physical or not all(i.handed_out for i in physical):
        return
    if await seals_service.open_custody_for_request(session, req.org_id, req.id):
        return
    if not await repo.has_photos(req.id):
        return
    system = actor.user_id == _SYSTEM_USER
    _move(
        session,
        None if system else actor,
        req,
        policy.transition(req.status, Action.COMPLETE),
        "complete",
    )
    req.finished_at = clock.now()
    await session.flush()
    await audit.record(
        session,
        SystemActor(org_id=req.org_id) if system else actor,
        "requests.complete",
        _TARGET,
        req.id,
        summary=audit.Summary(
            f"用章申请“{req.name}”（{req.number}）印章已全部归还并上传照片，自动完成",
            f"Application “{req.name}” ({req.number}) completed: seals returned, photos in",
        ),
        after={"status": req.status},
        org_id=req.org_id,
    )
    await events.emit(session, _facts(RequestCompleted, req, ended_early=False))


async def expire_due(session: AsyncSession, now: datetime, *, limit: int = 500) -> int:
    """Expire approved or in-use applications whose window has closed; returns how many."""
    count = 0
    for req in await due_for_expiry(session, now, limit):
        actor = _system(req.org_id)
        await _cancel_pending(session, actor, req)
        before = req.status
        _move(session, None, req, policy.transition(req.status, Action.EXPIRE), "expire")
        req.finished_at = now
        await audit.record(
            session,
            SystemActor(org_id=req.org_id),
            "requests.expire",
            _TARGET,
            req.id,
            summary=audit.Summary(
                f"用章申请“{req.name}”（{req.number}）已过有效期",
                f"Application “{req.name}” ({req.number}) expired",
            ),
            before={"status": before},
            after={"status": req.status},
            org_id=req.org_id,
        )
        await events.emit(session, _facts(RequestExpired, req))
        count += 1
    await session.flush()
    return count
