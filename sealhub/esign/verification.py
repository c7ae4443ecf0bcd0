"""Verification reports and the dispatch by file type: sniffers → verifiers.

The PDF verifier registers itself here; the national-formats work registers OFD and `.esl`
verifiers the same way (`register(Verifier(...))`). Reports are plain dataclasses, turned
into JSON by `report.to_dict()` (see docs/esign.md for the fields)."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509

REPORT_VERSION = 1


@dataclass
class SignerInfo:
    common_name: str | None
    organisation: str | None
    organisation_id: str | None  # e.g. NTRCN-<unified social credit code>
    serial: str  # certificate serial, hex
    issuer: str | None
    not_before: str
    not_after: str
    algorithm: str  # signature mechanism


@dataclass
class SignatureReport:
    """One signature (or document timestamp) of a file."""

    index: int
    field_name: str | None
    kind: str  # "signature" | "document_timestamp" | format-specific kinds
    signer: SignerInfo | None = None
    signing_time: str | None = None  # claimed by the signer (not proof)
    timestamp: str | None = None  # from a signature timestamp token, if any
    timestamp_valid: bool | None = None
    intact: bool = False  # the signed digest matches the covered bytes
    valid: bool = False  # the signature value verifies with the signer's key
    trusted: bool = False  # chain to one of the given trust roots validated
    chain: list[str] = field(default_factory=list)  # subject names, signer first
    trust_problem: str | None = None
    revocation: str = "unchecked"  # "good" | "revoked" | "unchecked"
    revoked_at: str | None = None
    revocation_reason: str | None = None
    coverage: str | None = None  # ENTIRE_FILE | ENTIRE_REVISION | ...
    covers_whole_file: bool = False  # the whole file up to permitted later changes
    modification_level: str | None = None  # NONE | LTA_UPDATES | FORM_FILLING | ...
    changes_after_signing: bool = False
    ok: bool = False  # intact, valid and covering the file up to permitted changes
    problems: list[str] = field(default_factory=list)  # reason codes, see docs/esign.md
    notes: list[str] = field(default_factory=list)  # tolerated oddities, informational


@dataclass
class VerificationReport:
    file_type: str
    readable: bool
    signatures: list[SignatureReport] = field(default_factory=list)
    error: str | None = None
    version: int = REPORT_VERSION

    @property
    def signed(self) -> bool:
        return bool(self.signatures)

    @property
    def ok(self) -> bool:
        return self.readable and self.signed and all(s.ok for s in self.signatures)

    @property
    def trusted(self) -> bool:
        return self.signed and all(s.trusted for s in self.signatures)

    def exit_code(self, *, require_trust: bool = False) -> int:
        """0 all good; 1 a check failed; 2 unsigned or unreadable."""
        if not self.readable or not self.signed:
            return 2
        if not self.ok or (require_trust and not self.trusted):
            return 1
        return 0

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out.update(signed=self.signed, ok=self.ok, trusted=self.trusted)
        return out


@dataclass(frozen=True)
class VerifyOptions:
    trust_roots: Sequence[x509.Certificate] = ()
    crls: Sequence[bytes] = ()
    ocsps: Sequence[bytes] = ()
    allow_fetching: bool = False  # fetch CRLs/OCSP named in certificates (network)


Sniffer = Callable[[bytes, str], bool]  # (first bytes, file name) → is mine
VerifyFn = Callable[[bytes, VerifyOptions], Awaitable[VerificationReport]]


@dataclass(frozen=True)
class Verifier:
    file_type: str
    sniff: Sniffer
    verify: VerifyFn


_REGISTRY: list[Verifier] = []


def register(verifier: Verifier) -> None:
    if all(v.file_type != verifier.file_type for v in _REGISTRY):
        _REGISTRY.append(verifier)


def _load_builtin() -> None:
    # importing the module registers its verifier (kept lazy: pyHanko is heavy to import)
    import sealhub.esign.pdf.verify  # noqa: F401


def find_verifier(data: bytes, name: str = "") -> Verifier | None:
    _load_builtin()
    head = data[:4096]
    for verifier in _REGISTRY:
        if verifier.sniff(head, name):
            return verifier
    return None


async def verify_file(
    data: bytes, name: str = "", options: VerifyOptions | None = None
) -> VerificationReport:
    verifier = find_verifier(data, name)
    if verifier is None:
        return VerificationReport(file_type="unknown", readable=False, error="unsupported_type")
    return await verifier.verify(data, options or VerifyOptions())
