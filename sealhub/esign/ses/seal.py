"""SES_Seal and SES_Signature of GM/T 0031-2014 (v1) and GB/T 38540-2020 (v4, ofdrw's v5).

`parse_seal` / `parse_signature` check the bytes strictly against the standard's ASN.1
(`der.check`, which names the failing field) and then read them; `build_seal` /
`sign_digest` make them; `check_seal` / `check_signature` verify the maker's and the
signer's SM2-with-SM3 signatures over the exact bytes that were signed:

- v1 seal: DER(SEQUENCE {esealInfo, cert, signatureAlgorithm})
- v4/v5 seal: DER(SES_SealInfo)
- both signatures: DER(TBS_Sign)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from asn1crypto import core as a

from sealhub.esign.gm import certs as gm_certs
from sealhub.esign.gm import sm2
from sealhub.esign.gm.errors import GmKeyInvalid
from sealhub.esign.ses import der, schema
from sealhub.esign.ses.errors import SesMalformed

MAX_SES_BYTES = 16 * 1024 * 1024
PICTURE_TYPES = ("PNG", "JPG", "JPEG", "BMP", "GIF", "SVG", "OFD")
ALGORITHMS = {sm2.SM2_WITH_SM3_OID}


@dataclass(frozen=True)
class Picture:
    """The seal's image: type (PNG, GIF, SVG, OFD...), bytes, size in millimetres."""

    type: str
    data: bytes = field(repr=False)
    width_mm: int
    height_mm: int


@dataclass(frozen=True)
class ExtDatum:
    """One ExtData: an OID, its critical flag and value."""

    oid: str
    critical: bool
    value: bytes


@dataclass(frozen=True)
class Seal:
    """An electronic seal (印章数据), either version."""

    version: int
    vid: str
    es_id: str
    seal_type: int
    name: str
    cert_list_type: int
    certs: tuple[bytes, ...] = field(repr=False)
    cert_digests: tuple[tuple[str, bytes], ...]
    created: datetime
    valid_start: datetime
    valid_end: datetime
    picture: Picture
    ext_datas: tuple[ExtDatum, ...]
    maker_cert: bytes = field(repr=False)
    signature_algorithm: str
    signature: bytes = field(repr=False)
    timestamp: bytes | None
    der: bytes = field(repr=False)
    signed_data: bytes = field(repr=False)


@dataclass(frozen=True)
class SesSignature:
    """An electronic signature with a seal (电子签章数据), either version."""

    version: int
    seal: Seal
    time: datetime | None
    data_hash: bytes
    property_info: str
    signer_cert: bytes = field(repr=False)
    signature_algorithm: str
    signature: bytes = field(repr=False)
    timestamp: bytes | None
    der: bytes = field(repr=False)
    signed_data: bytes = field(repr=False)


@dataclass(frozen=True)
class Check:
    """One verification result: ok, and a reason code when not."""

    ok: bool
    reason: str = ""
    rule: str = ""


def _sig_bytes(bits: a.BitString) -> bytes:
    """The signature inside a BIT STRING: DER SEQUENCE{r,s}, or raw r||s converted."""
    value = bytes(bits.contents[1:])
    if len(value) == 64 and value[0] != 0x30:
        return sm2.signature_from_raw(value)
    return value


def _time(value: Any) -> datetime:
    native = value.native
    if native.tzinfo is None:
        native = native.replace(tzinfo=UTC)
    return native  # type: ignore[no-any-return]


def _bad(path: str, reason: str) -> SesMalformed:
    return SesMalformed(path=path, reason=reason)


def _outer_count(data: bytes, root: str) -> int:
    if not data:
        raise _bad(root, "truncated")
    if len(data) > MAX_SES_BYTES:
        raise _bad(root, "too_large")
    class_, constructed, tag, end, contents = der._tlv(data, 0, root)
    if (class_, tag) != (0, 16) or not constructed:
        raise _bad(root, "unexpected_tag")
    if end != len(data):
        raise _bad(root, "trailing_data")
    return len(der._children(contents, root))


