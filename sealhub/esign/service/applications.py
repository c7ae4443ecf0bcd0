"""申请电子印章: the live preview, proof materials, the application and its review."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sealhub.esign.errors import MaterialNotFound, SelfReview, UnitNotFound
from sealhub.esign.events import ApplicationApproved
from sealhub.esign.models import EsealApplication
from sealhub.esign.policy import APPLICATION_STATUS, ApplicationAction, ApplicationStatus
from sealhub.esign.repository import ApplicationRepository
from sealhub.esign.schemas import (
    ApplicationCreate,
    ApplicationOut,
    MaterialOut,
    ReviewIn,
    SealDesign,
)
from sealhub.esign.service import ca as ca_service
from sealhub.esign.service import engine
from sealhub.identity import service as identity_service
from sealhub.platform import audit, clock
from sealhub.platform.actor import Actor
from sealhub.platform.errors import NotFound
from sealhub.platform.runtime import Runtime
from sealhub.seals import service as seals_service
from sealhub.seals.schemas import SealCreate, SealKind
from sealhub.storage import service as storage_service

MATERIAL_PURPOSE = "esign_material"
MATERIAL_KINDS = frozenset({"pdf", "image"})
PREVIEW_DPI = 300
APPLICATION_SORTS = {"created_at", "seal_name", "status"}


def _design(d: SealDesign | dict[str, Any]) -> engine.Design:
    data = d.model_dump() if isinstance(d, SealDesign) else d
    return engine.Design(
        shape=str(data["shape"]),
        org_name=data["org_name"],
        title=data.get("title", ""),
        code=data.get("code", ""),
        size_mm=int(data.get("size_mm", 40)),
    )


async def preview(design: SealDesign, *, dpi: int = PREVIEW_DPI) -> bytes:
    """The seal image exactly as an approval would make it (PNG, true size at `dpi`)."""
    return await asyncio.to_thread(engine.render_seal, _design(design), dpi=dpi)


async def upload_material(
    session: AsyncSession, runtime: Runtime, actor: Actor, data: bytes, *, filename: str
) -> MaterialOut:
    """Store a proof material (business licence scan, authorisation letter: PDF or image)."""
    obj = await storage_service.put(
        session,
        runtime,
        actor,
        data,
        filename=filename,
        purpose=MATERIAL_PURPOSE,
        allowed_kinds=MATERIAL_KINDS,
    )
    await audit.record(
        session,
        actor,
        "esign.upload_material",
        "stored_object",
        obj.id,
        summary=audit.Summary(
            f"上传电子印章证明材料“{obj.filename}”", f"Uploaded e-seal proof “{obj.filename}”"
        ),
        after={"sha256": obj.sha256, "size": obj.size},
    )
    return MaterialOut.model_validate(obj)


async def material_content(
    session: AsyncSession, runtime: Runtime, actor: Actor, application_id: uuid.UUID, which: str
) -> tuple[str, str, bytes]:
    """A proof material of an application the actor may read: (content type, name, bytes)."""
    app = await ApplicationRepository(session, actor).get(application_id)
    object_id = app.licence_object_id if which == "licence" else app.authorisation_object_id
    obj, data = await storage_service.get(session, runtime, actor, object_id)
    return obj.content_type, obj.filename, data


async def _check_material(session: AsyncSession, actor: Actor, object_id: uuid.UUID) -> None:
    # any object of the organisation: the same bytes uploaded for another purpose are
    # stored once (content-addressed), so the first purpose is not a test
    try:
        await storage_service.info(session, actor, object_id)
    except NotFound as exc:
        raise MaterialNotFound() from exc


async def apply(session: AsyncSession, actor: Actor, *, data: ApplicationCreate) -> ApplicationOut:
    """Apply for an e-seal with its design and proof materials; a reviewer decides."""
    if not await identity_service.unit_exists(session, actor.org_id, data.unit_id):
        raise UnitNotFound()
    await _check_material(session, actor, data.licence_object_id)
    await _check_material(session, actor, data.authorisation_object_id)
    now = clock.now()
    app = EsealApplication(
        org_id=actor.org_id,
        unit_id=data.unit_id,
        applicant_id=actor.user_id,
        seal_type=data.seal_type,
        seal_name=data.seal_name,
        seal_code=data.seal_code,
        design=data.design.model_dump(mode="json"),
        licence_object_id=data.licence_object_id,
        authorisation_object_id=data.authorisation_object_id,
        reason=data.reason,
        status=ApplicationStatus.PENDING,
        created_at=now,
        updated_at=now,
    )
    session.add(app)
    await session.flush()
    out = await _out(session, app)
    await audit.record(
        session,
        actor,
        "esign.apply",
        "esign_application",
        app.id,
        summary=audit.Summary(
            f"申请电子印章“{app.seal_name}”（{app.seal_code}）",
            f"Applied for e-seal “{app.seal_name}” ({app.seal_code})",
        ),
        after=out.model_dump(mode="json"),
    )
    return out


async def list_applications(
    session: AsyncSession,
    actor: Actor,
    *,
    status: ApplicationStatus | None,
    sort: tuple[str, bool],
    offset: int,
    limit: int,
) -> tuple[list[ApplicationOut], int]:
    """E-seal applications the actor may see."""
    column, desc = sort
    col = getattr(EsealApplication, column)
    rows, total = await ApplicationRepository(session, actor).search(
        status=status,
        order=[col.desc() if desc else col.asc(), EsealApplication.id],
        offset=offset,
        limit=limit,
    )
    names = await identity_service.names(session, actor.org_id, [r.applicant_id for r in rows])
    return [_plain_out(r, names.get(r.applicant_id, "")) for r in rows], total


async def get_application(
    session: AsyncSession, actor: Actor, application_id: uuid.UUID
) -> ApplicationOut:
    """One e-seal application."""
    return await _out(session, await ApplicationRepository(session, actor).get(application_id))


async def review(
    session: AsyncSession,
    runtime: Runtime,
    actor: Actor,
    application_id: uuid.UUID,
    *,
    data: ReviewIn,
) -> ApplicationOut:
    """Approve (the image, the seal in the registry and its certificate are made) or reject
    with a reason."""
    app = await ApplicationRepository(session, actor).get_for_update(application_id)
    action = ApplicationAction.APPROVE if data.approve else ApplicationAction.REJECT
    new_status = APPLICATION_STATUS.transition(app.status, action)
    if app.applicant_id == actor.user_id:
        raise SelfReview()
    now = clock.now()
    event = None
    if data.approve:
        seal = await seals_service.create_seal(
            session,
            actor,
            data=SealCreate.model_validate(
                {
                    "kind": SealKind.ELECTRONIC,
                    "type": app.seal_type,
                    "custom_type_name": "电子印章" if app.seal_type == "custom" else None,
                    "name": app.seal_name,
                    "code": app.seal_code,
                    "unit_id": app.unit_id,
                    "description": app.reason,
                },
                strict=False,
            ),
        )
        png = await asyncio.to_thread(engine.render_seal, _design(app.design), dpi=PREVIEW_DPI)
        image = await storage_service.put_image(
            session,
            runtime,
            actor,
            png,
            filename=f"{app.seal_code}.png",
            purpose=seals_service.SEAL_IMAGE_PURPOSE,
        )
        await seals_service.set_image(
            session, runtime, actor, seal.id, png, filename=f"{app.seal_code}.png"
        )
        settings = await identity_service.org_settings(session, actor.org_id)
        credit = data.credit_code or str(settings.get("credit_code") or "")
        cert = await ca_service.issue_certificate(
            session,
            runtime,
            actor,
            seal.id,
            seal_name=app.seal_name,
            credit_code=credit,
            image_object_id=image.id,
        )
        app.seal_id, app.certificate_id = seal.id, cert.id
        event = ApplicationApproved(
            org_id=app.org_id,
            application_id=app.id,
            seal_id=seal.id,
            certificate_id=cert.id,
            reviewer_id=actor.user_id,
        )
    app.status = new_status
    app.reviewer_id = actor.user_id
    app.reviewed_at = now
    app.review_comment = data.comment
    app.updated_at = now
    await session.flush()
    out = await _out(session, app)
    verb_zh, verb_en = ("通过", "Approved") if data.approve else ("驳回", "Rejected")
    await audit.record(
        session,
        actor,
        "esign.approve" if data.approve else "esign.reject",
        "esign_application",
        app.id,
        summary=audit.Summary(
            f"{verb_zh}电子印章申请“{app.seal_name}”（{app.seal_code}）：{data.comment}",
            f"{verb_en} e-seal application “{app.seal_name}” ({app.seal_code}): {data.comment}",
        ),
        before={"status": ApplicationStatus.PENDING},
        after={"status": app.status, "seal_id": app.seal_id, "certificate_id": app.certificate_id},
        event=event,
    )
    return out


def _plain_out(app: EsealApplication, name: str) -> ApplicationOut:
    out = ApplicationOut.model_validate(app)
    out.applicant_name = name
    return out


async def _out(session: AsyncSession, app: EsealApplication) -> ApplicationOut:
    names = await identity_service.names(session, app.org_id, [app.applicant_id])
    return _plain_out(app, names.get(app.applicant_id, ""))
