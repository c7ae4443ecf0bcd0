"""Sealing PDFs: every PAdES level accepted by pdfsig, qpdf and pyHanko's validator; keyword,
straddle and multiple seals; tampering and revocation detected."""

from __future__ import annotations

import asyncio
import io
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader

from sealhub.esign import imaging
from sealhub.esign.keys import FileKey, KeyAlgorithm
from sealhub.esign.pdf.placement import MM, AtKeyword, AtPosition, Straddle, find_keyword
from sealhub.esign.pdf.seal import Level, SealingFailed
from sealhub.esign.pdf.verify import verify_pdf
from sealhub.esign.pki import RevocationReason, Revoked
from sealhub.esign.verification import VerificationReport, VerifyOptions
from tests.esign.conftest import Pki
from tests.esign.pdfs import KEYWORD_AT, contract, need, pdfsig, qpdf_check

SEAL = imaging.round_seal("上海示例科技有限公司", "合同专用章", diameter_mm=40, dpi=300)


def _verify(pki: Pki, data: bytes, **kw: object) -> VerificationReport:
    options = VerifyOptions(trust_roots=[pki.ca.root_cert], allow_fetching=True, **kw)  # type: ignore[arg-type]
    return asyncio.run(verify_pdf(data, options))


def _tamper(data: bytes) -> bytes:
    """Change one byte inside the signed range: the first object's keyword."""
    at = data.index(b" obj", 20)
    return data[:at] + b" ocj" + data[at + 4 :]


@pytest.fixture(scope="module")
def doc() -> bytes:
    return contract(pages=2)


@pytest.mark.parametrize("level", list(Level))
def test_each_level_valid_for_pdfsig_qpdf_and_pyhanko(
    pki: Pki, doc: bytes, level: Level, tmp_path: Path
) -> None:
    sealed = pki.sealer().seal(
        doc,
        image=SEAL,
        placements=[AtPosition(2, 300, 300)],
        level=level,
        qr_url="https://sealhub.example/verify/doc-1",
    )
    path = tmp_path / f"{level}.pdf"
    path.write_bytes(sealed)
    text = pdfsig(path, pki.nssdir)
    blocks = text.split("Signature #")[1:]
    assert len(blocks) == (2 if level is Level.B_LTA else 1), text
    assert "Signature is Valid" in blocks[0], text
    assert "Certificate is Trusted" in blocks[0], text
    # the seal's own signature covers the whole file up to B-LT; at B-LTA the document
    # timestamp after it does (poppler 22 cannot check RFC 3161 document timestamps:
    # "Unable to validate this type of signature"; pyHanko checks it below)
    assert "Total document signed" in blocks[-1], text
    if level is not Level.B_LTA:
        assert "Total document signed" in blocks[0]
    code, out = qpdf_check(path)
    assert code == 0 and "No syntax or stream encoding errors" in out, out

    report = _verify(pki, sealed)
    assert report.exit_code(require_trust=True) == 0, report.to_dict()
    sig = report.signatures[0]
    assert sig.signer is not None and sig.signer.common_name == "合同专用章"
    assert sig.signer.organisation == "上海示例科技有限公司"
    assert sig.trusted and sig.revocation == "good" and sig.covers_whole_file
    assert (sig.timestamp is not None) is (level is not Level.B_B)
    if level is Level.B_LTA:
        ts = report.signatures[1]
        assert ts.kind == "document_timestamp" and ts.ok and ts.trusted and ts.timestamp_valid
        assert sig.modification_level == "LTA_UPDATES"
    if level in (Level.B_LT, Level.B_LTA):
        reader = PdfFileReader(io.BytesIO(sealed))
        assert "/DSS" in reader.root  # validation data embedded

    # a byte changed after sealing: reported by all three
    bad = tmp_path / f"{level}-tampered.pdf"
    bad.write_bytes(_tamper(sealed))
    assert "Digest Mismatch" in pdfsig(bad, pki.nssdir)
    code, out = qpdf_check(bad)
    assert code != 0, out
    tampered = _verify(pki, bad.read_bytes())
    assert tampered.exit_code() == 1
    assert "digest_mismatch" in tampered.signatures[0].problems


