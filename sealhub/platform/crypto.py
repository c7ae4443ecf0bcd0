"""Master key handling and envelope encryption (AES-256-GCM data keys wrapped by the master key)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def load_master_key(configured: str, data_dir: Path) -> bytes:
    """The configured base64 key, or one kept (created on first run) in data_dir/master.key."""
    if configured:
        key = base64.b64decode(configured)
        if len(key) != 32:
            raise ValueError("SEALHUB_MASTER_KEY must be 32 bytes, base64-encoded")
        return key
    path = data_dir / "master.key"
    if path.exists():
        return base64.b64decode(path.read_text().strip())
    data_dir.mkdir(parents=True, exist_ok=True)
    key = AESGCM.generate_key(bit_length=256)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(base64.b64encode(key).decode())
    return key


@dataclass(frozen=True)
class Sealed:
    """Ciphertext plus the wrapped data key needed to open it."""

    ciphertext: bytes
    wrapped_key: bytes


class Envelope:
    """Encrypts each object with its own data key; only the wrapped key is stored beside it."""

    def __init__(self, master_key: bytes) -> None:
        self._master = AESGCM(master_key)
        self._hmac_key = hashlib.sha256(b"sealhub-hmac" + master_key).digest()

    def seal(self, plaintext: bytes, aad: bytes = b"") -> Sealed:
        data_key = AESGCM.generate_key(bit_length=256)
        nonce = os.urandom(12)
        ciphertext = nonce + AESGCM(data_key).encrypt(nonce, plaintext, aad)
        wrap_nonce = os.urandom(12)
        wrapped = wrap_nonce + self._master.encrypt(wrap_nonce, data_key, b"sealhub-dek")
        return Sealed(ciphertext=ciphertext, wrapped_key=wrapped)

    def open(self, sealed: Sealed, aad: bytes = b"") -> bytes:
        data_key = self._master.decrypt(
            sealed.wrapped_key[:12], sealed.wrapped_key[12:], b"sealhub-dek"
        )
        return AESGCM(data_key).decrypt(sealed.ciphertext[:12], sealed.ciphertext[12:], aad)

    def mac(self, message: bytes) -> str:
        """Keyed hash for secrets stored at rest (tokens, API keys)."""
        return hmac.new(self._hmac_key, message, hashlib.sha256).hexdigest()
