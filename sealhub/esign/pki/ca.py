"""An organisation's CA (root + issuing CA) and the certificates it issues to e-seals,
its TSA and OCSP responder. Pure functions over keys and certificates; the clock is passed in."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, mldsa, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

from sealhub.esign.keys.file import FileKey
from sealhub.esign.keys.port import KeyAlgorithm, SigningKey
from sealhub.platform.errors import AppError

ORGANIZATION_IDENTIFIER = x509.ObjectIdentifier("2.5.4.97")


class CaImportFailed(AppError):
    code = "esign.ca_import_failed"
    status = 422
    zh = "无法导入 CA：{reason}"
    en = "Cannot import the CA: {reason}"
    reasons = {  # noqa: RUF012 - AppError declares it ClassVar
        "unreadable": ("文件或口令错误", "wrong file or password"),
        "not_ca": ("证书不是 CA 证书", "the certificate is not a CA certificate"),
        "key_mismatch": ("私钥与证书不匹配", "the private key does not match the certificate"),
    }


@dataclass(frozen=True)
class Endpoints:
    """Where relying parties fetch revocation data (written into issued certificates)."""

    crl_url: str | None = None
    ocsp_url: str | None = None
    ca_issuers_url: str | None = None


@dataclass
class CertificateAuthority:
    """Root and issuing CA. The issuing CA signs seal, TSA and OCSP certificates and CRLs."""

    root_cert: x509.Certificate
    root_key: FileKey | None  # None when only the issuing CA was imported
    issuing_cert: x509.Certificate
    issuing_key: FileKey
    endpoints: Endpoints = field(default_factory=Endpoints)

    @property
    def chain(self) -> list[x509.Certificate]:
        """Issuing CA then root (what a signer embeds besides its own certificate)."""
        if self.root_cert == self.issuing_cert:
            return [self.root_cert]
        return [self.issuing_cert, self.root_cert]


def _name(cn: str, org: str | None = None, credit_code: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "CN")]
    if org:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    if credit_code:
        # unified social credit code (统一社会信用代码) as organizationIdentifier (EN 319 412-1)
        attrs.append(x509.NameAttribute(ORGANIZATION_IDENTIFIER, f"NTRCN-{credit_code}"))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(attrs)


def _sign_hash(key: FileKey) -> hashes.SHA256 | None:
    if key.algorithm is KeyAlgorithm.ML_DSA_65:
        return None  # ML-DSA signs the message itself
    return hashes.SHA256()


def _serial() -> int:
    return secrets.randbits(159) | 1


def _ski(public_key: x509.Certificate | bytes) -> x509.SubjectKeyIdentifier:
    if isinstance(public_key, x509.Certificate):
        return x509.SubjectKeyIdentifier.from_public_key(public_key.public_key())
    return x509.SubjectKeyIdentifier.from_public_key(
        serialization.load_der_public_key(public_key)  # type: ignore[arg-type]
    )


def _public_key(spki: bytes) -> CertificatePublicKeyTypes:
    key = serialization.load_der_public_key(spki)
    assert isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey | mldsa.MLDSA65PublicKey)
    return key


def _ca_cert(
    subject: x509.Name,
    issuer: x509.Name,
    subject_key: FileKey,
    signer: FileKey,
    issuer_cert: x509.Certificate | None,
    now: dt.datetime,
    years: int,
    path_length: int | None,
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(_public_key(subject_key.public_key_der()))
        .serial_number(_serial())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(_ski(subject_key.public_key_der()), critical=False)
    )
    if issuer_cert is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_cert.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
    return builder.sign(signer.private_key, _sign_hash(signer))


def create_ca(
    org_name: str,
    credit_code: str,
    *,
    now: dt.datetime,
    algorithm: KeyAlgorithm = KeyAlgorithm.EC_P256,
    endpoints: Endpoints | None = None,
) -> CertificateAuthority:
    """A new root (20 years) and issuing CA (10 years) for the organisation."""
    root_key = FileKey.generate(algorithm)
    issuing_key = FileKey.generate(algorithm)
    root_name = _name(f"{org_name} 根CA", org_name, credit_code)
    issuing_name = _name(f"{org_name} 电子印章CA", org_name, credit_code)
    root = _ca_cert(root_name, root_name, root_key, root_key, None, now, 20, 1)
    issuing = _ca_cert(issuing_name, root_name, issuing_key, root_key, root, now, 10, 0)
    return CertificateAuthority(root, root_key, issuing, issuing_key, endpoints or Endpoints())


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def _matches(cert: x509.Certificate, key: FileKey) -> bool:
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return spki == key.public_key_der()


def import_ca_pkcs12(
    data: bytes, password: bytes | None, *, endpoints: Endpoints | None = None
) -> CertificateAuthority:
    """An existing issuing CA from PKCS#12 (its key and certificate, plus the chain up to
    the root in the additional certificates, when present)."""
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(data, password)
    except (ValueError, TypeError) as exc:
        raise CaImportFailed(reason="unreadable") from exc
    if key is None or cert is None:
        raise CaImportFailed(reason="unreadable")
    return _imported(cert, FileKey(key), list(extra), endpoints)


def import_ca_pem(
    cert_pem: bytes,
    key_pem: bytes,
    password: bytes | None = None,
    *,
    endpoints: Endpoints | None = None,
) -> CertificateAuthority:
    """An existing issuing CA from PEM: its certificate first, then the chain to the root."""
    try:
        certs = x509.load_pem_x509_certificates(cert_pem)
        key = FileKey.from_pkcs8(key_pem, password)
    except (ValueError, TypeError) as exc:
        raise CaImportFailed(reason="unreadable") from exc
    return _imported(certs[0], key, certs[1:], endpoints)


def _imported(
    cert: x509.Certificate,
    key: FileKey,
    chain: list[x509.Certificate],
    endpoints: Endpoints | None,
) -> CertificateAuthority:
    if not _is_ca(cert):
        raise CaImportFailed(reason="not_ca")
    if not _matches(cert, key):
        raise CaImportFailed(reason="key_mismatch")
    roots = [c for c in chain if c.subject == c.issuer]
    root = roots[0] if roots else cert
    return CertificateAuthority(root, None, cert, key, endpoints or Endpoints())


def export_ca_pkcs12(ca: CertificateAuthority, password: bytes) -> bytes:
    """The issuing CA's key and certificate with its chain, as password-protected PKCS#12."""
    return pkcs12.serialize_key_and_certificates(
        b"sealhub-ca",
        ca.issuing_key.private_key,  # type: ignore[arg-type]
        ca.issuing_cert,
        [ca.root_cert] if ca.root_cert != ca.issuing_cert else None,
        serialization.BestAvailableEncryption(password),
    )