def test_seal_at_keyword_and_two_seals_on_one_document(
    pki: Pki, doc: bytes, tmp_path: Path
) -> None:
    hits = find_keyword(doc, "甲方（盖章）")
    assert len(hits) == 1 and hits[0].page == 2
    x, y, size = KEYWORD_AT
    assert abs(hits[0].x - (x + 3 * size)) < size and abs(hits[0].y - y) < size

    legal_key = FileKey.generate(KeyAlgorithm.RSA_3072)
    legal_cert = pki.seal_cert(legal_key, "法定代表人 张三")
    person = imaging.square_seal("张三", side_mm=18)
    once = pki.sealer().seal(doc, image=SEAL, placements=[AtKeyword("甲方（盖章）")])
    twice = pki.sealer(legal_key, legal_cert).seal(
        once, image=person, placements=[AtKeyword("（盖章）", occurrence=2)], level=Level.B_T
    )
    path = tmp_path / "two.pdf"
    path.write_bytes(twice)
    text = pdfsig(path, pki.nssdir)
    assert text.count("Signature is Valid") == 2 and text.count("Total document signed") == 1, text
    report = _verify(pki, twice)
    assert report.exit_code(require_trust=True) == 0, report.to_dict()
    first, second = report.signatures
    assert first.modification_level == "FORM_FILLING" and first.covers_whole_file
    assert second.signer is not None and second.signer.common_name == "法定代表人 张三"
    # the widget sits on the keyword: its rectangle's centre is the keyword's centre
    reader = PdfFileReader(io.BytesIO(twice))
    page = reader.root["/Pages"]["/Kids"][1].get_object()
    rects = [[float(v) for v in a.get_object()["/Rect"]] for a in page["/Annots"]]
    centres = [((r[0] + r[2]) / 2, (r[1] + r[3]) / 2) for r in rects]
    assert any(abs(cx - hits[0].x) < 1 and abs(cy - hits[0].y) < 1 for cx, cy in centres)
    with pytest.raises(SealingFailed):
        pki.sealer().seal(doc, image=SEAL, placements=[AtKeyword("丙方（盖章）")])


def _right_edge_red(png: Path) -> int:
    img = Image.open(png).convert("RGB")
    w, h = img.size
    strip = img.crop((w - 12, h // 2 - 40, w, h // 2 + 40))
    return sum(1 for r, g, b in strip.get_flattened_data() if r > 150 and g < 90 and b < 90)


def test_straddle_seal_over_ten_pages(pki: Pki, tmp_path: Path) -> None:
    doc = contract(pages=10)
    sealed = pki.sealer().seal(
        doc, image=SEAL, placements=[Straddle(), AtKeyword("甲方（盖章）")], level=Level.B_T
    )
    path = tmp_path / "straddle.pdf"
    path.write_bytes(sealed)
    text = pdfsig(path, pki.nssdir)
    assert "Signature is Valid" in text and "Total document signed" in text, text
    assert _verify(pki, sealed).exit_code(require_trust=True) == 0
    # every page carries its slice at the right edge (rendered by poppler)
    subprocess.run(
        [need("pdftoppm"), "-r", "30", "-png", str(path), str(tmp_path / "p")],
        check=True,
        timeout=120,
    )
    pages = sorted(tmp_path.glob("p-*.png"))
    assert len(pages) == 10
    assert all(_right_edge_red(p) > 15 for p in pages), [_right_edge_red(p) for p in pages]
    slice_w = SEAL.width_mm * MM / 10
    assert slice_w < 12  # each page carries a tenth of a 40 mm seal

    # a page removed afterwards (an incremental update) is detected
    w = IncrementalPdfFileWriter(io.BytesIO(sealed))
    pages_ref = w.root.raw_get("/Pages")
    pages_obj = pages_ref.get_object()
    kids = pages_obj["/Kids"]
    del kids[4]
    pages_obj["/Count"] = type(pages_obj["/Count"])(9)
    w.mark_update(pages_ref)
    out = io.BytesIO()
    w.write(out)
    cut = _verify(pki, out.getvalue())
    assert cut.exit_code() == 1
    assert "modified_after_signing" in cut.signatures[0].problems
    cut_path = tmp_path / "cut.pdf"
    cut_path.write_bytes(out.getvalue())
    assert "Total document signed" not in pdfsig(cut_path, pki.nssdir)


def test_revoked_certificate_is_reported_and_blocks_lt_sealing(pki: Pki, doc: bytes) -> None:
    key = FileKey.generate(KeyAlgorithm.EC_P256)
    cert = pki.seal_cert(key, "已挂失的章")
    before = pki.sealer(key, cert).seal(doc, image=SEAL, placements=[AtPosition(1, 200, 200)])
    assert _verify(pki, before).signatures[0].revocation == "good"
    import datetime as dt

    pki.server.revoked[cert.serial_number] = Revoked(
        cert.serial_number, dt.datetime.now(dt.UTC), RevocationReason.KEY_COMPROMISE
    )
    after = pki.sealer(key, cert).seal(doc, image=SEAL, placements=[AtPosition(1, 200, 200)])
    report = _verify(pki, after)
    sig = report.signatures[0]
    assert sig.revocation == "revoked" and "certificate_revoked" in sig.problems
    assert report.exit_code() == 1
    with pytest.raises(SealingFailed) as info:
        pki.sealer(key, cert).seal(doc, level=Level.B_LT)
    assert info.value.params["reason"] == "revocation"


def test_ml_dsa_65_seal(pki: Pki, doc: bytes) -> None:
    key = FileKey.generate(KeyAlgorithm.ML_DSA_65)
    cert = pki.seal_cert(key, "抗量子专用章")
    sealed = pki.sealer(key, cert).seal(doc, image=SEAL, placements=[AtPosition(1, 300, 500)])
    report = _verify(pki, sealed)
    sig = report.signatures[0]
    assert report.exit_code(require_trust=True) == 0, report.to_dict()
    assert sig.signer is not None and sig.signer.algorithm == "mldsa65"
    tampered = _verify(pki, _tamper(sealed))
    assert tampered.exit_code() == 1
