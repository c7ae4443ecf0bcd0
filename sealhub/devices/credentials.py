"""Device credentials: MQTT passwords in Mosquitto's `$7$` format, claim codes, key pairs.

The same password hash serves the embedded broker (verified here) and Mosquitto (the line
`<username>:<hash>` of its password file), so one provisioning works with either broker.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from urllib.parse import parse_qs, urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ITERATIONS = 101  # mosquitto_passwd's own default for `$7$`


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """`$7$iterations$salt$hash` (PBKDF2-SHA512), as `mosquitto_passwd` writes it."""
    salt = salt or secrets.token_bytes(12)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, ITERATIONS, 64)
    return f"$7${ITERATIONS}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    parts = stored.split("$")
    if len(parts) != 5 or parts[1] != "7":
        return False
    try:
        rounds, salt, want = int(parts[2]), base64.b64decode(parts[3]), base64.b64decode(parts[4])
    except ValueError:
        return False
    got = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, rounds, len(want))
    return hmac.compare_digest(got, want)


def new_password() -> str:
    return secrets.token_urlsafe(24)


def new_secret() -> bytes:
    return secrets.token_bytes(32)


def new_key_pair() -> tuple[str, str]:
    """(seed hex, public key hex) of a fresh Ed25519 key."""
    key = Ed25519PrivateKey.generate()
    seed = key.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return seed.hex(), public.hex()


def check_public(public_hex: str) -> None:
    """ValueError unless this is a valid raw Ed25519 public key in hex."""
    Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex))


def public_of(seed_hex: str) -> str:
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(seed_hex))
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        .hex()
    )


def parse_qr(payload: str) -> tuple[str, str] | None:
    """(serial, claim code) from a label's QR: `sealhub://device?serial=S&claim=C`."""
    try:
        parts = urlsplit(payload.strip())
    except ValueError:
        return None
    if parts.scheme != "sealhub" or parts.netloc != "device":
        return None
    query = parse_qs(parts.query)
    serial, claim = query.get("serial", [""])[0], query.get("claim", [""])[0]
    if not serial or not claim:
        return None
    return serial, claim


def qr_payload(serial: str, claim_code: str) -> str:
    return f"sealhub://device?serial={serial}&claim={claim_code}"
