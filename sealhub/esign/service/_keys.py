"""Private keys at rest: esigncore's FileKey sealed under the master key, bound to its row.

An HSM key (`pkcs11:` reference) never passes through here: esigncore's PKCS#11 key signs
in place."""

from __future__ import annotations

import uuid

from sealhub.esign.keys import FileKey, KeyAlgorithm, SealedKey
from sealhub.platform.crypto import Envelope

FILE_KEY = "file:envelope"


def seal_key(envelope: Envelope, owner_id: uuid.UUID, key: FileKey) -> tuple[bytes, bytes]:
    """(ciphertext, wrapped data key) of a private key, bound to its row's id."""
    sealed = key.seal(envelope, owner_id.bytes)
    return sealed.ciphertext, sealed.wrapped_key


def open_key(
    envelope: Envelope,
    owner_id: uuid.UUID,
    algorithm: str,
    ciphertext: bytes | None,
    wrapped: bytes | None,
) -> FileKey:
    assert ciphertext is not None and wrapped is not None, "a file key has its ciphertext"
    return FileKey.open(
        envelope, SealedKey(KeyAlgorithm(algorithm), ciphertext, wrapped), owner_id.bytes
    )
