"""`sealhub verify` on OFD, .esl seals and SES signatures (the national formats' verifiers)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sealhub.cli.main import app
from sealhub.esign.ofd.sign import seal_ofd
from sealhub.esign.ses import seal as ses
from tests.esign.gmkit import AT, CORPUS, kit, make_seal

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}")

EXIT = {
    "ofd/v4signed.ofd": 0,
    "ofd/signedFile.ofd": 0,
    "ofd/SignScaleError.ofd": 0,
    "ofd/SESV4SignDoc.ofd": 0,
    "ofd/allprotected.ofd": 0,
    "ofd/V4RideRight.ofd": 0,
    "ofd/DigitalSign.ofd": 1,
    "ofd/helloworld.ofd": 2,
    "ses/UserV1.esl": 0,
    "ses/UserV4.esl": 0,
    "ses/UserV5.esl": 0,
    "ses/UserV5_ts.esl": 0,
    "ses/SESealData.DER": 1,
}


@pytest.mark.parametrize("name", sorted(EXIT))
def test_corpus_exit_codes(name: str) -> None:
    result = CliRunner().invoke(app, ["verify", str(CORPUS / name), "--json"])
    assert result.exit_code == EXIT[name], result.output
    report = json.loads(result.output)
    assert report["exit_code"] == EXIT[name]
    if name.endswith("SESealData.DER"):
        assert report["signatures"][0]["problems"] == ["maker_signature_invalid"]
    if name.endswith("DigitalSign.ofd"):
        assert report["signatures"][0]["problems"] == ["no_certificate"]


def test_sealed_ofd_trust_and_a_changed_part(tmp_path: Path) -> None:
    k = kit()
    sealed = seal_ofd(
        (CORPUS / "ofd" / "helloworld.ofd").read_bytes(),
        make_seal(4),
        k.signer_key,
        k.signer.der,
        at=AT,
    )
    (tmp_path / "doc.ofd").write_bytes(sealed)
    (tmp_path / "root.pem").write_bytes(k.root.pem())
    (tmp_path / "other.pem").write_bytes(k.maker.pem())
    runner = CliRunner()
    ok = runner.invoke(
        app,
        [
            "verify",
            str(tmp_path / "doc.ofd"),
            "--trust",
            str(tmp_path / "root.pem"),
            "--require-trust",
        ],
    )
    assert ok.exit_code == 0, ok.output
    assert "测试单位合同专用章" in ok.output
    untrusted = runner.invoke(
        app,
        [
            "verify",
            str(tmp_path / "doc.ofd"),
            "--trust",
            str(tmp_path / "other.pem"),
            "--require-trust",
            "--json",
        ],
    )
    assert untrusted.exit_code == 1
    assert json.loads(untrusted.output)["signatures"][0]["trusted"] is False
    # one changed byte in the page: the report names the part
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(sealed)) as z:
        files = {n: z.read(n) for n in z.namelist()}
    files["Doc_0/Pages/Page_0/Content.xml"] = files["Doc_0/Pages/Page_0/Content.xml"].replace(
        b"OFD", b"0FD"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for n, c in files.items():
            z.writestr(n, c)
    (tmp_path / "changed.ofd").write_bytes(out.getvalue())
    bad = runner.invoke(app, ["verify", str(tmp_path / "changed.ofd"), "--json"])
    assert bad.exit_code == 1
    sig = json.loads(bad.output)["signatures"][0]
    assert sig["intact"] is False
    assert "changed:Doc_0/Pages/Page_0/Content.xml" in sig["notes"]
    # a detached SES signature
    detached = ses.sign_digest(make_seal(1), k.signer_key, k.signer.der, b"\x05" * 32, at=AT)
    (tmp_path / "sig.ses").write_bytes(detached.der)
    assert runner.invoke(app, ["verify", str(tmp_path / "sig.ses")]).exit_code == 0
    (tmp_path / "bad.esl").write_bytes(detached.der[:300])
    broken = runner.invoke(app, ["verify", str(tmp_path / "bad.esl"), "--json"])
    assert broken.exit_code == 2 and "esign.ses_malformed" in json.loads(broken.output)["error"]
