"""Private keys at rest: PEM sealed under the master key (the `file:` key store).

An HSM key (`pkcs11:` reference) never passes through here; esigncore's key port signs
with it in place."""

from __future__ import annotations

import uuid

from sealhub.platform.crypto import Envelope, Sealed

FILE_KEY = "file:envelope"


def _aad(owner_id: uuid.UUID) -> bytes:
    return b"sealhub-esign-key:" + owner_id.bytes


def seal_key(envelope: Envelope, owner_id: uuid.UUID, pem: bytes) -> tuple[bytes, bytes]:
    """(ciphertext, wrapped data key) of a private key bound to its row's id."""
    sealed = envelope.seal(pem, _aad(owner_id))
    return sealed.ciphertext, sealed.wrapped_key


def open_key(envelope: Envelope, owner_id: uuid.UUID, ciphertext: bytes, wrapped: bytes) -> bytes:
    return envelope.open(Sealed(ciphertext=ciphertext, wrapped_key=wrapped), _aad(owner_id))
