"""GB/T 38540 / GM/T 0031 seals and signatures: corpus verdicts, round trips, malformed input."""

from __future__ import annotations

import pytest
from asn1crypto import core as a
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sealhub.esign.gm import sm2
from sealhub.esign.ses import schema
from sealhub.esign.ses import seal as ses
from sealhub.esign.ses.errors import SesMalformed
from tests.esign.gmkit import AT, CORPUS, END, START, kit, make_seal, seal_png

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}")

# file -> (version, maker signature valid, reason when not) as the corpus README lists
EXPECTED = {
    "UserV1.esl": (1, True, ""),
    "UserV4.esl": (4, True, ""),
    "UserV5.esl": (5, True, ""),
    "UserV5_ts.esl": (5, True, ""),
    "SESealData.DER": (4, False, "maker_signature_invalid"),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_seals_give_their_verdict(name: str) -> None:
    version, ok, reason = EXPECTED[name]
    seal = ses.parse_seal((CORPUS / "ses" / name).read_bytes())
    assert seal.version == version
    check = ses.check_seal(seal)
    assert (check.ok, check.reason) == (ok, reason)
    if not ok:
        # neither the standard rule nor the usual vendor mistakes (no Z, bare digest)
        assert check.rule == "none"


def test_corpus_seal_fields() -> None:
    v1 = ses.parse_seal((CORPUS / "ses" / "UserV1.esl").read_bytes())
    assert (v1.name, v1.picture.type, v1.vid) == ("OFDRW测试用印章", "PNG", "OFDR&WTest")
    assert v1.picture.data.startswith(b"\x89PNG")
    bad = ses.parse_seal((CORPUS / "ses" / "SESealData.DER").read_bytes())
    assert bad.vid == "Vid HebeiGede" and bad.seal_type == 4
    assert bad.name == "测试单位名称 合同专用章" and bad.picture.type == "GIF"
    assert bad.cert_list_type == 1 and len(bad.certs) == 2
    ts = ses.parse_seal((CORPUS / "ses" / "UserV5_ts.esl").read_bytes())
    assert ts.timestamp is not None and len(ts.timestamp) == 3


@pytest.mark.parametrize("version", [1, 4, 5])
def test_seal_and_signature_round_trip_field_by_field(version: int) -> None:
    k = kit()
    seal = make_seal(version)
    again = ses.parse_seal(seal.der)
    assert again == seal
    assert (again.version, again.vid, again.es_id, again.seal_type) == (
        version,
        "SealHub",
        f"SH-TEST-{version}",
        1,
    )
    assert again.name == "测试单位合同专用章" and again.certs == (k.signer.der,)
    assert (again.created, again.valid_start, again.valid_end) == (START, START, END)
    assert again.picture == ses.Picture("PNG", seal_png(), 40, 40)
    assert again.maker_cert == k.maker.der and again.signature_algorithm == sm2.SM2_WITH_SM3_OID
    assert ses.check_seal(again).ok
    digest = sm2.sm3(b"document")
    sig = ses.sign_digest(seal, k.signer_key, k.signer.der, digest, at=AT, property_info="/x")
    back = ses.parse_signature(sig.der)
    assert back == sig and back.seal == seal
    assert (back.data_hash, back.property_info, back.time) == (digest, "/x", AT)
    assert back.signer_cert == k.signer.der
    checks = ses.check_signature(back, digest)
    assert all(c.ok for c in checks.values()), checks
    assert not ses.check_signature(back, sm2.sm3(b"other"))["data_hash"].ok


def test_tampered_seal_fails_the_maker_check() -> None:
    seal = make_seal(4)
    der = bytearray(seal.der)
    at = der.index("测试".encode())
    der[at : at + 6] = "伪造".encode()
    assert ses.check_seal(ses.parse_seal(bytes(der))) == ses.Check(
        False, "maker_signature_invalid", "none"
    )


def _path_of(data: bytes, parse: object = ses.parse_seal) -> tuple[str, str]:
    with pytest.raises(SesMalformed) as err:
        parse(data)  # type: ignore[operator]
    return err.value.params["path"], err.value.params["reason"]


def test_malformed_seals_are_refused_with_the_field() -> None:
    der = make_seal(4).der
    assert _path_of(b"") == ("SES_Seal", "truncated")
    assert _path_of(der[:-10])[1] == "truncated"
    assert _path_of(der + b"\x00") == ("SES_Seal", "trailing_data")
    # a length byte that runs past its parent
    wrong = bytearray(der)
    wrong[1] = 0x83
    assert _path_of(bytes(wrong))[1] in {"truncated", "not_der"}
    # the algorithm OID replaced by sha256WithRSAEncryption
    oid = a.ObjectIdentifier(sm2.SM2_WITH_SM3_OID).dump()
    rsa = a.ObjectIdentifier("1.2.840.113549.1.1.11").dump()
    assert len(oid) == len(rsa) - 1
    bad_oid = der.replace(oid, a.ObjectIdentifier("1.2.156.10197.1.502").dump())
    assert _path_of(bad_oid) == ("SES_Seal.signAlgID", "bad_oid")
    # the header id
    assert _path_of(der.replace(b"\x16\x02ES", b"\x16\x02EX", 1)) == (
        "SES_Seal.esealInfo.header.id",
        "bad_header_id",
    )


def test_a_bad_certificate_in_the_list_is_named() -> None:
    k = kit()
    info = schema.SealInfoV4.load(make_seal(4).signed_data)
    prop = info["property"]
    prop["certList"] = schema.CertInfoList([k.signer.der, b"\x30\x03\x02\x01\x00"])
    sealv = schema.SealV4(
        {
            "esealInfo": schema.SealInfoV4(
                {
                    "header": info["header"],
                    "esID": info["esID"],
                    "property": prop,
                    "picture": info["picture"],
                }
            ),
            "cert": k.maker.der,
            "signAlgID": sm2.SM2_WITH_SM3_OID,
            "signedValue": a.BitString.load(a.OctetBitString(b"\x30\x00").dump()),
        }
    )
    assert _path_of(sealv.dump()) == ("SES_Seal.esealInfo.property.certList[1]", "bad_cert")


def test_malformed_signatures_are_refused() -> None:
    k = kit()
    sig = ses.sign_digest(make_seal(4), k.signer_key, k.signer.der, b"\x01" * 32, at=AT)
    assert _path_of(sig.der[:200], ses.parse_signature)[1] == "truncated"
    assert _path_of(make_seal(4).der, ses.parse_signature)[0].startswith("SES_Signature.")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_fuzz_parsers_never_crash(data: st.DataObject) -> None:
    base = data.draw(st.sampled_from([make_seal(1).der, make_seal(4).der]))
    mutated = bytearray(base)
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(mutated) - 1))
        mutated[i] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(mutated)))
    for blob in (bytes(mutated), bytes(mutated[:cut])):
        for parse in (ses.parse_seal, ses.parse_signature):
            try:
                parsed = parse(blob)
            except SesMalformed as exc:
                assert exc.params["path"].startswith(("SES_Seal", "SES_Signature"))
            else:
                assert parsed.der == blob


def test_v1_time_info_as_ofdrw_writes_it() -> None:
    k = kit()
    sig = ses.sign_digest(make_seal(1), k.signer_key, k.signer.der, b"\x03" * 32, at=AT)
    assert sig.time == AT
    tbs = schema.TbsSignV1.load(sig.signed_data)
    tbs["timeInfo"] = a.BitString.load(a.OctetBitString(b"2026-11-29 12:00:00").dump())
    assert ses._v1_time(tbs["timeInfo"]) == AT
