"""SealHub's offline evidence verifier: stdlib and `cryptography` only, nothing else from
`sealhub` (import-linter contract "the evidence verifier stands alone"), so it can ship
alone and be read in an afternoon.

    from sealhub.evidence.verifier import verify_package
    print(verify_package("package.zip").render())

    python -m sealhub.evidence.verifier package.zip
"""

from sealhub.evidence.verifier.merkle import (
    ProofError,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_inclusion,
)
from sealhub.evidence.verifier.note import (
    Checkpoint,
    KeyPair,
    NoteError,
    parse_checkpoint,
    verify_checkpoint,
)
from sealhub.evidence.verifier.package import PackageError, Verdict, verify_package

__all__ = [
    "Checkpoint",
    "KeyPair",
    "NoteError",
    "PackageError",
    "ProofError",
    "Verdict",
    "leaf_hash",
    "node_hash",
    "parse_checkpoint",
    "verify_checkpoint",
    "verify_consistency",
    "verify_inclusion",
    "verify_package",
]
