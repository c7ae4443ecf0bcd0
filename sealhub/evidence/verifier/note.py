"""C2SP tlog-checkpoint bodies in C2SP signed notes, signed by an Ed25519 + ML-DSA-65 pair.

    <origin>\\n<tree size>\\n<base64 root hash>\\n            (the checkpoint: the note's text)
    \\n
    — <key name> <base64(key id[4] || signature)>\\n      (one line per signature)

Ed25519 keys follow the signed-note spec: key id = SHA-256(name || 0x0A || 0x01 || key)[:4].
The spec has no ML-DSA type yet; we use its escape type 0xff followed by the ASCII tag
"mldsa65": key id = SHA-256(name || 0x0A || 0xff || "mldsa65" || key)[:4], and the
signature is ML-DSA-65 (FIPS 204, empty context) over the note's text. A checkpoint is
accepted only when ONE key pair signed it with BOTH algorithms: if either falls, the other
still holds.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.mldsa import MLDSA65PublicKey

DASH = "\u2014"
MLDSA_TAG = b"mldsa65"
MAX_NOTE = 64 * 1024


class NoteError(ValueError):
    """A note or checkpoint that does not parse or verify; the message says why."""


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def text(self) -> str:
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode()]
        return "\n".join([*lines, *self.extensions]) + "\n"


@dataclass(frozen=True)
class KeyPair:
    """One generation of public keys: both must sign."""

    name: str
    ed25519: bytes
    mldsa65: bytes

    def ed_id(self) -> bytes:
        return ed25519_key_id(self.name, self.ed25519)

    def ml_id(self) -> bytes:
        return mldsa_key_id(self.name, self.mldsa65)


def ed25519_key_id(name: str, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n\x01" + public).digest()[:4]


def mldsa_key_id(name: str, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n\xff" + MLDSA_TAG + public).digest()[:4]


@dataclass(frozen=True)
class Signature:
    name: str
    key_id: bytes
    sig: bytes


def _valid_name(name: str) -> bool:
    return bool(name) and all(c > " " and c != "+" for c in name)


def parse_note(note: str) -> tuple[str, list[Signature]]:
    """Split a signed note into its text and signature lines."""
    if len(note) > MAX_NOTE:
        raise NoteError("the note is too large")
    if not note.endswith("\n"):
        raise NoteError("the note does not end with a newline")
    sep = note.rfind("\n\n")
    if sep < 0:
        raise NoteError("the note has no blank line before its signatures")
    text, sig_block = note[: sep + 1], note[sep + 2 :]
    sigs: list[Signature] = []
    for line in sig_block.splitlines():
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != DASH or not _valid_name(parts[1]):
            raise NoteError(f"malformed signature line: {line[:80]!r}")
        try:
            raw = base64.b64decode(parts[2], validate=True)
        except ValueError as exc:
            raise NoteError(f"signature of {parts[1]} is not base64") from exc
        if len(raw) < 5:
            raise NoteError(f"signature of {parts[1]} is too short")
        sigs.append(Signature(parts[1], raw[:4], raw[4:]))
    if not sigs:
        raise NoteError("the note carries no signature")
    return text, sigs


def parse_checkpoint(text: str) -> Checkpoint:
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "":
        raise NoteError("a checkpoint has an origin, a size and a root hash, each on a line")
    origin, size_s, root_s, *ext = lines[:-1]
    if not origin:
        raise NoteError("the checkpoint has an empty origin")
    if not size_s.isdigit() or (size_s != "0" and size_s.startswith("0")):
        raise NoteError(f"the checkpoint size {size_s[:30]!r} is not a decimal number")
    try:
        root = base64.b64decode(root_s, validate=True)
    except ValueError as exc:
        raise NoteError("the checkpoint root hash is not base64") from exc
    if len(root) != 32:
        raise NoteError(f"the checkpoint root hash has {len(root)} bytes, want 32")
    return Checkpoint(origin, int(size_s), root, tuple(ext))


def signature_line(name: str, key_id: bytes, sig: bytes) -> str:
    return f"{DASH} {name} {base64.b64encode(key_id + sig).decode()}\n"


def verify_checkpoint(note: str, keys: list[KeyPair]) -> tuple[Checkpoint, KeyPair]:
    """The checkpoint and the key pair that signed it with both algorithms, or NoteError."""
    text, sigs = parse_note(note)
    checkpoint = parse_checkpoint(text)
    data = text.encode()
    reasons: list[str] = []
    for pair in keys:
        ed = [s for s in sigs if s.name == pair.name and s.key_id == pair.ed_id()]
        ml = [s for s in sigs if s.name == pair.name and s.key_id == pair.ml_id()]
        if not ed:
            reasons.append(f"no Ed25519 signature by {pair.name}")
            continue
        if not ml:
            reasons.append(f"no ML-DSA-65 signature by {pair.name}")
            continue
        try:
            Ed25519PublicKey.from_public_bytes(pair.ed25519).verify(ed[0].sig, data)
        except (InvalidSignature, ValueError):
            reasons.append(f"the Ed25519 signature by {pair.name} is invalid")
            continue
        try:
            MLDSA65PublicKey.from_public_bytes(pair.mldsa65).verify(ml[0].sig, data)
        except (InvalidSignature, ValueError):
            reasons.append(f"the ML-DSA-65 signature by {pair.name} is invalid")
            continue
        return checkpoint, pair
    raise NoteError("; ".join(reasons) or "no trusted key")
