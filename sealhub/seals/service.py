"""Seals' front door: the registry, status lifecycle, images and custody of physical seals."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from sealhub.identity import service as identity_service
from sealhub.platform import audit, clock
from sealhub.platform.actor import Actor, DataScope
from sealhub.seals import policy
from sealhub.seals.errors import (
    AlreadyReturned,
    CustomTypeNameRequired,
    DuplicateSealCode,
    HolderNotMember,
    KeeperNotMember,
    NoImage,
    NotKeeper,
    NotPhysical,
    ReturnBeforeHandOut,
    SealAlreadyOut,
    SealNotActive,
    UnitNotFound,
)
from sealhub.seals.events import CustodyFacts, HandedOut, Returned, StatusChanged
from sealhub.seals.models import CustodyRecord, Seal, SealKeeper, SealStatusChange
from sealhub.seals.policy import SealKind, SealStatus, SealType
from sealhub.seals.repository import CustodyRepository, SealRepository
from sealhub.seals.repository import keepers_of as _keepers_of
from sealhub.seals.repository import open_custody_for_request as _open_custody
from sealhub.seals.repository import pressed_for_request as _pressed_for_request
from sealhub.seals.repository import seals_by_ids as _seals_by_ids
from sealhub.seals.repository import seals_with_keepers as _seals_with_keepers
from sealhub.seals.schemas import (
    CustodyBrief,
    CustodyOut,
    KeeperOut,
    PageRequest,
    SealBrief,
    SealCreate,
    SealDetail,
    SealOut,
    SealUpdate,
    StatusChangeOut,
    status_label,
    type_name,
)
from sealhub.storage import service as storage_service
from sealhub.storage.service import StorageRuntime

SEAL_IMAGE_PURPOSE = "seal_image"
IMAGE_KINDS = frozenset({"image"})  # storage's sniffed kind for PNG/JPEG/WebP
SEAL_SORTS = {"created_at", "name", "code"}
_ACTIVE_MEMBER = "active"
C = TypeVar("C", bound=CustodyFacts)


@dataclass(frozen=True)
class HandOutPlan:
    """A hand-out that passed the seal's own checks (its seal row locked): the application's
    checks come next, then `seals.service.hand_out` writes it."""

    seal_id: uuid.UUID
    seal_name: str
    seal_code: str
    holder_id: uuid.UUID
    holder_name: str
    expected_return_at: datetime | None


# ---- for other contexts ----


async def get_brief(session: AsyncSession, actor: Actor, seal_id: uuid.UUID) -> SealBrief:
    """One seal of the actor's organisation, briefly (not limited by data scope)."""
    seal = await SealRepository(session, actor).get(seal_id, scoped=False)
    keepers = await _keepers_of(session, actor.org_id, [seal.id])
    return _brief(seal, keepers.get(seal.id, []))


async def get_briefs(
    session: AsyncSession, org_id: uuid.UUID, seal_ids: list[uuid.UUID]
) -> dict[uuid.UUID, SealBrief]:
    """Briefs of an organisation's seals by id; unknown ids are absent from the result."""
    found = await _seals_with_keepers(session, org_id, seal_ids)
    return {seal.id: _brief(seal, keepers) for seal, keepers in found}


async def pressed_for_request(
    session: AsyncSession, org_id: uuid.UUID, request_id: uuid.UUID
) -> dict[uuid.UUID, int]:
    """Presses the keepers counted when an application's seals came back, per seal."""
    return await _pressed_for_request(session, org_id, request_id)


async def open_custody_for_request(
    session: AsyncSession, org_id: uuid.UUID, request_id: uuid.UUID
) -> list[CustodyBrief]:
    """Seals handed out for an application and not yet returned."""
    return [_custody_brief(r) for r in await _open_custody(session, org_id, request_id)]


async def usable_seals(
    session: AsyncSession, actor: Actor, *, kind: SealKind | None = None, q: str | None = None
) -> list[SealOut]:
    """Active seals an applicant may name in an application (the whole organisation)."""
    repo = SealRepository(session, actor)
    stmt = repo.tenant().where(Seal.status == SealStatus.ACTIVE)
    if kind:
        stmt = stmt.where(Seal.kind == kind)
    if q:
        stmt = stmt.where(Seal.name.contains(q) | Seal.code.contains(q))
    seals = list((await session.execute(stmt.order_by(Seal.name).limit(500))).scalars())
    keepers = await repo.keepers([s.id for s in seals])
    units = await identity_service.unit_names(session, actor.org_id, [s.unit_id for s in seals])
    return [_out(s, keepers.get(s.id, []), units.get(s.unit_id, "")) for s in seals]


