"""`sealhub verify` on every PDF of the shared corpus, with the verdicts its README lists."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sealhub.cli.main import app
from sealhub.esign.pki import cert_pem
from tests.esign.conftest import Pki
from tests.esign.pdfs import CORPUS, contract

PDF = CORPUS / "pdf"

# file → (exit code, {signature index: expected signer CN or None}, problem expected somewhere)
EXPECTED: dict[str, tuple[int, dict[int, str | None], str | None]] = {
    "dss/doc-firmado-T.pdf": (0, {1: "FRANCISCO DE LA PEÑA FERNANDEZ (FIRMA)"}, None),
    "dss/pades-bes.pdf": (0, {1: "good-user"}, None),
    "dss/Signature-P-BG_BOR-1.pdf": (0, {1: "Valentin Tsvetanov Ivanov"}, None),
    # DSS added in a later revision: a permitted change, not "total document signed"
    "dss/doc-firmado-LT.pdf": (0, {1: "FRANCISCO DE LA PEÑA FERNANDEZ (FIRMA)"}, None),
    "dss/dss-2058-QC-LTA-test.pdf": (0, {1: "REIFSCHNEIDER Andreas", 2: "EC_LO_TEST"}, None),
    # plain-ECDSA (BSI TR-03111) over brainpoolP256r1: poppler cannot check it, we do
    "dss/TeleSec_PKS_eIDAS_QES_CA_1-baseline-b.pdf": (0, {1: "Scheibner, Doreen Veronika"}, None),
    "dss/pdf-signed-original.pdf": (0, {1: "good-user"}, None),
    "dss/pdf-signed-corrupted.pdf": (1, {}, "document_structure_damaged"),
    "dss/pdf-signed-out-of-byteRange.pdf": (1, {}, "digest_mismatch"),
    "dss/pdf-signed-added-page.pdf": (1, {1: "good-user"}, "modified_after_signing"),
    "dss/pdf-byterange-overlap.pdf": (1, {}, "digest_mismatch"),
    "pyhanko/coverage-anomalies/base.pdf": (1, {}, "document_structure_damaged"),
    "pyhanko/coverage-anomalies/one-byterange.pdf": (1, {1: "Lord Testerino"}, "not_covering_file"),
    "pyhanko/coverage-anomalies/signature-gap-too-big.pdf": (1, {}, "not_covering_file"),
    "pyhanko/coverage-anomalies/tail-uncovered.pdf": (1, {}, "not_covering_file"),
    "pyhanko/coverage-anomalies/weird-byterange.pdf": (1, {}, "not_covering_file"),
    "pyhanko/sig-with-ski-sid.pdf": (0, {1: "Alice"}, None),
    "pyhanko/sig-no-signed-attrs.pdf": (0, {1: "Lord Testerino"}, None),
    "pyhanko/pdf-sig-with-econtent.pdf": (0, {}, None),
    "pyhanko/certified-with-indirect-refs-in-dir.pdf": (0, {1: "Lord Testerino"}, None),
    "pyhanko/pades-lta-dss-indirect-arrs-test.pdf": (0, {1: "Alice"}, None),
    "pyhanko/minimal-two-fields-signed-twice.pdf": (
        0,
        {1: "Lord Testerino", 2: "Lord Testerino"},
        None,
    ),
    "pyhanko/minimal.pdf": (2, {}, None),
    "pyhanko/minimal-two-pages.pdf": (2, {}, None),
    "pyhanko/minimal-with-field.pdf": (2, {}, None),
}

pytestmark = pytest.mark.skipif(not PDF.is_dir(), reason=f"corpus not found at {PDF}")


def test_every_corpus_pdf_is_listed() -> None:
    found = {str(p.relative_to(PDF)) for p in PDF.rglob("*.pdf")}
    assert found == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_verdict(name: str) -> None:
    code, signers, problem = EXPECTED[name]
    result = CliRunner().invoke(app, ["verify", str(PDF / name), "--json"])
    assert result.exit_code == code, result.output
    report = json.loads(result.output)
    assert report["exit_code"] == code
    by_index = {s["index"]: s for s in report["signatures"]}
    for index, cn in signers.items():
        assert by_index[index]["signer"]["common_name"] == cn
        if code == 0:
            assert by_index[index]["ok"] and by_index[index]["intact"] and by_index[index]["valid"]
    if problem is not None:
        assert any(problem in s["problems"] for s in report["signatures"]), report
    if code == 0:
        assert report["signed"] and all(s["covers_whole_file"] for s in report["signatures"])
    if code == 2:
        assert report["signatures"] == []


def test_the_command_as_a_user_runs_it(tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "sealhub.cli.main", "verify", *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    good = run(str(PDF / "dss/pdf-signed-original.pdf"))
    assert good.returncode == 0 and "有效 VALID" in good.stdout and "good-user" in good.stdout
    bad = run(str(PDF / "dss/pdf-signed-out-of-byteRange.pdf"))
    assert bad.returncode == 1 and "digest_mismatch" in bad.stdout


def test_trust_is_separate_and_bad_input_is_exit_2(tmp_path: Path, pki: Pki) -> None:
    runner = CliRunner()
    original = str(PDF / "dss/pdf-signed-original.pdf")
    assert runner.invoke(app, ["verify", original]).exit_code == 0
    # an untrusted chain fails only with --require-trust
    assert runner.invoke(app, ["verify", original, "--require-trust"]).exit_code == 1
    sealed = tmp_path / "ours.pdf"
    sealed.write_bytes(pki.sealer().seal(contract(pages=1)))
    root = tmp_path / "root.pem"
    root.write_bytes(cert_pem(pki.ca.root_cert))
    result = runner.invoke(app, ["verify", str(sealed), "--trust", str(root), "--require-trust"])
    assert result.exit_code == 0 and "上海示例科技有限公司" in result.output, result.output
    assert runner.invoke(app, ["verify", str(tmp_path / "nope.pdf")]).exit_code == 2
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"%PDF-1.7\n garbage")
    assert runner.invoke(app, ["verify", str(junk)]).exit_code == 2
    not_cert = tmp_path / "bad.pem"
    not_cert.write_text("hello")
    result = runner.invoke(app, ["verify", original, "--trust", str(not_cert)])
    assert result.exit_code == 2 and "Error" in result.output
