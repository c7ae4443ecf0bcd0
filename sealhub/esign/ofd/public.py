"""OFD and SES files on the public verification page: the same report shape as PDFs.

Runs inside the untrusted-file pool, like the PDF verifier (`engine.verify_pdf` hands
OFD/SES input here). `trust_pems` are the platform's CA certificates; SM2 ones anchor SM2
chains, the others simply never match.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sealhub.esign.gm import certs as gm_certs
from sealhub.esign.gm.errors import GmKeyInvalid
from sealhub.esign.ofd import verifier
from sealhub.esign.ofd.check import sniff
from sealhub.esign.verification import SignatureReport, VerifyOptions

ALGORITHM = "sm3"


def _roots(trust_pems: list[bytes]) -> list[bytes]:
    out = []
    for pem in trust_pems:
        try:
            out.append(gm_certs.load_certificate(pem).der)
        except GmKeyInvalid:
            continue
    return out


def verify_dict(data: bytes, trust_pems: list[bytes]) -> dict[str, Any] | None:
    """The public report for an OFD/SES file, or None when `data` is neither."""
    kind = sniff(data)
    if kind is None:
        return None
    roots = _roots(trust_pems)
    options = VerifyOptions()
    report = (
        verifier.verify_ofd_file(data, options, roots)
        if kind == "ofd"
        else verifier.verify_ses_file(data, options, roots)
    )
    signatures = [_entry(s) for s in report.signatures]
    return {
        "sha256": hashlib.sha256(data).hexdigest(),
        "signatures": signatures,
        "signed": bool(signatures),
    }


def _entry(sig: SignatureReport) -> dict[str, Any]:
    signer = sig.signer
    seal_name = next((n.split(":", 1)[1] for n in sig.notes if n.startswith("seal:")), "")
    return {
        "field": sig.field_name or str(sig.index),
        "signer": (signer.common_name or "") if signer else "",
        "organisation": (signer.organisation or "") if signer else "",
        "serial": signer.serial if signer else "",
        "issuer": (signer.issuer or "") if signer else "",
        "signing_time": sig.signing_time,
        "timestamp": None,
        "intact": sig.intact,
        "valid": sig.valid,
        "trusted": sig.trusted,
        "coverage": sig.coverage or "",
        "covers_whole_file": sig.covers_whole_file,
        "modification_level": sig.modification_level or "",
        "changed_after": sig.changes_after_signing,
        "algorithm": ALGORITHM,
        "seal_name": seal_name,
    }