# ---- the registry ----


async def list_seals(
    session: AsyncSession,
    actor: Actor,
    *,
    kind: SealKind | None = None,
    type: SealType | None = None,
    status: SealStatus | None = None,
    unit_id: uuid.UUID | None = None,
    q: str | None = None,
    paging: PageRequest,
) -> tuple[list[SealOut], int]:
    """Seals the actor may see (tenant, data scope, plus the ones they keep), filtered."""
    field, desc = paging.sort_key(SEAL_SORTS, "-created_at")
    column = getattr(Seal, field)
    order = (column.desc() if desc else column.asc(), Seal.id.desc() if desc else Seal.id)
    repo = SealRepository(session, actor)
    seals, total = await repo.search(
        kind=kind,
        type=type,
        status=status,
        unit_id=unit_id,
        q=q,
        order=order,
        offset=paging.offset,
        limit=paging.page_size,
    )
    keepers = await repo.keepers([s.id for s in seals])
    units = await identity_service.unit_names(session, actor.org_id, [s.unit_id for s in seals])
    return [_out(s, keepers.get(s.id, []), units.get(s.unit_id, "")) for s in seals], total


async def get_seal(session: AsyncSession, actor: Actor, seal_id: uuid.UUID) -> SealDetail:
    """One seal with its keepers, unit name and image link."""
    seal = await SealRepository(session, actor).get(seal_id)
    return await _detail(session, seal)


async def create_seal(session: AsyncSession, actor: Actor, *, data: SealCreate) -> SealDetail:
    """Register a seal with its type, owning unit and keepers."""
    repo = SealRepository(session, actor)
    custom = _custom_name(data.type, data.custom_type_name)
    await _check_unit(session, actor, data.unit_id)
    keeper_ids = await _check_keepers(session, actor, data.keeper_ids)
    if await repo.by_code(data.code) is not None:
        raise DuplicateSealCode(seal_code=data.code)
    now = clock.now()
    seal = Seal(
        org_id=actor.org_id,
        kind=data.kind,
        type=data.type,
        custom_type_name=custom,
        name=data.name,
        code=data.code,
        unit_id=data.unit_id,
        description=data.description,
        status=SealStatus.ACTIVE,
        status_changed_at=now,
        specifics={},
        created_by=actor.user_id,
        updated_by=actor.user_id,
        created_at=now,
        updated_at=now,
    )
    session.add(seal)
    await _flush_unique(session, data.code)
    session.add_all(SealKeeper(org_id=actor.org_id, seal_id=seal.id, user_id=u) for u in keeper_ids)
    session.add(_status_row(actor, seal, None, SealStatus.ACTIVE, "登记", now))
    await session.flush()
    await audit.record(
        session,
        actor,
        "seal.create",
        "seal",
        seal.id,
        summary=audit.Summary(
            f"登记印章“{seal.name}”（{seal.code}）", f"Registered seal “{seal.name}” ({seal.code})"
        ),
        after=_snapshot(seal, keeper_ids),
    )
    return await _detail(session, seal)


async def update_seal(
    session: AsyncSession, actor: Actor, seal_id: uuid.UUID, *, data: SealUpdate
) -> SealDetail:
    """Change a seal's type, name, code, unit, keepers or description."""
    repo = SealRepository(session, actor)
    seal = await repo.get_for_update(seal_id)
    old_keepers = [k.user_id for k in await repo.keeper_rows(seal.id)]
    before = _snapshot(seal, old_keepers)
    sent = data.model_fields_set
    new_type = data.type if data.type is not None else SealType(seal.type)
    if "type" in sent or "custom_type_name" in sent:
        custom = data.custom_type_name if "custom_type_name" in sent else seal.custom_type_name
        seal.custom_type_name = _custom_name(new_type, custom)
        seal.type = new_type
    if data.name is not None:
        seal.name = data.name
    if data.code is not None and data.code != seal.code:
        if await repo.by_code(data.code) is not None:
            raise DuplicateSealCode(seal_code=data.code)
        seal.code = data.code
    if data.unit_id is not None and data.unit_id != seal.unit_id:
        await _check_unit(session, actor, data.unit_id)
        seal.unit_id = data.unit_id
    if data.description is not None:
        seal.description = data.description
    keepers = old_keepers
    if data.keeper_ids is not None:
        keepers = await _check_keepers(session, actor, data.keeper_ids)
        await _replace_keepers(session, repo, seal, keepers)
    seal.updated_by = actor.user_id
    seal.updated_at = clock.now()
    await _flush_unique(session, seal.code)
    await audit.record(
        session,
        actor,
        "seal.update",
        "seal",
        seal.id,
        summary=audit.Summary(
            f"修改印章“{seal.name}”（{seal.code}）", f"Updated seal “{seal.name}” ({seal.code})"
        ),
        before=before,
        after=_snapshot(seal, keepers),
    )
    return await _detail(session, seal)


