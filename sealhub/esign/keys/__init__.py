"""Signing keys behind one port: file keys (encrypted under the master key) and PKCS#11."""

from sealhub.esign.keys.file import FileKey, SealedKey
from sealhub.esign.keys.port import (
    DIGEST,
    KeyAlgorithm,
    KeyUnavailable,
    KeyUnsupported,
    SigningKey,
    mechanism,
)

__all__ = [
    "DIGEST",
    "FileKey",
    "KeyAlgorithm",
    "KeyUnavailable",
    "KeyUnsupported",
    "SealedKey",
    "SigningKey",
    "mechanism",
]
