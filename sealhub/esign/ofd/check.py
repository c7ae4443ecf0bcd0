"""One entry for `sealhub verify` and the public verification page: an OFD, a seal (.esl,
SES_Seal DER) or a detached seal signature (SES_Signature DER), told apart by content.

Exit codes follow `sealhub verify`: 0 every signature valid (and trusted when trust is
required), 1 a check failed, 2 unsigned or unreadable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sealhub.esign.gm import certs as gm_certs
from sealhub.esign.gm.errors import GmKeyInvalid
from sealhub.esign.ofd.package import OfdMalformed
from sealhub.esign.ofd.verify import is_ofd, verify_ofd
from sealhub.esign.ses import seal as ses
from sealhub.esign.ses.errors import SesMalformed
from sealhub.platform import clock


@dataclass
class NationalReport:
    """What the CLI prints (as JSON with --json) and the verification page shows."""

    kind: str  # "ofd", "seal", "signature", "unknown"
    exit_code: int
    valid: bool
    trusted: bool | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    error: dict[str, Any] | None = None


def sniff(data: bytes) -> str | None:
    """'ofd', 'ses' or None: for the verify dispatch registry."""
    if is_ofd(data):
        return "ofd"
    if data[:1] == b"\x30" and len(data) > 64:
        return "ses"
    return None


def check_file(
    data: bytes, *, trust_roots: Sequence[bytes] = (), require_trust: bool = False
) -> NationalReport:
    """Verify an OFD, a seal or a seal signature."""
    kind = sniff(data)
    if kind == "ofd":
        try:
            report = verify_ofd(data, trust_roots=trust_roots)
        except (OfdMalformed, GmKeyInvalid) as exc:
            return NationalReport("ofd", 2, False, error=_err(exc))
        trusted = (
            None
            if not trust_roots
            else all(s.trusted is True for s in report.signatures) and report.signed
        )
        code = 2 if not report.signed else 0 if report.valid else 1
        if code == 0 and require_trust and not trusted:
            code = 1
        return NationalReport("ofd", code, report.valid, trusted, report.to_dict())
    if kind == "ses":
        return _check_ses(data, trust_roots, require_trust)
    return NationalReport("unknown", 2, False, error={"code": "not_ofd_or_ses"})


def _err(exc: Exception) -> dict[str, Any]:
    code = getattr(exc, "code", type(exc).__name__)
    params = getattr(exc, "params", {})
    title = exc.title("en") if hasattr(exc, "title") else str(exc)
    return {"code": code, "params": params, "title": title}


def _check_ses(data: bytes, trust_roots: Sequence[bytes], require_trust: bool) -> NationalReport:
    roots = [gm_certs.load_certificate(r) for r in trust_roots]
    try:
        sig = ses.parse_signature(data)
    except SesMalformed as sig_error:
        try:
            seal = ses.parse_seal(data)
        except SesMalformed:
            # report the path for the structure the outer shape suggests
            return NationalReport("unknown", 2, False, error=_err(sig_error))
        check = ses.check_seal(seal)
        detail = _seal_detail(seal) | {"maker_signature": check.ok, "reason": check.reason}
        trusted = _trusted(seal.maker_cert, roots) if roots else None
        code = 0 if check.ok else 1
        if code == 0 and require_trust and not trusted:
            code = 1
        return NationalReport("seal", code, check.ok, trusted, detail)
    checks = ses.check_signature(sig)
    problems = [c.reason for name, c in checks.items() if not c.ok and name != "seal_validity"]
    warnings = [c.reason for name, c in checks.items() if not c.ok and name == "seal_validity"]
    trusted = _trusted(sig.signer_cert, roots) if roots else None
    valid = not problems
    code = 0 if valid else 1
    if code == 0 and require_trust and not trusted:
        code = 1
    detail = {
        "version": sig.version,
        "signed_at": sig.time.isoformat() if sig.time else None,
        "data_hash": sig.data_hash.hex(),
        "property_info": sig.property_info,
        "problems": problems,
        "warnings": warnings,
        # a detached signature names no document: dataHash cannot be checked here
        "data_hash_checked": False,
        "seal": _seal_detail(sig.seal),
    }
    return NationalReport("signature", code, valid, trusted, detail)


def _seal_detail(seal: ses.Seal) -> dict[str, Any]:
    return {
        "version": seal.version,
        "vid": seal.vid,
        "es_id": seal.es_id,
        "type": seal.seal_type,
        "name": seal.name,
        "valid_start": seal.valid_start.isoformat(),
        "valid_end": seal.valid_end.isoformat(),
        "picture": {
            "type": seal.picture.type,
            "width_mm": seal.picture.width_mm,
            "height_mm": seal.picture.height_mm,
        },
        "certificates": len(seal.certs) or len(seal.cert_digests),
    }


def _trusted(cert_der: bytes, roots: Sequence[gm_certs.Sm2Certificate]) -> bool:
    try:
        cert = gm_certs.load_certificate(cert_der)
    except GmKeyInvalid:
        return False
    return not gm_certs.chain_problems(cert, [], roots, clock.now())
