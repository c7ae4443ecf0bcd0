"""SM2 file keys behind esign's one signing-key port (`sealhub.esign.keys.SigningKey`).

At rest the key is PKCS#8 DER sealed with `platform.crypto.Envelope` exactly like the other
file keys (its own AES-256-GCM data key wrapped by the master key), so backups and rotation
treat SM2 keys the same way.
"""

from __future__ import annotations

import secrets

from sealhub.esign.gm import sm2
from sealhub.esign.keys.file import SealedKey
from sealhub.esign.keys.port import KeyAlgorithm, KeyUnsupported
from sealhub.platform.crypto import Envelope, Sealed

_AAD = b"sealhub-esign-key"


class Sm2FileKey:
    """A SigningKey over an in-memory SM2 key (parsed once, reused for every signature)."""

    def __init__(self, key: sm2.Sm2PrivateKey) -> None:
        self._key = key
        self._public = key.public_key()
        self._spki = self._public.to_der()

    @classmethod
    def generate(cls) -> Sm2FileKey:
        """A new random SM2 key."""
        return cls(sm2.Sm2PrivateKey.generate())

    @classmethod
    def from_pkcs8(cls, der_or_pem: bytes, password: bytes | None = None) -> Sm2FileKey:
        """Load PKCS#8 DER or PEM."""
        if der_or_pem.lstrip().startswith(b"-----"):
            return cls(sm2.Sm2PrivateKey.from_pem(der_or_pem, password))
        return cls(sm2.Sm2PrivateKey.from_der(der_or_pem, password))

    @classmethod
    def open(cls, envelope: Envelope, sealed: SealedKey, context: bytes = b"") -> Sm2FileKey:
        """Decrypt a stored key; `context` must match the one it was sealed with."""
        if sealed.algorithm is not KeyAlgorithm.SM2:
            raise KeyUnsupported(algorithm=str(sealed.algorithm))
        der = envelope.open(Sealed(sealed.ciphertext, sealed.wrapped_key), _AAD + context)
        return cls.from_pkcs8(der)

    def seal(self, envelope: Envelope, context: bytes = b"") -> SealedKey:
        """Encrypt for storage."""
        sealed = envelope.seal(self._key.to_der(), _AAD + context)
        return SealedKey(KeyAlgorithm.SM2, sealed.ciphertext, sealed.wrapped_key)

    def pkcs8_der(self) -> bytes:
        """The plaintext private key, for sealing and encrypted backups only."""
        return self._key.to_der()

    @property
    def private_key(self) -> sm2.Sm2PrivateKey:
        """The key object (for the SES and OFD layers)."""
        return self._key

    @property
    def public_key(self) -> sm2.Sm2PublicKey:
        """Its public half."""
        return self._public

    @property
    def algorithm(self) -> KeyAlgorithm:
        """Always SM2."""
        return KeyAlgorithm.SM2

    def public_key_der(self) -> bytes:
        """SubjectPublicKeyInfo, DER."""
        return self._spki

    def sign(self, data: bytes, digest: str | None = None) -> bytes:
        """SM2-with-SM3 over `data` with Z from the default id; DER SEQUENCE{r, s}."""
        if digest not in (None, "sm3"):
            raise KeyUnsupported(algorithm=f"sm2/{digest}")
        return self._key.sign(data)

    def sign_digest(self, digest_value: bytes, digest: str) -> bytes:
        """Sign a ready e = SM3(Z || M) (GB/T 32918.2 §6.1 steps A3-A7)."""
        if digest != "sm3" or len(digest_value) != 32:
            raise KeyUnsupported(algorithm=f"sm2/{digest}")
        d = int(self._key.key.private_numbers().private_value)
        e = int.from_bytes(digest_value, "big")
        while True:
            k = secrets.randbelow(sm2.N - 1) + 1
            x1 = sm2._affine_x(sm2._mul(k, (sm2.GX, sm2.GY, 1)))
            assert x1 is not None
            r = (e + x1) % sm2.N
            if r == 0 or r + k == sm2.N:
                continue
            s = pow(1 + d, -1, sm2.N) * (k - r * d) % sm2.N
            if s:
                return sm2.signature_from_raw(r.to_bytes(32, "big") + s.to_bytes(32, "big"))
