"""Tenant-bound queries on CAs, certificates, e-seal applications and sealings."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from sealhub.esign.errors import (
    ApplicationNotFound,
    CaNotFound,
    CertificateNotFound,
    SealingNotFound,
)
from sealhub.esign.models import EsealApplication, OrgCa, SealCertificate, Sealing
from sealhub.esign.policy import CertificateStatus
from sealhub.platform.db.repository import TenantRepository, page


class CaRepository(TenantRepository[OrgCa]):
    model = OrgCa
    not_found = CaNotFound

    async def active(self) -> OrgCa | None:
        stmt = self.tenant().where(OrgCa.active.is_(True)).order_by(OrgCa.created_at.desc())
        return (await self.session.execute(stmt.limit(1))).scalar_one_or_none()


class CertificateRepository(TenantRepository[SealCertificate]):
    model = SealCertificate
    not_found = CertificateNotFound

    async def search(
        self, *, seal_id: uuid.UUID | None, status: str | None, offset: int, limit: int
    ) -> tuple[list[SealCertificate], int]:
        stmt = self.readable()
        if seal_id:
            stmt = stmt.where(SealCertificate.seal_id == seal_id)
        if status:
            stmt = stmt.where(SealCertificate.status == status)
        return await page(self.session, stmt, [SealCertificate.created_at.desc()], offset, limit)

    async def current_for_seal(self, seal_id: uuid.UUID) -> SealCertificate | None:
        stmt = (
            self.tenant()
            .where(SealCertificate.seal_id == seal_id)
            .where(SealCertificate.status == CertificateStatus.VALID)
            .order_by(SealCertificate.created_at.desc())
        )
        return (await self.session.execute(stmt.limit(1))).scalar_one_or_none()

    async def live_for_seal(self, seal_id: uuid.UUID) -> list[SealCertificate]:
        """Certificates of the seal not yet revoked (valid or superseded by a renewal)."""
        stmt = self.tenant().where(
            SealCertificate.seal_id == seal_id,
            SealCertificate.status.in_([CertificateStatus.VALID, CertificateStatus.SUPERSEDED]),
        )
        return list((await self.session.execute(stmt)).scalars())

    async def revoked_of_ca(self, ca_id: uuid.UUID) -> list[SealCertificate]:
        stmt = self.tenant().where(
            SealCertificate.ca_id == ca_id, SealCertificate.status == CertificateStatus.REVOKED
        )
        return list((await self.session.execute(stmt)).scalars())

    async def expiring(self, before: datetime) -> list[SealCertificate]:
        stmt = self.tenant().where(
            SealCertificate.status == CertificateStatus.VALID,
            SealCertificate.not_after < before,
        )
        return list((await self.session.execute(stmt)).scalars())


class ApplicationRepository(TenantRepository[EsealApplication]):
    model = EsealApplication
    scope_unit = "unit_id"
    scope_owner = "applicant_id"
    not_found = ApplicationNotFound

    async def search(
        self, *, status: str | None, order: Sequence[Any], offset: int, limit: int
    ) -> tuple[list[EsealApplication], int]:
        stmt = self.readable()
        if status:
            stmt = stmt.where(EsealApplication.status == status)
        return await page(self.session, stmt, order, offset, limit)


class SealingRepository(TenantRepository[Sealing]):
    # visibility follows the application's (checked by the service through requests)
    model = Sealing
    not_found = SealingNotFound

    async def for_request(self, request_id: uuid.UUID) -> list[Sealing]:
        stmt = self.tenant().where(Sealing.request_id == request_id).order_by(Sealing.created_at)
        return list((await self.session.execute(stmt)).scalars())


# ---- across organisations: the public routes and the system's sweeps ----

_BY_TOKEN = select(Sealing).where(Sealing.verify_token == bindparam("t"))


async def sealing_by_token(session: AsyncSession, token: str) -> Sealing | None:
    """The sealing a verification link names (any organisation: the token is the secret)."""
    return (await session.execute(_BY_TOKEN, {"t": token})).scalar_one_or_none()


async def certificates_by_serials(
    session: AsyncSession, serials: list[str]
) -> list[SealCertificate]:
    """Platform-issued certificates with these serials (hex), for a public verification."""
    if not serials:
        return []
    stmt = select(SealCertificate).where(SealCertificate.serial.in_(serials))
    return list((await session.execute(stmt)).scalars())


async def all_ca_certificates(session: AsyncSession) -> list[str]:
    """Every active organisation's root CA certificate (PEM): the trust roots of verification."""
    stmt = select(OrgCa.root_cert_pem).where(OrgCa.active.is_(True))
    return list((await session.execute(stmt)).scalars())


async def ca_by_id(session: AsyncSession, ca_id: uuid.UUID) -> OrgCa | None:
    stmt = select(OrgCa).where(OrgCa.id == ca_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def orgs_with_cas(session: AsyncSession) -> list[uuid.UUID]:
    stmt = select(OrgCa.org_id).where(OrgCa.active.is_(True)).distinct()
    return list((await session.execute(stmt)).scalars())


_BY_SHA = select(Sealing).where(Sealing.sha256 == bindparam("h"))


async def sealing_by_sha256(session: AsyncSession, sha256: str) -> Sealing | None:
    """The platform's sealing that produced exactly these bytes, if any."""
    return (await session.execute(_BY_SHA.limit(1), {"h": sha256})).scalars().first()