# --- seals ------------------------------------------------------------------------------


def parse_seal(data: bytes, *, root: str = "SES_Seal") -> Seal:
    """Parse a seal of either version, rejecting malformed input with the field path."""
    count = _outer_count(data, root)
    if count == 2:
        der.check(schema.SealV1, data, root)
        return _read_v1(schema.SealV1.load(data, strict=True), root)
    if count in (4, 5):
        der.check(schema.SealV4, data, root)
        return _read_v4(schema.SealV4.load(data, strict=True), root)
    raise _bad(root, "not_ses")


def _header(info: Any, root: str, allowed: Sequence[int]) -> tuple[int, str]:
    header = info["header"]
    if header["id"].native != "ES":
        raise _bad(f"{root}.esealInfo.header.id", "bad_header_id")
    version = int(header["version"].native)
    if version not in allowed:
        raise _bad(f"{root}.esealInfo.header.version", "bad_version")
    return version, str(header["vid"].native)


def _picture(info: Any, root: str) -> Picture:
    pic = info["picture"]
    ptype = str(pic["type"].native).upper()
    if ptype not in PICTURE_TYPES:
        raise _bad(f"{root}.esealInfo.picture.type", "bad_picture")
    return Picture(
        ptype, bytes(pic["data"].native), int(pic["width"].native), int(pic["height"].native)
    )


def _ext(info: Any) -> tuple[ExtDatum, ...]:
    if not info["extDatas"].native:
        return ()
    return tuple(
        ExtDatum(e["extnID"].dotted, bool(e["critical"].native), bytes(e["extnValue"].native))
        for e in info["extDatas"]
    )


def _check_cert(der_bytes: bytes, path: str) -> None:
    try:
        gm_certs.load_certificate(der_bytes)
    except GmKeyInvalid as exc:
        raise _bad(path, "bad_cert") from exc


def _read_v1(seal: Any, root: str) -> Seal:
    info = seal["esealInfo"]
    version, vid = _header(info, root, (1, 2, 3))
    prop = info["property"]
    certs = tuple(bytes(c.native) for c in prop["certList"])
    for i, c in enumerate(certs):
        _check_cert(c, f"{root}.esealInfo.property.certList[{i}]")
    sign_info = seal["signInfo"]
    maker_cert = bytes(sign_info["cert"].native)
    _check_cert(maker_cert, f"{root}.signInfo.cert")
    algorithm = sign_info["signatureAlgorithm"].dotted
    if algorithm not in ALGORITHMS:
        raise _bad(f"{root}.signInfo.signatureAlgorithm", "bad_oid")
    to_sign = schema.MakerToSignV1(
        {"esealInfo": info, "cert": sign_info["cert"], "signatureAlgorithm": algorithm}
    )
    return Seal(
        version=version,
        vid=vid,
        es_id=str(info["esID"].native),
        seal_type=int(prop["type"].native),
        name=str(prop["name"].native),
        cert_list_type=1,
        certs=certs,
        cert_digests=(),
        created=_time(prop["createDate"].chosen),
        valid_start=_time(prop["validStart"].chosen),
        valid_end=_time(prop["validEnd"].chosen),
        picture=_picture(info, root),
        ext_datas=_ext(info),
        maker_cert=maker_cert,
        signature_algorithm=algorithm,
        signature=_sig_bytes(sign_info["signData"]),
        timestamp=None,
        der=bytes(data_of(seal)),
        signed_data=bytes(to_sign.dump()),
    )


def data_of(value: Any) -> bytes:
    """The original encoding of a parsed value."""
    return bytes(value.dump())


