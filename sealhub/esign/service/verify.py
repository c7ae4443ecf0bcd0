"""Verification anyone can run: a PDF's signatures against the platform's CAs, with the
revocation status the platform knows; CRLs. Files are parsed in the untrusted-file pool."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sealhub.esign import repository as repo_mod
from sealhub.esign.errors import SealingNotFound
from sealhub.esign.policy import CertificateStatus
from sealhub.esign.schemas import SignatureReport, VerifyReport
from sealhub.esign.service import engine
from sealhub.platform import untrusted
from sealhub.platform.actor import system_in
from sealhub.platform.cache import hit
from sealhub.platform.errors import RateLimited
from sealhub.platform.runtime import Runtime
from sealhub.storage import service as storage_service

VERIFY_MAX_BYTES = 20 * 1024 * 1024
VERIFY_SECONDS = 30.0


async def throttle(runtime: Runtime, ip: str | None, what: str = "verify") -> None:
    """Public routes: a fixed rate per client address, like sign-in's."""
    if not ip:
        return
    ok, retry = await hit(
        runtime.cache,
        f"esign:{what}:ip:{ip}",
        runtime.settings.login_per_ip_per_minute,
        timedelta(minutes=1),
    )
    if not ok:
        raise RateLimited(retry_after=int(retry) or 1)


async def verify_pdf(session: AsyncSession, runtime: Runtime, data: bytes) -> VerifyReport:
    """The report of every signature in `data`, trusting the platform's CAs."""
    roots = [pem.encode() for pem in await repo_mod.all_ca_certificates(session)]
    limits = dataclasses.replace(
        untrusted.default_limits(),
        seconds=VERIFY_SECONDS,
        memory_mb=max(untrusted.default_limits().memory_mb, 1024),
        max_input_bytes=VERIFY_MAX_BYTES,
    )
    raw: dict[str, Any] = await untrusted.run(engine.verify_pdf, data, roots, limits=limits)
    return await _report(session, raw)


async def _report(session: AsyncSession, raw: dict[str, Any]) -> VerifyReport:
    sigs = [SignatureReport.model_validate(s) for s in raw["signatures"]]
    serials = [s.signer.serial for s in sigs if s.signer is not None]
    known = {c.serial: c for c in await repo_mod.certificates_by_serials(session, serials)}
    for s in sigs:
        cert = known.get(s.signer.serial) if s.signer is not None else None
        if cert is None:
            continue
        s.seal_id = cert.seal_id
        s.seal_name = s.signer.common_name or "" if s.signer else ""
        if cert.status == CertificateStatus.REVOKED and cert.revoked_at is not None:
            s.revoked_at = cert.revoked_at.isoformat()
            s.revocation_reason = cert.revocation_reason
            signed_at = datetime.fromisoformat(s.signing_time) if s.signing_time else None
            # a signature claimed before the revocation stays good; one after it is not
            if signed_at is None or signed_at >= cert.revoked_at:
                s.revocation = "revoked"
                s.ok = False
                s.problems = [*s.problems, "revoked"]
            else:
                s.revocation = "good"
        elif s.revocation == "unchecked":
            s.revocation = "good"
    signed = bool(sigs)
    made = await repo_mod.sealing_by_sha256(session, raw["sha256"])
    return VerifyReport(
        sha256=raw["sha256"],
        file_type=raw["file_type"],
        readable=raw["readable"],
        error=raw.get("error"),
        signed=signed,
        ok=raw["readable"] and signed and all(s.ok for s in sigs),
        trusted=signed and all(s.trusted for s in sigs),
        signatures=sigs,
        sealing_id=made.id if made else None,
    )


async def verify_token(session: AsyncSession, runtime: Runtime, token: str) -> VerifyReport:
    """The report of a document the platform sealed, named by its QR code's token."""
    row = await repo_mod.sealing_by_token(session, token)
    if row is None:
        raise SealingNotFound()
    _, data = await storage_service.get(
        session, runtime, system_in(row.org_id), row.sealed_object_id
    )
    return await verify_pdf(session, runtime, data)


untrusted.preload("sealhub.esign.service.engine")