async def change_status(
    session: AsyncSession, actor: Actor, seal_id: uuid.UUID, *, status: SealStatus, reason: str
) -> SealDetail:
    """Move a seal along its lifecycle (suspend, report lost, revoke, destroy, reactivate)."""
    seal = await SealRepository(session, actor).get_for_update(seal_id)
    old = seal.status
    new = policy.transition(old, status)
    now = clock.now()
    seal.status = new
    seal.status_reason = reason
    seal.status_changed_at = now
    seal.updated_by = actor.user_id
    seal.updated_at = now
    session.add(_status_row(actor, seal, old, new, reason, now))
    await session.flush()
    await audit.record(
        session,
        actor,
        "seal.change_status",
        "seal",
        seal.id,
        summary=audit.Summary(
            f"印章“{seal.name}”（{seal.code}）状态由“{status_label(old)}”"
            f"变更为“{status_label(new)}”：{reason}",
            f"Seal “{seal.name}” ({seal.code}) went from “{status_label(old, 'en')}” "
            f"to “{status_label(new, 'en')}”: {reason}",
        ),
        before={"status": old},
        after={"status": new, "reason": reason},
        event=StatusChanged(
            org_id=seal.org_id,
            seal_id=seal.id,
            kind=seal.kind,
            from_status=str(old),
            to_status=str(new),
            reason=reason,
        ),
    )
    return await _detail(session, seal)


async def status_history(
    session: AsyncSession, actor: Actor, seal_id: uuid.UUID
) -> list[StatusChangeOut]:
    """Every status a seal has had, oldest first, with reason and who changed it."""
    repo = SealRepository(session, actor)
    seal = await repo.get(seal_id)
    return [StatusChangeOut.model_validate(row) for row in await repo.history(seal.id)]


async def set_image(
    session: AsyncSession,
    runtime: StorageRuntime,
    actor: Actor,
    seal_id: uuid.UUID,
    data: bytes,
    *,
    filename: str,
) -> SealDetail:
    """Store the seal's imprint image (PNG, JPEG or WebP) and attach it."""
    seal = await SealRepository(session, actor).get_for_update(seal_id)
    obj = await storage_service.put_image(
        session, runtime, actor, data, filename=filename, purpose=SEAL_IMAGE_PURPOSE
    )
    before = {"image_object_id": seal.image_object_id}
    seal.image_object_id = obj.id
    seal.updated_by = actor.user_id
    seal.updated_at = clock.now()
    await session.flush()
    await audit.record(
        session,
        actor,
        "seal.set_image",
        "seal",
        seal.id,
        summary=audit.Summary(
            f"更新印章“{seal.name}”（{seal.code}）的印模图片",
            f"Updated the image of seal “{seal.name}” ({seal.code})",
        ),
        before=before,
        after={"image_object_id": obj.id, "sha256": obj.sha256},
    )
    return await _detail(session, seal)


async def get_image(
    session: AsyncSession, runtime: StorageRuntime, actor: Actor, seal_id: uuid.UUID
) -> tuple[str, bytes]:
    """The seal's imprint image as (content type, bytes)."""
    seal = await SealRepository(session, actor).get(seal_id)
    return await storage_service.get_attached(
        session, runtime, actor, seal.image_object_id, missing=NoImage
    )


# ---- custody of physical seals ----


