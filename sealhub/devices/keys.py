"""The platform's Ed25519 key for downlinks (protocol §2.3), derived from the master key so
every platform process sharing it signs alike, with nothing more to distribute."""

from __future__ import annotations

from functools import lru_cache

from sealhub.devices.protocol.signing import Signer
from sealhub.platform.crypto import Envelope


@lru_cache(maxsize=8)
def _signer(seed_hex: str) -> Signer:
    return Signer.from_seed_hex(seed_hex)


def platform_signer(envelope: Envelope) -> Signer:
    return _signer(envelope.mac(b"sealhub.devices.platform-key.v1"))
