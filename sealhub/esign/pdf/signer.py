"""A pyHanko signer over the SigningKey port, set up once and reused for many seals."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from asn1crypto import algos, cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.sign.signers.pdf_cms import Signer
from pyhanko_certvalidator.registry import SimpleCertificateStore

from sealhub.esign.keys.port import DIGEST, KeyAlgorithm, SigningKey, mechanism

# signature sizes for dry runs and space reservation (DER ECDSA at its maximum)
_SIG_SIZE = {
    KeyAlgorithm.RSA_2048: 256,
    KeyAlgorithm.RSA_3072: 384,
    KeyAlgorithm.EC_P256: 72,
    KeyAlgorithm.ML_DSA_65: 3309,
    KeyAlgorithm.SM2: 72,
}


def asn1_cert(cert: x509.Certificate | asn1_x509.Certificate) -> asn1_x509.Certificate:
    if isinstance(cert, asn1_x509.Certificate):
        return cert
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


class KeySigner(Signer):
    """Signs CMS signed attributes with a SigningKey (file or PKCS#11); the certificate
    objects and the mechanism are prepared once, not per signature."""

    def __init__(
        self,
        key: SigningKey,
        cert: x509.Certificate | asn1_x509.Certificate,
        chain: Sequence[x509.Certificate | asn1_x509.Certificate] = (),
    ) -> None:
        self.key = key
        self.digest = DIGEST[key.algorithm]
        signing_cert = asn1_cert(cert)
        registry = SimpleCertificateStore.from_certs([asn1_cert(c) for c in chain])
        super().__init__(
            signing_cert=signing_cert,
            cert_registry=registry,
            signature_mechanism=algos.SignedDigestAlgorithm(
                {"algorithm": mechanism(key.algorithm, self.digest)}
            ),
            embed_roots=True,
        )
        self.signature_size = _SIG_SIZE[key.algorithm]
        # the certificates' DER, kept to embed fresh unparsed copies in every CMS: asn1crypto
        # re-walks parsed certificate trees on every dump (a large share of a seal's time)
        ders = {signing_cert.dump()} | {c.dump() for c in registry}
        self._cert_ders = sorted(ders)
        self.certs_size = sum(len(d) for d in self._cert_ders)

    def _package_signature(
        self,
        *,
        digest_algorithm: str,
        cms_version: Any,
        signed_attrs: cms.CMSAttributes,
        signature: bytes,
        unsigned_attrs: cms.CMSAttributes | None,
        encap_content_info: Any,
    ) -> cms.ContentInfo:
        """pyHanko's SignedData packaging, with the certificates embedded from DER."""
        sig_info = self.signer_info(digest_algorithm, signed_attrs, signature)
        if unsigned_attrs is not None:
            sig_info["unsigned_attrs"] = unsigned_attrs
        signed_data = {
            "version": cms_version,
            "digest_algorithms": cms.DigestAlgorithms((sig_info["digest_algorithm"],)),
            "encap_content_info": encap_content_info or {"content_type": "data"},
            "certificates": [
                cms.CertificateChoices({"certificate": asn1_x509.Certificate.load(der)})
                for der in self._cert_ders
            ],
            "signer_infos": [sig_info],
        }
        return cms.ContentInfo(
            {"content_type": cms.ContentType("signed_data"), "content": cms.SignedData(signed_data)}
        )

    async def async_sign_raw(
        self, data: bytes, digest_algorithm: str, dry_run: bool = False
    ) -> bytes:
        if dry_run:
            return bytes(self.signature_size)
        return self.key.sign(data, digest_algorithm)
