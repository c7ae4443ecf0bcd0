"""The organisation CA: issue, import, revoke (CRL + OCSP), renew, back up."""

from __future__ import annotations

import datetime as dt
import hashlib
import subprocess
from pathlib import Path

import pytest
from asn1crypto import core, tsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp
from cryptography.x509.oid import NameOID

from sealhub.esign.keys import FileKey, KeyAlgorithm
from sealhub.esign.pki import (
    Backup,
    BackupInvalid,
    CaImportFailed,
    CertificateAuthority,
    CertStatus,
    RevocationReason,
    Revoked,
    SealKeyEntry,
    build_crl,
    cert_pem,
    create_ca,
    export_backup,
    export_ca_pkcs12,
    import_ca_pem,
    import_ca_pkcs12,
    issue_seal_certificate,
    issue_tsa_certificate,
    ocsp_respond,
    renew_seal_certificate,
    restore_backup,
)
from sealhub.esign.pki.ca import ORGANIZATION_IDENTIFIER
from sealhub.esign.tsa import TimestampAuthority


def _seal_cert(ca: CertificateAuthority, key: FileKey, now: dt.datetime) -> x509.Certificate:
    return issue_seal_certificate(
        ca,
        key,
        seal_name="合同专用章",
        org_name="上海示例科技有限公司",
        credit_code="91310115MA1K4XXXX1",
        now=now,
    )


@pytest.mark.parametrize(
    "algorithm", [KeyAlgorithm.RSA_3072, KeyAlgorithm.EC_P256, KeyAlgorithm.ML_DSA_65]
)
def test_seal_certificate_chain_and_fields(
    org_ca: CertificateAuthority, now: dt.datetime, algorithm: KeyAlgorithm
) -> None:
    key = FileKey.generate(algorithm)
    cert = _seal_cert(org_ca, key, now)
    cert.verify_directly_issued_by(org_ca.issuing_cert)
    org_ca.issuing_cert.verify_directly_issued_by(org_ca.root_cert)
    org_ca.root_cert.verify_directly_issued_by(org_ca.root_cert)
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "合同专用章"
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == (
        "上海示例科技有限公司"
    )
    assert cert.subject.get_attributes_for_oid(ORGANIZATION_IDENTIFIER)[0].value == (
        "NTRCN-91310115MA1K4XXXX1"
    )
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.content_commitment and usage.value.digital_signature
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert spki == key.public_key_der()


def test_ml_dsa_ca_signs_with_ml_dsa(now: dt.datetime) -> None:
    ca = create_ca(
        "量子示例有限公司", "91110000000000000X", now=now, algorithm=KeyAlgorithm.ML_DSA_65
    )
    cert = _seal_cert(ca, FileKey.generate(KeyAlgorithm.EC_P256), now)
    cert.verify_directly_issued_by(ca.issuing_cert)
    assert cert.signature_algorithm_oid.dotted_string == "2.16.840.1.101.3.4.3.18"


def test_crl_lists_revoked_with_reason(org_ca: CertificateAuthority, now: dt.datetime) -> None:
    cert = _seal_cert(org_ca, FileKey.generate(KeyAlgorithm.EC_P256), now)
    der = build_crl(
        org_ca,
        [Revoked(cert.serial_number, now, RevocationReason.KEY_COMPROMISE)],
        now=now,
        number=7,
    )
    crl = x509.load_der_x509_crl(der)
    assert crl.is_signature_valid(org_ca.issuing_cert.public_key())  # type: ignore[arg-type]
    entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
    assert entry is not None
    assert entry.extensions.get_extension_for_class(x509.CRLReason).value.reason == (
        x509.ReasonFlags.key_compromise
    )
    assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 7
    assert crl.get_revoked_certificate_by_serial_number(cert.serial_number + 2) is None


