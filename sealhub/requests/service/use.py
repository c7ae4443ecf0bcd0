"""After approval: every use of an application, photos, completion, ending, expiry, archive."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from sealhub.platform import audit, clock
from sealhub.platform.actor import Actor, system_in
from sealhub.requests import policy
from sealhub.requests.errors import (
    HandOutNotAllowed,
    InvalidRequestTransition,
    RequestNotFound,
    UseNotAllowed,
)
from sealhub.requests.events import (
    OverPressed,
    PhotoUploaded,
    RequestCompleted,
    RequestExpired,
    UseRecorded,
    UseSource,
)
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
    UseOut,
)
from sealhub.requests.service._common import (
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
    _visible,
)
from sealhub.seals import service as seals_service
from sealhub.seals.schemas import CustodyOut, SealKind
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
        "request.end",
        _TARGET,
        req.id,
        summary=audit.Summary(
            f"提前结束用章申请“{req.name}”（{req.number}）：{reason}",
            f"Ended application “{req.name}” ({req.number}) early: {reason}",
        ),
        before={"status": before},
        after={"status": req.status},
        event=_facts(RequestCompleted, req, ended_early=True),
    )
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
        "request.archive",
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


# what each kind of use needs: the seal kind of its item, and whether it is a live use
# (application approved or in use, inside its window, by the applicant, presses left) or a
# count made afterwards (a return may come after the window closed)
_KIND = {
    UseSource.HAND_OUT: SealKind.PHYSICAL,
    UseSource.RETURN_COUNT: SealKind.PHYSICAL,
    UseSource.DEVICE_PRESS: SealKind.SMART,
    UseSource.E_SIGNATURE: SealKind.ELECTRONIC,
}
_PRESSING = frozenset({UseSource.DEVICE_PRESS, UseSource.E_SIGNATURE})
_WORDS = {
    UseSource.HAND_OUT: ("外借", "Handed out"),
    UseSource.RETURN_COUNT: ("归还清点", "Counted at return"),
    UseSource.DEVICE_PRESS: ("智能印章盖章", "Smart-seal press"),
    UseSource.E_SIGNATURE: ("电子签章", "E-signature"),
}


async def record_use(
    session: AsyncSession,
    actor: Actor,
    request_id: uuid.UUID,
    *,
    seal_id: uuid.UUID,
    source: UseSource,
    count: int = 1,
    user_id: uuid.UUID | None = None,
) -> UseOut:
    """Check one use of an application (item, window, person, count) and record it.

    `user_id` is who uses the seal (the holder, the presser, the signer; the actor by
    default); `count` the presses it takes (0 for a hand-out, the keeper's count for a
    return). Refused uses write nothing; returns count even beyond the approval (flagged)."""
    refuse = HandOutNotAllowed if source == UseSource.HAND_OUT else UseNotAllowed
    if count < 0 or (count == 0 and source in _PRESSING):
        raise refuse(reason="bad_count", count=count)
    repo = RequestRepository(session, actor)
    req = await repo.tenant_get(request_id, lock=True)
    live = source != UseSource.RETURN_COUNT
    if live and req.status not in policy.ALLOWED[Action.HAND_OUT]:
        raise refuse(reason="status", current=str(req.status))
    items = await repo.items([req.id])
    item = next((i for i in items if i.seal_id == seal_id), None)
    if item is None or item.seal_kind != _KIND[source]:
        raise refuse(reason="no_item")
    now = clock.now()
    if live:
        if (user_id or actor.user_id) != req.applicant_id:
            raise refuse(reason="not_applicant")
        if not req.valid_from <= now < req.valid_until:
            raise refuse(reason="outside_window")
        left = item.presses - item.presses_used
        if left <= 0 or count > left:
            raise refuse(reason="used_up", left=max(left, 0))
    # checked: from here on the use is recorded
    status_before = RequestStatus(req.status)
    if source == UseSource.HAND_OUT:
        item.handed_out = True
        if not await repo.has_photos(req.id):
            req.photos_owed = True
    elif source == UseSource.RETURN_COUNT:
        await _count_presses(session, req, items)
    else:
        item.presses_used += count
    if live and req.status == RequestStatus.APPROVED:
        _move(session, actor, req, policy.transition(req.status, Action.USE), "use")
    if source != UseSource.HAND_OUT:
        used = f"{item.seal_name}：{item.presses_used}/{item.presses}"
        _event(session, actor, req, str(source), req.status, req.status, comment=used)
    req.updated_at = now
    await session.flush()
    word, word_en = _WORDS[source]
    seal = f"“{item.seal_name}”"
    if source == UseSource.HAND_OUT:
        summary = audit.Summary(
            f"为用章申请“{req.name}”（{req.number}）外借印章{seal}",
            f"Handed out seal {seal} for “{req.name}” ({req.number})",
        )
    else:
        summary = audit.Summary(
            f"用章申请“{req.name}”（{req.number}）{word}：印章{seal} {count} 次，"
            f"已用 {item.presses_used}/{item.presses}",
            f"{word_en} on “{req.name}” ({req.number}): seal {seal} {count}, "
            f"{item.presses_used} of {item.presses} used",
        )
    user = user_id or actor.user_id
    await audit.record(
        session,
        actor,
        f"request.{source}",
        _TARGET,
        req.id,
        summary=summary,
        before={"status": status_before},
        after={
            "seal_id": str(seal_id),
            "status": req.status,
            "count": count,
            "presses_used": item.presses_used,
        },
        event=UseRecorded(
            org_id=req.org_id,
            request_id=req.id,
            item_id=item.id,
            seal_id=item.seal_id,
            source=source,
            user_id=user,
            count=count,
            presses=item.presses,
            presses_used=item.presses_used,
        ),
    )
    if source in (UseSource.DEVICE_PRESS, UseSource.E_SIGNATURE):
        # the last press or signature of the last item completes the application
        await _maybe_complete(session, actor, req, items)
    return UseOut(
        request_id=req.id,
        item_id=item.id,
        seal_id=item.seal_id,
        source=source,
        count=count,
        presses=item.presses,
        presses_used=item.presses_used,
        status=RequestStatus(req.status),
    )


async def hand_out(
    session: AsyncSession,
    actor: Actor,
    request_id: uuid.UUID,
    *,
    seal_id: uuid.UUID,
    holder_id: uuid.UUID,
    expected_return_at: datetime | None,
    carried_out: bool = False,
    note: str = "",
) -> CustodyOut:
    """A keeper hands a physical seal out for an application: the seal's checks, then the
    application's (a use), and only then the custody record is written."""
    plan = await seals_service.check_hand_out(
        session, actor, seal_id, holder_id=holder_id, expected_return_at=expected_return_at
    )
    await record_use(
        session,
        actor,
        request_id,
        seal_id=seal_id,
        source=UseSource.HAND_OUT,
        count=0,
        user_id=holder_id,
    )
    return await seals_service.hand_out(
        session, actor, plan, request_id=request_id, carried_out=carried_out, note=note
    )


