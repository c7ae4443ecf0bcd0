"""PDF signature verification with pyHanko's validator: a report per signature."""

from __future__ import annotations

import io
import re
from typing import Any

from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import async_validate_pdf_signature, async_validate_pdf_timestamp
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.errors import NoDSSFoundError, SignatureValidationError
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.fetchers.requests_fetchers import RequestsFetcherBackend

from sealhub.esign.pdf.signer import asn1_cert
from sealhub.esign.verification import (
    SignatureReport,
    SignerInfo,
    VerificationReport,
    Verifier,
    VerifyOptions,
    register,
)

MAX_PDF_BYTES = 200 * 1024 * 1024
# later revisions that do not count as changes to a signed document: DSS/validation data
# and document timestamps (LTA_UPDATES), and further signatures/form filling allowed by the
# document's MDP settings (checked through docmdp_ok)
PERMITTED = {ModificationLevel.NONE, ModificationLevel.LTA_UPDATES, ModificationLevel.FORM_FILLING}


def _sniff(head: bytes, name: str) -> bool:
    return b"%PDF-" in head[:1024] or name.lower().endswith(".pdf")


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _attr(name: Any, key: str) -> str | None:
    try:
        value = name.native.get(key)
    except (AttributeError, ValueError):
        return None
    if isinstance(value, list):
        value = value[-1] if value else None
    return str(value) if value is not None else None


def _signer(cert: Any, mechanism: str) -> SignerInfo:
    subject = cert.subject
    return SignerInfo(
        common_name=_attr(subject, "common_name"),
        organisation=_attr(subject, "organization_name"),
        organisation_id=_attr(subject, "organization_identifier"),
        serial=format(cert.serial_number, "x"),
        issuer=_attr(cert.issuer, "common_name") or _attr(cert.issuer, "organization_name"),
        not_before=cert.not_valid_before.isoformat(),
        not_after=cert.not_valid_after.isoformat(),
        algorithm=mechanism,
    )


def _context(options: VerifyOptions, reader: PdfFileReader) -> tuple[ValidationContext, bool]:
    crls = [asn1_crl.CertificateList.load(c) for c in options.crls]
    ocsps = [asn1_ocsp.OCSPResponse.load(o) for o in options.ocsps]
    kwargs: dict[str, Any] = {
        "trust_roots": [asn1_cert(c) for c in options.trust_roots],
        "crls": crls,
        "ocsps": ocsps,
        "allow_fetching": options.allow_fetching,
        "fetcher_backend": RequestsFetcherBackend() if options.allow_fetching else None,
        "revocation_mode": "soft-fail",
    }
    revinfo = bool(crls or ocsps or options.allow_fetching)
    try:  # revocation data and certificates the document carries (B-LT and up)
        dss = DocumentSecurityStore.read_dss(reader)
        context = dss.as_validation_context(kwargs)
        return context, revinfo or bool(dss.crls or dss.ocsps)
    except (NoDSSFoundError, PdfError, ValueError, KeyError, TypeError):
        return ValidationContext(**kwargs), revinfo


