"""RFC 6962 hashing and RFC 9162 §2.1.3-2.1.4 proof verification (pure, stdlib only).

The chaining follows transparency-dev/merkle's `proof/verify.go` (Apache-2.0), which the
corpus vectors come from, including its subtree proofs. Two policy checks beyond the bare
algorithm: leaf and proof hashes are 32 bytes, and a consistency proof from an empty tree is
refused. Roots are only compared, so a root of another length simply never matches.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofError(ValueError):
    """A proof that does not verify; the message says exactly why."""


def leaf_hash(data: bytes) -> bytes:
    """MTH of one leaf: SHA-256(0x00 || data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """An interior node: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _bit_len(x: int) -> int:
    return x.bit_length()


def _ones(x: int) -> int:
    return bin(x).count("1")


def _trailing_zeros(x: int) -> int:
    return (x & -x).bit_length() - 1 if x else 64


def _check_hashes(proof: Sequence[bytes], *named: tuple[str, bytes]) -> None:
    for name, h in named:
        if len(h) != HASH_SIZE:
            raise ProofError(f"{name} has size {len(h)}, want {HASH_SIZE}")
    for i, h in enumerate(proof):
        if len(h) != HASH_SIZE:
            raise ProofError(f"proof[{i}] has size {len(h)}, want {HASH_SIZE}")


def _match(calculated: bytes, expected: bytes) -> None:
    if calculated != expected:
        raise ProofError(
            f"calculated root {calculated.hex()} does not match expected root {expected.hex()}"
        )


def _chain_inner(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    for i, h in enumerate(proof):
        seed = node_hash(seed, h) if (index >> i) & 1 == 0 else node_hash(h, seed)
    return seed


def _chain_inner_right(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    for i, h in enumerate(proof):
        if (index >> i) & 1 == 1:
            seed = node_hash(h, seed)
    return seed


def _chain_border_right(seed: bytes, proof: Sequence[bytes]) -> bytes:
    for h in proof:
        seed = node_hash(h, seed)
    return seed


def _decomp_incl_proof(index: int, size: int) -> tuple[int, int]:
    inner = _bit_len(index ^ (size - 1))
    return inner, _ones(index >> inner)


def _subtree_valid(start: int, end: int) -> None:
    if start < 0 or start > end:
        raise ProofError(f"subtree invalid: start {start} must be <= end {end}")
    if start == 0 or start == end:
        return
    length = end - start
    ceil = 1 << (length - 1).bit_length()
    if start & (ceil - 1):
        raise ProofError(f"subtree invalid: start {start} not a multiple of {ceil}")


def root_from_inclusion_proof(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root a tree of `size` must have if `proof` shows leaf `index` has hash `leaf`."""
    if index < 0 or index >= size:
        raise ProofError(f"index is beyond size: {index} >= {size}")
    _check_hashes(proof, ("leaf hash", leaf))
    inner, border = _decomp_incl_proof(index, size)
    if len(proof) != inner + border:
        raise ProofError(f"wrong proof size {len(proof)}, want {inner + border}")
    res = _chain_inner(leaf, proof[:inner], index)
    return _chain_border_right(res, proof[inner:])


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """RFC 9162 §2.1.3.2; raises ProofError with the reason."""
    _match(root_from_inclusion_proof(index, size, leaf, proof), root)


def verify_subtree_inclusion(
    index: int, start: int, end: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Inclusion of leaf `index` in the subtree [start, end) with root `root`."""
    _subtree_valid(start, end)
    if index < start or index >= end:
        raise ProofError(f"index {index} out of bounds for subtree [{start}, {end})")
    _match(root_from_inclusion_proof(index - start, end - start, leaf, proof), root)


def _root_from_subtree_consistency(
    start: int, end: int, size: int, proof: Sequence[bytes], sub_root: bytes
) -> bytes:
    if end == size:
        level = _bit_len((end - 1) ^ start)
        want = _ones(start >> level)
        if len(proof) != want:
            raise ProofError(f"wrong proof size {len(proof)}, want {want}")
        return _chain_border_right(sub_root, proof)
    fork_level, border = _decomp_incl_proof(end - 1, size)
    shift = _trailing_zeros(end - start)
    inner = fork_level - shift
    seed, p_start = proof[0], 1
    if end - start == 1 << shift:
        seed, p_start = sub_root, 0
    if len(proof) != p_start + inner + border:
        raise ProofError(f"wrong proof size {len(proof)}, want {p_start + inner + border}")
    rest = proof[p_start:]
    mask = (end - 1) >> shift
    if p_start == 1:
        h = _bit_len((end - 1) ^ start)
        fork = _bit_len((end - 1) ^ (size - 1))
        sub_inner = min(h, fork) - shift
        sub_border = max(0, border - _ones((end - 1) >> h))
        hash1 = _chain_inner_right(seed, rest[0:sub_inner], mask)
        hash1 = _chain_border_right(hash1, rest[inner : inner + sub_border])
        _match(hash1, sub_root)
    hash2 = _chain_inner(seed, rest[:inner], mask)
    return _chain_border_right(hash2, rest[inner:])


def root_from_consistency_proof(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes
) -> bytes:
    """The root of the tree of `size2` that `proof` extends the tree (`size1`, `root1`) to."""
    _check_hashes(proof)
    if size2 < size1:
        raise ProofError(f"size2 ({size2}) < size1 ({size1})")
    if size1 <= 0:
        raise ProofError("consistency proof from an empty tree is meaningless")
    if size1 == size2:
        if proof:
            raise ProofError("size1=size2, but proof is not empty")
        return root1
    if not proof:
        raise ProofError("empty proof")
    return _root_from_subtree_consistency(0, size1, size2, proof, root1)


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> None:
    """RFC 9162 §2.1.4.2; raises ProofError with the reason."""
    _match(root_from_consistency_proof(size1, size2, proof, root1), root2)


def verify_subtree_consistency(
    start: int, end: int, size: int, proof: Sequence[bytes], sub_root: bytes, root: bytes
) -> None:
    """The subtree [start, end) with `sub_root` is part of the tree (`size`, `root`)."""
    _subtree_valid(start, end)
    if end > size:
        raise ProofError(f"size ({size}) < end ({end})")
    if start == end:
        if proof:
            raise ProofError("start=end, but proof is not empty")
        if sub_root != EMPTY_ROOT:
            raise ProofError("start=end, but the subtree root is not the empty root")
        return
    _check_hashes(proof)
    if start == 0 and size == end:
        if proof:
            raise ProofError("start=0 and end=size, but proof is not empty")
        _match(sub_root, root)
        return
    if not proof:
        raise ProofError("empty proof")
    _match(_root_from_subtree_consistency(start, end, size, proof, sub_root), root)
