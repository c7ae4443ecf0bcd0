"""The optional end-to-end layer for device messages, on top of MQTT/TLS (pure: no MQTT).

Handshake at connect (X-Wing style hybrid: secure while either X25519 or ML-KEM-768 holds):

    device   -> platform   HELLO    device id, suites, X25519 public, ML-KEM-768 encaps key, nonce
    platform -> device     ACCEPT   X25519 public, ML-KEM-768 ciphertext, nonce, confirm tag
    device   -> platform   FINISH   confirm tag

Both sides compute `ikm = x25519_shared || mlkem_shared` and HKDF-SHA256 it with
`salt = HMAC-SHA256(psk, transcript)`: the device's provisioning secret (`psk`) authenticates
the exchange (no man in the middle without it) and the transcript (every handshake byte,
suites included) binds the keys to what was offered, so a stripped or reordered suite list
fails the confirm tags. Two AES-256-GCM keys come out, one per direction.

Records: `version(1) | epoch(4) | seq(8) | AES-256-GCM(ciphertext || tag)`; the nonce is the
direction byte, epoch and sequence; the header is the associated data. Sequence numbers
must rise (replays and reordering are refused). `rekey()` moves a direction to epoch+1 with
keys derived one-way from the current ones (forward secrecy for earlier epochs); the
receiver follows when it sees epoch+1. A device provisioned with `required=True` accepts
nothing else: a plaintext message, an ACCEPT without the hybrid suite, or a "plain" mode
offer raises `DowngradeRefused` — it can never be talked into plain mode.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.mlkem import MLKEM768PrivateKey, MLKEM768PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SUITE = b"x25519-mlkem768/hkdf-sha256/aes256gcm"
PLAIN = b"plain"
VERSION = 1
HELLO, ACCEPT, FINISH = b"H", b"A", b"F"
_HEADER = struct.Struct(">BIQ")  # version, epoch, sequence
MAX_RECORD = 1 << 20


class ChannelError(ValueError):
    """A message that must be dropped (tampered, replayed, out of order, malformed)."""


class DowngradeRefused(ChannelError):
    """Plain mode (or a weaker suite) offered to a device provisioned for encryption."""


def _frame(kind: bytes, *parts: bytes) -> bytes:
    return kind + b"".join(struct.pack(">I", len(p)) + p for p in parts)


def _unframe(data: bytes, kind: bytes, count: int) -> list[bytes]:
    if len(data) > MAX_RECORD or data[:1] != kind:
        raise ChannelError("unexpected handshake message")
    parts, pos = [], 1
    for _ in range(count):
        if pos + 4 > len(data):
            raise ChannelError("truncated handshake message")
        (n,) = struct.unpack_from(">I", data, pos)
        pos += 4
        if pos + n > len(data):
            raise ChannelError("truncated handshake message")
        parts.append(data[pos : pos + n])
        pos += n
    if pos != len(data):
        raise ChannelError("trailing bytes in handshake message")
    return parts


def _derive(psk: bytes, transcript: bytes, ikm: bytes) -> dict[str, bytes]:
    salt = hmac.new(psk, transcript, hashlib.sha256).digest()
    okm = HKDF(hashes.SHA256(), 128, salt, b"sealhub device channel v1").derive(ikm)
    return {"d2p": okm[:32], "p2d": okm[32:64], "confirm_p": okm[64:96], "confirm_d": okm[96:]}


def _next_key(key: bytes) -> bytes:
    return HKDF(hashes.SHA256(), 32, None, b"sealhub device channel rekey").derive(key)


@dataclass
class _Direction:
    key: bytes
    tag: bytes  # b"d" device-to-platform, b"p" platform-to-device
    epoch: int = 0
    seq: int = 0

    def nonce(self, epoch: int, seq: int) -> bytes:
        return self.tag + struct.pack(">IQ", epoch, seq)[1:]  # 1 + 3 + 8 = 12 bytes


@dataclass
class Channel:
    """An established channel: `seal()` what you send, `open()` what you receive."""

    send: _Direction
    recv: _Direction
    _recv_seen: int = field(default=-1)

    def seal(self, plaintext: bytes) -> bytes:
        d = self.send
        header = _HEADER.pack(VERSION, d.epoch, d.seq)
        out = header + AESGCM(d.key).encrypt(d.nonce(d.epoch, d.seq), plaintext, header)
        d.seq += 1
        return out

    def open(self, record: bytes) -> bytes:
        if len(record) < _HEADER.size + 16 or len(record) > MAX_RECORD:
            raise ChannelError("not an encrypted record")
        version, epoch, seq = _HEADER.unpack_from(record)
        if version != VERSION:
            raise ChannelError(f"unknown record version {version}")
        d = self.recv
        key = d.key
        if epoch == d.epoch + 1:
            key = _next_key(d.key)  # the peer re-keyed; follow once the record proves it
        elif epoch != d.epoch:
            raise ChannelError(f"record of epoch {epoch}, expected {d.epoch}")
        elif seq <= self._recv_seen:
            raise ChannelError(f"replayed or reordered record (seq {seq})")
        header = record[: _HEADER.size]
        try:
            plain = AESGCM(key).decrypt(d.nonce(epoch, seq), record[_HEADER.size :], header)
        except InvalidTag as exc:
            raise ChannelError("record failed authentication (tampered or wrong key)") from exc
        if epoch != d.epoch:
            d.key, d.epoch = key, epoch
        self._recv_seen = seq
        return plain

    def rekey(self) -> None:
        """Move sending to the next epoch (one-way: earlier keys cannot be recomputed)."""
        self.send.key = _next_key(self.send.key)
        self.send.epoch += 1
        self.send.seq = 0


def refuse_plain(message: bytes, *, required: bool) -> bytes:
    """A message that arrived outside the channel: refused for a device that requires it."""
    if required:
        raise DowngradeRefused("plaintext message for a device provisioned for encryption")
    return message


@dataclass
class DeviceHandshake:
    """The device's side. `required`: provisioned for end-to-end encryption (no way back)."""

    device_id: bytes
    psk: bytes
    required: bool = True
    _x: X25519PrivateKey = field(default_factory=X25519PrivateKey.generate)
    _k: MLKEM768PrivateKey = field(default_factory=MLKEM768PrivateKey.generate)
    _hello: bytes = b""

    def hello(self) -> bytes:
        suites = SUITE if self.required else SUITE + b"," + PLAIN
        self._hello = _frame(
            HELLO,
            self.device_id,
            suites,
            self._x.public_key().public_bytes_raw(),
            self._k.public_key().public_bytes_raw(),
            os.urandom(16),
        )
        return self._hello

    def accept(self, message: bytes) -> tuple[Channel, bytes]:
        """Check the platform's ACCEPT; returns the channel and the FINISH to send."""
        if message[:1] != ACCEPT:
            if self.required:
                raise DowngradeRefused("the platform did not accept the encrypted channel")
            raise ChannelError("unexpected handshake message")
        suite, x_pub, ct, _nonce, confirm = _unframe(message, ACCEPT, 5)
        if suite != SUITE:
            raise DowngradeRefused(f"suite {suite[:40]!r} is not the hybrid suite")
        try:
            x_ss = self._x.exchange(X25519PublicKey.from_public_bytes(x_pub))
            k_ss = self._k.decapsulate(ct)
        except ValueError as exc:
            raise ChannelError("malformed key share") from exc
        transcript = self._hello + message[: -(len(confirm) + 4)]
        keys = _derive(self.psk, transcript, x_ss + k_ss)
        want = hmac.new(keys["confirm_p"], transcript, hashlib.sha256).digest()
        if not hmac.compare_digest(want, confirm):
            raise ChannelError("the platform's confirmation does not match (tampered handshake)")
        finish = _frame(FINISH, hmac.new(keys["confirm_d"], transcript, hashlib.sha256).digest())
        channel = Channel(_Direction(keys["d2p"], b"d"), _Direction(keys["p2d"], b"p"))
        return channel, finish