def _end_entity(
    ca: CertificateAuthority,
    subject: x509.Name,
    spki: bytes,
    *,
    not_before: dt.datetime,
    not_after: dt.datetime,
    key_usage: x509.KeyUsage,
    eku: list[x509.ObjectIdentifier] | None = None,
    eku_critical: bool = False,
    revocation_pointers: bool = True,
    serial: int | None = None,
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca.issuing_cert.subject)
        .public_key(_public_key(spki))
        .serial_number(serial or _serial())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(key_usage, critical=True)
        .add_extension(_ski(spki), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.issuing_cert.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
    )
    if eku:
        builder = builder.add_extension(x509.ExtendedKeyUsage(eku), critical=eku_critical)
    ep = ca.endpoints
    if revocation_pointers and ep.crl_url:
        builder = builder.add_extension(
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        [x509.UniformResourceIdentifier(ep.crl_url)], None, None, None
                    )
                ]
            ),
            critical=False,
        )
    access = []
    if revocation_pointers and ep.ocsp_url:
        access.append(
            x509.AccessDescription(
                AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ep.ocsp_url)
            )
        )
    if ep.ca_issuers_url:
        access.append(
            x509.AccessDescription(
                AuthorityInformationAccessOID.CA_ISSUERS,
                x509.UniformResourceIdentifier(ep.ca_issuers_url),
            )
        )
    if access:
        builder = builder.add_extension(x509.AuthorityInformationAccess(access), critical=False)
    return builder.sign(ca.issuing_key.private_key, _sign_hash(ca.issuing_key))


_SIGNING_USAGE = x509.KeyUsage(
    digital_signature=True,
    content_commitment=True,  # non-repudiation
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=False,
    crl_sign=False,
    encipher_only=False,
    decipher_only=False,
)


def issue_seal_certificate(
    ca: CertificateAuthority,
    key: SigningKey,
    *,
    seal_name: str,
    org_name: str,
    credit_code: str,
    now: dt.datetime,
    days: int = 365 * 2,
) -> x509.Certificate:
    """The certificate of one e-seal: CN = seal name, O = organisation, organizationIdentifier
    = the unified social credit code; key usage digitalSignature + nonRepudiation."""
    return _end_entity(
        ca,
        _name(seal_name, org_name, credit_code),
        key.public_key_der(),
        not_before=now - dt.timedelta(minutes=5),
        not_after=now + dt.timedelta(days=days),
        key_usage=_SIGNING_USAGE,
        eku=[
            ExtendedKeyUsageOID.EMAIL_PROTECTION,
            x509.ObjectIdentifier("1.3.6.1.4.1.311.10.3.12"),
        ],
    )


def renew_seal_certificate(
    ca: CertificateAuthority,
    old: x509.Certificate,
    key: SigningKey,
    *,
    now: dt.datetime,
    days: int = 365 * 2,
) -> x509.Certificate:
    """A new certificate for the same seal (same subject), over the same or a new key."""
    usage = old.extensions.get_extension_for_class(x509.KeyUsage).value
    return _end_entity(
        ca,
        old.subject,
        key.public_key_der(),
        not_before=now - dt.timedelta(minutes=5),
        not_after=now + dt.timedelta(days=days),
        key_usage=usage,
        eku=[
            ExtendedKeyUsageOID.EMAIL_PROTECTION,
            x509.ObjectIdentifier("1.3.6.1.4.1.311.10.3.12"),
        ],
    )


def issue_tsa_certificate(
    ca: CertificateAuthority, key: SigningKey, *, name: str, now: dt.datetime, days: int = 365 * 5
) -> x509.Certificate:
    """A timestamping certificate (EKU timeStamping, critical, as RFC 3161 requires)."""
    return _end_entity(
        ca,
        _name(name, _org_of(ca.issuing_cert)),
        key.public_key_der(),
        not_before=now - dt.timedelta(minutes=5),
        not_after=now + dt.timedelta(days=days),
        key_usage=_SIGNING_USAGE,
        eku=[ExtendedKeyUsageOID.TIME_STAMPING],
        eku_critical=True,
    )


def _org_of(cert: x509.Certificate) -> str | None:
    attrs = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    return str(attrs[0].value) if attrs else None


def cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)
