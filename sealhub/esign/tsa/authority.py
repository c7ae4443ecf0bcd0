"""An RFC 3161 timestamp authority core (request bytes → response bytes) with its own TSA
certificate and any SigningKey, and the pyHanko timestampers that use it or a URL."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable
from typing import Any

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.sign import general
from pyhanko.sign.timestamps import HTTPTimeStamper, TimeStamper

from sealhub.esign.keys.port import DIGEST, SigningKey, mechanism

# TSA policy OID under the project's arc (private enterprise number placeholder)
DEFAULT_POLICY = "1.3.6.1.4.1.55555.1.1"
_attr = general.simple_cms_attribute
_ACCEPTED_DIGESTS = {"sha256", "sha384", "sha512", "sha3_256", "sha3_512", "sm3"}


def _asn1_cert(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


class TimestampAuthority:
    """Signs TSTInfo for message imprints; `clock` gives the (UTC) time to certify."""

    def __init__(
        self,
        cert: x509.Certificate,
        key: SigningKey,
        *,
        chain: list[x509.Certificate] | None = None,
        clock: Callable[[], dt.datetime],
        policy: str = DEFAULT_POLICY,
    ) -> None:
        self.cert = _asn1_cert(cert)
        self.chain = [_asn1_cert(c) for c in chain or []]
        self.key = key
        self.clock = clock
        self.policy = policy
        self._signing_certificate = general.as_signing_certificate_v2(self.cert)
        self._digest = DIGEST[key.algorithm]

    def respond(self, request_der: bytes) -> bytes:
        """A DER TimeStampResp: granted with a token, or rejected (badRequest / badAlg)."""
        try:
            req = tsp.TimeStampReq.load(request_der)
            imprint = req["message_imprint"]
            algorithm = imprint["hash_algorithm"]["algorithm"].native
            digest_len = len(imprint["hashed_message"].native)
            _ = req["nonce"].native
        except (ValueError, TypeError, KeyError):
            return self._reject("bad_request")
        if algorithm not in _ACCEPTED_DIGESTS:
            return self._reject("bad_alg")
        if (
            algorithm in hashlib.algorithms_available
            and hashlib.new(algorithm).digest_size != digest_len
        ):
            return self._reject("bad_data_format")
        return bytes(self.respond_obj(req).dump())

    def respond_obj(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        now = self.clock().astimezone(dt.UTC)
        tst_args: dict[str, Any] = {
            "version": "v1",
            "policy": tsp.ObjectIdentifier(self.policy),
            "message_imprint": req["message_imprint"],
            "serial_number": secrets.randbits(127),
            "gen_time": now,
            "accuracy": {"seconds": 1},
            "tsa": asn1_x509.GeneralName(name="directory_name", value=self.cert.subject),
        }
        if req["nonce"].native is not None:
            tst_args["nonce"] = req["nonce"]
        tst_info_data = tsp.TSTInfo(tst_args).dump()
        digest = self._digest
        signed_attrs = cms.CMSAttributes(
            [
                _attr("content_type", "tst_info"),
                _attr("signing_time", cms.Time({"utc_time": core.UTCTime(now)})),
                _attr("signing_certificate_v2", self._signing_certificate),
                _attr("message_digest", hashlib.new(digest, tst_info_data).digest()),
            ]
        )
        signature = self.key.sign(signed_attrs.dump(), digest)
        digest_algorithm = algos.DigestAlgorithm({"algorithm": digest})
        signer_info = cms.SignerInfo(
            {
                "version": "v1",
                "sid": cms.SignerIdentifier(
                    {
                        "issuer_and_serial_number": cms.IssuerAndSerialNumber(
                            {"issuer": self.cert.issuer, "serial_number": self.cert.serial_number}
                        )
                    }
                ),
                "digest_algorithm": digest_algorithm,
                "signature_algorithm": algos.SignedDigestAlgorithm(
                    {"algorithm": mechanism(self.key.algorithm, digest)}
                ),
                "signed_attrs": signed_attrs,
                "signature": signature,
            }
        )
        signed_data = cms.SignedData(
            {
                "version": "v3",
                "digest_algorithms": cms.DigestAlgorithms((digest_algorithm,)),
                "encap_content_info": cms.EncapsulatedContentInfo(
                    {
                        "content_type": cms.ContentType("tst_info"),
                        "content": cms.ParsableOctetString(tst_info_data),
                    }
                ),
                "certificates": [self.cert, *self.chain] if req["cert_req"].native else [],
                "signer_infos": [signer_info],
            }
        )
        token = cms.ContentInfo(
            {"content_type": cms.ContentType("signed_data"), "content": signed_data}
        )
        return tsp.TimeStampResp(
            {
                "status": tsp.PKIStatusInfo({"status": tsp.PKIStatus("granted")}),
                "time_stamp_token": token,
            }
        )

    @staticmethod
    def _reject(failure: str) -> bytes:
        # asn1crypto's TimeStampResp makes the token mandatory; RFC 3161 does not
        status = tsp.PKIStatusInfo(
            {"status": tsp.PKIStatus("rejection"), "fail_info": tsp.PKIFailureInfo({failure})}
        ).dump()
        return bytes(core.Sequence.load(b"\x30" + _der_length(len(status)) + status).dump())


def _der_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


class LocalTimeStamper(TimeStamper):
    """A pyHanko timestamper backed by an in-process TimestampAuthority (no HTTP)."""

    def __init__(self, authority: TimestampAuthority) -> None:
        super().__init__(include_nonce=True)
        self.authority = authority

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        return self.authority.respond_obj(req)


def url_timestamper(url: str, *, timeout: int = 10) -> TimeStamper:
    """A pyHanko timestamper for any external RFC 3161 TSA by URL."""
    return HTTPTimeStamper(url, timeout=timeout)
