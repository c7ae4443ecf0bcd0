"""File keys: a private key held in memory, stored encrypted under the master key.

At rest a key is PKCS#8 DER sealed with `platform.crypto.Envelope` (its own AES-256-GCM
data key, wrapped by the master key): the same scheme as stored objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, mldsa, rsa, utils
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from sealhub.esign.keys.port import DIGEST, KeyAlgorithm, KeyUnsupported
from sealhub.platform.crypto import Envelope, Sealed

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}

_AAD = b"sealhub-esign-key"

SignablePrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | mldsa.MLDSA65PrivateKey


def hash_for(name: str) -> hashes.HashAlgorithm:
    try:
        return _HASHES[name]()
    except KeyError:
        raise KeyUnsupported(algorithm=name) from None


def generate_private_key(algorithm: KeyAlgorithm) -> SignablePrivateKey:
    if algorithm is KeyAlgorithm.RSA_2048:
        return rsa.generate_private_key(65537, 2048)
    if algorithm is KeyAlgorithm.RSA_3072:
        return rsa.generate_private_key(65537, 3072)
    if algorithm is KeyAlgorithm.EC_P256:
        return ec.generate_private_key(ec.SECP256R1())
    if algorithm is KeyAlgorithm.ML_DSA_65:
        return mldsa.MLDSA65PrivateKey.generate()
    raise KeyUnsupported(algorithm=str(algorithm))


def algorithm_of(key: PrivateKeyTypes) -> KeyAlgorithm:
    if isinstance(key, rsa.RSAPrivateKey):
        if key.key_size == 2048:
            return KeyAlgorithm.RSA_2048
        if key.key_size == 3072:
            return KeyAlgorithm.RSA_3072
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        if isinstance(key.curve, ec.SECP256R1):
            return KeyAlgorithm.EC_P256
    elif isinstance(key, mldsa.MLDSA65PrivateKey):
        return KeyAlgorithm.ML_DSA_65
    raise KeyUnsupported(algorithm=type(key).__name__)


@dataclass(frozen=True)
class SealedKey:
    """What is stored: the encrypted PKCS#8 key and its wrapped data key."""

    algorithm: KeyAlgorithm
    ciphertext: bytes
    wrapped_key: bytes


class FileKey:
    """A SigningKey over an in-memory private key (parsed once, reused for every signature)."""

    def __init__(self, private_key: PrivateKeyTypes) -> None:
        self._algorithm = algorithm_of(private_key)
        self._key = cast(SignablePrivateKey, private_key)
        self._spki = private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    @classmethod
    def generate(cls, algorithm: KeyAlgorithm) -> FileKey:
        return cls(generate_private_key(algorithm))

    @classmethod
    def from_pkcs8(cls, der_or_pem: bytes, password: bytes | None = None) -> FileKey:
        if der_or_pem.lstrip().startswith(b"-----"):
            key = serialization.load_pem_private_key(der_or_pem, password)
        else:
            key = serialization.load_der_private_key(der_or_pem, password)
        return cls(key)

    @classmethod
    def open(cls, envelope: Envelope, sealed: SealedKey, context: bytes = b"") -> FileKey:
        """Decrypt a stored key; `context` (e.g. the seal id) must match the one sealed with."""
        der = envelope.open(Sealed(sealed.ciphertext, sealed.wrapped_key), _AAD + context)
        return cls.from_pkcs8(der)

    def seal(self, envelope: Envelope, context: bytes = b"") -> SealedKey:
        sealed = envelope.seal(self.pkcs8_der(), _AAD + context)
        return SealedKey(self._algorithm, sealed.ciphertext, sealed.wrapped_key)

    def pkcs8_der(self) -> bytes:
        """The plaintext private key, for sealing and encrypted backups only."""
        return self._key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    @property
    def private_key(self) -> SignablePrivateKey:
        return self._key

    @property
    def algorithm(self) -> KeyAlgorithm:
        return self._algorithm

    def public_key_der(self) -> bytes:
        return self._spki

    def sign(self, data: bytes, digest: str | None = None) -> bytes:
        key = self._key
        if isinstance(key, rsa.RSAPrivateKey):
            return key.sign(data, PKCS1v15(), hash_for(digest or DIGEST[self._algorithm]))
        if isinstance(key, ec.EllipticCurvePrivateKey):
            return key.sign(data, ec.ECDSA(hash_for(digest or DIGEST[self._algorithm])))
        return key.sign(data)

    def sign_digest(self, digest_value: bytes, digest: str) -> bytes:
        key = self._key
        prehashed = utils.Prehashed(hash_for(digest))
        if isinstance(key, rsa.RSAPrivateKey):
            return key.sign(digest_value, PKCS1v15(), prehashed)
        if isinstance(key, ec.EllipticCurvePrivateKey):
            return key.sign(digest_value, ec.ECDSA(prehashed))
        raise KeyUnsupported(algorithm=str(self._algorithm))
