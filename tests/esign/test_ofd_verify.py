"""OFD: corpus verdicts, sealing that verifies, a changed byte named, hostile packages refused."""

from __future__ import annotations

import io
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sealhub.esign.ofd.package import Limits, OfdMalformed, OfdPackage
from sealhub.esign.ofd.sign import Placement, seal_ofd
from sealhub.esign.ofd.verify import verify_ofd
from tests.esign.gmkit import AT, CORPUS, kit, make_seal

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}")

# file -> (signed, valid, per-signature (type, valid)) as the corpus README lists
EXPECTED = {
    "v4signed.ofd": (True, True, [("Seal", True)]),
    "signedFile.ofd": (True, True, [("Seal", True)]),
    "SignScaleError.ofd": (True, True, [("Seal", True)]),
    "SESV4SignDoc.ofd": (True, True, [("Seal", True)]),
    "allprotected.ofd": (True, True, [("Seal", True)]),
    "V4RideRight.ofd": (True, True, [("Seal", True)]),
    # a bare SM2 signature without a certificate: cannot be decided
    "DigitalSign.ofd": (True, False, [("Sign", None)]),
    "helloworld.ofd": (False, False, []),
}


def _zip(files: dict[str, bytes], compress: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compress) as z:
        for name, content in files.items():
            z.writestr(name, content)
    return out.getvalue()


def _files(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n) for n in z.namelist() if not n.endswith("/")}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_verdicts(name: str) -> None:
    signed, valid, sigs = EXPECTED[name]
    report = verify_ofd((CORPUS / "ofd" / name).read_bytes())
    assert (report.signed, report.valid) == (signed, valid)
    assert [(s.type, s.valid) for s in report.signatures] == sigs
    for s in report.signatures:
        assert s.problems == [] and s.changed_files == []
        if s.type == "Sign":
            assert s.warnings == ["no_certificate"]


def test_corpus_details() -> None:
    ride = verify_ofd((CORPUS / "ofd" / "V4RideRight.ofd").read_bytes()).signatures[0]
    assert ride.stamp_pages == ["1", "21", "43", "63", "83"] and ride.check_method == "SM3"
    tax = verify_ofd((CORPUS / "ofd" / "signedFile.ofd").read_bytes()).signatures[0]
    assert tax.seal_name == "国家税务总局江苏省税务局" and tax.seal_vid == "GOMAIN"
    assert tax.maker is not None and "国家税务总局电子印章制作系统" in tax.maker
    # the seal of SESV4SignDoc expired in 2022; ofdrw re-signed it in 2026: a warning only
    old = verify_ofd((CORPUS / "ofd" / "SESV4SignDoc.ofd").read_bytes()).signatures[0]
    assert old.warnings == ["seal_expired_at_signing"]


def test_a_corpus_file_changed_after_signing_names_the_part() -> None:
    files = _files((CORPUS / "ofd" / "v4signed.ofd").read_bytes())
    files["Doc_0/Res/qr.png"] = files["Doc_0/Res/qr.png"] + b"\0"
    report = verify_ofd(_zip(files))
    assert not report.valid
    assert report.signatures[0].changed_files == ["Doc_0/Res/qr.png"]
    assert report.signatures[0].problems == ["reference_changed"]


