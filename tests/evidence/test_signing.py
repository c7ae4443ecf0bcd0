"""Checkpoints are signed with Ed25519 AND ML-DSA-65; either alone is refused."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.mldsa import MLDSA65PrivateKey

from sealhub.evidence.signing import Signer, sign
from sealhub.evidence.verifier.note import (
    DASH,
    Checkpoint,
    KeyPair,
    NoteError,
    parse_checkpoint,
    verify_checkpoint,
)

NAME = "sealhub/evidence/test"


def _pair() -> tuple[Signer, KeyPair]:
    s = Signer(NAME, Ed25519PrivateKey.generate(), MLDSA65PrivateKey.generate())
    return s, KeyPair(
        NAME, s.ed.public_key().public_bytes_raw(), s.ml.public_key().public_bytes_raw()
    )


CP = Checkpoint(NAME, 42, hashlib.sha256(b"root").digest())


def test_a_checkpoint_is_the_c2sp_format() -> None:
    signer, key = _pair()
    note = sign(CP, [signer])
    text, _, sigs = note.partition("\n\n")
    assert text + "\n" == f"{NAME}\n42\n{CP.text().splitlines()[2]}\n"
    lines = sigs.splitlines()
    assert len(lines) == 2 and all(line.startswith(f"{DASH} {NAME} ") for line in lines)
    assert parse_checkpoint(CP.text()) == CP
    assert verify_checkpoint(note, [key]) == (CP, key)


@pytest.mark.parametrize("drop", [0, 1], ids=["without-ed25519", "without-mldsa65"])
def test_removing_either_signature_fails(drop: int) -> None:
    signer, key = _pair()
    text, _, sigs = sign(CP, [signer]).partition("\n\n")
    kept = [line for i, line in enumerate(sigs.splitlines()) if i != drop]
    note = text + "\n\n" + "\n".join(kept) + "\n"
    with pytest.raises(NoteError, match="no Ed25519" if drop == 0 else "no ML-DSA-65"):
        verify_checkpoint(note, [key])


@pytest.mark.parametrize("which", [0, 1], ids=["bad-ed25519", "bad-mldsa65"])
def test_a_forged_signature_fails(which: int) -> None:
    signer, key = _pair()
    other, _ = _pair()
    good = sign(CP, [signer]).partition("\n\n")
    forged = sign(
        CP, [Signer(NAME, other.ed, signer.ml) if which == 0 else Signer(NAME, signer.ed, other.ml)]
    )
    # keep the genuine key ids, swap in the other key's signature bytes
    lines = good[2].splitlines()
    bad = forged.partition("\n\n")[2].splitlines()[which]
    keyid_sig = lines[which].split(" ")[2]
    import base64

    raw = base64.b64decode(keyid_sig)[:4] + base64.b64decode(bad.split(" ")[2])[4:]
    lines[which] = f"{DASH} {NAME} {base64.b64encode(raw).decode()}"
    with pytest.raises(
        NoteError, match="Ed25519 signature" if which == 0 else "ML-DSA-65 signature"
    ):
        verify_checkpoint(good[0] + "\n\n" + "\n".join(lines) + "\n", [key])


def test_a_changed_body_fails() -> None:
    signer, key = _pair()
    note = sign(CP, [signer]).replace("\n42\n", "\n43\n")
    with pytest.raises(NoteError, match="invalid"):
        verify_checkpoint(note, [key])


def test_during_a_rotation_both_generations_sign() -> None:
    old, old_key = _pair()
    new, new_key = _pair()
    note = sign(CP, [old, new])
    assert verify_checkpoint(note, [old_key])[1] == old_key
    assert verify_checkpoint(note, [new_key])[1] == new_key
    with pytest.raises(NoteError):
        verify_checkpoint(sign(CP, [old]), [new_key])


@pytest.mark.parametrize(
    "note",
    [
        "",
        "origin\n1\n",
        "origin\n01\nAAAA\n\n— k AAAAAAA=\n",
        "origin\n1\nnot base64!\n\n— k AAAAAAA=\n",
        "origin\n1\n" + "A" * 44 + "\n\n",
        "origin\n1\n" + "A" * 44 + "\n\n- k AAAAAAA=\n",
    ],
)
def test_malformed_notes_are_refused(note: str) -> None:
    _, key = _pair()
    with pytest.raises(NoteError):
        verify_checkpoint(note, [key])