async def check_hand_out(
    session: AsyncSession,
    actor: Actor,
    seal_id: uuid.UUID,
    *,
    holder_id: uuid.UUID,
    expected_return_at: datetime | None,
) -> HandOutPlan:
    """Check a hand-out on the seal's side (keeper, kind, status, holder, not already out),
    locking the seal; nothing is written. Hand-outs go through `requests.service.hand_out`."""
    seal = await SealRepository(session, actor).get_for_update(seal_id)
    keepers = (await _keepers_of(session, actor.org_id, [seal.id])).get(seal.id, [])
    _check_custodian(actor, keepers)
    if seal.kind != SealKind.PHYSICAL:
        raise NotPhysical()
    if seal.status != SealStatus.ACTIVE:
        raise SealNotActive(current=status_label(seal.status))
    holder = await identity_service.member_info(session, actor.org_id, holder_id)
    if holder is None or holder.status != _ACTIVE_MEMBER:
        raise HolderNotMember()
    if expected_return_at is not None and expected_return_at <= clock.now():
        raise ReturnBeforeHandOut()
    if await CustodyRepository(session, actor).open_for_seal(seal.id) is not None:
        raise SealAlreadyOut()
    return HandOutPlan(
        seal_id=seal.id,
        seal_name=seal.name,
        seal_code=seal.code,
        holder_id=holder_id,
        holder_name=holder.real_name,
        expected_return_at=expected_return_at,
    )


async def hand_out(
    session: AsyncSession,
    actor: Actor,
    plan: HandOutPlan,
    *,
    request_id: uuid.UUID,
    carried_out: bool = False,
    note: str = "",
) -> CustodyOut:
    """Write a checked hand-out: the custody record, its audit entry and event."""
    record = CustodyRecord(
        org_id=actor.org_id,
        seal_id=plan.seal_id,
        request_id=request_id,
        holder_id=plan.holder_id,
        handed_out_by=actor.user_id,
        handed_out_at=clock.now(),
        expected_return_at=plan.expected_return_at,
        carried_out=carried_out,
        note=note,
        open_seal_id=plan.seal_id,
    )
    session.add(record)
    try:
        await session.flush()
    except IntegrityError as exc:
        # a concurrent hand-out of the same seal won the unique open_seal_id
        raise SealAlreadyOut() from exc
    where, where_en = ("外带", "carried out") if carried_out else ("内用", "in the office")
    seal, holder = f"“{plan.seal_name}”（{plan.seal_code}）", plan.holder_name
    await audit.record(
        session,
        actor,
        "seal.hand_out",
        "custody",
        record.id,
        summary=audit.Summary(
            f"将印章{seal}外借给{holder}（{where}）",
            f"Handed seal “{plan.seal_name}” ({plan.seal_code}) to {holder} ({where_en})",
        ),
        after=_custody_snapshot(record),
        event=_custody_event(HandedOut, record),
    )
    return (await _custody_out(session, actor, [record]))[0]


async def take_back(
    session: AsyncSession,
    actor: Actor,
    custody_id: uuid.UUID,
    *,
    note: str = "",
    presses: int | None = None,
) -> CustodyOut:
    """A keeper records that a handed-out seal came back."""
    record = await CustodyRepository(session, actor).get_for_update(custody_id)
    seal = await SealRepository(session, actor).get(record.seal_id, scoped=False)
    keepers = (await _keepers_of(session, actor.org_id, [seal.id])).get(seal.id, [])
    _check_custodian(actor, keepers)
    if record.returned_at is not None:
        raise AlreadyReturned()
    before = _custody_snapshot(record)
    record.returned_at = clock.now()
    record.returned_to = actor.user_id
    record.return_note = note
    record.presses = presses
    record.open_seal_id = None
    await session.flush()
    holder = (await identity_service.names(session, actor.org_id, [record.holder_id])).get(
        record.holder_id, ""
    )
    await audit.record(
        session,
        actor,
        "seal.take_back",
        "custody",
        record.id,
        summary=audit.Summary(
            f"收回{holder}归还的印章“{seal.name}”（{seal.code}）"
            + (f"，清点盖章 {presses} 次" if presses is not None else ""),
            f"Took back seal “{seal.name}” ({seal.code}) from {holder}"
            + (f", {presses} presses counted" if presses is not None else ""),
        ),
        before=before,
        after=_custody_snapshot(record),
        event=_custody_event(Returned, record),
    )
    return (await _custody_out(session, actor, [record]))[0]


