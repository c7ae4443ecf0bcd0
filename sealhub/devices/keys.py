"""The platform's device keys, derived from the master key so every platform process that
shares it signs alike with nothing more to distribute: the Ed25519 key of downlinks
(protocol §2.3) and the key of application codes (§10.1)."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from functools import lru_cache

from sealhub.devices.protocol.signing import Signer
from sealhub.platform.crypto import Envelope

_CODE_KEY: list[bytes] = []


@lru_cache(maxsize=8)
def _signer(seed_hex: str) -> Signer:
    return Signer.from_seed_hex(seed_hex)


def platform_signer(envelope: Envelope) -> Signer:
    return _signer(envelope.mac(b"sealhub.devices.platform-key.v1"))


def configure(envelope: Envelope) -> None:
    """Called once per process at start (handlers derive application codes without one)."""
    key = bytes.fromhex(envelope.mac(b"sealhub.devices.application-code.v1"))
    _CODE_KEY[:] = [key]


def application_code(request_id: uuid.UUID, item_id: uuid.UUID, person: uuid.UUID) -> str:
    """The 6-digit code a person types on the device to use one item of an application."""
    if not _CODE_KEY:
        raise RuntimeError("devices.keys.configure(envelope) was not called in this process")
    msg = f"{request_id}|{item_id}|{person}".encode()
    digest = hmac.new(_CODE_KEY[0], msg, hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 1_000_000:06d}"


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()
