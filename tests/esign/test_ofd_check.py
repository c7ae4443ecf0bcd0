"""The `sealhub verify` entry for OFD, .esl seals and SES signatures: kinds and exit codes."""

from __future__ import annotations

import pytest

from sealhub.esign.ofd.check import check_file, sniff
from sealhub.esign.ofd.sign import seal_ofd
from sealhub.esign.ses import seal as ses
from tests.esign.gmkit import AT, CORPUS, kit, make_seal

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}")

EXIT = {
    "ses/UserV1.esl": ("seal", 0),
    "ses/UserV4.esl": ("seal", 0),
    "ses/UserV5.esl": ("seal", 0),
    "ses/UserV5_ts.esl": ("seal", 0),
    "ses/SESealData.DER": ("seal", 1),
    "ofd/v4signed.ofd": ("ofd", 0),
    "ofd/signedFile.ofd": ("ofd", 0),
    "ofd/SignScaleError.ofd": ("ofd", 0),
    "ofd/SESV4SignDoc.ofd": ("ofd", 0),
    "ofd/allprotected.ofd": ("ofd", 0),
    "ofd/V4RideRight.ofd": ("ofd", 0),
    "ofd/DigitalSign.ofd": ("ofd", 1),
    "ofd/helloworld.ofd": ("ofd", 2),
}


@pytest.mark.parametrize("name", sorted(EXIT))
def test_every_corpus_file_gets_its_exit_code(name: str) -> None:
    report = check_file((CORPUS / name).read_bytes())
    assert (report.kind, report.exit_code) == EXIT[name]
    if name.endswith("SESealData.DER"):
        assert report.detail["reason"] == "maker_signature_invalid"


def test_signatures_trust_and_garbage() -> None:
    k = kit()
    sig = ses.sign_digest(make_seal(4), k.signer_key, k.signer.der, b"\x02" * 32, at=AT)
    report = check_file(sig.der, trust_roots=[k.root.der], require_trust=True)
    assert (report.kind, report.exit_code, report.trusted) == ("signature", 0, True)
    assert report.detail["seal"]["name"] == "测试单位合同专用章"
    untrusted = check_file(sig.der, trust_roots=[k.maker.der], require_trust=True)
    assert (untrusted.valid, untrusted.trusted, untrusted.exit_code) == (True, False, 1)
    sealed = seal_ofd(
        (CORPUS / "ofd" / "helloworld.ofd").read_bytes(),
        make_seal(4),
        k.signer_key,
        k.signer.der,
        at=AT,
    )
    assert check_file(sealed, trust_roots=[k.root.der], require_trust=True).exit_code == 0
    assert check_file(sealed, trust_roots=[k.maker.der], require_trust=True).exit_code == 1
    assert check_file(sealed).trusted is None
    assert sniff(b"%PDF-1.7") is None
    bad = check_file(b"\x30\x82\x01\x00" + b"\x00" * 100)
    assert bad.exit_code == 2 and bad.error is not None
    assert bad.error["code"] == "esign.ses_malformed"
    assert check_file(b"PK\x03\x04OFD.xml broken").exit_code == 2