def test_ocsp_responder_good_revoked_unknown_malformed(
    org_ca: CertificateAuthority, now: dt.datetime
) -> None:
    good = _seal_cert(org_ca, FileKey.generate(KeyAlgorithm.EC_P256), now)
    bad = _seal_cert(org_ca, FileKey.generate(KeyAlgorithm.EC_P256), now)
    revoked_at = now - dt.timedelta(hours=1)
    table = {
        good.serial_number: CertStatus(known=True),
        bad.serial_number: CertStatus(
            True, Revoked(bad.serial_number, revoked_at, RevocationReason.KEY_COMPROMISE)
        ),
    }

    def lookup(serial: int) -> CertStatus:
        return table.get(serial, CertStatus(known=False))

    def ask(cert: x509.Certificate, issuer: x509.Certificate) -> ocsp.OCSPResponse:
        req = (
            ocsp.OCSPRequestBuilder()
            .add_certificate(cert, issuer, hashes.SHA256())
            .add_extension(x509.OCSPNonce(b"0123456789abcdef"), critical=False)
            .build()
        )
        der = ocsp_respond(org_ca, req.public_bytes(serialization.Encoding.DER), lookup, now=now)
        return ocsp.load_der_ocsp_response(der)

    r = ask(good, org_ca.issuing_cert)
    assert r.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
    assert r.certificate_status == ocsp.OCSPCertStatus.GOOD
    issuer_key = org_ca.issuing_cert.public_key()
    assert isinstance(issuer_key, ec.EllipticCurvePublicKey)
    issuer_key.verify(r.signature, r.tbs_response_bytes, ec.ECDSA(hashes.SHA256()))
    assert r.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce == b"0123456789abcdef"
    r = ask(bad, org_ca.issuing_cert)
    assert r.certificate_status == ocsp.OCSPCertStatus.REVOKED
    assert r.revocation_reason == x509.ReasonFlags.key_compromise
    other = create_ca("别家公司", "91000000000000000Y", now=now)
    stranger = _seal_cert(other, FileKey.generate(KeyAlgorithm.EC_P256), now)
    assert ask(stranger, other.issuing_cert).response_status == ocsp.OCSPResponseStatus.UNAUTHORIZED
    assert (
        ocsp.load_der_ocsp_response(
            ocsp_respond(org_ca, b"\x30\x03garbage", lookup, now=now)
        ).response_status
        == ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    )
    # a serial this CA never issued (same issuer hashes) is "unknown"
    table.pop(good.serial_number)
    assert ask(good, org_ca.issuing_cert).certificate_status == ocsp.OCSPCertStatus.UNKNOWN


def test_renewal_keeps_the_subject(org_ca: CertificateAuthority, now: dt.datetime) -> None:
    key = FileKey.generate(KeyAlgorithm.EC_P256)
    old = _seal_cert(org_ca, key, now)
    later = now + dt.timedelta(days=700)
    new_key = FileKey.generate(KeyAlgorithm.RSA_3072)
    new = renew_seal_certificate(org_ca, old, new_key, now=later)
    assert new.subject == old.subject and new.serial_number != old.serial_number
    assert new.not_valid_after_utc > old.not_valid_after_utc
    new.verify_directly_issued_by(org_ca.issuing_cert)


def test_import_pkcs12_and_pem(org_ca: CertificateAuthority, now: dt.datetime) -> None:
    p12 = export_ca_pkcs12(org_ca, b"correct horse")
    imported = import_ca_pkcs12(p12, b"correct horse")
    assert imported.issuing_cert == org_ca.issuing_cert and imported.root_cert == org_ca.root_cert
    cert = _seal_cert(imported, FileKey.generate(KeyAlgorithm.EC_P256), now)
    cert.verify_directly_issued_by(org_ca.issuing_cert)
    with pytest.raises(CaImportFailed):
        import_ca_pkcs12(p12, b"wrong")
    pem_chain = b"".join(
        c.public_bytes(serialization.Encoding.PEM) for c in (org_ca.issuing_cert, org_ca.root_cert)
    )
    key_pem = org_ca.issuing_key.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    assert import_ca_pem(pem_chain, key_pem).issuing_cert == org_ca.issuing_cert
    leaf_key = FileKey.generate(KeyAlgorithm.EC_P256)
    leaf = _seal_cert(org_ca, leaf_key, now)
    with pytest.raises(CaImportFailed) as info:
        import_ca_pem(leaf.public_bytes(serialization.Encoding.PEM), key_pem)
    assert info.value.params["reason"] == "not_ca"
    other_key = FileKey.generate(KeyAlgorithm.EC_P256).private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(CaImportFailed) as info:
        import_ca_pem(pem_chain, other_key)
    assert info.value.params["reason"] == "key_mismatch"