async def list_custody(
    session: AsyncSession,
    actor: Actor,
    seal_id: uuid.UUID,
    *,
    open_only: bool = False,
    paging: PageRequest,
) -> tuple[list[CustodyOut], int]:
    """A seal's hand-outs and returns, newest first."""
    seal = await SealRepository(session, actor).get(seal_id)
    rows, total = await CustodyRepository(session, actor).for_seal(
        seal.id, open_only=open_only, offset=paging.offset, limit=paging.page_size
    )
    return await _custody_out(session, actor, rows), total


async def overdue_custody(
    session: AsyncSession, actor: Actor, *, paging: PageRequest
) -> tuple[list[CustodyOut], int]:
    """Hand-outs not returned by their expected time, most overdue first."""
    rows, total = await CustodyRepository(session, actor).overdue(
        clock.now(), offset=paging.offset, limit=paging.page_size
    )
    return await _custody_out(session, actor, rows), total


# ---- helpers ----


def _brief(seal: Seal, keeper_ids: Sequence[uuid.UUID]) -> SealBrief:
    return SealBrief(
        id=seal.id,
        name=seal.name,
        code=seal.code,
        kind=SealKind(seal.kind),
        type=SealType(seal.type),
        status=SealStatus(seal.status),
        unit_id=seal.unit_id,
        keeper_ids=tuple(keeper_ids),
    )


def _custody_brief(r: CustodyRecord) -> CustodyBrief:
    return CustodyBrief(
        id=r.id,
        seal_id=r.seal_id,
        request_id=r.request_id,
        holder_id=r.holder_id,
        handed_out_by=r.handed_out_by,
        handed_out_at=r.handed_out_at,
        expected_return_at=r.expected_return_at,
        carried_out=r.carried_out,
        returned_at=r.returned_at,
    )


def _out(seal: Seal, keeper_ids: list[uuid.UUID], unit_name: str) -> SealOut:
    return SealOut(
        id=seal.id,
        kind=SealKind(seal.kind),
        type=SealType(seal.type),
        custom_type_name=seal.custom_type_name,
        type_name=type_name(seal.type, seal.custom_type_name),
        name=seal.name,
        code=seal.code,
        unit_id=seal.unit_id,
        unit_name=unit_name,
        status=SealStatus(seal.status),
        status_reason=seal.status_reason,
        status_changed_at=seal.status_changed_at,
        keeper_ids=keeper_ids,
        has_image=seal.image_object_id is not None,
        device_id=seal.device_id,
        created_at=seal.created_at,
        updated_at=seal.updated_at,
    )


async def _detail(session: AsyncSession, seal: Seal) -> SealDetail:
    keeper_ids = (await _keepers_of(session, seal.org_id, [seal.id])).get(seal.id, [])
    names = await identity_service.names(session, seal.org_id, keeper_ids)
    units = await identity_service.unit_names(session, seal.org_id, [seal.unit_id])
    out = _out(seal, keeper_ids, units.get(seal.unit_id, ""))
    return SealDetail(
        **out.model_dump(),
        description=seal.description,
        keepers=[KeeperOut(id=k, real_name=names.get(k, "")) for k in keeper_ids],
        image_url=f"/api/v1/seals/{seal.id}/image" if seal.image_object_id else None,
        specifics=dict(seal.specifics or {}),
    )


async def _custody_out(
    session: AsyncSession, actor: Actor, rows: list[CustodyRecord]
) -> list[CustodyOut]:
    seals = {s.id: s for s in await _seals_by_ids(session, actor.org_id, [r.seal_id for r in rows])}
    people: list[uuid.UUID] = []
    for r in rows:
        people += [r.holder_id, r.handed_out_by] + ([r.returned_to] if r.returned_to else [])
    names = await identity_service.names(session, actor.org_id, people)
    now = clock.now()
    out = []
    for r in rows:
        seal = seals.get(r.seal_id)
        out.append(
            CustodyOut(
                id=r.id,
                seal_id=r.seal_id,
                seal_name=seal.name if seal else "",
                seal_code=seal.code if seal else "",
                request_id=r.request_id,
                holder_id=r.holder_id,
                holder_name=names.get(r.holder_id, ""),
                handed_out_by=r.handed_out_by,
                handed_out_by_name=names.get(r.handed_out_by, ""),
                handed_out_at=r.handed_out_at,
                expected_return_at=r.expected_return_at,
                carried_out=r.carried_out,
                note=r.note,
                returned_at=r.returned_at,
                returned_to=r.returned_to,
                returned_to_name=names.get(r.returned_to, "") if r.returned_to else None,
                return_note=r.return_note,
                presses=r.presses,
                overdue=_is_overdue(r, now),
            )
        )
    return out


