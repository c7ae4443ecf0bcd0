"""SM2 keys, signatures and SM3, through Tongsuo (`tongsuopy`).

Signatures are SM2-with-SM3 over a message with the signer's Z value computed from the
default distinguishing id `1234567812345678` (GB/T 35276), DER `SEQUENCE {r, s}` — what
OpenSSL's `openssl dgst -sm3 -sigopt distid:1234567812345678` makes and checks. Z is also
computed here in Python (`z_digest`) so a verifier can explain *which* rule a signature
follows (`verify_digest` checks a signature over a given e = SM3(Z || M) or a bare digest).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any, Protocol

from asn1crypto import core as asn1
from tongsuopy.crypto import hashes as ts_hashes
from tongsuopy.crypto import serialization as ts_ser
from tongsuopy.crypto.asymciphers import ec as ts_ec
from tongsuopy.crypto.exceptions import InvalidSignature

from sealhub.esign.gm.errors import GmKeyInvalid

SM2_CURVE_OID = "1.2.156.10197.1.301"
SM2_WITH_SM3_OID = "1.2.156.10197.1.501"
SM3_OID = "1.2.156.10197.1.401"
DEFAULT_ID = b"1234567812345678"

# GB/T 32918.5 curve parameters (for Z and the digest-level verifier)
P = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF
A = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC
B = 0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93
N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
GX = 0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7
GY = 0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0


def sm3(data: bytes) -> bytes:
    """SM3 digest (OpenSSL through hashlib; Tongsuo when hashlib lacks it)."""
    try:
        return hashlib.new("sm3", data).digest()
    except ValueError:  # pragma: no cover - an OpenSSL built without SM3
        h = ts_hashes.Hash(ts_hashes.SM3())
        h.update(data)
        return bytes(h.finalize())


def hmac_sm3(key: bytes, message: bytes) -> bytes:
    """HMAC-SM3 (RFC 2104 with SM3's 64-byte block)."""
    block = 64
    if len(key) > block:
        key = sm3(key)
    key = key.ljust(block, b"\0")
    inner = sm3(bytes(k ^ 0x36 for k in key) + message)
    return sm3(bytes(k ^ 0x5C for k in key) + inner)


def _i2b(value: int) -> bytes:
    return value.to_bytes(32, "big")


def z_digest(point: bytes, uid: bytes = DEFAULT_ID) -> bytes:
    """Z_A = SM3(ENTL || ID || a || b || xG || yG || xA || yA) for an uncompressed point."""
    if len(point) != 65 or point[0] != 4:
        raise GmKeyInvalid(reason="bad_point")
    entl = (len(uid) * 8).to_bytes(2, "big")
    return sm3(entl + uid + _i2b(A) + _i2b(B) + _i2b(GX) + _i2b(GY) + point[1:])


def signature_to_raw(der: bytes) -> bytes:
    """DER SEQUENCE{r, s} -> r || s (32 + 32 bytes)."""
    r, s = _decode_sig(der)
    return _i2b(r) + _i2b(s)


def signature_from_raw(raw: bytes) -> bytes:
    """r || s -> DER SEQUENCE{r, s}."""
    if len(raw) != 64:
        raise ValueError("an SM2 r||s signature has 64 bytes")
    seq = _SigValue({"r": int.from_bytes(raw[:32], "big"), "s": int.from_bytes(raw[32:], "big")})
    return bytes(seq.dump())


class _SigValue(asn1.Sequence):  # type: ignore[misc]
    _fields = [("r", asn1.Integer), ("s", asn1.Integer)]  # noqa: RUF012


def _decode_sig(der: bytes) -> tuple[int, int]:
    try:
        seq = _SigValue.load(der, strict=True)
        r, s = int(seq["r"].native), int(seq["s"].native)
    except (ValueError, TypeError) as exc:
        raise ValueError("not a DER SM2 signature") from exc
    return r, s


# --- pure-Python point arithmetic, only for explaining signatures (not the hot path) ---


def _on_curve(x: int, y: int) -> bool:
    return (y * y - x * x * x - A * x - B) % P == 0


def _add(p1: tuple[int, int, int], p2: tuple[int, int, int]) -> tuple[int, int, int]:
    # Jacobian coordinates; (0, 1, 0) is infinity
    x1, y1, z1 = p1
    x2, y2, z2 = p2
    if z1 == 0:
        return p2
    if z2 == 0:
        return p1
    z1z1, z2z2 = z1 * z1 % P, z2 * z2 % P
    u1, u2 = x1 * z2z2 % P, x2 * z1z1 % P
    s1, s2 = y1 * z2 * z2z2 % P, y2 * z1 * z1z1 % P
    if u1 == u2:
        if s1 != s2:
            return (0, 1, 0)
        return _double(p1)
    h = (u2 - u1) % P
    r = (s2 - s1) % P
    hh = h * h % P
    hhh = h * hh % P
    v = u1 * hh % P
    x3 = (r * r - hhh - 2 * v) % P
    y3 = (r * (v - x3) - s1 * hhh) % P
    return (x3, y3, h * z1 * z2 % P)


def _double(p1: tuple[int, int, int]) -> tuple[int, int, int]:
    x1, y1, z1 = p1
    if z1 == 0 or y1 == 0:
        return (0, 1, 0)
    yy = y1 * y1 % P
    s = 4 * x1 * yy % P
    zz = z1 * z1 % P
    m = (3 * x1 * x1 + A * zz * zz) % P
    x3 = (m * m - 2 * s) % P
    y3 = (m * (s - x3) - 8 * yy * yy) % P
    return (x3, y3, 2 * y1 * z1 % P)


def _mul(k: int, point: tuple[int, int, int]) -> tuple[int, int, int]:
    result = (0, 1, 0)
    addend = point
    while k:
        if k & 1:
            result = _add(result, addend)
        addend = _double(addend)
        k >>= 1
    return result


def _affine_x(point: tuple[int, int, int]) -> int | None:
    x, _, z = point
    if z == 0:
        return None
    zinv = pow(z, -1, P)
    return x * zinv * zinv % P


def verify_digest(point: bytes, e: bytes, signature: bytes) -> bool:
    """Check an SM2 signature over a ready digest e (no Z added here)."""
    try:
        r, s = _decode_sig(signature)
    except ValueError:
        return False
    if len(point) != 65 or point[0] != 4 or not (0 < r < N and 0 < s < N):
        return False
    qx, qy = int.from_bytes(point[1:33], "big"), int.from_bytes(point[33:], "big")
    if not _on_curve(qx, qy):
        return False
    t = (r + s) % N
    if t == 0:
        return False
    x1 = _affine_x(_add(_mul(s, (GX, GY, 1)), _mul(t, (qx, qy, 1))))
    return x1 is not None and (int.from_bytes(e, "big") + x1) % N == r


class Sm2Signer(Protocol):
    """Anything that signs bytes with SM2-with-SM3 and the default id (file or HSM key)."""

    def sign(self, data: bytes) -> bytes:
        """DER SEQUENCE{r, s}."""
        ...


# --- keys -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sm2PublicKey:
    """An SM2 public key (a Tongsuo key object plus its uncompressed point)."""

    key: Any

    @classmethod
    def from_point(cls, point: bytes) -> Sm2PublicKey:
        """Load from the 65-byte uncompressed point (04 || x || y)."""
        if len(point) != 65 or point[0] != 4:
            raise GmKeyInvalid(reason="bad_point")
        x, y = int.from_bytes(point[1:33], "big"), int.from_bytes(point[33:], "big")
        if not _on_curve(x, y):
            raise GmKeyInvalid(reason="bad_point")
        try:
            return cls(ts_ec.EllipticCurvePublicKey.from_encoded_point(ts_ec.SM2(), point))
        except ValueError as exc:
            raise GmKeyInvalid(reason="bad_point") from exc

    @classmethod
    def from_der(cls, spki: bytes) -> Sm2PublicKey:
        """Load a DER SubjectPublicKeyInfo."""
        try:
            key = ts_ser.load_der_public_key(spki)
        except Exception as exc:  # Tongsuo raises several types for bad input
            raise GmKeyInvalid(reason="unreadable") from exc
        if not isinstance(getattr(key, "curve", None), ts_ec.SM2):
            raise GmKeyInvalid(reason="not_sm2")
        return cls(key)

    @classmethod
    def from_pem(cls, pem: bytes) -> Sm2PublicKey:
        """Load a PEM public key."""
        try:
            key = ts_ser.load_pem_public_key(pem)
        except Exception as exc:
            raise GmKeyInvalid(reason="unreadable") from exc
        if not isinstance(getattr(key, "curve", None), ts_ec.SM2):
            raise GmKeyInvalid(reason="not_sm2")
        return cls(key)

    @property
    def point(self) -> bytes:
        """The uncompressed point 04 || x || y."""
        return bytes(
            self.key.public_bytes(ts_ser.Encoding.X962, ts_ser.PublicFormat.UncompressedPoint)
        )

    def to_der(self) -> bytes:
        """DER SubjectPublicKeyInfo."""
        return bytes(
            self.key.public_bytes(ts_ser.Encoding.DER, ts_ser.PublicFormat.SubjectPublicKeyInfo)
        )

    def to_pem(self) -> bytes:
        """PEM SubjectPublicKeyInfo."""
        return bytes(
            self.key.public_bytes(ts_ser.Encoding.PEM, ts_ser.PublicFormat.SubjectPublicKeyInfo)
        )

    def verify(self, signature: bytes, data: bytes) -> bool:
        """SM2-with-SM3 over `data` with the default id; False for any bad signature."""
        try:
            self.key.verify(signature, data, ts_ec.ECDSA(ts_hashes.SM3()))
        except (InvalidSignature, ValueError):
            return False
        except Exception:  # Tongsuo asserts on some malformed DER: never a crash
            return False
        return True

    def explain(self, signature: bytes, data: bytes) -> str:
        """Which rule a signature follows: 'z' (standard), 'no_z', 'bare' or 'none'."""
        if self.verify(signature, data):
            return "z"
        if verify_digest(self.point, sm3(data), signature):
            return "no_z"
        if len(data) == 32 and verify_digest(self.point, data, signature):
            return "bare"
        return "none"


@dataclass(frozen=True, slots=True)
class Sm2PrivateKey:
    """An SM2 private key held in memory (file keys decrypt into this)."""

    key: Any

    @classmethod
    def generate(cls) -> Sm2PrivateKey:
        """A new random SM2 key."""
        return cls(ts_ec.generate_private_key(ts_ec.SM2()))

    @classmethod
    def from_der(cls, der: bytes, password: bytes | None = None) -> Sm2PrivateKey:
        """Load PKCS#8 (or SEC1) DER."""
        return cls._checked(lambda: ts_ser.load_der_private_key(der, password))

    @classmethod
    def from_pem(cls, pem: bytes, password: bytes | None = None) -> Sm2PrivateKey:
        """Load PEM (PKCS#8 or SEC1)."""
        return cls._checked(lambda: ts_ser.load_pem_private_key(pem, password))

    @classmethod
    def from_scalar(cls, d: int) -> Sm2PrivateKey:
        """Load a raw private scalar (as found in PKCS#12 bags)."""
        if not 0 < d < N - 1:
            raise GmKeyInvalid(reason="unreadable")
        return cls(ts_ec.derive_private_key(d, ts_ec.SM2()))

    @classmethod
    def _checked(cls, load: Any) -> Sm2PrivateKey:
        try:
            key = load()
        except TypeError as exc:
            raise GmKeyInvalid(reason="bad_password") from exc
        except Exception as exc:
            raise GmKeyInvalid(reason="unreadable") from exc
        if not isinstance(getattr(key, "curve", None), ts_ec.SM2):
            raise GmKeyInvalid(reason="not_sm2")
        return cls(key)

    def public_key(self) -> Sm2PublicKey:
        """Its public half."""
        return Sm2PublicKey(self.key.public_key())

    def sign(self, data: bytes) -> bytes:
        """SM2-with-SM3 over `data` (Z with the default id), DER SEQUENCE{r, s}."""
        return bytes(self.key.sign(data, ts_ec.ECDSA(ts_hashes.SM3())))

    def to_pem(self, password: bytes | None = None) -> bytes:
        """PKCS#8 PEM, encrypted when a password is given."""
        enc: Any = ts_ser.BestAvailableEncryption(password) if password else ts_ser.NoEncryption()
        return bytes(self.key.private_bytes(ts_ser.Encoding.PEM, ts_ser.PrivateFormat.PKCS8, enc))

    def to_der(self) -> bytes:
        """Unencrypted PKCS#8 DER (wrap it before storing)."""
        return bytes(
            self.key.private_bytes(
                ts_ser.Encoding.DER, ts_ser.PrivateFormat.PKCS8, ts_ser.NoEncryption()
            )
        )


def constant_time_equal(a: bytes, b: bytes) -> bool:
    """Compare digests without leaking where they differ."""
    return hmac.compare_digest(a, b)
