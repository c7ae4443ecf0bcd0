"""/api/v1 routes for e-seals: applying and review, certificates, sealing an application's
PDF with a willingness check; and the public verification, CRL and CA routes."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import Depends, File, Request, Response, UploadFile
from pydantic import BaseModel

from sealhub.api.common import Page, api_router, idempotent, read_upload
from sealhub.api.deps import Db, PagingDep, Require, RuntimeDep, client_ip
from sealhub.esign import schemas
from sealhub.esign import service as esign_service
from sealhub.esign.policy import ApplicationStatus, CertificateStatus
from sealhub.platform.actor import Actor

router = api_router(tags=["esign"])

Reader = Annotated[Actor, Depends(Require("esign.read"))]
Applicant = Annotated[Actor, Depends(Require("esign.apply"))]
Reviewer = Annotated[Actor, Depends(Require("esign.review"))]
Sealer = Annotated[Actor, Depends(Require("esign.seal"))]

APPLICATION_SORTS = {"created_at", "seal_name", "status"}
VERIFY_MAX_BYTES = 20 * 1024 * 1024


class ResendOut(BaseModel):
    resend_after: int


def _file(data: bytes, media_type: str, filename: str, *, inline: bool = False) -> Response:
    disposition = "inline" if inline else "attachment"
    return Response(
        data,
        media_type=media_type,
        headers={
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(filename)}",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


# ---- applying for an e-seal ----


@router.post("/esign/preview", response_class=Response)
async def preview(body: schemas.SealDesign, actor: Applicant) -> Response:
    """The seal image this design makes (PNG, transparent, true size at 300 DPI)."""
    png = await esign_service.preview(body)
    return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})


@router.post("/esign/materials", status_code=201, response_model=schemas.MaterialOut)
async def upload_material(
    session: Db, runtime: RuntimeDep, actor: Applicant, file: Annotated[UploadFile, File()]
) -> schemas.MaterialOut:
    """Upload a proof material (business licence scan, authorisation letter)."""
    data = await read_upload(file, runtime.settings.max_upload_bytes)
    return await esign_service.upload_material(
        session, runtime, actor, data, filename=file.filename or "material"
    )


@router.post("/esign/applications", status_code=201, response_model=schemas.ApplicationOut)
async def apply(
    body: schemas.ApplicationCreate, request: Request, session: Db, actor: Applicant
) -> Response:
    """Apply for an e-seal (send Idempotency-Key to make retries safe)."""
    return await idempotent(
        request, session, actor, lambda: esign_service.apply(session, actor, data=body)
    )


@router.get("/esign/applications", response_model=Page[schemas.ApplicationOut])
async def list_applications(
    session: Db, actor: Reader, paging: PagingDep, status: ApplicationStatus | None = None
) -> Page[schemas.ApplicationOut]:
    """E-seal applications the caller may see; sort by created_at, seal_name or status."""
    rows, total = await esign_service.list_applications(
        session,
        actor,
        status=status,
        sort=paging.sort_key(APPLICATION_SORTS, "-created_at"),
        offset=paging.offset,
        limit=paging.page_size,
    )
    return Page(items=rows, total=total, page=paging.page, page_size=paging.page_size)


@router.get("/esign/applications/{application_id}", response_model=schemas.ApplicationOut)
async def get_application(
    application_id: uuid.UUID, session: Db, actor: Reader
) -> schemas.ApplicationOut:
    """One e-seal application."""
    return await esign_service.get_application(session, actor, application_id)


@router.get("/esign/applications/{application_id}/material", response_class=Response)
async def material(
    application_id: uuid.UUID,
    session: Db,
    runtime: RuntimeDep,
    actor: Reader,
    which: Literal["licence", "authorisation"] = "licence",
) -> Response:
    """A proof material of the application."""
    content_type, name, data = await esign_service.material_content(
        session, runtime, actor, application_id, which
    )
    return _file(data, content_type, name, inline=True)


@router.post("/esign/applications/{application_id}/review", response_model=schemas.ApplicationOut)
async def review(
    application_id: uuid.UUID,
    body: schemas.ReviewIn,
    session: Db,
    runtime: RuntimeDep,
    actor: Reviewer,
) -> schemas.ApplicationOut:
    """Approve (seal, image and certificate are made) or reject with a reason."""
    return await esign_service.review(session, runtime, actor, application_id, data=body)


# ---- certificates and the CA ----


@router.get("/esign/certificates", response_model=Page[schemas.CertificateOut])
async def list_certificates(
    session: Db,
    actor: Reader,
    paging: PagingDep,
    seal_id: uuid.UUID | None = None,
    status: CertificateStatus | None = None,
) -> Page[schemas.CertificateOut]:
    """Seal certificates, newest first."""
    rows, total = await esign_service.list_certificates(
        session, actor, seal_id=seal_id, status=status, offset=paging.offset, limit=paging.page_size
    )
    return Page(items=rows, total=total, page=paging.page, page_size=paging.page_size)


@router.get("/esign/certificates/{certificate_id}", response_model=schemas.CertificateOut)
async def get_certificate(
    certificate_id: uuid.UUID, session: Db, actor: Reader
) -> schemas.CertificateOut:
    """One seal certificate with its status."""
    return await esign_service.get_certificate(session, actor, certificate_id)


@router.post("/esign/certificates/{certificate_id}/revoke", response_model=schemas.CertificateOut)
async def revoke_certificate(
    certificate_id: uuid.UUID, body: schemas.RevokeIn, session: Db, actor: Reviewer
) -> schemas.CertificateOut:
    """Revoke a seal certificate: no new sealing with it; the CRL lists it."""
    return await esign_service.revoke_certificate(
        session, actor, certificate_id, reason=body.reason
    )


@router.post("/esign/certificates/{certificate_id}/renew", response_model=schemas.CertificateOut)
async def renew_certificate(
    certificate_id: uuid.UUID, session: Db, runtime: RuntimeDep, actor: Reviewer
) -> schemas.CertificateOut:
    """A new certificate and key for the same seal (the old one stays in its history)."""
    return await esign_service.renew_certificate(session, runtime, actor, certificate_id)


@router.get("/esign/ca", response_model=schemas.CaOut | None)
async def get_ca(session: Db, actor: Reader) -> schemas.CaOut | None:
    """The organisation's CA certificate, CRL number and timestamp authority (null before
    its first e-seal)."""
    return await esign_service.get_ca(session, actor)


@router.put("/esign/ca/tsa", response_model=schemas.CaOut)
async def set_tsa(body: schemas.TsaIn, session: Db, actor: Reviewer) -> schemas.CaOut:
    """Choose the timestamp authority ("" = the platform's own)."""
    return await esign_service.set_tsa(session, actor, tsa_url=body.tsa_url)


# ---- sealing ----


@router.post("/esign/willingness/sms", status_code=202, response_model=ResendOut)
async def send_willingness_code(request: Request, runtime: RuntimeDep, actor: Sealer) -> ResendOut:
    """Text the caller a code for the willingness check of their next sealing."""
    wait = await esign_service.send_willingness_code(runtime, actor, ip=client_ip(request))
    return ResendOut(resend_after=wait)


@router.post(
    "/esign/requests/{request_id}/sealings", status_code=201, response_model=schemas.SealingOut
)
async def seal_document(
    request_id: uuid.UUID,
    body: schemas.SealIn,
    request: Request,
    session: Db,
    runtime: RuntimeDep,
    actor: Sealer,
) -> schemas.SealingOut:
    """Seal a PDF of an approved application after the willingness check."""
    return await esign_service.seal_document(
        session, runtime, actor, request_id, data=body, ip=client_ip(request)
    )


@router.get("/esign/seals/{seal_id}/image", response_class=Response)
async def seal_image(
    seal_id: uuid.UUID, session: Db, runtime: RuntimeDep, actor: Sealer
) -> Response:
    """The e-seal's image as its valid certificate binds it (to place it on a page)."""
    png = await esign_service.seal_image(session, runtime, actor, seal_id)
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=300"})


@router.get("/esign/requests/{request_id}/sealings", response_model=list[schemas.SealingOut])
async def list_sealings(
    request_id: uuid.UUID, session: Db, actor: Reader
) -> list[schemas.SealingOut]:
    """The sealings of an application, oldest first."""
    return await esign_service.list_sealings(session, actor, request_id)


@router.get("/esign/sealings/{sealing_id}/file", response_class=Response)
async def sealed_file(
    sealing_id: uuid.UUID, session: Db, runtime: RuntimeDep, actor: Reader
) -> Response:
    """Download the sealed PDF."""
    name, data = await esign_service.sealed_file(session, runtime, actor, sealing_id)
    return _file(data, "application/pdf", name)


# ---- public: no sign-in ----


@router.post("/esign/verify", response_model=schemas.VerifyReport)
async def verify(
    request: Request, session: Db, runtime: RuntimeDep, file: Annotated[UploadFile, File()]
) -> schemas.VerifyReport:
    """Verify any PDF's signatures against the platform's CAs (public, rate limited)."""
    await esign_service.throttle(runtime, client_ip(request))
    data = await read_upload(file, VERIFY_MAX_BYTES)
    return await esign_service.verify_pdf(session, runtime, data)


@router.get("/esign/verify/{token}", response_model=schemas.VerifyReport)
async def verify_token(
    token: str, request: Request, session: Db, runtime: RuntimeDep
) -> schemas.VerifyReport:
    """The report of a document the platform sealed, by its QR code's link (public)."""
    await esign_service.throttle(runtime, client_ip(request))
    return await esign_service.verify_token(session, runtime, token[:64])


@router.get("/esign/cas/{ca_id}/crl", response_class=Response)
async def crl(ca_id: uuid.UUID, request: Request, session: Db, runtime: RuntimeDep) -> Response:
    """The CA's current certificate revocation list (DER, public)."""
    await esign_service.throttle(runtime, client_ip(request), "crl")
    der = await esign_service.crl_of(session, runtime, ca_id)
    return Response(
        der, media_type="application/pkix-crl", headers={"Cache-Control": "public, max-age=600"}
    )
