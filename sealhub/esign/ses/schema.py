"""ASN.1 of GM/T 0031-2014 (v1) and GB/T 38540-2020 (v4; ofdrw's v5) seals and signatures.

Field names are the standards' own, so an error path reads like the standard
(`SES_Seal.esealInfo.property.certList[1]`).
"""
# ruff: noqa: RUF012

from __future__ import annotations

from asn1crypto import core as a


class SesHeader(a.Sequence):  # type: ignore[misc]
    _fields = [("id", a.IA5String), ("version", a.Integer), ("vid", a.IA5String)]


class ExtData(a.Sequence):  # type: ignore[misc]
    _fields = [
        ("extnID", a.ObjectIdentifier),
        ("critical", a.Boolean, {"default": False}),
        ("extnValue", a.OctetString),
    ]


class ExtensionDatas(a.SequenceOf):  # type: ignore[misc]
    _child_spec = ExtData


class PictureInfo(a.Sequence):  # type: ignore[misc]
    _fields = [
        ("type", a.IA5String),
        ("data", a.OctetString),
        ("width", a.Integer),
        ("height", a.Integer),
    ]


class CertInfoList(a.SequenceOf):  # type: ignore[misc]
    _child_spec = a.OctetString


class CertDigestObj(a.Sequence):  # type: ignore[misc]
    _fields = [("type", a.PrintableString), ("value", a.OctetString)]


class CertDigestList(a.SequenceOf):  # type: ignore[misc]
    _child_spec = CertDigestObj


class AnyTime(a.Choice):  # type: ignore[misc]
    # GM/T 0031 says UTCTime; issuers in the field also write GeneralizedTime
    _alternatives = [("utcTime", a.UTCTime), ("generalTime", a.GeneralizedTime)]


class PropertyInfoV1(a.Sequence):  # type: ignore[misc]
    _fields = [
        ("type", a.Integer),
        ("name", a.UTF8String),
        ("certList", CertInfoList),
        ("createDate", AnyTime),
        ("validStart", AnyTime),
        ("validEnd", AnyTime),
    ]


class PropertyInfoV4(a.Sequence):  # type: ignore[misc]
    # certList is CHOICE {CertInfoList, CertDigestList}: both are untagged SEQUENCE OF, so
    # the choice is made by certListType (1 = certificates, 2 = digests) in parse.py
    _fields = [
        ("type", a.Integer),
        ("name", a.UTF8String),
        ("certListType", a.Integer),
        ("certList", a.Any),
        ("createDate", a.GeneralizedTime),
        ("validStart", a.GeneralizedTime),
        ("validEnd", a.GeneralizedTime),
    ]


class SealInfoV1(a.Sequence):  # type: ignore[misc]
    _fields = [
        ("header", SesHeader),
        ("esID", a.IA5String),
        ("property", PropertyInfoV1),
        ("picture", PictureInfo),
        ("extDatas", ExtensionDatas, {"optional": True}),
    ]


class SealInfoV4(a.Sequence):  # type: ignore[misc]
    _fields = [
        ("header", SesHeader),
        ("esID", a.IA5String),
        ("property", PropertyInfoV4),
        ("picture", PictureInfo),
        ("extDatas", ExtensionDatas, {"optional": True}),
    ]


class SignInfoV1(a.Sequence):  # type: ignore[misc]
    _fields = [
        ("cert", a.OctetString),
        ("signatureAlgorithm", a.ObjectIdentifier),
        ("signData", a.BitString),
    ]


class SealV1(a.Sequence):  # type: ignore[misc]
    _fields = [("esealInfo", SealInfoV1), ("signInfo", SignInfoV1)]


class MakerToSignV1(a.Sequence):  # type: ignore[misc]
    """What the maker signs in v1: SEQUENCE {sealInfo, cert, signatureAlgorithm}."""

    _fields = [
        ("esealInfo", SealInfoV1),
        ("cert", a.OctetString),
        ("signatureAlgorithm", a.ObjectIdentifier),
    ]


class SealV4(a.Sequence):  # type: ignore[misc]
    _fields = [
        ("esealInfo", SealInfoV4),
        ("cert", a.OctetString),
        ("signAlgID", a.ObjectIdentifier),
        ("signedValue", a.BitString),
        # ofdrw's "v5" only (header version 5): an explicit [0] timestamp
        ("timeStamp", a.BitString, {"explicit": 0, "optional": True}),
    ]


class TbsSignV1(a.Sequence):  # type: ignore[misc]
    _fields = [
        ("version", a.Integer),
        ("eseal", SealV1),
        ("timeInfo", a.BitString),
        ("dataHash", a.BitString),
        ("propertyInfo", a.IA5String),
        ("cert", a.OctetString),
        ("signatureAlgorithm", a.ObjectIdentifier),
    ]


class SignatureV1(a.Sequence):  # type: ignore[misc]
    _fields = [("toSign", TbsSignV1), ("signature", a.BitString)]


class TbsSignV4(a.Sequence):  # type: ignore[misc]
    _fields = [
        ("version", a.Integer),
        ("eseal", SealV4),
        ("timeInfo", a.GeneralizedTime),
        ("dataHash", a.BitString),
        ("propertyInfo", a.IA5String),
        ("extDatas", ExtensionDatas, {"optional": True}),
    ]


class SignatureV4(a.Sequence):  # type: ignore[misc]
    _fields = [
        ("toSign", TbsSignV4),
        ("cert", a.OctetString),
        ("signatureAlgID", a.ObjectIdentifier),
        ("signature", a.BitString),
        ("timeStamp", a.BitString, {"explicit": 0, "optional": True}),
    ]
