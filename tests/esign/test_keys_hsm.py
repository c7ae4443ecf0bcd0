"""The signing-key port: file keys sealed under the master key, PKCS#11 keys in SoftHSM2."""

from __future__ import annotations

import asyncio
import hashlib
import os
from pathlib import Path

import pkcs11
import pytest
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, mldsa, rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from pkcs11 import Attribute

from sealhub.esign import imaging
from sealhub.esign.keys import FileKey, KeyAlgorithm, KeyUnsupported, SigningKey
from sealhub.esign.keys.hsm import Pkcs11Token
from sealhub.esign.pdf.placement import AtPosition
from sealhub.esign.pdf.seal import Level
from sealhub.esign.pdf.verify import verify_pdf
from sealhub.esign.verification import VerifyOptions
from sealhub.platform.crypto import Envelope
from tests.esign.conftest import Pki
from tests.esign.pdfs import contract, pdfsig


def _verify(key: SigningKey, data: bytes, signature: bytes) -> None:
    public = serialization.load_der_public_key(key.public_key_der())
    if isinstance(public, rsa.RSAPublicKey):
        public.verify(signature, data, PKCS1v15(), hashes.SHA256())
    elif isinstance(public, ec.EllipticCurvePublicKey):
        public.verify(signature, data, ec.ECDSA(hashes.SHA256()))
    else:
        assert isinstance(public, mldsa.MLDSA65PublicKey)
        public.verify(signature, data)


@pytest.mark.parametrize("algorithm", list(KeyAlgorithm)[:4])
def test_file_key_sealed_under_master_key(algorithm: KeyAlgorithm) -> None:
    envelope = Envelope(os.urandom(32))
    key = FileKey.generate(algorithm)
    sealed = key.seal(envelope, b"seal-42")
    assert key.pkcs8_der() not in sealed.ciphertext
    opened = FileKey.open(envelope, sealed, b"seal-42")
    assert opened.public_key_der() == key.public_key_der() and opened.algorithm is algorithm
    _verify(opened, b"contract", opened.sign(b"contract"))
    with pytest.raises(InvalidSignature):
        _verify(opened, b"contract!", opened.sign(b"contract"))
    with pytest.raises(InvalidTag):  # bound to its seal: another context cannot open it
        FileKey.open(envelope, sealed, b"seal-43")
    with pytest.raises(InvalidTag):
        FileKey.open(Envelope(os.urandom(32)), sealed, b"seal-42")
    if algorithm is KeyAlgorithm.ML_DSA_65:
        with pytest.raises(KeyUnsupported):
            key.sign_digest(hashlib.sha256(b"x").digest(), "sha256")
    else:
        _verify(key, b"contract", key.sign_digest(hashlib.sha256(b"contract").digest(), "sha256"))


@pytest.mark.parametrize("algorithm", [KeyAlgorithm.RSA_2048, KeyAlgorithm.EC_P256])
def test_pkcs11_key_signs_inside_the_token_and_is_not_extractable(
    softhsm_token: tuple[str, str, str], algorithm: KeyAlgorithm
) -> None:
    module, label, pin = softhsm_token
    token = Pkcs11Token(module, label, pin)
    key = token.generate(algorithm, f"seal-{algorithm}")
    assert isinstance(key, SigningKey) and key.algorithm is algorithm
    _verify(key, b"contract", key.sign(b"contract"))
    _verify(key, b"contract", key.sign_digest(hashlib.sha256(b"contract").digest(), "sha256"))
    # found again by label (e.g. after a restart): same public key
    assert token.key(f"seal-{algorithm}").public_key_der() == key.public_key_der()
    # the private key is sensitive and non-extractable: its value cannot be read or wrapped
    assert key.handle[Attribute.EXTRACTABLE] is False
    assert key.handle[Attribute.SENSITIVE] is True
    secret_attr = (
        Attribute.PRIVATE_EXPONENT if algorithm is KeyAlgorithm.RSA_2048 else Attribute.VALUE
    )
    with pytest.raises(pkcs11.exceptions.AttributeSensitive):
        key.handle[secret_attr]
    with pytest.raises(pkcs11.exceptions.AttributeReadOnly):
        key.handle[Attribute.EXTRACTABLE] = True
    with pytest.raises(KeyUnsupported):
        token.generate(KeyAlgorithm.ML_DSA_65, "pq")


def test_keys_in_softhsm_seal_a_pdf(
    softhsm_token: tuple[str, str, str], pki: Pki, tmp_path: Path
) -> None:
    module, label, pin = softhsm_token
    key = Pkcs11Token(module, label, pin).generate(KeyAlgorithm.EC_P256, "seal-pdf")
    cert = pki.seal_cert(key, "HSM 合同专用章")
    sealed = pki.sealer(key, cert).seal(
        contract(pages=1),
        image=imaging.round_seal("上海示例科技有限公司", "合同专用章"),
        placements=[AtPosition(1, 300, 300)],
        level=Level.B_T,
    )
    path = tmp_path / "hsm.pdf"
    path.write_bytes(sealed)
    text = pdfsig(path, pki.nssdir)
    assert "Signature is Valid" in text and "Total document signed" in text, text
    report = asyncio.run(
        verify_pdf(sealed, VerifyOptions(trust_roots=[pki.ca.root_cert], allow_fetching=True))
    )
    assert report.exit_code(require_trust=True) == 0, report.to_dict()
    assert report.signatures[0].signer is not None
    assert report.signatures[0].signer.common_name == "HSM 合同专用章"