@pytest.mark.parametrize("version", [1, 4])
def test_what_we_seal_verifies_and_every_changed_part_is_named(version: int) -> None:
    k = kit()
    sealed = seal_ofd(
        (CORPUS / "ofd" / "helloworld.ofd").read_bytes(),
        make_seal(version),
        k.signer_key,
        k.signer.der,
        at=AT,
        where=Placement(page=0, x=100, y=200),
    )
    report = verify_ofd(sealed, trust_roots=[k.root.der])
    assert report.valid and report.signatures[0].trusted is True
    sig = report.signatures[0]
    assert sig.seal_version == version and sig.signed_at == AT.isoformat()
    protected = [r.file for r in sig.references]
    assert "Doc_0/Pages/Page_0/Content.xml" in protected and "OFD.xml" in protected
    files = _files(sealed)
    for name in [*protected, sig.path]:
        changed = dict(files)
        blob = bytearray(changed[name])
        blob[len(blob) // 2] ^= 0x01
        changed[name] = bytes(blob)
        try:
            bad = verify_ofd(_zip(changed))
        except OfdMalformed:
            continue  # a flipped byte broke the XML of OFD.xml/Signatures.xml itself
        assert not bad.valid, name
        if name == sig.path:
            # the flip may also garble a FileRef inside it; the part itself is always named
            assert name in bad.signatures[0].changed_files
            assert "data_hash_mismatch" in bad.signatures[0].problems
        else:
            assert bad.signatures[0].changed_files == [name], name
    # an unknown root: valid, but not trusted
    assert verify_ofd(sealed, trust_roots=[k.maker.der]).signatures[0].trusted is False


def test_a_second_seal_keeps_the_first_valid_and_an_added_part_is_listed() -> None:
    k = kit()
    once = seal_ofd(
        (CORPUS / "ofd" / "helloworld.ofd").read_bytes(),
        make_seal(4),
        k.signer_key,
        k.signer.der,
        at=AT,
    )
    twice = seal_ofd(once, make_seal(1), k.signer_key, k.signer.der, at=AT)
    report = verify_ofd(twice)
    assert report.valid and len(report.signatures) == 2
    files = _files(twice)
    files["Doc_0/extra.xml"] = b"<x/>"
    assert verify_ofd(_zip(files)).unprotected_files == ["Doc_0/extra.xml"]


def test_keyword_and_straddle_placement() -> None:
    k = kit()
    sealed = seal_ofd(
        (CORPUS / "ofd" / "helloworld.ofd").read_bytes(),
        make_seal(4),
        k.signer_key,
        k.signer.der,
        at=AT,
        where=Placement(keyword="OFD"),
    )
    xml = _files(sealed)["Doc_0/Signs/Sign_0/Signature.xml"].decode()
    assert 'PageRef="1"' in xml and "StampAnnot" in xml
    with pytest.raises(OfdMalformed) as err:
        seal_ofd(
            (CORPUS / "ofd" / "helloworld.ofd").read_bytes(),
            make_seal(4),
            k.signer_key,
            k.signer.der,
            at=AT,
            where=Placement(keyword="甲方（盖章）"),
        )
    assert err.value.params["reason"] == "keyword_not_found"
    straddle = seal_ofd(
        (CORPUS / "ofd" / "V4RideRight.ofd").read_bytes(),
        make_seal(4),
        k.signer_key,
        k.signer.der,
        at=AT,
        where=Placement(straddle=True, y=100),
    )
    report = verify_ofd(straddle)
    assert report.valid and report.signatures[1].stamp_pages == ["1", "21", "43", "63", "83"]
    xml = _files(straddle)["Doc_0/Signs/Sign_1/Signature.xml"].decode()
    assert xml.count("Clip=") == 5 and 'Clip="32 0 8 40"' in xml


def test_zip_bomb_traversal_and_garbage_are_refused() -> None:
    base = _files((CORPUS / "ofd" / "helloworld.ofd").read_bytes())
    bomb = dict(base, **{"Doc_0/Res/zeros.bin": b"\0" * (8 * 1024 * 1024)})
    with pytest.raises(OfdMalformed) as err:
        OfdPackage.read(_zip(bomb))
    assert err.value.params["reason"] == "zip_bomb"
    for evil in ("../evil.xml", "/etc/passwd", "Doc_0/../../x", "C:/x", "a\\..\\b"):
        with pytest.raises(OfdMalformed) as err:
            OfdPackage.read(_zip(dict(base, **{evil: b"x"})))
        assert err.value.params["reason"] == "unsafe_path", evil
    with pytest.raises(OfdMalformed) as err:
        OfdPackage.read(b"PK\x03\x04 not really a zip")
    assert err.value.params["reason"] == "not_zip"
    with pytest.raises(OfdMalformed) as err:
        OfdPackage.read(_zip(base), Limits(max_entries=2))
    assert err.value.params["reason"] == "too_many_entries"
    entity = dict(base)
    entity["OFD.xml"] = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    with pytest.raises(OfdMalformed) as err:
        verify_ofd(_zip(entity))
    assert err.value.params["reason"] == "bad_xml"
    # a reference pointing out of the package is reported, not followed
    files = _files((CORPUS / "ofd" / "allprotected.ofd").read_bytes())
    sig = "Doc_0/Signs/Sign_0/Signature.xml"
    files[sig] = files[sig].replace(b'FileRef="/OFD.xml"', b'FileRef="../../../../etc/passwd"')
    report = verify_ofd(_zip(files))
    assert not report.valid and "reference_unsafe" in report.signatures[0].problems


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_fuzz_ofd_reader_and_verifier_never_crash(data: st.DataObject) -> None:
    base = (CORPUS / "ofd" / "allprotected.ofd").read_bytes()
    files = _files(base)
    if data.draw(st.booleans()):
        # damage the zip container itself
        blob = bytearray(base)
        for _ in range(data.draw(st.integers(1, 6))):
            blob[data.draw(st.integers(0, len(blob) - 1))] = data.draw(st.integers(0, 255))
        candidate = bytes(blob)
    else:
        # damage one part (XML, SignedValue.dat, Seal.esl) inside a valid zip
        name = data.draw(st.sampled_from(sorted(files)))
        part = bytearray(files[name])
        for _ in range(data.draw(st.integers(1, 4))):
            part[data.draw(st.integers(0, len(part) - 1))] = data.draw(st.integers(0, 255))
        cut = data.draw(st.integers(0, len(part)))
        candidate = _zip(dict(files, **{name: bytes(part[:cut])}))
    try:
        report = verify_ofd(candidate)
    except OfdMalformed as exc:
        assert exc.params["reason"] in OfdMalformed.reasons
    else:
        assert isinstance(report.valid, bool)
        for sig in report.signatures:
            assert sig.valid is not True or not sig.problems
