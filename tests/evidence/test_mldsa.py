"""SealHub's ML-DSA-65 use (key from seed, sign, verify with the note's empty context)
against the Wycheproof vectors in the shared corpus."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.mldsa import MLDSA65PrivateKey, MLDSA65PublicKey

from tests.evidence.corpus import corpus

WYCHEPROOF = corpus("mldsa") / "wycheproof"
if not WYCHEPROOF.is_dir():
    pytest.skip(f"corpus not found at {WYCHEPROOF}", allow_module_level=True)


def _load(name: str) -> dict[str, Any]:
    return json.loads((WYCHEPROOF / name).read_text())  # type: ignore[no-any-return]


def _verifies(pub: MLDSA65PublicKey, sig: bytes, msg: bytes, ctx: bytes | None) -> bool:
    try:
        pub.verify(sig, msg, ctx) if ctx else pub.verify(sig, msg)
        return True
    except (InvalidSignature, ValueError):
        return False


def test_every_verify_vector_gives_its_verdict() -> None:
    data = _load("mldsa_65_verify_test.json")
    wrong, seen = [], 0
    for group in data["testGroups"]:
        try:
            pub = MLDSA65PublicKey.from_public_bytes(bytes.fromhex(group["publicKey"]))
        except ValueError:
            # a malformed public key: every test in the group must be invalid
            assert all(t["result"] == "invalid" for t in group["tests"])
            seen += len(group["tests"])
            continue
        for t in group["tests"]:
            seen += 1
            ctx = bytes.fromhex(t["ctx"]) if "ctx" in t else None
            ok = _verifies(pub, bytes.fromhex(t["sig"]), bytes.fromhex(t["msg"]), ctx)
            if ok != (t["result"] == "valid"):
                wrong.append(t["tcId"])
    assert seen == data["numberOfTests"] == 210
    assert wrong == []


def test_keys_from_seed_and_our_signatures_match_the_sign_vectors() -> None:
    data = _load("mldsa_65_sign_seed_test.json")
    checked = 0
    for group in data["testGroups"]:
        try:
            key = MLDSA65PrivateKey.from_seed_bytes(bytes.fromhex(group["privateSeed"]))
        except ValueError:
            assert all(t["result"] == "invalid" for t in group["tests"])
            continue
        pub = key.public_key()
        assert pub.public_bytes_raw() == bytes.fromhex(group["publicKey"])
        for t in group["tests"]:
            if "msg" not in t:
                continue  # NIST "Internal" vectors give only mu
            msg, ctx = bytes.fromhex(t["msg"]), bytes.fromhex(t.get("ctx", ""))
            # the vector's own signature verifies under the derived key
            assert _verifies(pub, bytes.fromhex(t["sig"]), msg, ctx) == (t["result"] == "valid")
            if t["result"] == "valid":
                ours = key.sign(msg, ctx) if ctx else key.sign(msg)
                assert _verifies(pub, ours, msg, ctx)
                checked += 1
            else:
                with pytest.raises(ValueError):
                    key.sign(msg, ctx)
    assert checked > 50
