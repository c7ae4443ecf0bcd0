"""Ed25519 keys of devices and of the platform (§2.2, §2.3, §4.3, §4.4).

Signatures travel as base64url without padding. A `Verifier` caches the parsed public key:
parsing costs more than half a verification.
"""

from __future__ import annotations

import base64
import binascii

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    """A private Ed25519 key (a device's, or the platform's)."""

    __slots__ = ("_key", "public_hex")

    def __init__(self, key: Ed25519PrivateKey) -> None:
        self._key = key
        self.public_hex = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()

    @classmethod
    def from_seed(cls, seed: bytes) -> Signer:
        return cls(Ed25519PrivateKey.from_private_bytes(seed))

    @classmethod
    def from_seed_hex(cls, seed_hex: str) -> Signer:
        return cls.from_seed(bytes.fromhex(seed_hex))

    @classmethod
    def generate(cls) -> Signer:
        return cls(Ed25519PrivateKey.generate())

    def seed_hex(self) -> str:
        from cryptography.hazmat.primitives.serialization import NoEncryption, PrivateFormat

        return self._key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()).hex()

    def sign(self, data: bytes) -> str:
        return b64url(self._key.sign(data))

    def verifier(self) -> Verifier:
        return Verifier.from_hex(self.public_hex)


class Verifier:
    """A registered Ed25519 public key."""

    __slots__ = ("_key", "public_hex")

    def __init__(self, key: Ed25519PublicKey) -> None:
        self._key = key
        self.public_hex = key.public_bytes(Encoding.Raw, PublicFormat.Raw).hex()

    @classmethod
    def from_hex(cls, public_hex: str) -> Verifier:
        return cls(Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex)))

    def verify(self, data: bytes, sig: str) -> bool:
        try:
            raw = unb64url(sig)
        except (binascii.Error, ValueError):
            return False
        if len(raw) != 64 or b64url(raw) != sig:  # one spelling per signature
            return False
        try:
            self._key.verify(raw, data)
        except InvalidSignature:
            return False
        return True