def _read_v4(seal: Any, root: str) -> Seal:
    info = seal["esealInfo"]
    version, vid = _header(info, root, (4, 5))
    prop = info["property"]
    list_type = int(prop["certListType"].native)
    raw_list = prop["certList"].dump()
    path = f"{root}.esealInfo.property.certList"
    certs: tuple[bytes, ...] = ()
    digests: tuple[tuple[str, bytes], ...] = ()
    if list_type == 1:
        der.check(schema.CertInfoList, raw_list, path)
        certs = tuple(bytes(c.native) for c in schema.CertInfoList.load(raw_list))
        for i, c in enumerate(certs):
            _check_cert(c, f"{path}[{i}]")
    elif list_type == 2:
        der.check(schema.CertDigestList, raw_list, path)
        digests = tuple(
            (str(d["type"].native), bytes(d["value"].native))
            for d in schema.CertDigestList.load(raw_list)
        )
    else:
        raise _bad(f"{root}.esealInfo.property.certListType", "bad_cert_list_type")
    maker_cert = bytes(seal["cert"].native)
    _check_cert(maker_cert, f"{root}.cert")
    algorithm = seal["signAlgID"].dotted
    if algorithm not in ALGORITHMS:
        raise _bad(f"{root}.signAlgID", "bad_oid")
    timestamp = seal["timeStamp"]
    if timestamp.native is not None and version < 5:
        raise _bad(f"{root}.timeStamp", "unexpected_field")
    return Seal(
        version=version,
        vid=vid,
        es_id=str(info["esID"].native),
        seal_type=int(prop["type"].native),
        name=str(prop["name"].native),
        cert_list_type=list_type,
        certs=certs,
        cert_digests=digests,
        created=_time(prop["createDate"]),
        valid_start=_time(prop["validStart"]),
        valid_end=_time(prop["validEnd"]),
        picture=_picture(info, root),
        ext_datas=_ext(info),
        maker_cert=maker_cert,
        signature_algorithm=algorithm,
        signature=_sig_bytes(seal["signedValue"]),
        timestamp=bytes(timestamp.contents[1:]) if timestamp.native is not None else None,
        der=data_of(seal),
        signed_data=data_of(info),
    )


def _ext_value(ext_datas: Sequence[ExtDatum]) -> schema.ExtensionDatas | None:
    if not ext_datas:
        return None
    return schema.ExtensionDatas(
        [{"extnID": e.oid, "critical": e.critical, "extnValue": e.value} for e in ext_datas]
    )


def build_seal(
    *,
    version: int,
    vid: str,
    es_id: str,
    seal_type: int,
    name: str,
    signer_certs: Sequence[bytes],
    created: datetime,
    valid_start: datetime,
    valid_end: datetime,
    picture: Picture,
    maker_key: sm2.Sm2Signer,
    maker_cert: bytes,
    ext_datas: Sequence[ExtDatum] = (),
    timestamp: bytes | None = None,
) -> Seal:
    """Make and sign a seal (v1 = GM/T 0031, 4 = GB/T 38540, 5 = ofdrw's v5)."""
    if version not in (1, 4, 5):
        raise _bad("SES_Seal.esealInfo.header.version", "bad_version")
    if timestamp is not None and version < 5:
        raise _bad("SES_Seal.timeStamp", "unexpected_field")
    header = {"id": "ES", "version": version, "vid": vid}
    pic = {
        "type": picture.type,
        "data": picture.data,
        "width": picture.width_mm,
        "height": picture.height_mm,
    }
    ext = _ext_value(ext_datas)
    if version == 1:
        prop1 = schema.PropertyInfoV1(
            {
                "type": seal_type,
                "name": name,
                "certList": list(signer_certs),
                "createDate": schema.AnyTime(name="utcTime", value=created),
                "validStart": schema.AnyTime(name="utcTime", value=valid_start),
                "validEnd": schema.AnyTime(name="utcTime", value=valid_end),
            }
        )
        info1 = schema.SealInfoV1(
            {"header": header, "esID": es_id, "property": prop1, "picture": pic}
        )
        if ext is not None:
            info1["extDatas"] = ext
        to_sign = schema.MakerToSignV1(
            {"esealInfo": info1, "cert": maker_cert, "signatureAlgorithm": sm2.SM2_WITH_SM3_OID}
        )
        signature = maker_key.sign(to_sign.dump())
        seal1 = schema.SealV1(
            {
                "esealInfo": info1,
                "signInfo": {
                    "cert": maker_cert,
                    "signatureAlgorithm": sm2.SM2_WITH_SM3_OID,
                    "signData": a.BitString.load(_bits(signature)),
                },
            }
        )
        return parse_seal(seal1.dump())
    prop4 = schema.PropertyInfoV4(
        {
            "type": seal_type,
            "name": name,
            "certListType": 1,
            "certList": schema.CertInfoList(list(signer_certs)),
            "createDate": created,
            "validStart": valid_start,
            "validEnd": valid_end,
        }
    )
    info4 = schema.SealInfoV4({"header": header, "esID": es_id, "property": prop4, "picture": pic})
    if ext is not None:
        info4["extDatas"] = ext
    signature = maker_key.sign(info4.dump())
    seal4 = schema.SealV4(
        {
            "esealInfo": info4,
            "cert": maker_cert,
            "signAlgID": sm2.SM2_WITH_SM3_OID,
            "signedValue": a.BitString.load(_bits(signature)),
        }
    )
    if timestamp is not None:
        seal4["timeStamp"] = a.BitString.load(_bits(timestamp))
    return parse_seal(seal4.dump())