def _is_overdue(r: CustodyRecord, now: datetime) -> bool:
    return r.returned_at is None and r.expected_return_at is not None and r.expected_return_at < now


def _custom_name(seal_type: SealType, custom: str | None) -> str | None:
    if seal_type == SealType.CUSTOM:
        if not custom:
            raise CustomTypeNameRequired()
        return custom
    return None


async def _check_unit(session: AsyncSession, actor: Actor, unit_id: uuid.UUID) -> None:
    if not await identity_service.unit_exists(session, actor.org_id, unit_id):
        raise UnitNotFound()


async def _check_keepers(
    session: AsyncSession, actor: Actor, keeper_ids: list[uuid.UUID]
) -> list[uuid.UUID]:
    wanted = list(dict.fromkeys(keeper_ids))
    infos = await identity_service.members_info(session, actor.org_id, wanted)
    for user_id in wanted:
        info = infos.get(user_id)
        if info is None or info.status != _ACTIVE_MEMBER:
            raise KeeperNotMember(user_id=str(user_id))
    return wanted


async def _replace_keepers(
    session: AsyncSession, repo: SealRepository, seal: Seal, keeper_ids: list[uuid.UUID]
) -> None:
    existing = {k.user_id: k for k in await repo.keeper_rows(seal.id)}
    for user_id, row in existing.items():
        if user_id not in keeper_ids:
            await session.delete(row)
    await session.flush()
    session.add_all(
        SealKeeper(org_id=seal.org_id, seal_id=seal.id, user_id=u)
        for u in keeper_ids
        if u not in existing
    )


def _check_custodian(actor: Actor, keeper_ids: list[uuid.UUID]) -> None:
    """Keepers holding seal.custody, or an organisation-wide seal manager."""
    if actor.can("seal.custody") and actor.user_id in keeper_ids:
        return
    if actor.data_scope == DataScope.ORG and actor.can("seal.manage"):
        return
    raise NotKeeper()


async def _flush_unique(session: AsyncSession, code: str) -> None:
    try:
        await session.flush()
    except IntegrityError as exc:
        # lost a race with another registration of the same code
        raise DuplicateSealCode(seal_code=code) from exc


def _status_row(
    actor: Actor, seal: Seal, old: str | None, new: str, reason: str, at: datetime
) -> SealStatusChange:
    return SealStatusChange(
        org_id=seal.org_id,
        seal_id=seal.id,
        from_status=old,
        to_status=new,
        reason=reason,
        actor_id=actor.user_id,
        actor_name=actor.name[:100],
        at=at,
    )


def _snapshot(seal: Seal, keeper_ids: list[uuid.UUID]) -> dict[str, Any]:
    return {
        "kind": seal.kind,
        "type": seal.type,
        "custom_type_name": seal.custom_type_name,
        "name": seal.name,
        "code": seal.code,
        "unit_id": seal.unit_id,
        "description": seal.description,
        "keeper_ids": sorted(str(k) for k in keeper_ids),
    }


def _custody_snapshot(r: CustodyRecord) -> dict[str, Any]:
    return {
        "seal_id": r.seal_id,
        "request_id": r.request_id,
        "holder_id": r.holder_id,
        "expected_return_at": r.expected_return_at,
        "carried_out": r.carried_out,
        "note": r.note,
        "returned_at": r.returned_at,
        "returned_to": r.returned_to,
        "return_note": r.return_note,
        "presses": r.presses,
    }


def _custody_event(event_type: type[C], r: CustodyRecord) -> C:
    return event_type(
        org_id=r.org_id,
        seal_id=r.seal_id,
        custody_id=r.id,
        request_id=r.request_id,
        holder_id=r.holder_id,
        carried_out=r.carried_out,
        handed_out_at=r.handed_out_at,
        expected_return_at=r.expected_return_at,
        returned_at=r.returned_at,
        presses=r.presses,
    )


async def count_by_status(session: AsyncSession, actor: Actor) -> dict[str, int]:
    """Seals per status that the actor may see (the overview's pie)."""
    from sealhub.seals import repository

    return await repository.count_by_status(session, actor)
