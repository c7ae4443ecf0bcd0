"""The organisation's CA, seal certificates (issue, revoke, renew, expire) and its CRL."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from cryptography import x509
from sqlalchemy.ext.asyncio import AsyncSession

from sealhub.esign import pki
from sealhub.esign import repository as repo_mod
from sealhub.esign.errors import CaNotFound
from sealhub.esign.events import CertificateRevoked
from sealhub.esign.keys import FileKey, KeyAlgorithm
from sealhub.esign.models import OrgCa, SealCertificate
from sealhub.esign.policy import CERTIFICATE_STATUS, CertificateAction, CertificateStatus
from sealhub.esign.repository import CaRepository, CertificateRepository
from sealhub.esign.schemas import CaOut, CertificateOut
from sealhub.esign.service import _keys, engine
from sealhub.identity import service as identity_service
from sealhub.platform import audit, clock, ids
from sealhub.platform.actor import Actor, system_in
from sealhub.platform.runtime import Runtime
from sealhub.seals import service as seals_service

CERT_DAYS = 730
REMIND_DAYS = 30
CRL_HOURS = 24


async def ensure_ca(session: AsyncSession, runtime: Runtime, actor: Actor) -> OrgCa:
    """The organisation's active CA (root + issuing), created on first need."""
    repo = CaRepository(session, actor)
    ca = await repo.active()
    if ca is not None:
        return ca
    org = await identity_service.get_organization(session, actor)
    settings = await identity_service.org_settings(session, actor.org_id)
    ca_id = ids.new_id()
    made = await asyncio.to_thread(
        pki.create_ca,
        org.name,
        str(settings.get("credit_code") or ""),
        now=clock.now(),
        algorithm=KeyAlgorithm.EC_P256,
        endpoints=_endpoints(runtime, ca_id),
    )
    ca = OrgCa(
        id=ca_id,
        org_id=actor.org_id,
        name=f"{org.name} 电子印章 CA",
        root_cert_pem=pki.cert_pem(made.root_cert).decode(),
        key_algorithm=str(made.issuing_key.algorithm),
        cert_pem=pki.cert_pem(made.issuing_cert).decode(),
        key_ref=_keys.FILE_KEY,
        not_after=made.issuing_cert.not_valid_after_utc,
    )
    ca.key_sealed, ca.key_wrapped = _keys.seal_key(runtime.envelope, ca.id, made.issuing_key)
    if made.root_key is not None:
        # the root key only signs the issuing CA: kept sealed under its own context
        ca.root_key_sealed, ca.root_key_wrapped = _keys.seal_key(
            runtime.envelope, _root_context(ca.id), made.root_key
        )
    session.add(ca)
    await session.flush()
    await audit.record(
        session,
        actor,
        "esign.create_ca",
        "esign_ca",
        ca.id,
        summary=audit.Summary(f"建立电子印章 CA“{ca.name}”", f"Created the e-seal CA “{ca.name}”"),
        after={"subject": made.issuing_cert.subject.rfc4514_string(), "not_after": ca.not_after},
    )
    return ca


def _root_context(ca_id: uuid.UUID) -> uuid.UUID:
    return uuid.UUID(int=ca_id.int ^ 1)


def _endpoints(runtime: Runtime, ca_id: uuid.UUID) -> pki.Endpoints:
    base = runtime.settings.public_url.rstrip("/")
    return pki.Endpoints(crl_url=f"{base}/api/v1/esign/cas/{ca_id}/crl")


def authority(runtime: Runtime, ca: OrgCa) -> pki.CertificateAuthority:
    """The CA row as esigncore's CertificateAuthority (issuing key opened; root key not)."""
    return pki.CertificateAuthority(
        root_cert=x509.load_pem_x509_certificate(ca.root_cert_pem.encode()),
        root_key=None,
        issuing_cert=x509.load_pem_x509_certificate(ca.cert_pem.encode()),
        issuing_key=_keys.open_key(
            runtime.envelope, ca.id, ca.key_algorithm, ca.key_sealed, ca.key_wrapped
        ),
        endpoints=_endpoints(runtime, ca.id),
    )


async def get_ca(session: AsyncSession, actor: Actor) -> CaOut | None:
    """The organisation's active CA certificate, CRL state and TSA setting (None before
    its first e-seal)."""
    ca = await CaRepository(session, actor).active()
    return CaOut.model_validate(ca) if ca is not None else None


async def set_tsa(session: AsyncSession, actor: Actor, *, tsa_url: str) -> CaOut:
    """Choose the timestamp authority for this organisation's seals ("" = the platform's)."""
    ca = await CaRepository(session, actor).active()
    if ca is None:
        raise CaNotFound()
    before = {"tsa_url": ca.tsa_url}
    ca.tsa_url = tsa_url
    ca.updated_at = clock.now()
    await session.flush()
    await audit.record(
        session,
        actor,
        "esign.set_tsa",
        "esign_ca",
        ca.id,
        summary=audit.Summary("修改时间戳服务设置", "Changed the timestamp authority"),
        before=before,
        after={"tsa_url": tsa_url},
    )
    return CaOut.model_validate(ca)