def _bits(value: bytes) -> bytes:
    """DER BIT STRING (no unused bits) holding `value`."""
    return bytes(a.OctetBitString(value).dump())


def _public_key(cert_der: bytes) -> sm2.Sm2PublicKey | None:
    try:
        return gm_certs.load_certificate(cert_der).public_key
    except GmKeyInvalid:
        return None


def check_seal(seal: Seal) -> Check:
    """The maker's SM2-with-SM3 signature over the seal."""
    key = _public_key(seal.maker_cert)
    if key is None:
        return Check(False, "maker_key_not_sm2")
    rule = key.explain(seal.signature, seal.signed_data)
    if rule == "z":
        return Check(True, rule=rule)
    return Check(False, "maker_signature_invalid", rule=rule)


# --- signatures -------------------------------------------------------------------------


def parse_signature(data: bytes, *, root: str = "SES_Signature") -> SesSignature:
    """Parse a seal signature of either version (with its seal), strictly."""
    count = _outer_count(data, root)
    if count == 2:
        der.check(schema.SignatureV1, data, root)
        return _read_sig_v1(schema.SignatureV1.load(data, strict=True), root)
    if count in (4, 5):
        der.check(schema.SignatureV4, data, root)
        return _read_sig_v4(schema.SignatureV4.load(data, strict=True), root)
    raise _bad(root, "not_ses")


