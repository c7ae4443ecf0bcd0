"""Errors of the SM2/SM3 layer, with stable codes."""

from __future__ import annotations

from typing import ClassVar

from sealhub.platform.errors import AppError


class GmKeyInvalid(AppError):
    code = "esign.sm2_key_invalid"
    status = 422
    zh = "SM2 密钥或证书无效：{reason}"
    en = "Invalid SM2 key or certificate: {reason}"
    reasons: ClassVar[dict[str, tuple[str, str]]] = {
        "not_sm2": ("不是 SM2 密钥", "not an SM2 key"),
        "unreadable": ("无法解析", "cannot be parsed"),
        "bad_password": ("口令错误或密钥已损坏", "wrong password or damaged key"),
        "bad_point": ("公钥点不在曲线上", "the public point is not on the curve"),
        "bad_certificate": ("证书无法解析", "the certificate cannot be parsed"),
    }
