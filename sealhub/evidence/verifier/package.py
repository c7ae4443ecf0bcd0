"""Offline verification of an evidence package (a zip; the format is in docs/evidence.md).

Checks, in order, and stops at the first failure with its exact reason:
1. the zip holds `manifest.json`, `checkpoint.txt`, `keys.json`, and every file the manifest
   lists with the SHA-256 it states (and nothing it does not list);
2. the checkpoint is signed with Ed25519 AND ML-DSA-65 by one key pair of `keys.json`
   (or of the keys the caller trusts);
3. every record is included in that checkpoint: SHA-256(0x00 || the record's exact bytes)
   with its audit path hashes up to the checkpoint's root.
"""

from __future__ import annotations

import base64
import hashlib
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from sealhub.evidence.verifier import merkle
from sealhub.evidence.verifier.note import Checkpoint, KeyPair, NoteError, verify_checkpoint

FORMAT = "sealhub-evidence-package/1"
MAX_FILES = 100_000
MAX_BYTES = 2 * 1024**3
FIXED = ("manifest.json", "checkpoint.txt", "keys.json")


class PackageError(ValueError):
    """The package fails verification; the message is the exact reason."""


@dataclass
class Verdict:
    ok: bool
    reason: str
    checkpoint: Checkpoint | None = None
    key: str = ""
    records: int = 0
    details: list[str] = field(default_factory=list)

    def render(self) -> str:
        if not self.ok:
            return f"INVALID: {self.reason}"
        assert self.checkpoint is not None
        cp = self.checkpoint
        lines = [
            f"VALID: {self.records} records are included in the tree head of {cp.origin}",
            f"  tree size {cp.size}, root {cp.root.hex()}",
            f"  signed by {self.key} with Ed25519 and ML-DSA-65 (both verified)",
            *self.details,
        ]
        return "\n".join(lines)


def _keys(raw: Any) -> list[KeyPair]:
    if not isinstance(raw, list):
        raise PackageError("keys.json is not a list of key pairs")
    pairs = []
    for i, k in enumerate(raw):
        try:
            pairs.append(
                KeyPair(
                    str(k["name"]),
                    base64.b64decode(k["ed25519"], validate=True),
                    base64.b64decode(k["mldsa65"], validate=True),
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise PackageError(f"keys.json entry {i} is malformed") from exc
    return pairs


def _json(name: str, data: bytes) -> Any:
    try:
        return json.loads(data)
    except ValueError as exc:
        raise PackageError(f"{name} is not valid JSON") from exc


def _check(zf: zipfile.ZipFile, trusted: list[KeyPair] | None) -> Verdict:
    infos = zf.infolist()
    if len(infos) > MAX_FILES or sum(i.file_size for i in infos) > MAX_BYTES:
        raise PackageError("the package is too large")
    names = {i.filename for i in infos}
    for fixed in FIXED:
        if fixed not in names:
            raise PackageError(f"{fixed} is missing")
    manifest = _json("manifest.json", zf.read("manifest.json"))
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise PackageError(f"manifest.json is not a {FORMAT} manifest")
    files = manifest.get("files")
    if not isinstance(files, dict):
        raise PackageError("manifest.json lists no files")
    for name in sorted(names - {"manifest.json"}):
        if name not in files:
            raise PackageError(f"{name} is not listed in the manifest")
    for name, want in sorted(files.items()):
        if name not in names:
            raise PackageError(f"{name} is listed in the manifest but missing")
        got = hashlib.sha256(zf.read(name)).hexdigest()
        if got != want:
            raise PackageError(
                f"{name} was changed: its SHA-256 is {got}, the manifest says {want}"
            )
    keys = trusted if trusted is not None else _keys(_json("keys.json", zf.read("keys.json")))
    try:
        checkpoint, pair = verify_checkpoint(zf.read("checkpoint.txt").decode(), keys)
    except (NoteError, UnicodeDecodeError) as exc:
        raise PackageError(f"checkpoint.txt: {exc}") from exc
    if manifest.get("origin") != checkpoint.origin:
        raise PackageError("the checkpoint's origin is not the manifest's")
    records = manifest.get("records")
    if not isinstance(records, list) or not records:
        raise PackageError("manifest.json lists no records")
    for rec in records:
        try:
            file, proof_file = str(rec["file"]), str(rec["proof"])
        except (KeyError, TypeError) as exc:
            raise PackageError("a manifest record has no file or proof") from exc
        proof = _json(proof_file, zf.read(proof_file))
        try:
            index, size = int(proof["index"]), int(proof["tree_size"])
            path = [base64.b64decode(p, validate=True) for p in proof["path"]]
        except (KeyError, TypeError, ValueError) as exc:
            raise PackageError(f"{proof_file} is malformed") from exc
        if size != checkpoint.size:
            raise PackageError(
                f"{proof_file} proves against tree size {size},"
                f" the checkpoint has {checkpoint.size}"
            )
        leaf = merkle.leaf_hash(zf.read(file))
        try:
            merkle.verify_inclusion(index, size, leaf, path, checkpoint.root)
        except merkle.ProofError as exc:
            raise PackageError(f"{file} (leaf {index}) is not in the signed tree: {exc}") from exc
    return Verdict(True, "", checkpoint, pair.name, len(records))


def verify_package(source: str | Path | IO[bytes], trusted: list[KeyPair] | None = None) -> Verdict:
    """Verify a package; never raises for a bad package, the verdict says why."""
    try:
        with zipfile.ZipFile(source) as zf:
            return _check(zf, trusted)
    except PackageError as exc:
        return Verdict(False, str(exc))
    except (zipfile.BadZipFile, OSError, KeyError) as exc:
        return Verdict(False, f"not a readable package: {exc}")
