"""The one signing-key port: a key signs bytes (or, where the algorithm allows, a digest).

Implementations: `FileKey` (private key kept encrypted under the master key) and
`Pkcs11Key` (generated and kept inside a PKCS#11 token). The `ofd` work plugs SM2 in by
adding `KeyAlgorithm.SM2` handling and an implementation of this protocol.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol, runtime_checkable

from sealhub.platform.errors import AppError


class KeyAlgorithm(StrEnum):
    RSA_2048 = "rsa2048"
    RSA_3072 = "rsa3072"
    EC_P256 = "ec_p256"
    ML_DSA_65 = "ml_dsa_65"
    SM2 = "sm2"  # implemented by the national-formats (ofd) layer


# The digest each algorithm signs with in PDFs/CMS: SHA-512 with ML-DSA-65 (its security
# level), SM3 with SM2.
DIGEST: dict[KeyAlgorithm, str] = {
    KeyAlgorithm.RSA_2048: "sha256",
    KeyAlgorithm.RSA_3072: "sha256",
    KeyAlgorithm.EC_P256: "sha256",
    KeyAlgorithm.ML_DSA_65: "sha512",
    KeyAlgorithm.SM2: "sm3",
}

# CMS SignedDigestAlgorithm name (asn1crypto / pyHanko) for each algorithm and digest
MECHANISM: dict[KeyAlgorithm, str] = {
    KeyAlgorithm.RSA_2048: "{digest}_rsa",
    KeyAlgorithm.RSA_3072: "{digest}_rsa",
    KeyAlgorithm.EC_P256: "{digest}_ecdsa",
    KeyAlgorithm.ML_DSA_65: "mldsa65",
    KeyAlgorithm.SM2: "sm2sign_with_sm3",
}


def mechanism(algorithm: KeyAlgorithm, digest: str | None = None) -> str:
    return MECHANISM[algorithm].format(digest=digest or DIGEST[algorithm])


class KeyUnsupported(AppError):
    code = "esign.key_unsupported"
    status = 422
    zh = "该密钥类型不支持此操作：{algorithm}"
    en = "This key type does not support the operation: {algorithm}"


class KeyUnavailable(AppError):
    code = "esign.key_unavailable"
    status = 503
    zh = "签章密钥不可用"
    en = "The signing key is not available"


@runtime_checkable
class SigningKey(Protocol):
    """A private key that signs; it never hands out its private part."""

    @property
    def algorithm(self) -> KeyAlgorithm: ...

    def public_key_der(self) -> bytes:
        """SubjectPublicKeyInfo, DER."""
        ...

    def sign(self, data: bytes, digest: str | None = None) -> bytes:
        """Sign the message bytes (hashed inside with `digest`, default DIGEST[algorithm]).
        RSA: PKCS#1 v1.5; ECDSA: DER SEQUENCE{r, s}; ML-DSA: pure, no pre-hash."""
        ...

    def sign_digest(self, digest_value: bytes, digest: str) -> bytes:
        """Sign an already computed digest (RSA, ECDSA; KeyUnsupported for ML-DSA)."""
        ...