def certificate_key(runtime: Runtime, cert: SealCertificate) -> FileKey:
    return _keys.open_key(
        runtime.envelope, cert.id, cert.algorithm, cert.key_sealed, cert.key_wrapped
    )


async def issue_certificate(
    session: AsyncSession,
    runtime: Runtime,
    actor: Actor,
    seal_id: uuid.UUID,
    *,
    seal_name: str,
    credit_code: str,
    image_object_id: uuid.UUID | None,
    previous: SealCertificate | None = None,
) -> SealCertificate:
    """A new certificate (and key) for an electronic seal, issued by the organisation's CA."""
    ca = await ensure_ca(session, runtime, actor)
    org = await identity_service.get_organization(session, actor)
    authority_ = authority(runtime, ca)
    key = engine.new_seal_key()
    now = clock.now()
    if previous is not None:
        old = x509.load_pem_x509_certificate(previous.cert_pem.encode())
        issued = await asyncio.to_thread(
            pki.renew_seal_certificate, authority_, old, key, now=now, days=CERT_DAYS
        )
    else:
        issued = await asyncio.to_thread(
            pki.issue_seal_certificate,
            authority_,
            key,
            seal_name=seal_name,
            org_name=org.name,
            credit_code=credit_code,
            now=now,
            days=CERT_DAYS,
        )
    cert = SealCertificate(
        id=ids.new_id(),
        org_id=actor.org_id,
        seal_id=seal_id,
        ca_id=ca.id,
        serial=format(issued.serial_number, "x"),
        subject=issued.subject.rfc4514_string()[:500],
        algorithm=str(key.algorithm),
        cert_pem=pki.cert_pem(issued).decode(),
        key_ref=_keys.FILE_KEY,
        status=CertificateStatus.VALID,
        not_before=issued.not_valid_before_utc,
        not_after=issued.not_valid_after_utc,
        previous_id=previous.id if previous else None,
        image_object_id=image_object_id,
        created_at=now,
    )
    cert.key_sealed, cert.key_wrapped = _keys.seal_key(runtime.envelope, cert.id, key)
    session.add(cert)
    await session.flush()
    await audit.record(
        session,
        actor,
        "esign.issue_certificate",
        "esign_certificate",
        cert.id,
        summary=audit.Summary(
            f"为印章“{seal_name}”签发证书（序列号 {cert.serial}）",
            f"Issued a certificate for seal “{seal_name}” (serial {cert.serial})",
        ),
        after={"seal_id": seal_id, "serial": cert.serial, "not_after": cert.not_after.isoformat()},
    )
    return cert


async def list_certificates(
    session: AsyncSession,
    actor: Actor,
    *,
    seal_id: uuid.UUID | None,
    status: CertificateStatus | None,
    offset: int,
    limit: int,
) -> tuple[list[CertificateOut], int]:
    """Seal certificates, newest first, with their status."""
    rows, total = await CertificateRepository(session, actor).search(
        seal_id=seal_id, status=status, offset=offset, limit=limit
    )
    briefs = await seals_service.get_briefs(session, actor.org_id, list({r.seal_id for r in rows}))
    return [_cert_out(r, briefs.get(r.seal_id)) for r in rows], total


async def get_certificate(
    session: AsyncSession, actor: Actor, certificate_id: uuid.UUID
) -> CertificateOut:
    """One seal certificate."""
    cert = await CertificateRepository(session, actor).get(certificate_id)
    briefs = await seals_service.get_briefs(session, actor.org_id, [cert.seal_id])
    return _cert_out(cert, briefs.get(cert.seal_id))


async def revoke_certificate(
    session: AsyncSession,
    actor: Actor,
    certificate_id: uuid.UUID,
    *,
    reason: str,
) -> CertificateOut:
    """Revoke a seal certificate by hand: no new sealing with it; the CRL lists it."""
    repo = CertificateRepository(session, actor)
    cert = await repo.get_for_update(certificate_id)
    await _revoke(session, actor, cert, reason)
    return await get_certificate(session, actor, cert.id)


async def revoke_for_seal(
    session: AsyncSession, actor: Actor, seal_id: uuid.UUID, *, reason: str
) -> int:
    """Revoke every live certificate of a seal (it was revoked or reported lost); idempotent."""
    certs = await CertificateRepository(session, actor).live_for_seal(seal_id)
    for cert in certs:
        await _revoke(session, actor, cert, reason)
    return len(certs)


