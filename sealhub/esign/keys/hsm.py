"""PKCS#11 keys: generated inside the token as sensitive and non-extractable; every
signature is computed by the token (SoftHSM2 in the tests, any PKCS#11 HSM in production)."""

from __future__ import annotations

import hashlib
import threading
from typing import Any, cast

import pkcs11
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass
from pkcs11.util.ec import (
    encode_ec_public_key,
    encode_ecdsa_signature,
    encode_named_curve_parameters,
)

from sealhub.esign.keys.port import DIGEST, KeyAlgorithm, KeyUnavailable, KeyUnsupported

_RSA_MECH = {
    "sha256": Mechanism.SHA256_RSA_PKCS,
    "sha384": Mechanism.SHA384_RSA_PKCS,
    "sha512": Mechanism.SHA512_RSA_PKCS,
}
# DER DigestInfo prefixes for CKM_RSA_PKCS over a precomputed digest (RFC 8017 §9.2)
_DIGEST_INFO = {
    "sha256": bytes.fromhex("3031300d060960864801650304020105000420"),
    "sha384": bytes.fromhex("3041300d060960864801650304020205000430"),
    "sha512": bytes.fromhex("3051300d060960864801650304020305000440"),
}
_PRIVATE_TEMPLATE: dict[Any, Any] = {
    Attribute.SENSITIVE: True,
    Attribute.EXTRACTABLE: False,
    Attribute.SIGN: True,
    Attribute.TOKEN: True,
    Attribute.PRIVATE: True,
}


# a PKCS#11 module is initialised once per process
_LIBS: dict[str, Any] = {}
_LIBS_LOCK = threading.Lock()


class Pkcs11Token:
    """An open, logged-in session on one token; keys are generated and found by label."""

    def __init__(self, module_path: str, token_label: str, user_pin: str) -> None:
        try:
            with _LIBS_LOCK:  # a PKCS#11 module is initialised once per process
                lib = _LIBS.get(module_path)
                if lib is None:
                    lib = _LIBS[module_path] = pkcs11.lib(module_path)
            self._token = lib.get_token(token_label=token_label)
            try:
                self._session = self._token.open(user_pin=user_pin, rw=True)
            except pkcs11.UserAlreadyLoggedIn:
                # login is per application: another session of this process logged in
                self._session = self._token.open(rw=True)
        except (pkcs11.PKCS11Error, RuntimeError, OSError) as exc:
            raise KeyUnavailable(detail=f"PKCS#11 token {token_label!r}: {exc!r}") from exc
        self.lock = threading.Lock()  # a PKCS#11 session is not thread-safe

    @property
    def session(self) -> Any:
        return self._session

    def close(self) -> None:
        self._session.close()

    def generate(self, algorithm: KeyAlgorithm, label: str) -> Pkcs11Key:
        """A new key pair inside the token (the private half never leaves it)."""
        with self.lock:
            if algorithm in (KeyAlgorithm.RSA_2048, KeyAlgorithm.RSA_3072):
                bits = 2048 if algorithm is KeyAlgorithm.RSA_2048 else 3072
                self._session.generate_keypair(
                    KeyType.RSA,
                    bits,
                    label=label,
                    store=True,
                    public_template={Attribute.VERIFY: True},
                    private_template=_PRIVATE_TEMPLATE,
                )
            elif algorithm is KeyAlgorithm.EC_P256:
                params = self._session.create_domain_parameters(
                    KeyType.EC,
                    {Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")},
                    local=True,
                )
                params.generate_keypair(
                    label=label,
                    store=True,
                    public_template={Attribute.VERIFY: True},
                    private_template=_PRIVATE_TEMPLATE,
                )
            else:
                raise KeyUnsupported(algorithm=str(algorithm))
        return self.key(label)

    def key(self, label: str) -> Pkcs11Key:
        """The key pair stored under this label."""
        with self.lock:
            try:
                priv = self._session.get_key(object_class=ObjectClass.PRIVATE_KEY, label=label)
                pub = self._session.get_key(object_class=ObjectClass.PUBLIC_KEY, label=label)
            except (pkcs11.NoSuchKey, pkcs11.MultipleObjectsReturned) as exc:
                raise KeyUnavailable(detail=f"key {label!r}: {exc!r}") from exc
            if priv.key_type == KeyType.RSA:
                numbers = rsa.RSAPublicNumbers(
                    int.from_bytes(pub[Attribute.PUBLIC_EXPONENT], "big"),
                    int.from_bytes(pub[Attribute.MODULUS], "big"),
                )
                spki = numbers.public_key().public_bytes(
                    serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
                )
                algorithm = (
                    KeyAlgorithm.RSA_2048
                    if numbers.n.bit_length() <= 2048
                    else KeyAlgorithm.RSA_3072
                )
            elif priv.key_type == KeyType.EC:
                spki = bytes(encode_ec_public_key(cast(Any, pub)))
                algorithm = KeyAlgorithm.EC_P256
            else:
                raise KeyUnsupported(algorithm=str(priv.key_type))
        return Pkcs11Key(self, label, priv, algorithm, spki)


class Pkcs11Key:
    """A SigningKey whose private half stays in the token."""

    def __init__(
        self, token: Pkcs11Token, label: str, handle: Any, algorithm: KeyAlgorithm, spki: bytes
    ) -> None:
        self._token = token
        self.label = label
        self.handle = handle  # the private-key object (for attribute checks)
        self._algorithm = algorithm
        self._spki = spki

    @property
    def algorithm(self) -> KeyAlgorithm:
        return self._algorithm

    def public_key_der(self) -> bytes:
        return self._spki

    def sign(self, data: bytes, digest: str | None = None) -> bytes:
        digest = digest or DIGEST[self._algorithm]
        if self._algorithm is KeyAlgorithm.EC_P256:
            # tokens commonly offer only CKM_ECDSA (SoftHSM2 has no CKM_ECDSA_SHA256):
            # hash here, sign the digest in the token
            return self.sign_digest(hashlib.new(digest, data).digest(), digest)
        with self._token.lock:
            return bytes(self.handle.sign(data, mechanism=_RSA_MECH[digest]))

    def sign_digest(self, digest_value: bytes, digest: str) -> bytes:
        with self._token.lock:
            if self._algorithm is KeyAlgorithm.EC_P256:
                raw = self.handle.sign(digest_value, mechanism=Mechanism.ECDSA)
                return bytes(encode_ecdsa_signature(raw))
            return bytes(
                self.handle.sign(_DIGEST_INFO[digest] + digest_value, mechanism=Mechanism.RSA_PKCS)
            )
