"""Revocation: CRLs and an OCSP responder core (request bytes → response bytes)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509 import ocsp

from sealhub.esign.pki.ca import CertificateAuthority, _sign_hash


class RevocationReason(StrEnum):
    """RFC 5280 reasons the platform uses: a lost seal is keyCompromise."""

    UNSPECIFIED = "unspecified"
    KEY_COMPROMISE = "key_compromise"
    SUPERSEDED = "superseded"
    CESSATION_OF_OPERATION = "cessation_of_operation"
    AFFILIATION_CHANGED = "affiliation_changed"

    @property
    def x509(self) -> x509.ReasonFlags:
        return x509.ReasonFlags[self.value]


@dataclass(frozen=True)
class Revoked:
    serial: int
    revoked_at: dt.datetime
    reason: RevocationReason = RevocationReason.UNSPECIFIED


def build_crl(
    ca: CertificateAuthority,
    revoked: Iterable[Revoked],
    *,
    now: dt.datetime,
    number: int,
    next_update: dt.timedelta = dt.timedelta(days=7),
) -> bytes:
    """A DER CRL of the issuing CA listing the revoked certificates."""
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.issuing_cert.subject)
        .last_update(now)
        .next_update(now + next_update)
        .add_extension(x509.CRLNumber(number), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.issuing_cert.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
    )
    for item in revoked:
        entry = (
            x509.RevokedCertificateBuilder()
            .serial_number(item.serial)
            .revocation_date(item.revoked_at)
        )
        if item.reason is not RevocationReason.UNSPECIFIED:
            entry = entry.add_extension(x509.CRLReason(item.reason.x509), critical=False)
        builder = builder.add_revoked_certificate(entry.build())
    crl = builder.sign(ca.issuing_key.private_key, _sign_hash(ca.issuing_key))
    return crl.public_bytes(serialization.Encoding.DER)


@dataclass(frozen=True)
class CertStatus:
    """What the platform knows about one serial of this CA."""

    known: bool
    revoked: Revoked | None = None


StatusLookup = Callable[[int], CertStatus]


def ocsp_respond(
    ca: CertificateAuthority,
    request_der: bytes,
    lookup: StatusLookup,
    *,
    now: dt.datetime,
    validity: dt.timedelta = dt.timedelta(hours=12),
) -> bytes:
    """Answer one OCSP request for a certificate of the issuing CA, signed by that CA.

    Unknown serials get "unknown"; an unparsable request gets malformedRequest; a request
    for another issuer gets unauthorized (RFC 6960 §2.3)."""
    try:
        request = ocsp.load_der_ocsp_request(request_der)
        serial = request.serial_number
        issuer_key_hash = request.issuer_key_hash
        hash_algorithm = request.hash_algorithm
    except (ValueError, TypeError):
        return _error(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
    expected = (
        ocsp.OCSPRequestBuilder()
        .add_certificate(ca.issuing_cert, ca.issuing_cert, hash_algorithm)
        .build()
    )
    if expected.issuer_key_hash != issuer_key_hash:
        return _error(ocsp.OCSPResponseStatus.UNAUTHORIZED)
    status = lookup(serial)
    builder = ocsp.OCSPResponseBuilder()
    if not status.known:
        cert_status, rev_time, rev_reason = ocsp.OCSPCertStatus.UNKNOWN, None, None
    elif status.revoked is not None:
        cert_status = ocsp.OCSPCertStatus.REVOKED
        rev_time = status.revoked.revoked_at
        rev_reason = (
            None
            if status.revoked.reason is RevocationReason.UNSPECIFIED
            else status.revoked.reason.x509
        )
    else:
        cert_status, rev_time, rev_reason = ocsp.OCSPCertStatus.GOOD, None, None
    builder = builder.add_response_by_hash(
        issuer_name_hash=request.issuer_name_hash,
        issuer_key_hash=issuer_key_hash,
        serial_number=serial,
        algorithm=hash_algorithm,
        cert_status=cert_status,
        this_update=now,
        next_update=now + validity,
        revocation_time=rev_time,
        revocation_reason=rev_reason,
    ).responder_id(ocsp.OCSPResponderEncoding.HASH, ca.issuing_cert)
    for ext in request.extensions:
        if isinstance(ext.value, x509.OCSPNonce):
            builder = builder.add_extension(ext.value, critical=False)
    response = builder.sign(ca.issuing_key.private_key, _sign_hash(ca.issuing_key))
    return response.public_bytes(serialization.Encoding.DER)


def _error(status: ocsp.OCSPResponseStatus) -> bytes:
    return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(
        serialization.Encoding.DER
    )
