"""Sealing an approved application's PDF: willingness check, placement, signature, storage."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sealhub.esign.errors import (
    BadPlacement,
    NoSealImage,
    NotAPdf,
    NotElectronic,
    NoValidCertificate,
    SealingNotFound,
    SealNotUsable,
    WillingnessFailed,
)
from sealhub.esign.events import DocumentSealed
from sealhub.esign.models import Sealing
from sealhub.esign.policy import PlacementMode, WillingnessMethod
from sealhub.esign.repository import CaRepository, CertificateRepository, SealingRepository
from sealhub.esign.schemas import SealIn, SealingOut
from sealhub.esign.service import ca as ca_service
from sealhub.esign.service import engine
from sealhub.identity import errors as identity_errors
from sealhub.identity import service as identity_service
from sealhub.platform import audit, clock
from sealhub.platform.actor import Actor, system_in
from sealhub.platform.runtime import Runtime
from sealhub.requests import service as requests_service
from sealhub.requests.events import UseSource
from sealhub.seals import service as seals_service
from sealhub.seals.schemas import SealKind, SealStatus
from sealhub.storage import service as storage_service

SEALED_PURPOSE = "esign_sealed"


async def send_willingness_code(runtime: Runtime, actor: Actor, *, ip: str | None) -> int:
    """Send the signer an SMS code for the willingness check; seconds until the next."""
    return await identity_service.send_confirmation_code(runtime, actor.user_id, ip=ip)


async def _confirm(
    runtime: Runtime, actor: Actor, method: WillingnessMethod, secret: str, ip: str | None
) -> None:
    try:
        await identity_service.confirm_person(
            runtime, actor.user_id, method=str(method), secret=secret, ip=ip
        )
    except identity_errors.BadCredentials as exc:
        raise WillingnessFailed(reason="password") from exc
    except identity_errors.InvalidSmsCode as exc:
        raise WillingnessFailed(reason="sms") from exc
    except identity_errors.InvalidTotp as exc:
        raise WillingnessFailed(reason="totp") from exc


async def seal_document(
    session: AsyncSession,
    runtime: Runtime,
    actor: Actor,
    request_id: uuid.UUID,
    *,
    data: SealIn,
    ip: str | None = None,
) -> SealingOut:
    """Seal one PDF of an approved application with its electronic seals, after the signer
    confirms at this moment (password, SMS code or TOTP); each seal consumes one use."""
    docs = await requests_service.request_documents(session, actor, request_id)
    doc = next((d for d in docs if d.id == data.document_id), None)
    if doc is None:
        raise BadPlacement(reason="document")
    if doc.content_type != "application/pdf":
        raise NotAPdf()
    certs = CertificateRepository(session, actor)
    seals: dict[uuid.UUID, Any] = {}
    for p in data.placements:
        if p.seal_id in seals:
            continue
        seal = await seals_service.get_brief(session, actor, p.seal_id)
        if seal.kind != SealKind.ELECTRONIC:
            raise NotElectronic()
        if seal.status != SealStatus.ACTIVE:
            raise SealNotUsable(seal_name=seal.name)
        cert = await certs.current_for_seal(seal.id)
        if cert is None or cert.not_after <= clock.now():
            raise NoValidCertificate(seal_name=seal.name)
        seals[seal.id] = (seal, cert)
    # the person confirms before anything is consumed or signed
    await _confirm(runtime, actor, data.willingness.method, data.willingness.secret, ip)
    confirmed_at = clock.now()
    for seal_id in seals:
        await requests_service.record_use(
            session, actor, request_id, seal_id=seal_id, source=UseSource.E_SIGNATURE, count=1
        )
    _, pdf = await requests_service.document_content(session, runtime, actor, doc.id)
    info = await asyncio.to_thread(engine.pdf_info, pdf)
    ca = await CaRepository(session, actor).active()
    assert ca is not None  # a valid certificate implies its CA
    jobs: list[engine.SealJob] = []
    placements: list[dict[str, Any]] = []
    for n, p in enumerate(data.placements):
        seal, cert = seals[p.seal_id]
        image = await _image(session, runtime, actor, cert)
        stamp = await _stamp(pdf, info, p, engine.seal_image(image))
        jobs.append(
            engine.SealJob(
                key_der=ca_service.certificate_key(runtime, cert).pkcs8_der(),
                cert_pem=cert.cert_pem.encode(),
                chain_pems=(ca.cert_pem.encode(), ca.root_cert_pem.encode()),
                image_png=image,
                stamp=stamp,
                field_name=f"SealHub-{n + 1}-{cert.serial[:8]}",
            )
        )
        placements.append(
            {
                "seal_id": str(seal.id),
                "seal_name": seal.name,
                "certificate_id": str(cert.id),
                "serial": cert.serial,
                "mode": stamp.mode,
                "page": stamp.page,
                "x": stamp.x,
                "y": stamp.y,
                "keyword": p.keyword,
            }
        )
    token = secrets.token_urlsafe(24)
    qr_url = f"{runtime.settings.public_url.rstrip('/')}/verify/{token}" if data.qr else ""
    sealed = await asyncio.to_thread(engine.seal_pdf, pdf, jobs, qr_url=qr_url)
    name = doc.filename.rsplit(".", 1)[0] + "-sealed.pdf"
    obj = await storage_service.put(
        session,
        runtime,
        actor,
        sealed,
        filename=name,
        purpose=SEALED_PURPOSE,
        allowed_kinds=frozenset({"pdf"}),
    )
    row = Sealing(
        org_id=actor.org_id,
        request_id=request_id,
        document_id=doc.id,
        signer_id=actor.user_id,
        placements=placements,
        willingness_method=str(data.willingness.method),
        willingness_at=confirmed_at,
        sealed_object_id=obj.id,
        sha256=obj.sha256,
        verify_token=token,
        qr=data.qr,
        created_at=clock.now(),
    )
    session.add(row)
    await session.flush()
    out = SealingOut.model_validate(row)
    names = "、".join(s.name for s, _ in seals.values())
    await audit.record(
        session,
        actor,
        "esign.seal",
        "esign_sealing",
        row.id,
        summary=audit.Summary(
            f"使用电子印章 {names} 为“{doc.filename}”盖章"
            f"（意愿认证：{_METHOD_ZH[data.willingness.method]}）",
            f"Sealed “{doc.filename}” with {names} (willingness check: {data.willingness.method})",
        ),
        after={
            "request_id": request_id,
            "document_id": doc.id,
            "placements": placements,
            "willingness": {"method": str(data.willingness.method), "at": confirmed_at.isoformat()},
            "sha256": obj.sha256,
        },
        event=DocumentSealed(
            org_id=actor.org_id,
            sealing_id=row.id,
            request_id=request_id,
            document_id=doc.id,
            signer_id=actor.user_id,
            seal_ids=list(seals),
            sha256=obj.sha256,
            willingness_method=str(data.willingness.method),
        ),
    )
    return out


async def _image(session: AsyncSession, runtime: Runtime, actor: Actor, cert: Any) -> bytes:
    if cert.image_object_id is None:
        raise NoValidCertificate(seal_name=str(cert.subject))
    # the signer reads the image through the certificate, whatever their data scope
    _, data = await storage_service.get(
        session, runtime, system_in(actor.org_id), cert.image_object_id
    )
    return data


_METHOD_ZH = {
    WillingnessMethod.PASSWORD: "登录密码",
    WillingnessMethod.SMS: "短信验证码",
    WillingnessMethod.TOTP: "动态口令",
}


async def _stamp(pdf: bytes, info: engine.PdfInfo, p: Any, image: Any) -> engine.Stamp:
    """The placement checked against the document (page, box, keyword, page count)."""
    w, h = image.width_mm / 25.4 * 72, image.height_mm / 25.4 * 72
    if p.mode == PlacementMode.STRADDLE:
        if len(info.pages) < 2:
            raise BadPlacement(reason="pages")
        return engine.Stamp("straddle", page=len(info.pages) - 1)
    if p.mode == PlacementMode.KEYWORD:
        found = await asyncio.to_thread(engine.find_keyword, pdf, p.keyword) if p.keyword else None
        if found is None:
            raise BadPlacement(reason="keyword")
        page, cx, cy = found
        return engine.Stamp("keyword", page=page, x=cx - w / 2, y=cy - h / 2, keyword=p.keyword)
    if p.page >= len(info.pages):
        raise BadPlacement(reason="page")
    page_w, page_h = info.pages[p.page]
    if p.x + w > page_w + 1 or p.y + h > page_h + 1:
        raise BadPlacement(reason="box")
    return engine.Stamp("position", page=p.page, x=p.x, y=p.y)


async def _readable(session: AsyncSession, actor: Actor, sealing_id: uuid.UUID) -> Sealing:
    row = await SealingRepository(session, actor).get(sealing_id)
    if row.signer_id != actor.user_id and not await requests_service.can_read(
        session, actor, row.request_id
    ):
        raise SealingNotFound()
    return row


async def list_sealings(
    session: AsyncSession, actor: Actor, request_id: uuid.UUID
) -> list[SealingOut]:
    """The sealings of an application the actor may read, oldest first."""
    if not await requests_service.can_read(session, actor, request_id):
        raise SealingNotFound()
    rows = await SealingRepository(session, actor).for_request(request_id)
    return [SealingOut.model_validate(r) for r in rows]


async def sealed_file(
    session: AsyncSession, runtime: Runtime, actor: Actor, sealing_id: uuid.UUID
) -> tuple[str, bytes]:
    """The sealed PDF of a sealing (filename, bytes)."""
    row = await _readable(session, actor, sealing_id)
    obj, data = await storage_service.get(session, runtime, actor, row.sealed_object_id)
    return obj.filename, data


async def seal_image(
    session: AsyncSession, runtime: Runtime, actor: Actor, seal_id: uuid.UUID
) -> bytes:
    """The image of an e-seal's valid certificate (what a sealing will show), for placing it."""
    seal = await seals_service.get_brief(session, actor, seal_id)  # 404 outside the tenant
    cert = await CertificateRepository(session, actor).current_for_seal(seal.id)
    if cert is None or cert.image_object_id is None:
        raise NoSealImage()
    return await _image(session, runtime, actor, cert)
