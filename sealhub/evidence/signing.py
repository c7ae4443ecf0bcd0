"""Tree-head signing: each organisation's Ed25519 + ML-DSA-65 key pairs, rotation with an
overlap (heads carry both generations' signatures until the old one retires), and the
checkpoint notes they sign. Never on a request's path: only the integrator signs."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.mldsa import MLDSA65PrivateKey
from sqlalchemy.ext.asyncio import AsyncSession

from sealhub.evidence import repository
from sealhub.evidence.models import EvidenceKey
from sealhub.evidence.verifier.note import (
    Checkpoint,
    KeyPair,
    ed25519_key_id,
    mldsa_key_id,
    signature_line,
)
from sealhub.platform import clock
from sealhub.platform.crypto import Envelope, Sealed
from sealhub.platform.ids import new_id

DEFAULT_OVERLAP = timedelta(days=7)


def origin(org_id: uuid.UUID) -> str:
    """The log's name in its checkpoints (and its keys' name)."""
    return f"sealhub/evidence/{org_id}"


@dataclass(frozen=True)
class Signer:
    name: str
    ed: Ed25519PrivateKey
    ml: MLDSA65PrivateKey

    def public(self) -> tuple[bytes, bytes]:
        return (
            self.ed.public_key().public_bytes_raw(),
            self.ml.public_key().public_bytes_raw(),
        )

    def lines(self, text: str) -> str:
        data = text.encode()
        ed_pub = self.ed.public_key().public_bytes_raw()
        ml_pub = self.ml.public_key().public_bytes_raw()
        return signature_line(
            self.name, ed25519_key_id(self.name, ed_pub), self.ed.sign(data)
        ) + signature_line(self.name, mldsa_key_id(self.name, ml_pub), self.ml.sign(data))


def _aad(org_id: uuid.UUID) -> bytes:
    return b"sealhub-evidence-key:" + org_id.bytes


def public_pair(key: EvidenceKey) -> KeyPair:
    return KeyPair(key.name, key.ed25519, key.mldsa65)


def key_json(key: EvidenceKey) -> dict[str, object]:
    return {
        "name": key.name,
        "ed25519": base64.b64encode(key.ed25519).decode(),
        "mldsa65": base64.b64encode(key.mldsa65).decode(),
        "ed25519_key_id": ed25519_key_id(key.name, key.ed25519).hex(),
        "mldsa65_key_id": mldsa_key_id(key.name, key.mldsa65).hex(),
        "created_at": key.created_at.isoformat(),
        "retires_at": key.retires_at.isoformat() if key.retires_at else None,
    }


def _active(keys: list[EvidenceKey], at: datetime) -> list[EvidenceKey]:
    return [k for k in keys if k.retires_at is None or clock.aware(k.retires_at) > at]


async def new_key(session: AsyncSession, envelope: Envelope, org_id: uuid.UUID) -> EvidenceKey:
    ed_seed = Ed25519PrivateKey.generate().private_bytes_raw()
    ml = MLDSA65PrivateKey.generate()
    ml_seed = ml.private_bytes_raw()  # the 32-byte seed
    sealed = envelope.seal(ed_seed + ml_seed, _aad(org_id))
    key = EvidenceKey(
        id=new_id(),
        org_id=org_id,
        name=origin(org_id),
        ed25519=Ed25519PrivateKey.from_private_bytes(ed_seed).public_key().public_bytes_raw(),
        mldsa65=ml.public_key().public_bytes_raw(),
        sealed=sealed.ciphertext,
        wrapped_key=sealed.wrapped_key,
        created_at=clock.now(),
    )
    session.add(key)
    await session.flush()
    return key


# unsealed signers by key id: a head every 0.5 s should not unwrap and expand keys each time
_SIGNERS: dict[uuid.UUID, Signer] = {}


def _signer(envelope: Envelope, key: EvidenceKey) -> Signer:
    cached = _SIGNERS.get(key.id)
    if cached is not None and cached.public() == (key.ed25519, key.mldsa65):
        return cached
    raw = envelope.open(Sealed(key.sealed, key.wrapped_key), _aad(key.org_id))
    signer = Signer(
        key.name,
        Ed25519PrivateKey.from_private_bytes(raw[:32]),
        MLDSA65PrivateKey.from_seed_bytes(raw[32:]),
    )
    if len(_SIGNERS) > 10_000:
        _SIGNERS.clear()
    _SIGNERS[key.id] = signer
    return signer


async def signers(session: AsyncSession, envelope: Envelope, org_id: uuid.UUID) -> list[Signer]:
    """Every key pair in force now (two during a rotation's overlap); makes the first."""
    active = _active(await repository.keys(session, org_id), clock.now())
    if not active:
        active = [await new_key(session, envelope, org_id)]
    return [_signer(envelope, k) for k in active]


async def rotate(
    session: AsyncSession,
    envelope: Envelope,
    org_id: uuid.UUID,
    *,
    overlap: timedelta = DEFAULT_OVERLAP,
) -> EvidenceKey:
    """A new key pair; the ones in force keep co-signing until `overlap` has passed."""
    await repository.retire_keys(session, org_id, clock.now() + overlap)
    return await new_key(session, envelope, org_id)


def sign(checkpoint: Checkpoint, signers_: list[Signer]) -> str:
    text = checkpoint.text()
    return text + "\n" + "".join(s.lines(text) for s in signers_)
