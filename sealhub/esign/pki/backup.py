"""Encrypted backup of an organisation's CA and its seal keys: one password-protected blob.

Format: b"SHBK1" | salt(16) | nonce(12) | AES-256-GCM(JSON), the key from scrypt(password).
The JSON holds PEM certificates and PKCS#8 keys; the header is authenticated as AAD."""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from sealhub.esign.keys.file import FileKey
from sealhub.esign.pki.ca import CertificateAuthority, Endpoints, cert_pem
from sealhub.platform.errors import AppError

MAGIC = b"SHBK1"
_SCRYPT_N = 2**15
_MAX_BLOB = 64 * 1024 * 1024


class BackupInvalid(AppError):
    code = "esign.backup_invalid"
    status = 422
    zh = "备份文件无效或口令错误"
    en = "The backup is invalid or the password is wrong"


@dataclass
class SealKeyEntry:
    """One e-seal's key and its certificates (current first, older ones kept for history)."""

    key: FileKey
    certificates: list[x509.Certificate]


@dataclass
class Backup:
    ca: CertificateAuthority
    seals: dict[str, SealKeyEntry] = field(default_factory=dict)


def _kdf(password: bytes, salt: bytes) -> bytes:
    return Scrypt(salt=salt, length=32, n=_SCRYPT_N, r=8, p=1).derive(password)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def export_backup(backup: Backup, password: bytes) -> bytes:
    if len(password) < 8:
        raise BackupInvalid(detail="password shorter than 8 bytes")
    ca = backup.ca
    doc = {
        "version": 1,
        "ca": {
            "root_cert": cert_pem(ca.root_cert).decode(),
            "root_key": _b64(ca.root_key.pkcs8_der()) if ca.root_key else None,
            "issuing_cert": cert_pem(ca.issuing_cert).decode(),
            "issuing_key": _b64(ca.issuing_key.pkcs8_der()),
            "endpoints": {
                "crl_url": ca.endpoints.crl_url,
                "ocsp_url": ca.endpoints.ocsp_url,
                "ca_issuers_url": ca.endpoints.ca_issuers_url,
            },
        },
        "seals": {
            seal_id: {
                "key": _b64(entry.key.pkcs8_der()),
                "certificates": [cert_pem(c).decode() for c in entry.certificates],
            }
            for seal_id, entry in backup.seals.items()
        },
    }
    salt, nonce = os.urandom(16), os.urandom(12)
    header = MAGIC + salt + nonce
    body = AESGCM(_kdf(password, salt)).encrypt(nonce, json.dumps(doc).encode(), header)
    return header + body


def restore_backup(blob: bytes, password: bytes) -> Backup:
    if len(blob) > _MAX_BLOB or not blob.startswith(MAGIC) or len(blob) < len(MAGIC) + 28 + 16:
        raise BackupInvalid()
    header = blob[: len(MAGIC) + 28]
    salt, nonce = header[len(MAGIC) : len(MAGIC) + 16], header[len(MAGIC) + 16 :]
    try:
        plain = AESGCM(_kdf(password, salt)).decrypt(nonce, blob[len(header) :], header)
        doc = json.loads(plain)
        c = doc["ca"]
        ep = c["endpoints"]
        ca = CertificateAuthority(
            root_cert=x509.load_pem_x509_certificate(c["root_cert"].encode()),
            root_key=FileKey.from_pkcs8(base64.b64decode(c["root_key"])) if c["root_key"] else None,
            issuing_cert=x509.load_pem_x509_certificate(c["issuing_cert"].encode()),
            issuing_key=FileKey.from_pkcs8(base64.b64decode(c["issuing_key"])),
            endpoints=Endpoints(ep["crl_url"], ep["ocsp_url"], ep["ca_issuers_url"]),
        )
        seals = {
            seal_id: SealKeyEntry(
                key=FileKey.from_pkcs8(base64.b64decode(entry["key"])),
                certificates=[
                    x509.load_pem_x509_certificate(p.encode()) for p in entry["certificates"]
                ],
            )
            for seal_id, entry in doc["seals"].items()
        }
    except (InvalidTag, ValueError, KeyError, TypeError) as exc:
        raise BackupInvalid() from exc
    return Backup(ca, seals)