@dataclass
class PlatformHandshake:
    """The platform's side, for one connecting device whose `psk` it holds."""

    psk: bytes
    device_id: bytes | None = None  # when set, a HELLO from another device is refused
    _transcript: bytes = b""
    _keys: dict[str, bytes] = field(default_factory=dict)

    def accept(self, hello: bytes) -> bytes:
        device_id, suites, x_pub, ek, _nonce = _unframe(hello, HELLO, 5)
        if self.device_id is not None and device_id != self.device_id:
            raise ChannelError("a handshake from another device")
        if SUITE not in suites.split(b","):
            raise DowngradeRefused("the device did not offer the hybrid suite")
        try:
            x = X25519PrivateKey.generate()
            x_ss = x.exchange(X25519PublicKey.from_public_bytes(x_pub))
            k_ss, ct = MLKEM768PublicKey.from_public_bytes(ek).encapsulate()
        except ValueError as exc:
            raise ChannelError("malformed key share") from exc
        body = _frame(ACCEPT, SUITE, x.public_key().public_bytes_raw(), ct, os.urandom(16))
        transcript = hello + body
        self._keys = _derive(self.psk, transcript, x_ss + k_ss)
        self._transcript = transcript
        confirm = hmac.new(self._keys["confirm_p"], transcript, hashlib.sha256).digest()
        return body + struct.pack(">I", len(confirm)) + confirm

    def finish(self, message: bytes) -> Channel:
        (confirm,) = _unframe(message, FINISH, 1)
        want = hmac.new(self._keys["confirm_d"], self._transcript, hashlib.sha256).digest()
        if not self._keys or not hmac.compare_digest(want, confirm):
            raise ChannelError("the device's confirmation does not match")
        return Channel(_Direction(self._keys["p2d"], b"p"), _Direction(self._keys["d2p"], b"d"))
