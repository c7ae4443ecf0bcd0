"""The Merkle core against the transparency-dev corpus vectors and random trees."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sealhub.evidence import merkle
from sealhub.evidence.verifier import merkle as v
from tests.evidence.corpus import corpus

TESTDATA = corpus("merkle") / "transparency-dev" / "testdata"


def _files(kind: str) -> list[Path]:
    return sorted((TESTDATA / kind).rglob("*.json"))


def _b(s: str | None) -> bytes:
    return base64.b64decode(s) if s else b""


def _proof(d: dict[str, Any]) -> list[bytes]:
    return [_b(p) for p in d.get("proof") or []]


def _run(kind: str, d: dict[str, Any]) -> None:
    if kind == "inclusion":
        v.verify_inclusion(d["leafIdx"], d["treeSize"], _b(d["leafHash"]), _proof(d), _b(d["root"]))
    elif kind == "subtreeinclusion":
        v.verify_subtree_inclusion(
            d["leafIdx"], d["start"], d["end"], _b(d["leafHash"]), _proof(d), _b(d["root"])
        )
    elif kind == "consistency":
        v.verify_consistency(d["size1"], d["size2"], _proof(d), _b(d["root1"]), _b(d["root2"]))
    else:
        v.verify_subtree_consistency(
            d["start"], d["end"], d["size"], _proof(d), _b(d["root1"]), _b(d["root2"])
        )


KINDS = ("inclusion", "consistency", "subtreeinclusion", "subtreeconsistency")
if not TESTDATA.is_dir():
    pytest.skip(f"corpus not found at {TESTDATA}", allow_module_level=True)


def test_the_corpus_is_complete() -> None:
    assert sum(len(_files(k)) for k in KINDS) == 518


@pytest.mark.parametrize("kind", KINDS)
def test_every_vector_gives_its_verdict(kind: str) -> None:
    wrong = []
    for path in _files(kind):
        d = json.loads(path.read_text())
        try:
            _run(kind, d)
            ok = True
        except v.ProofError:
            ok = False
        if ok == d["wantErr"]:
            wrong.append(str(path.relative_to(TESTDATA)))
    assert wrong == []


def _leaves(n: int) -> list[bytes]:
    return [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(n)]


def _reference_root(hashes: list[bytes]) -> bytes:
    """MTH straight from RFC 6962 §2.1's recursive definition."""
    if not hashes:
        return hashlib.sha256(b"").digest()
    if len(hashes) == 1:
        return hashes[0]
    k = 1 << ((len(hashes) - 1).bit_length() - 1)
    return merkle.node_hash(_reference_root(hashes[:k]), _reference_root(hashes[k:]))


def _flip(proof: list[bytes], i: int, bit: int) -> list[bytes]:
    p = [bytearray(x) for x in proof]
    p[i][bit // 8] ^= 1 << (bit % 8)
    return [bytes(x) for x in p]


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 300), st.data())
def test_inclusion_proofs_verify_and_any_changed_byte_breaks_them(n: int, data: Any) -> None:
    hashes = _leaves(n)
    nodes = merkle.build(hashes)
    size = data.draw(st.integers(1, n))
    index = data.draw(st.integers(0, size - 1))
    root = merkle.root_of(size, nodes)
    assert root == _reference_root(hashes[:size])
    proof = [merkle.hash_range(a, b, nodes) for a, b in merkle.inclusion_ranges(index, size)]
    v.verify_inclusion(index, size, hashes[index], proof, root)
    if proof:
        i = data.draw(st.integers(0, len(proof) - 1))
        bit = data.draw(st.integers(0, 255))
        with pytest.raises(v.ProofError):
            v.verify_inclusion(index, size, hashes[index], _flip(proof, i, bit), root)
    with pytest.raises(v.ProofError):
        v.verify_inclusion(index, size, _flip([hashes[index]], 0, 7)[0], proof, root)


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 300), st.data())
def test_consistency_proofs_verify_and_any_changed_byte_breaks_them(n: int, data: Any) -> None:
    hashes = _leaves(n)
    nodes = merkle.build(hashes)
    size2 = data.draw(st.integers(1, n))
    size1 = data.draw(st.integers(1, size2))
    r1, r2 = merkle.root_of(size1, nodes), merkle.root_of(size2, nodes)
    proof = [merkle.hash_range(a, b, nodes) for a, b in merkle.consistency_ranges(size1, size2)]
    v.verify_consistency(size1, size2, proof, r1, r2)
    if proof:
        i = data.draw(st.integers(0, len(proof) - 1))
        bit = data.draw(st.integers(0, 255))
        with pytest.raises(v.ProofError):
            v.verify_consistency(size1, size2, _flip(proof, i, bit), r1, r2)
    if size1 < size2:
        with pytest.raises(v.ProofError):
            v.verify_consistency(size1, size2, proof, _flip([r1], 0, 0)[0], r2)


def test_a_proof_needs_few_stored_nodes_at_a_million() -> None:
    n = 1_000_003
    need = merkle.nodes_of(merkle.inclusion_ranges(777_777, n))
    need |= merkle.nodes_of(merkle.consistency_ranges(123_457, n))
    assert len(need) <= 2 * 21 + 21
