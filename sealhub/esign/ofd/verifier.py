"""OFD and SES (.esl seal, SES_Signature) verifiers in `sealhub verify`'s dispatch.

Registered with `sealhub.esign.verification.register` on import; the reports map onto the
same `SignatureReport` fields the PDF verifier fills: `intact` = every protected part's
hash and the dataHash match, `valid` = the signer's and the seal maker's SM2 signatures
verify, `covers_whole_file` = no part of the package is outside every signature.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from cryptography.hazmat.primitives.serialization import Encoding

from sealhub.esign.gm import certs as gm_certs
from sealhub.esign.gm.errors import GmKeyInvalid
from sealhub.esign.ofd import verify as ofd_verify
from sealhub.esign.ofd.errors import OfdMalformed
from sealhub.esign.ofd.package import OfdPackage, text
from sealhub.esign.ses import seal as ses
from sealhub.esign.ses.errors import SesMalformed
from sealhub.esign.verification import (
    SignatureReport,
    SignerInfo,
    VerificationReport,
    Verifier,
    VerifyOptions,
    register,
)
from sealhub.platform import clock

SM2_MECHANISM = "sm2sign_with_sm3"
CHANGED_NOTE = "changed:"


def _sniff_ofd(head: bytes, name: str) -> bool:
    return head[:4] == b"PK\x03\x04" and (name.lower().endswith(".ofd") or b"OFD.xml" in head)


def _sniff_ses(head: bytes, name: str) -> bool:
    # SES_Seal / SES_Signature: nested SEQUENCEs reaching the header's IA5String "ES" early
    if name.lower().endswith((".esl", ".ses")):
        return head[:1] == b"\x30"
    return head[:1] == b"\x30" and b"\x16\x02ES" in head[:96]


def _roots(options: VerifyOptions) -> list[bytes]:
    return [cert.public_bytes(Encoding.DER) for cert in options.trust_roots]


def _signer(cert_der: bytes) -> tuple[SignerInfo | None, gm_certs.Sm2Certificate | None]:
    try:
        cert = gm_certs.load_certificate(cert_der)
    except GmKeyInvalid:
        return None, None
    subject = cert.cert["tbs_certificate"]["subject"].native
    return (
        SignerInfo(
            common_name=subject.get("common_name"),
            organisation=subject.get("organization_name"),
            organisation_id=subject.get("serial_number"),
            serial=format(cert.serial, "x"),
            issuer=cert.issuer,
            not_before=cert.not_before.isoformat(),
            not_after=cert.not_after.isoformat(),
            algorithm=SM2_MECHANISM,
        ),
        cert,
    )


def _trust(
    cert: gm_certs.Sm2Certificate | None, roots: Sequence[bytes], report: SignatureReport
) -> None:
    if not roots or cert is None:
        report.trust_problem = "no_trust_roots" if not roots else "no_certificate"
        return
    anchors = []
    for root in roots:
        try:
            anchors.append(gm_certs.load_certificate(root))
        except GmKeyInvalid:
            continue
    problems = gm_certs.chain_problems(cert, [], anchors, clock.now())
    report.trusted = not problems
    report.trust_problem = ",".join(problems) or None
    report.chain = [cert.subject]


def verify_ofd_file(
    data: bytes, options: VerifyOptions, roots: Sequence[bytes] | None = None
) -> VerificationReport:
    """An OFD's signatures as a `VerificationReport` (`roots`: DER, instead of options')."""
    try:
        report = ofd_verify.verify_ofd(data, trust_roots=())
    except (OfdMalformed, GmKeyInvalid) as exc:
        return VerificationReport("ofd", readable=False, error=exc.code)
    roots = _roots(options) if roots is None else roots
    pkg_sigs = report.signatures
    out = VerificationReport("ofd", readable=True)
    for i, sig in enumerate(pkg_sigs):
        entry = SignatureReport(index=i, field_name=sig.id, kind=f"ofd_{sig.type.lower()}")
        reference_problems = {"reference_changed", "reference_missing", "reference_unsafe"}
        entry.intact = not (reference_problems | {"data_hash_mismatch"}) & set(sig.problems)
        entry.valid = sig.valid is True
        entry.signing_time = sig.signed_at
        entry.covers_whole_file = not report.unprotected_files
        entry.coverage = "ENTIRE_FILE" if entry.covers_whole_file else "PARTIAL"
        entry.changes_after_signing = bool(sig.changed_files or report.unprotected_files)
        entry.modification_level = "NONE" if not entry.changes_after_signing else "OTHER"
        entry.problems = list(sig.problems)
        if sig.valid is None:
            entry.problems.append("no_certificate")  # a bare signature: indeterminate
        entry.notes = list(sig.warnings) + [CHANGED_NOTE + f for f in sig.changed_files]
        entry.notes += ["unprotected:" + f for f in report.unprotected_files]
        if sig.seal_name:
            entry.notes.append(f"seal:{sig.seal_name}")
        value = _signed_value(data, sig)
        if value is not None:
            entry.signer, cert = _signer(value.signer_cert)
            _trust(cert, roots, entry)
        entry.ok = entry.intact and entry.valid and entry.covers_whole_file
        out.signatures.append(entry)
    return out


def _signed_value(data: bytes, sig: ofd_verify.SignatureReport) -> ses.SesSignature | None:
    if sig.type != "Seal":
        return None
    try:
        pkg = OfdPackage.read(data)
        root = pkg.xml(sig.path)
        ref = text(root, "SignedValue") or ""
        return ses.parse_signature(pkg.get(pkg.resolve(ref, sig.path.rsplit("/", 1)[0])))
    except (OfdMalformed, SesMalformed):
        return None


def verify_ses_file(
    data: bytes, options: VerifyOptions, roots: Sequence[bytes] | None = None
) -> VerificationReport:
    """A seal (.esl) or a detached SES_Signature as a `VerificationReport`."""
    roots = _roots(options) if roots is None else roots
    try:
        sig = ses.parse_signature(data)
    except SesMalformed as sig_error:
        try:
            seal = ses.parse_seal(data)
        except SesMalformed:
            return VerificationReport(
                "ses", readable=False, error=f"{sig_error.code}:{sig_error.params.get('path')}"
            )
        check = ses.check_seal(seal)
        entry = SignatureReport(index=0, field_name=seal.es_id, kind="ses_seal")
        entry.intact = True
        entry.valid = check.ok
        entry.covers_whole_file = True
        entry.coverage = "ENTIRE_FILE"
        entry.modification_level = "NONE"
        entry.problems = [] if check.ok else [check.reason]
        entry.notes = [f"seal:{seal.name}", f"version:{seal.version}", f"vid:{seal.vid}"]
        entry.signing_time = seal.created.isoformat()
        entry.signer, cert = _signer(seal.maker_cert)
        _trust(cert, roots, entry)
        entry.ok = check.ok
        return VerificationReport("ses_seal", readable=True, signatures=[entry])
    checks = ses.check_signature(sig)
    entry = SignatureReport(index=0, field_name=sig.seal.es_id, kind="ses_signature")
    entry.valid = all(c.ok for name, c in checks.items() if name != "seal_validity")
    # a detached signature names no document: its dataHash cannot be compared here
    entry.intact = True
    entry.covers_whole_file = True
    entry.coverage = "ENTIRE_FILE"
    entry.modification_level = "NONE"
    entry.signing_time = sig.time.isoformat() if sig.time else None
    entry.problems = [
        c.reason for name, c in checks.items() if not c.ok and name != "seal_validity"
    ]
    entry.notes = [c.reason for name, c in checks.items() if not c.ok and name == "seal_validity"]
    entry.notes += [f"seal:{sig.seal.name}", "data_hash_not_checked"]
    entry.signer, cert = _signer(sig.signer_cert)
    _trust(cert, roots, entry)
    entry.ok = entry.valid
    return VerificationReport("ses_signature", readable=True, signatures=[entry])


async def _ofd(data: bytes, options: VerifyOptions) -> VerificationReport:
    return await asyncio.to_thread(verify_ofd_file, data, options)


async def _ses(data: bytes, options: VerifyOptions) -> VerificationReport:
    return await asyncio.to_thread(verify_ses_file, data, options)


register(Verifier("ofd", _sniff_ofd, _ofd))
register(Verifier("ses", _sniff_ses, _ses))