async def _revoke(session: AsyncSession, actor: Actor, cert: SealCertificate, reason: str) -> None:
    before = cert.status
    cert.status = CERTIFICATE_STATUS.transition(cert.status, CertificateAction.REVOKE)
    cert.revoked_at = clock.now()
    cert.revocation_reason = reason[:200]
    await session.flush()
    await audit.record(
        session,
        actor,
        "esign.revoke_certificate",
        "esign_certificate",
        cert.id,
        summary=audit.Summary(
            f"吊销印章证书（序列号 {cert.serial}）：{reason}",
            f"Revoked seal certificate (serial {cert.serial}): {reason}",
        ),
        before={"status": before},
        after={"status": cert.status, "reason": reason},
        event=CertificateRevoked(
            org_id=cert.org_id,
            certificate_id=cert.id,
            seal_id=cert.seal_id,
            serial=cert.serial,
            reason=reason,
            revoked_at=cert.revoked_at,
        ),
    )
    # the next CRL request (or the periodic refresh) issues a CRL that lists it
    ca = await CaRepository(session, actor).get(cert.ca_id, scoped=False)
    ca.crl_der = None
    await session.flush()


async def renew_certificate(
    session: AsyncSession,
    runtime: Runtime,
    actor: Actor,
    certificate_id: uuid.UUID,
) -> CertificateOut:
    """A fresh certificate and key for the same seal; the old one stays in its history."""
    repo = CertificateRepository(session, actor)
    old = await repo.get_for_update(certificate_id)
    seal = await seals_service.get_brief(session, actor, old.seal_id)
    old.status = CERTIFICATE_STATUS.transition(old.status, CertificateAction.SUPERSEDE)
    credit = ""  # a renewal keeps the old subject
    new = await issue_certificate(
        session,
        runtime,
        actor,
        old.seal_id,
        seal_name=seal.name,
        credit_code=credit,
        image_object_id=old.image_object_id,
        previous=old,
    )
    await audit.record(
        session,
        actor,
        "esign.renew_certificate",
        "esign_certificate",
        new.id,
        summary=audit.Summary(
            f"更新印章“{seal.name}”的证书（{old.serial} → {new.serial}）",
            f"Renewed the certificate of seal “{seal.name}” ({old.serial} → {new.serial})",
        ),
        before={"certificate_id": old.id},
        after={"certificate_id": new.id},
    )
    return await get_certificate(session, actor, new.id)


async def refresh_crl(session: AsyncSession, runtime: Runtime, actor: Actor) -> OrgCa | None:
    """Issue the next CRL of the organisation's CA (numbers only grow)."""
    ca = await CaRepository(session, actor).active()
    if ca is None:
        return None
    revoked = await CertificateRepository(session, actor).revoked_of_ca(ca.id)
    entries = [pki.Revoked(int(c.serial, 16), c.revoked_at or clock.now()) for c in revoked]
    number = ca.crl_number + 1
    now = clock.now()
    der = await asyncio.to_thread(
        pki.build_crl,
        authority(runtime, ca),
        entries,
        now=now,
        number=number,
        next_update=timedelta(hours=CRL_HOURS),
    )
    ca.crl_number, ca.crl_der, ca.crl_issued_at = number, der, now
    await session.flush()
    return ca


async def crl_of(session: AsyncSession, runtime: Runtime, ca_id: uuid.UUID) -> bytes:
    """The CA's current CRL (DER), refreshed when older than half its life. Public."""
    ca = await repo_mod.ca_by_id(session, ca_id)
    if ca is None:
        raise CaNotFound()
    if (
        ca.crl_der is None
        or ca.crl_issued_at is None
        or (clock.now() - ca.crl_issued_at > timedelta(hours=CRL_HOURS / 2))
    ):
        await refresh_crl(session, runtime, system_in(ca.org_id))
    assert ca.crl_der is not None
    return ca.crl_der


async def expire_and_remind(session: AsyncSession, actor: Actor) -> tuple[int, int]:
    """Mark expired certificates and record reminders for those expiring within 30 days."""
    now = clock.now()
    repo = CertificateRepository(session, actor)
    expired = reminded = 0
    for cert in await repo.expiring(now + timedelta(days=REMIND_DAYS)):
        if cert.not_after <= now:
            cert.status = CERTIFICATE_STATUS.transition(cert.status, CertificateAction.EXPIRE)
            expired += 1
            action, zh, en = "esign.expire_certificate", "已过期", "expired"
        elif cert.reminded_at is None:
            cert.reminded_at = now
            reminded += 1
            action, zh, en = (
                "esign.remind_renewal",
                "即将过期，请及时更新",
                "expires soon: renew it",
            )
        else:
            continue
        await session.flush()
        await audit.record(
            session,
            actor,
            action,
            "esign_certificate",
            cert.id,
            summary=audit.Summary(
                f"印章证书（序列号 {cert.serial}）{zh}",
                f"Seal certificate (serial {cert.serial}) {en}",
            ),
            after={"not_after": cert.not_after.isoformat(), "status": cert.status},
        )
    return expired, reminded


def _cert_out(cert: SealCertificate, seal: object | None) -> CertificateOut:
    out = CertificateOut.model_validate(cert)
    out.seal_name = getattr(seal, "name", "")
    return out