def _v1_time(bits: Any) -> datetime | None:
    raw = bytes(bits.contents[1:])
    for loader in (a.UTCTime, a.GeneralizedTime):
        try:
            return _time(loader.load(raw, strict=True))
        except (ValueError, TypeError):
            pass
    # ofdrw writes the text "yyyy-MM-dd HH:mm:ss" (local time, taken as UTC here)
    text = raw.decode("ascii", "replace").rstrip("Z")
    for fmt in ("%y%m%d%H%M%S", "%Y%m%d%H%M%S", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            pass
    return None


def _read_sig_v1(sig: Any, root: str) -> SesSignature:
    tbs = sig["toSign"]
    seal = _read_v1(tbs["eseal"], f"{root}.toSign.eseal")
    cert = bytes(tbs["cert"].native)
    _check_cert(cert, f"{root}.toSign.cert")
    algorithm = tbs["signatureAlgorithm"].dotted
    if algorithm not in ALGORITHMS:
        raise _bad(f"{root}.toSign.signatureAlgorithm", "bad_oid")
    return SesSignature(
        version=int(tbs["version"].native),
        seal=seal,
        time=_v1_time(tbs["timeInfo"]),
        data_hash=bytes(tbs["dataHash"].contents[1:]),
        property_info=str(tbs["propertyInfo"].native),
        signer_cert=cert,
        signature_algorithm=algorithm,
        signature=_sig_bytes(sig["signature"]),
        timestamp=None,
        der=data_of(sig),
        signed_data=data_of(tbs),
    )


def _read_sig_v4(sig: Any, root: str) -> SesSignature:
    tbs = sig["toSign"]
    seal = _read_v4(tbs["eseal"], f"{root}.toSign.eseal")
    cert = bytes(sig["cert"].native)
    _check_cert(cert, f"{root}.cert")
    algorithm = sig["signatureAlgID"].dotted
    if algorithm not in ALGORITHMS:
        raise _bad(f"{root}.signatureAlgID", "bad_oid")
    ts = sig["timeStamp"]
    return SesSignature(
        version=int(tbs["version"].native),
        seal=seal,
        time=_time(tbs["timeInfo"]),
        data_hash=bytes(tbs["dataHash"].contents[1:]),
        property_info=str(tbs["propertyInfo"].native),
        signer_cert=cert,
        signature_algorithm=algorithm,
        signature=_sig_bytes(sig["signature"]),
        timestamp=bytes(ts.contents[1:]) if ts.native is not None else None,
        der=data_of(sig),
        signed_data=data_of(tbs),
    )


def sign_digest(
    seal: Seal,
    signer_key: sm2.Sm2Signer,
    signer_cert: bytes,
    data_hash: bytes,
    *,
    at: datetime,
    property_info: str = "",
    timestamp: bytes | None = None,
) -> SesSignature:
    """Sign a document digest with a seal; the version follows the seal's."""
    if seal.version == 1:
        utc = a.UTCTime(at).dump()
        tbs1 = schema.TbsSignV1(
            {
                "version": 1,
                "eseal": schema.SealV1.load(seal.der),
                "timeInfo": a.BitString.load(_bits(bytes(utc))),
                "dataHash": a.BitString.load(_bits(data_hash)),
                "propertyInfo": property_info,
                "cert": signer_cert,
                "signatureAlgorithm": sm2.SM2_WITH_SM3_OID,
            }
        )
        signature = signer_key.sign(tbs1.dump())
        sig1 = schema.SignatureV1({"toSign": tbs1, "signature": a.BitString.load(_bits(signature))})
        return _read_sig_v1(schema.SignatureV1.load(sig1.dump()), "SES_Signature")
    tbs4 = schema.TbsSignV4(
        {
            "version": 4,
            "eseal": schema.SealV4.load(seal.der),
            "timeInfo": at.astimezone(UTC).replace(microsecond=0),
            "dataHash": a.BitString.load(_bits(data_hash)),
            "propertyInfo": property_info,
        }
    )
    signature = signer_key.sign(tbs4.dump())
    sig4 = schema.SignatureV4(
        {
            "toSign": tbs4,
            "cert": signer_cert,
            "signatureAlgID": sm2.SM2_WITH_SM3_OID,
            "signature": a.BitString.load(_bits(signature)),
        }
    )
    if timestamp is not None:
        sig4["timeStamp"] = a.BitString.load(_bits(timestamp))
    return _read_sig_v4(schema.SignatureV4.load(sig4.dump()), "SES_Signature")


def check_signature(sig: SesSignature, data_hash: bytes | None = None) -> dict[str, Check]:
    """Every check of a seal signature: dataHash, signer signature, seal, validity."""
    out: dict[str, Check] = {}
    if data_hash is not None:
        same = sm2.constant_time_equal(sig.data_hash, data_hash)
        out["data_hash"] = Check(same, "" if same else "data_hash_mismatch")
    key = _public_key(sig.signer_cert)
    if key is None:
        out["signer_signature"] = Check(False, "signer_key_not_sm2")
    else:
        rule = key.explain(sig.signature, sig.signed_data)
        ok = rule == "z"
        out["signer_signature"] = Check(ok, "" if ok else "signer_signature_invalid", rule)
    out["seal_signature"] = check_seal(sig.seal)
    if sig.time is not None:
        inside = sig.seal.valid_start <= sig.time <= sig.seal.valid_end
        out["seal_validity"] = Check(inside, "" if inside else "seal_expired_at_signing")
    return out