def test_backup_roundtrip_and_wrong_password(
    org_ca: CertificateAuthority, now: dt.datetime
) -> None:
    key = FileKey.generate(KeyAlgorithm.ML_DSA_65)
    cert = _seal_cert(org_ca, key, now)
    blob = export_backup(Backup(org_ca, {"seal-1": SealKeyEntry(key, [cert])}), b"backup-pass")
    assert b"BEGIN" not in blob and key.pkcs8_der() not in blob
    restored = restore_backup(blob, b"backup-pass")
    assert restored.ca.issuing_cert == org_ca.issuing_cert
    assert restored.ca.issuing_key.pkcs8_der() == org_ca.issuing_key.pkcs8_der()
    assert restored.seals["seal-1"].key.public_key_der() == key.public_key_der()
    assert restored.seals["seal-1"].certificates == [cert]
    with pytest.raises(BackupInvalid):
        restore_backup(blob, b"backup-wrong")
    tampered = bytearray(blob)
    tampered[-5] ^= 1
    with pytest.raises(BackupInvalid):
        restore_backup(bytes(tampered), b"backup-pass")


def test_tsa_core_answers_rfc3161_and_openssl_accepts(
    org_ca: CertificateAuthority, now: dt.datetime, tmp_path: Path
) -> None:
    key = FileKey.generate(KeyAlgorithm.EC_P256)
    cert = issue_tsa_certificate(org_ca, key, name="SealHub TSA", now=now)
    fixed = dt.datetime(2026, 11, 29, 8, 0, 0, tzinfo=dt.UTC)
    tsa = TimestampAuthority(cert, key, chain=org_ca.chain, clock=lambda: fixed)
    data = b"contract bytes"
    req = tsp.TimeStampReq(
        {
            "version": 1,
            "message_imprint": {
                "hash_algorithm": {"algorithm": "sha256"},
                "hashed_message": hashlib.sha256(data).digest(),
            },
            "nonce": 123456789,
            "cert_req": True,
        }
    )
    resp = tsp.TimeStampResp.load(tsa.respond(req.dump()))
    assert resp["status"]["status"].native == "granted"
    info = resp["time_stamp_token"]["content"]["encap_content_info"]["content"].parsed
    assert info["nonce"].native == 123456789 and info["gen_time"].native == fixed
    assert info["message_imprint"]["hashed_message"].native == hashlib.sha256(data).digest()
    # an independent verifier: OpenSSL checks the token against the data and our root
    (tmp_path / "data").write_bytes(data)
    (tmp_path / "resp.tsr").write_bytes(resp.dump())
    (tmp_path / "root.pem").write_bytes(cert_pem(org_ca.root_cert))
    (tmp_path / "chain.pem").write_bytes(cert_pem(org_ca.issuing_cert) + cert_pem(cert))
    ok = subprocess.run(
        [
            "openssl",
            "ts",
            "-verify",
            "-data",
            str(tmp_path / "data"),
            "-in",
            str(tmp_path / "resp.tsr"),
            "-CAfile",
            str(tmp_path / "root.pem"),
            "-untrusted",
            str(tmp_path / "chain.pem"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0 and "Verification: OK" in ok.stdout, ok.stdout + ok.stderr
    (tmp_path / "data").write_bytes(data + b"!")
    bad = subprocess.run(
        [
            "openssl",
            "ts",
            "-verify",
            "-data",
            str(tmp_path / "data"),
            "-in",
            str(tmp_path / "resp.tsr"),
            "-CAfile",
            str(tmp_path / "root.pem"),
            "-untrusted",
            str(tmp_path / "chain.pem"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode != 0
    # refused: an unknown digest, a wrong digest length, garbage
    md5 = tsp.TimeStampReq(
        {
            "version": 1,
            "message_imprint": {
                "hash_algorithm": {"algorithm": "md5"},
                "hashed_message": b"x" * 16,
            },
        }
    )
    short = tsp.TimeStampReq(
        {
            "version": 1,
            "message_imprint": {
                "hash_algorithm": {"algorithm": "sha256"},
                "hashed_message": b"x" * 5,
            },
        }
    )
    for body, failure in (
        (md5.dump(), "bad_alg"),
        (short.dump(), "bad_data_format"),
        (b"\x30\x01", "bad_request"),
    ):
        out = core.Sequence.load(tsa.respond(body))
        status = tsp.PKIStatusInfo.load(out[0].dump())
        assert status["status"].native == "rejection" and failure in status["fail_info"].native
