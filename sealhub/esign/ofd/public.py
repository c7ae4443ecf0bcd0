"""OFD and SES files on the public verification page: the same report as PDFs.

Runs inside the untrusted-file pool, like the PDF verifier (`engine.verify_pdf` hands
OFD/SES input here). `trust_pems` are the platform's CA certificates; SM2 ones anchor SM2
chains, the others simply never match.
"""

from __future__ import annotations

from sealhub.esign.gm import certs as gm_certs
from sealhub.esign.gm.errors import GmKeyInvalid
from sealhub.esign.ofd import verifier
from sealhub.esign.ofd.check import sniff
from sealhub.esign.verification import VerificationReport, VerifyOptions


def _roots(trust_pems: list[bytes]) -> list[bytes]:
    out = []
    for pem in trust_pems:
        try:
            out.append(gm_certs.load_certificate(pem).der)
        except GmKeyInvalid:
            continue
    return out


def verify_report(data: bytes, trust_pems: list[bytes]) -> VerificationReport | None:
    """The report for an OFD/SES file, or None when `data` is neither."""
    kind = sniff(data)
    if kind is None:
        return None
    roots = _roots(trust_pems)
    if kind == "ofd":
        return verifier.verify_ofd_file(data, VerifyOptions(), roots)
    return verifier.verify_ses_file(data, VerifyOptions(), roots)
