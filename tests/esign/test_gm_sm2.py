"""SM2/SM3 against independent oracles: the OpenSSL CLI and Wycheproof HMAC-SM3 vectors."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from sealhub.esign.gm import certs, sm2
from sealhub.esign.gm.errors import GmKeyInvalid
from tests.esign.gmkit import AT, CORPUS, kit

OPENSSL = shutil.which("openssl")
needs_openssl = pytest.mark.skipif(OPENSSL is None, reason="the openssl CLI is not installed")
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}")


def _openssl(*args: str) -> subprocess.CompletedProcess[bytes]:
    assert OPENSSL
    return subprocess.run([OPENSSL, *args], capture_output=True, timeout=30, check=False)


def test_sm3_known_answer() -> None:
    # GB/T 32905 appendix A example 1
    assert sm2.sm3(b"abc").hex() == (
        "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    )


@needs_corpus
def test_hmac_sm3_wycheproof() -> None:
    data = json.loads((CORPUS / "sm" / "wycheproof" / "hmac_sm3_test.json").read_text())
    seen = 0
    for group in data["testGroups"]:
        size = group["tagSize"] // 8
        for case in group["tests"]:
            mac = sm2.hmac_sm3(bytes.fromhex(case["key"]), bytes.fromhex(case["msg"]))
            same = mac[:size] == bytes.fromhex(case["tag"])
            assert same == (case["result"] == "valid"), case["tcId"]
            seen += 1
    assert seen == data["numberOfTests"]


def test_sign_verify_and_z_rule() -> None:
    key = sm2.Sm2PrivateKey.generate()
    pub = key.public_key()
    sig = key.sign(b"message")
    assert pub.verify(sig, b"message")
    assert not pub.verify(sig, b"messagf")
    # the signature is over e = SM3(Z || M) with Z from the default id, computed here
    e = sm2.sm3(sm2.z_digest(pub.point) + b"message")
    assert sm2.verify_digest(pub.point, e, sig)
    assert not sm2.verify_digest(pub.point, sm2.sm3(b"message"), sig)
    assert pub.explain(sig, b"message") == "z"
    raw = sm2.signature_to_raw(sig)
    assert len(raw) == 64 and sm2.signature_from_raw(raw) == sig
    assert not pub.verify(b"\x30\x03\x02\x01\x01", b"message")


def test_keys_round_trip_and_refuse_garbage() -> None:
    key = sm2.Sm2PrivateKey.generate()
    again = sm2.Sm2PrivateKey.from_pem(key.to_pem(b"pw"), b"pw")
    assert again.public_key().point == key.public_key().point
    assert sm2.Sm2PublicKey.from_der(key.public_key().to_der()).point == key.public_key().point
    with pytest.raises(GmKeyInvalid):
        sm2.Sm2PrivateKey.from_pem(key.to_pem(b"pw"), b"wrong")
    with pytest.raises(GmKeyInvalid):
        sm2.Sm2PrivateKey.from_der(b"\x30\x03\x02\x01\x00")
    with pytest.raises(GmKeyInvalid):
        sm2.Sm2PublicKey.from_point(b"\x04" + b"\x01" * 64)


@needs_openssl
def test_openssl_verifies_ours_and_we_verify_openssls(tmp_path: Path) -> None:
    key = sm2.Sm2PrivateKey.generate()
    (tmp_path / "pub.pem").write_bytes(key.public_key().to_pem())
    (tmp_path / "msg").write_bytes(b"SealHub OFD " * 50)
    (tmp_path / "sig").write_bytes(key.sign(b"SealHub OFD " * 50))
    ok = _openssl(
        "dgst",
        "-sm3",
        "-verify",
        str(tmp_path / "pub.pem"),
        "-sigopt",
        "distid:1234567812345678",
        "-signature",
        str(tmp_path / "sig"),
        str(tmp_path / "msg"),
    )
    assert ok.returncode == 0 and b"Verified OK" in ok.stdout
    # the other way: OpenSSL makes the key and the signature
    assert _openssl("genpkey", "-algorithm", "SM2", "-out", str(tmp_path / "k.pem")).returncode == 0
    assert (
        _openssl(
            "dgst",
            "-sm3",
            "-sign",
            str(tmp_path / "k.pem"),
            "-sigopt",
            "distid:1234567812345678",
            "-out",
            str(tmp_path / "osig"),
            str(tmp_path / "msg"),
        ).returncode
        == 0
    )
    theirs = sm2.Sm2PrivateKey.from_pem((tmp_path / "k.pem").read_bytes())
    assert theirs.public_key().verify(
        (tmp_path / "osig").read_bytes(), (tmp_path / "msg").read_bytes()
    )
    assert not theirs.public_key().verify((tmp_path / "osig").read_bytes(), b"other")


@needs_openssl
def test_issued_certificates_verify_in_openssl(tmp_path: Path) -> None:
    k = kit()
    (tmp_path / "root.pem").write_bytes(k.root.pem())
    (tmp_path / "signer.pem").write_bytes(k.signer.pem())
    out = _openssl(
        "verify",
        "-vfyopt",
        "distid:1234567812345678",
        "-CAfile",
        str(tmp_path / "root.pem"),
        str(tmp_path / "signer.pem"),
    )
    assert out.returncode == 0, out.stderr
    assert certs.issued_by(k.signer, k.root) and not certs.issued_by(k.signer, k.signer)
    assert certs.chain_problems(k.signer, [], [k.root], AT) == []
    assert certs.chain_problems(k.signer, [], [k.maker], AT) == ["untrusted"]


@needs_openssl
@needs_corpus
def test_ofdrw_test_keys_sign_for_openssl(tmp_path: Path) -> None:
    # ofdrw's USER.p12 (legacy PKCS#12): its key signs, OpenSSL verifies; its cert expired
    got = _openssl(
        "pkcs12",
        "-legacy",
        "-in",
        str(CORPUS / "ses" / "USER.p12"),
        "-nodes",
        "-passin",
        "pass:777777",
    )
    if got.returncode != 0:
        pytest.skip("this OpenSSL cannot read legacy PKCS#12")
    text = got.stdout
    key_pem = text[text.index(b"-----BEGIN PRIVATE KEY-----") :]
    cert_pem = text[text.index(b"-----BEGIN CERTIFICATE-----") :]
    key = sm2.Sm2PrivateKey.from_pem(key_pem)
    cert = certs.load_certificate(cert_pem)
    assert cert.public_key is not None and cert.public_key.point == key.public_key().point
    assert certs.chain_problems(cert, [], [cert], AT) == ["expired"]
    (tmp_path / "pub.pem").write_bytes(cert.public_key.to_pem())
    (tmp_path / "sig").write_bytes(key.sign(b"x"))
    (tmp_path / "msg").write_bytes(b"x")
    ok = _openssl(
        "dgst",
        "-sm3",
        "-verify",
        str(tmp_path / "pub.pem"),
        "-sigopt",
        "distid:1234567812345678",
        "-signature",
        str(tmp_path / "sig"),
        str(tmp_path / "msg"),
    )
    assert b"Verified OK" in ok.stdout


def test_sm2_file_key_fits_the_signing_key_port() -> None:
    from sealhub.esign.gm.keys import Sm2FileKey
    from sealhub.esign.keys import KeyAlgorithm, KeyUnsupported, SigningKey
    from sealhub.platform.crypto import Envelope

    key = Sm2FileKey.generate()
    assert isinstance(key, SigningKey) and key.algorithm is KeyAlgorithm.SM2
    envelope = Envelope(b"\x07" * 32)
    stored = key.seal(envelope, b"seal-1")
    assert key.pkcs8_der() not in stored.ciphertext
    again = Sm2FileKey.open(envelope, stored, b"seal-1")
    pub = sm2.Sm2PublicKey.from_der(again.public_key_der())
    assert pub.verify(key.sign(b"doc"), b"doc")
    # a ready e = SM3(Z || M) signs to the same verifiable signature
    e = sm2.sm3(sm2.z_digest(pub.point) + b"doc")
    assert pub.verify(again.sign_digest(e, "sm3"), b"doc")
    with pytest.raises(KeyUnsupported):
        key.sign(b"doc", "sha256")
    with pytest.raises(Exception):
        Sm2FileKey.open(envelope, stored, b"seal-2")
