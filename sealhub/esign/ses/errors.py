"""Errors of the GB/T 38540 / GM/T 0031 seal layer."""

from __future__ import annotations

from typing import ClassVar

from sealhub.platform.errors import AppError


class SesMalformed(AppError):
    """Structurally bad seal or signature data; `path` names the field."""

    code = "esign.ses_malformed"
    status = 422
    zh = "电子印章数据格式错误：{path}（{reason}）"
    en = "Malformed electronic seal data at {path}: {reason}"
    reasons: ClassVar[dict[str, tuple[str, str]]] = {
        "truncated": ("数据被截断或长度错误", "truncated, or a length runs past the data"),
        "not_der": ("不是 DER 编码", "not DER (indefinite or non-minimal length)"),
        "unexpected_tag": ("类型不符", "unexpected type (tag)"),
        "missing": ("缺少必填字段", "a required field is missing"),
        "unexpected_field": ("有多余字段", "unexpected extra field"),
        "bad_value": ("取值无法解析", "the value cannot be decoded"),
        "trailing_data": ("结尾有多余数据", "extra bytes after the structure"),
        "bad_version": ("版本号不受支持", "unsupported version"),
        "bad_header_id": ("头标识不是 ES", "header id is not ES"),
        "bad_oid": ("签名算法不是 SM2-with-SM3", "the algorithm is not SM2-with-SM3"),
        "bad_cert": ("证书无法解析", "the certificate cannot be parsed"),
        "bad_cert_list_type": ("证书列表类型应为 1 或 2", "certListType must be 1 or 2"),
        "bad_picture": ("印章图像类型不受支持", "unsupported picture type"),
        "too_large": ("数据过大", "too large"),
        "not_ses": ("不是电子印章或电子签章数据", "neither a seal nor a seal signature"),
    }
