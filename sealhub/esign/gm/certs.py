"""SM2 X.509 certificates: parse, check the issuer's SM2-with-SM3 signature, issue.

`cryptography` cannot hold SM2 keys, so certificates are built and read with `asn1crypto`
and signed with Tongsuo. An organisation's SM2 branch is a root and an issuing CA (both SM2)
issuing seal-maker and signer certificates with key usage non-repudiation.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from asn1crypto import core as asn1
from asn1crypto import keys as asn1_keys
from asn1crypto import pem as asn1_pem
from asn1crypto import x509

from sealhub.esign.gm.errors import GmKeyInvalid
from sealhub.esign.gm.sm2 import (
    SM2_CURVE_OID,
    SM2_WITH_SM3_OID,
    Sm2PrivateKey,
    Sm2PublicKey,
)

EC_PUBLIC_KEY_OID = "1.2.840.10045.2.1"


@dataclass(frozen=True)
class Sm2Certificate:
    """A parsed certificate; `public_key` is set when its key is SM2."""

    der: bytes
    cert: x509.Certificate = field(repr=False, compare=False)
    subject: str
    issuer: str
    serial: int
    not_before: datetime
    not_after: datetime
    public_key: Sm2PublicKey | None = field(repr=False, compare=False)
    signature_oid: str
    is_ca: bool

    @property
    def fingerprint_sm3(self) -> str:
        """Hex SM3 of the DER (the way GB/T 38540 certDigestList names certificates)."""
        return hashlib.new("sm3", self.der).hexdigest()

    def pem(self) -> bytes:
        """PEM armour."""
        return bytes(asn1_pem.armor("CERTIFICATE", self.der))


def load_certificate(data: bytes) -> Sm2Certificate:
    """Parse DER or PEM; any malformation raises `esign.sm2_key_invalid`."""
    if asn1_pem.detect(data):
        try:
            _, _, data = asn1_pem.unarmor(data)
        except (ValueError, TypeError) as exc:
            raise GmKeyInvalid(reason="bad_certificate") from exc
    return _load_der(bytes(data))


@functools.lru_cache(maxsize=512)
def _load_der(data: bytes) -> Sm2Certificate:
    # seals and signatures carry the same few certificates again and again: parse once
    try:
        cert = x509.Certificate.load(data, strict=True)
        tbs = cert["tbs_certificate"]
        spki = tbs["subject_public_key_info"]
        algo = spki["algorithm"]
        public_key: Sm2PublicKey | None = None
        if algo["algorithm"].dotted == EC_PUBLIC_KEY_OID:
            params = algo["parameters"]
            if params.name == "named" and params.chosen.dotted == SM2_CURVE_OID:
                public_key = Sm2PublicKey.from_point(bytes(spki["public_key"].contents[1:]))
        bc = cert.basic_constraints_value
        return Sm2Certificate(
            der=bytes(data),
            cert=cert,
            subject=tbs["subject"].human_friendly,
            issuer=tbs["issuer"].human_friendly,
            serial=int(tbs["serial_number"].native),
            not_before=tbs["validity"]["not_before"].native,
            not_after=tbs["validity"]["not_after"].native,
            public_key=public_key,
            signature_oid=cert["signature_algorithm"]["algorithm"].dotted,
            is_ca=bool(bc is not None and bc["ca"].native),
        )
    except GmKeyInvalid:
        raise
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise GmKeyInvalid(reason="bad_certificate") from exc


def issued_by(cert: Sm2Certificate, issuer: Sm2Certificate) -> bool:
    """True when `issuer`'s SM2 key made `cert`'s SM2-with-SM3 signature and names match."""
    if issuer.public_key is None or cert.signature_oid != SM2_WITH_SM3_OID:
        return False
    if cert.cert["tbs_certificate"]["issuer"] != issuer.cert["tbs_certificate"]["subject"]:
        return False
    tbs = cert.cert["tbs_certificate"].dump()
    return issuer.public_key.verify(bytes(cert.cert["signature_value"].native), tbs)


def chain_problems(
    cert: Sm2Certificate,
    intermediates: Sequence[Sm2Certificate],
    roots: Sequence[Sm2Certificate],
    at: datetime,
) -> list[str]:
    """Problems (codes) building a path from `cert` to one of `roots`; empty when trusted."""
    problems: list[str] = []
    current = cert
    pool = list(intermediates) + list(roots)
    for _ in range(8):
        if not current.not_before <= at <= current.not_after:
            problems.append("expired")
        if any(current.der == r.der for r in roots):
            return problems
        parent = next((c for c in pool if c.der != current.der and issued_by(current, c)), None)
        if parent is None:
            problems.append("untrusted")
            return problems
        if not parent.is_ca:
            problems.append("issuer_not_ca")
        current = parent
    problems.append("untrusted")
    return problems


def _spki(public_key: Sm2PublicKey) -> asn1_keys.PublicKeyInfo:
    return asn1_keys.PublicKeyInfo(
        {
            "algorithm": asn1_keys.PublicKeyAlgorithm(
                {
                    "algorithm": EC_PUBLIC_KEY_OID,
                    "parameters": asn1_keys.ECDomainParameters(name="named", value=SM2_CURVE_OID),
                }
            ),
            "public_key": asn1_keys.ECPointBitString(public_key.point),
        }
    )


def name(
    common_name: str, organization: str | None = None, unit_code: str | None = None
) -> x509.Name:
    """A distinguished name: CN, O and (for a seal) the unified social credit code as serial."""
    attrs: dict[str, str] = {"country_name": "CN"}
    if organization:
        attrs["organization_name"] = organization
    if unit_code:
        attrs["serial_number"] = unit_code
    attrs["common_name"] = common_name
    return x509.Name.build(attrs, use_printable=False)


def issue(
    issuer_key: Sm2PrivateKey,
    issuer: Sm2Certificate | x509.Name,
    subject: x509.Name,
    public_key: Sm2PublicKey,
    *,
    serial: int,
    not_before: datetime,
    not_after: datetime,
    ca: bool = False,
) -> Sm2Certificate:
    """Issue an SM2 certificate (self-signed when `issuer` is a Name equal to `subject`)."""
    issuer_name = issuer if isinstance(issuer, x509.Name) else issuer.cert.subject
    ski = hashlib.sha1(public_key.point).digest()  # noqa: S324 - RFC 5280 key id method 1
    if isinstance(issuer, x509.Name):
        aki = (
            ski
            if issuer_name == subject
            else hashlib.sha1(  # noqa: S324
                issuer_key.public_key().point
            ).digest()
        )
    else:
        aki = (
            issuer.cert.key_identifier
            or hashlib.sha1(  # noqa: S324
                issuer.public_key.point if issuer.public_key else b""
            ).digest()
        )
    key_usage = {"key_cert_sign", "crl_sign"} if ca else {"digital_signature", "non_repudiation"}
    extensions = [
        {
            "extn_id": "basic_constraints",
            "critical": True,
            "extn_value": x509.BasicConstraints({"ca": ca}),
        },
        {"extn_id": "key_usage", "critical": True, "extn_value": x509.KeyUsage(key_usage)},
        {"extn_id": "key_identifier", "critical": False, "extn_value": asn1.OctetString(ski)},
        {
            "extn_id": "authority_key_identifier",
            "critical": False,
            "extn_value": x509.AuthorityKeyIdentifier({"key_identifier": aki}),
        },
    ]
    algorithm = {"algorithm": SM2_WITH_SM3_OID}
    tbs = x509.TbsCertificate(
        {
            "version": "v3",
            "serial_number": serial,
            "signature": algorithm,
            "issuer": issuer_name,
            "validity": {
                "not_before": x509.Time(name="utc_time", value=not_before),
                "not_after": x509.Time(
                    name="utc_time" if not_after.year < 2050 else "general_time", value=not_after
                ),
            },
            "subject": subject,
            "subject_public_key_info": _spki(public_key),
            "extensions": extensions,
        }
    )
    signature = issuer_key.sign(tbs.dump())
    cert = x509.Certificate(
        {"tbs_certificate": tbs, "signature_algorithm": algorithm, "signature_value": signature}
    )
    return load_certificate(cert.dump())
