"""Verify every signature of an OFD and say what changed when a check fails.

Per signature: the References (hash of each protected part with the CheckMethod), the
SignedValue (Type="Seal": SES_Signature of either version — dataHash = SM3(Signature.xml),
the signer's SM2 signature, the seal maker's SM2 signature; Type="Sign": a bare signature
without a certificate is reported as indeterminate), and, with trust roots, the signer
certificate's chain. Parts in the package that no signature protects are listed too (a
part added after signing shows up there).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import posixpath
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sealhub.esign.gm import certs as gm_certs
from sealhub.esign.gm import sm2
from sealhub.esign.gm.errors import GmKeyInvalid
from sealhub.esign.ofd.document import documents
from sealhub.esign.ofd.package import OfdMalformed, OfdPackage, child, children, local, text
from sealhub.esign.ses import seal as ses
from sealhub.esign.ses.errors import SesMalformed
from sealhub.platform import clock

SM3_NAMES = {"1.2.156.10197.1.401", "SM3"}
SHA256_NAMES = {"2.16.840.1.101.3.4.2.1", "SHA256", "SHA-256"}


def _hasher(method: str | None) -> Any:
    name = (method or "SM3").strip()
    if name.upper() in SM3_NAMES or name in SM3_NAMES:
        return sm2.sm3
    if name.upper() in SHA256_NAMES or name in SHA256_NAMES:
        return lambda data: hashlib.sha256(data).digest()
    return None


@dataclass
class ReferenceResult:
    """One protected part."""

    file: str
    ok: bool
    reason: str = ""


@dataclass
class SignatureReport:
    """The verdict on one signature; `valid` is None when it cannot be decided."""

    id: str
    type: str
    path: str
    valid: bool | None = None
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    changed_files: list[str] = field(default_factory=list)
    references: list[ReferenceResult] = field(default_factory=list)
    check_method: str = ""
    signed_at: str | None = None
    seal_name: str | None = None
    seal_version: int | None = None
    seal_vid: str | None = None
    seal_es_id: str | None = None
    signer: str | None = None
    maker: str | None = None
    trusted: bool | None = None
    malformed_path: str | None = None
    stamp_pages: list[str] = field(default_factory=list)


@dataclass
class OfdReport:
    """The verdict on a whole OFD."""

    signed: bool
    valid: bool
    signatures: list[SignatureReport]
    unprotected_files: list[str]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return asdict(self)


def verify_ofd(
    data: bytes,
    *,
    trust_roots: Sequence[bytes] = (),
    at: datetime | None = None,
) -> OfdReport:
    """Verify all signatures in all documents (raises `esign.ofd_malformed` on a bad zip)."""
    pkg = OfdPackage.read(data)
    roots = [gm_certs.load_certificate(r) for r in trust_roots]
    reports: list[SignatureReport] = []
    protected: set[str] = set()
    for doc in documents(pkg):
        if not doc.signatures_path or doc.signatures_path not in pkg.files:
            continue
        protected.add(doc.signatures_path)
        sigs_dir = posixpath.dirname(doc.signatures_path)
        for node in children(pkg.xml(doc.signatures_path), "Signature"):
            loc = node.get("BaseLoc", "")
            path = pkg.resolve(loc, sigs_dir)
            report = SignatureReport(node.get("ID", ""), node.get("Type", "Seal"), path)
            _verify_one(pkg, doc.signatures_path, report, roots, at, protected)
            reports.append(report)
    unprotected = sorted(f for f in pkg.files if f not in protected) if reports else []
    valid = bool(reports) and all(r.valid is True for r in reports)
    return OfdReport(bool(reports), valid, reports, unprotected)


def _verify_one(
    pkg: OfdPackage,
    signatures_list: str,
    report: SignatureReport,
    roots: Sequence[gm_certs.Sm2Certificate],
    at: datetime | None,
    protected: set[str],
) -> None:
    if report.path not in pkg.files:
        report.problems.append("signature_missing")
        report.changed_files.append(report.path)
        report.valid = False
        return
    protected.add(report.path)
    here = posixpath.dirname(report.path)
    try:
        root = pkg.xml(report.path)
    except OfdMalformed:
        report.problems.append("signature_xml_malformed")
        report.changed_files.append(report.path)
        report.valid = False
        return
    info = child(root, "SignedInfo")
    refs = child(info, "References")
    report.check_method = refs.get("CheckMethod", "") if refs is not None else ""
    hasher = _hasher(report.check_method)
    if refs is None or hasher is None:
        report.problems.append("unsupported_check_method" if refs is not None else "no_references")
    else:
        for ref in children(refs, "Reference"):
            _check_reference(pkg, ref, here, hasher, report, protected, signatures_list)
    for annot in children(info, "StampAnnot") if info is not None else ():
        report.stamp_pages.append(annot.get("PageRef", ""))
    seal_loc = text(child(info, "Seal"), "BaseLoc")
    if seal_loc:
        protected.add(pkg.resolve(seal_loc, here))
    value_ref = text(root, "SignedValue")
    value_path = pkg.resolve(value_ref, here) if value_ref else ""
    if not value_path or value_path not in pkg.files:
        report.problems.append("signed_value_missing")
        report.valid = False
        return
    protected.add(value_path)
    if report.type == "Sign":
        _check_bare(pkg.get(value_path), report)
    else:
        _check_seal_signature(pkg, pkg.get(value_path), report, roots, at)
    if report.problems:
        report.valid = False
    else:
        report.valid = None if "no_certificate" in report.warnings else True


def _check_reference(
    pkg: OfdPackage,
    ref: Any,
    here: str,
    hasher: Any,
    report: SignatureReport,
    protected: set[str],
    signatures_list: str,
) -> None:
    file_ref = ref.get("FileRef", "")
    try:
        path = pkg.resolve(file_ref, here)
    except OfdMalformed:
        report.references.append(ReferenceResult(file_ref, False, "unsafe_path"))
        report.problems.append("reference_unsafe")
        return
    protected.add(path)
    expected_text = text(ref, "CheckValue") or ""
    try:
        expected = base64.b64decode(expected_text, validate=True)
    except (binascii.Error, ValueError):
        expected = b""
    if path not in pkg.files:
        report.references.append(ReferenceResult(path, False, "missing"))
        report.changed_files.append(path)
        if "reference_missing" not in report.problems:
            report.problems.append("reference_missing")
        return
    ok = sm2.constant_time_equal(hasher(pkg.files[path]), expected)
    if not ok and path == signatures_list and _still_lists(pkg, path, report.path):
        # every later signature must append itself to Signatures.xml: permitted
        report.references.append(ReferenceResult(path, True, "signatures_list_updated"))
        report.warnings.append("signatures_list_updated")
        return
    report.references.append(ReferenceResult(path, ok, "" if ok else "changed"))
    if not ok:
        report.changed_files.append(path)
        if "reference_changed" not in report.problems:
            report.problems.append("reference_changed")


def _still_lists(pkg: OfdPackage, list_path: str, signature_path: str) -> bool:
    """Signatures.xml still names this signature and every entry exists."""
    base = posixpath.dirname(list_path)
    try:
        entries = [
            pkg.resolve(n.get("BaseLoc", ""), base)
            for n in children(pkg.xml(list_path), "Signature")
        ]
    except OfdMalformed:
        return False
    return signature_path in entries and all(e in pkg.files for e in entries)


def _check_bare(value: bytes, report: SignatureReport) -> None:
    try:
        sm2.signature_to_raw(value)
    except ValueError:
        report.problems.append("signed_value_malformed")
        return
    # GB/T 35275 expects PKCS#7; a bare r||s names no certificate to check it against
    report.warnings.append("no_certificate")


def _check_seal_signature(
    pkg: OfdPackage,
    value: bytes,
    report: SignatureReport,
    roots: Sequence[gm_certs.Sm2Certificate],
    at: datetime | None,
) -> None:
    try:
        sig = ses.parse_signature(value)
    except SesMalformed as exc:
        report.problems.append("signed_value_malformed")
        report.malformed_path = str(exc.params.get("path", ""))
        return
    seal = sig.seal
    report.seal_name, report.seal_version = seal.name, seal.version
    report.seal_vid, report.seal_es_id = seal.vid, seal.es_id
    report.signed_at = sig.time.isoformat() if sig.time else None
    signer = _cert(sig.signer_cert)
    maker = _cert(seal.maker_cert)
    report.signer = signer.subject if signer else None
    report.maker = maker.subject if maker else None
    checks = ses.check_signature(sig, sm2.sm3(pkg.get(report.path)))
    for name, check in checks.items():
        if check.ok:
            continue
        if name == "seal_validity":
            report.warnings.append(check.reason)
        else:
            report.problems.append(check.reason)
            if name == "data_hash":
                report.changed_files.append(report.path)
    if roots and signer is not None:
        when = sig.time or at or clock.now()
        chain = gm_certs.chain_problems(signer, [], roots, when)
        report.trusted = not chain
        report.warnings.extend(f"signer_{p}" for p in chain)


def _cert(der: bytes) -> gm_certs.Sm2Certificate | None:
    try:
        return gm_certs.load_certificate(der)
    except GmKeyInvalid:
        return None


def is_ofd(data: bytes) -> bool:
    """Sniff: a zip whose first entries include OFD.xml."""
    return data[:4] == b"PK\x03\x04" and b"OFD.xml" in data[:65536]


__all__ = ["OfdReport", "SignatureReport", "is_ofd", "local", "verify_ofd"]
