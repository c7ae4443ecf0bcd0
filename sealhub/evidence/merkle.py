"""The pure Merkle core: which stored subtree hashes a proof needs, and how to combine them.

Storage keeps every *perfect, aligned* subtree: node (level, index) covers leaves
[index·2^level, (index+1)·2^level); level 0 is the leaf hash. Every range RFC 6962's
PATH and PROOF recurse over starts on a boundary, so its hash is a right fold of at most
log2(n) perfect nodes: a proof at any size is one read of O(log² n) small rows at worst,
O(log n) in practice.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence

from sealhub.evidence.verifier.merkle import EMPTY_ROOT, leaf_hash, node_hash

Node = tuple[int, int]  # (level, index)
Range = tuple[int, int]  # [start, end)

__all__ = [
    "EMPTY_ROOT",
    "Node",
    "Range",
    "consistency_ranges",
    "hash_range",
    "inclusion_ranges",
    "leaf_hash",
    "node_hash",
    "nodes_of",
    "parents_completed",
    "root_of",
]


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def perfect_nodes(start: int, end: int) -> list[Node]:
    """The perfect subtrees, left to right, whose right fold is MTH(D[start:end])."""
    out: list[Node] = []
    while end > start:
        n = end - start
        if n & (n - 1) == 0 and start % n == 0:
            out.append((n.bit_length() - 1, start // n))
            break
        k = _split(n)
        out.append(((k.bit_length() - 1), start // k))
        start += k
    return out


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The ranges whose MTH form the audit path of leaf `index` (RFC 6962 §2.1.1)."""
    if not 0 <= index < size:
        raise ValueError(f"index {index} not in a tree of size {size}")
    out: list[Range] = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            out.append((start + k, end))
            end = start + k
        else:
            out.append((start, start + k))
            start += k
    out.reverse()  # leaf level first
    return out


def consistency_ranges(size1: int, size2: int) -> list[Range]:
    """The ranges whose MTH form PROOF(size1, D[size2]) (RFC 6962 §2.1.2)."""
    if not 0 <= size1 <= size2:
        raise ValueError(f"no consistency proof from {size1} to {size2}")
    if size1 == 0 or size1 == size2:
        return []
    out: list[Range] = []
    start, end, m, whole = 0, size2, size1, True
    while True:
        n = end - start
        if m == n:
            if not whole:
                out.append((start, end))
            break
        k = _split(n)
        if m <= k:
            out.append((start + k, end))
            end = start + k
        else:
            out.append((start, start + k))
            start += k
            m -= k
            whole = False
    out.reverse()
    return out


def nodes_of(ranges: Iterable[Range]) -> set[Node]:
    """Every stored node the ranges need."""
    need: set[Node] = set()
    for a, b in ranges:
        need.update(perfect_nodes(a, b))
    return need


def hash_range(start: int, end: int, nodes: Mapping[Node, bytes]) -> bytes:
    """MTH(D[start:end]) from the stored perfect nodes."""
    if start == end:
        return EMPTY_ROOT
    parts = perfect_nodes(start, end)
    acc = nodes[parts[-1]]
    for node in reversed(parts[:-1]):
        acc = node_hash(nodes[node], acc)
    return acc


def root_of(size: int, nodes: Mapping[Node, bytes]) -> bytes:
    return hash_range(0, size, nodes)


def parents_completed(index: int) -> list[Node]:
    """The perfect nodes (level ≥ 1) that leaf `index` completes, lowest first."""
    out: list[Node] = []
    level, i = 0, index
    while i & 1:
        i >>= 1
        level += 1
        out.append((level, i))
    return out


def build(leaves: Sequence[bytes]) -> dict[Node, bytes]:
    """Every perfect node of a tree from its leaf hashes (tests, audits, benchmarks)."""
    nodes: dict[Node, bytes] = {}
    for i, h in enumerate(leaves):
        nodes[(0, i)] = h
        for level, idx in parents_completed(i):
            nodes[(level, idx)] = node_hash(
                nodes[(level - 1, 2 * idx)], nodes[(level - 1, 2 * idx + 1)]
            )
    return nodes


def levels(leaves: Sequence[bytes]) -> list[list[bytes]]:
    """Every perfect node by level: `levels[l][i]` is node (l, i) (audits, benchmarks)."""
    out = [list(leaves)]
    while len(out[-1]) > 1:
        prev = out[-1]
        out.append([node_hash(prev[i], prev[i + 1]) for i in range(0, len(prev) - 1, 2)])
    return out


class LevelView(Mapping[Node, bytes]):
    """`levels()` seen as the node mapping `hash_range` reads."""

    def __init__(self, lv: list[list[bytes]]) -> None:
        self._lv = lv

    def __getitem__(self, node: Node) -> bytes:
        level, idx = node
        if level >= len(self._lv) or not 0 <= idx < len(self._lv[level]):
            raise KeyError(node)
        return self._lv[level][idx]

    def __iter__(self) -> Iterator[Node]:
        return ((lv, i) for lv, row in enumerate(self._lv) for i in range(len(row)))

    def __len__(self) -> int:
        return sum(len(row) for row in self._lv)