async def verify_pdf(data: bytes, options: VerifyOptions | None = None) -> VerificationReport:
    """Every signature and document timestamp of the PDF, checked."""
    options = options or VerifyOptions()
    if len(data) > MAX_PDF_BYTES:
        return VerificationReport("pdf", readable=False, error="too_large")
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        if reader.encrypted:
            return VerificationReport("pdf", readable=False, error="encrypted")
        embedded = list(reader.embedded_signatures)
    except (PdfError, ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        return _damaged(data, f"unreadable: {exc}"[:300])
    report = VerificationReport("pdf", readable=True)
    context, has_revinfo = _context(options, reader)
    for index, sig in enumerate(embedded):
        report.signatures.append(await _one(index, sig, context, has_revinfo))
    return report


async def _one(
    index: int, sig: Any, context: ValidationContext, has_revinfo: bool
) -> SignatureReport:
    is_ts = sig.sig_object_type == "/DocTimeStamp"
    item = SignatureReport(
        index=index + 1,
        field_name=sig.field_name,
        kind="document_timestamp" if is_ts else "signature",
    )
    try:
        if is_ts:
            status: Any = await async_validate_pdf_timestamp(sig, validation_context=context)
            item.timestamp = _iso(status.timestamp)
            item.timestamp_valid = bool(status.intact and status.valid)
        else:
            try:
                status = await async_validate_pdf_signature(
                    sig, signer_validation_context=context, ts_validation_context=context
                )
            except SignatureValidationError as exc:
                # some signers put an EMPTY eContent in a detached signature; poppler and
                # OpenSSL accept it, pyHanko refuses: drop it (it is not signed) and retry
                if "encapsulated data" not in str(exc) or not _empty_econtent(sig):
                    raise
                sig.signed_data["encap_content_info"] = {"content_type": "data"}
                item.notes.append("empty_econtent_ignored")
                status = await async_validate_pdf_signature(
                    sig, signer_validation_context=context, ts_validation_context=context
                )
            item.signing_time = _iso(status.signer_reported_dt)
            ts = status.timestamp_validity
            if ts is not None:
                item.timestamp = _iso(ts.timestamp)
                item.timestamp_valid = bool(ts.intact and ts.valid)
    except Exception as exc:
        item.problems.append(f"processing_error: {type(exc).__name__}: {exc}"[:300])
        item.coverage = _coverage(sig)
        return item
    item.signer = _signer(status.signing_cert, status.pkcs7_signature_mechanism)
    item.intact, item.valid = bool(status.intact), bool(status.valid)
    if item.intact and not item.valid and _plain_ecdsa_ok(sig):
        item.valid = True
        item.notes.append("plain_ecdsa")
    item.trusted = bool(status.trusted)
    if status.validation_path is not None:
        item.chain = [
            _attr(c.subject, "common_name") or c.subject.human_friendly
            for c in reversed(list(status.validation_path.iter_certs(include_root=True)))
        ]
    item.trust_problem = status.trust_problem_indic.name if status.trust_problem_indic else None
    rev = status.revocation_details
    if rev is not None:
        item.revocation = "revoked"
        item.revoked_at = _iso(rev.revocation_date)
        item.revocation_reason = (
            str(rev.revocation_reason.native) if rev.revocation_reason else None
        )
    elif item.trust_problem and "REVOKED" in item.trust_problem:
        item.revocation = "revoked"
    elif item.trusted and has_revinfo:
        item.revocation = "good"
    coverage = status.coverage
    item.coverage = coverage.name if coverage is not None else None
    level = status.modification_level
    item.modification_level = level.name if level is not None else None
    item.changes_after_signing = coverage != SignatureCoverageLevel.ENTIRE_FILE
    permitted = coverage == SignatureCoverageLevel.ENTIRE_FILE or (
        coverage == SignatureCoverageLevel.ENTIRE_REVISION
        and level in PERMITTED
        and status.docmdp_ok is not False
    )
    item.covers_whole_file = bool(permitted)
    if not item.intact:
        item.problems.append("digest_mismatch")
    if not item.valid:
        item.problems.append("signature_invalid")
    if coverage is None or coverage < SignatureCoverageLevel.ENTIRE_REVISION:
        item.problems.append("not_covering_file")
    elif not permitted:
        item.problems.append("modified_after_signing")
    if item.revocation == "revoked":
        item.problems.append("certificate_revoked")
    if item.timestamp_valid is False:
        item.problems.append("timestamp_invalid")
    item.ok = item.intact and item.valid and item.covers_whole_file and item.revocation != "revoked"
    if item.timestamp_valid is False:
        item.ok = False
    return item


_SIG_DICT = re.compile(rb"/ByteRange\s*\[[\d\s]+\]")


def _damaged(data: bytes, error: str) -> VerificationReport:
    """A file the parser rejects: if it carries signature dictionaries, it was signed and
    then damaged (a failed check, exit 1); otherwise it is simply unreadable (exit 2)."""
    found = len(_SIG_DICT.findall(data))
    if not found:
        return VerificationReport("pdf", readable=False, error=error)
    report = VerificationReport("pdf", readable=True, error=error)
    for index in range(found):
        item = SignatureReport(index=index + 1, field_name=None, kind="signature")
        item.problems.append("document_structure_damaged")
        report.signatures.append(item)
    return report


# BSI TR-03111 ecdsa-plain-SHA* (signature = r || s, not DER): used by some EU QES signers
_PLAIN_ECDSA: dict[str, type[hashes.SHA224 | hashes.SHA256 | hashes.SHA384 | hashes.SHA512]] = {
    "0.4.0.127.0.7.1.1.4.1.2": hashes.SHA224,
    "0.4.0.127.0.7.1.1.4.1.3": hashes.SHA256,
    "0.4.0.127.0.7.1.1.4.1.4": hashes.SHA384,
    "0.4.0.127.0.7.1.1.4.1.5": hashes.SHA512,
}


def _plain_ecdsa_ok(sig: Any) -> bool:
    """Check a plain-ECDSA signature over the signed attributes (pyHanko has no such
    mechanism); the document digest was already checked (intact)."""
    try:
        info = sig.signer_info
        hash_cls = _PLAIN_ECDSA.get(info["signature_algorithm"]["algorithm"].dotted)
        signed_attrs = info["signed_attrs"]
        if hash_cls is None or not signed_attrs.native:
            return False
        raw = info["signature"].native
        half = len(raw) // 2
        der = utils.encode_dss_signature(
            int.from_bytes(raw[:half], "big"), int.from_bytes(raw[half:], "big")
        )
        public = serialization.load_der_public_key(sig.signer_cert.public_key.dump())
        if not isinstance(public, ec.EllipticCurvePublicKey):
            return False
        public.verify(der, signed_attrs.untag().dump(), ec.ECDSA(hash_cls()))
        return True
    except (InvalidSignature, ValueError, TypeError, KeyError, AttributeError):
        return False


def _empty_econtent(sig: Any) -> bool:
    content = sig.signed_data["encap_content_info"]["content"]
    return not content.native


def _coverage(sig: Any) -> str | None:
    try:
        return str(sig.evaluate_signature_coverage().name)
    except Exception:
        return None


register(Verifier("pdf", _sniff, verify_pdf))