async def take_back(
    session: AsyncSession,
    actor: Actor,
    custody_id: uuid.UUID,
    *,
    note: str = "",
    presses: int | None = None,
) -> CustodyOut:
    """A keeper takes a seal back; the presses counted are recorded on its application."""
    custody = await seals_service.take_back(session, actor, custody_id, note=note, presses=presses)
    if custody.request_id is not None and presses is not None:
        await record_use(
            session,
            actor,
            custody.request_id,
            seal_id=custody.seal_id,
            source=UseSource.RETURN_COUNT,
            count=presses,
            user_id=custody.holder_id,
        )
    return custody


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
        "request.upload_photo",
        _TARGET,
        req.id,
        summary=audit.Summary(
            f"上传用章申请“{req.name}”（{req.number}）的盖章照片“{photo.filename}”",
            f"Uploaded stamped-page photo “{photo.filename}” for “{req.name}” ({req.number})",
        ),
        after={"photo_id": str(photo.id), "sha256": photo.sha256},
        event=PhotoUploaded(org_id=req.org_id, request_id=req.id, photo_id=photo.id),
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
    actor = system_in(org_id)
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
            over, system = item.presses_used - item.presses, system_in(req.org_id)
            _event(
                session,
                system,
                req,
                "over_pressed",
                req.status,
                req.status,
                comment=f"{item.seal_name}：{item.presses_used}/{item.presses}",
            )
            await audit.record(
                session,
                system,
                "request.over_pressed",
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
                event=OverPressed(
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
    """In use and every item done: each physical seal handed out, back and photographed, each
    smart or electronic seal's approved presses used. Then the application is completed."""
    if req.status != RequestStatus.IN_USE:
        return
    repo = RequestRepository(session, actor)
    if items is None:
        items = await repo.items([req.id])
    physical = [i for i in items if i.seal_kind == SealKind.PHYSICAL]
    if any(i.presses_used < i.presses for i in items if i.seal_kind != SealKind.PHYSICAL):
        return
    if physical:
        if not all(i.handed_out for i in physical):
            return
        if await seals_service.open_custody_for_request(session, req.org_id, req.id):
            return
        if not await repo.has_photos(req.id):
            return
        summary = audit.Summary(
            f"用章申请“{req.name}”（{req.number}）印章已全部归还并上传照片，自动完成",
            f"Application “{req.name}” ({req.number}) completed: seals returned, photos in",
        )
    else:
        summary = audit.Summary(
            f"用章申请“{req.name}”（{req.number}）批准的用印次数已全部用完，自动完成",
            f"Application “{req.name}” ({req.number}) completed: every approved press used",
        )
    _move(session, actor, req, policy.transition(req.status, Action.COMPLETE), "complete")
    req.finished_at = clock.now()
    await session.flush()
    await audit.record(
        session,
        actor,
        "request.complete",
        _TARGET,
        req.id,
        summary=summary,
        after={"status": req.status},
        event=_facts(RequestCompleted, req, ended_early=False),
    )


async def expire_due(session: AsyncSession, now: datetime, *, limit: int = 500) -> int:
    """Expire approved or in-use applications whose window has closed; returns how many."""
    count = 0
    for req in await due_for_expiry(session, now, limit):
        actor = system_in(req.org_id)
        await _cancel_pending(session, actor, req)
        before = req.status
        _move(session, actor, req, policy.transition(req.status, Action.EXPIRE), "expire")
        req.finished_at = now
        await audit.record(
            session,
            actor,
            "request.expire",
            _TARGET,
            req.id,
            summary=audit.Summary(
                f"用章申请“{req.name}”（{req.number}）已过有效期",
                f"Application “{req.name}” ({req.number}) expired",
            ),
            before={"status": before},
            after={"status": req.status},
            event=_facts(RequestExpired, req),
        )
        count += 1
    await session.flush()
    return count
