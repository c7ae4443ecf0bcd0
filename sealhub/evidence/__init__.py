"""The evidence log: one RFC 6962 Merkle tree per organisation that every audit entry and
typed event goes into, signed tree heads (Ed25519 + ML-DSA-65 checkpoints), inclusion and
consistency proofs, witnesses, store audits and offline-verifiable evidence packages.

This module stays import-free: `sealhub.evidence.verifier` ships alone."""
