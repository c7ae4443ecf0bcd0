"""Errors of the seal image layer (codes in the `esign` vocabulary)."""

from __future__ import annotations

from typing import ClassVar

from sealhub.platform.errors import AppError


class FontMissing(AppError):
    code = "esign.font_missing"
    status = 500
    zh = "未找到中文字体（请安装 fonts-noto-cjk 或 fonts-wqy-zenhei）"
    en = "No CJK font found (install fonts-noto-cjk or fonts-wqy-zenhei)"


class InvalidSealSpec(AppError):
    code = "esign.invalid_seal_spec"
    status = 422
    zh = "印章参数无效：{reason}"
    en = "Invalid seal design: {reason}"
    reasons: ClassVar[dict[str, tuple[str, str]]] = {
        "size": ("尺寸不在允许范围内", "size out of the allowed range"),
        "dpi": ("分辨率须在 300–600 DPI 之间", "resolution must be 300-600 DPI"),
        "text": ("文字为空或过长", "text empty or too long"),
        "code": ("印章编码须为 13 位数字", "the seal code must be 13 digits"),
        "chars": ("个人章须为 4 或 6 个字", "a personal seal takes 4 or 6 characters"),
        "strokes": ("签名笔画为空或过多", "signature strokes empty or too many"),
    }


class InvalidImprint(AppError):
    code = "esign.invalid_imprint"
    status = 422
    zh = "无法从图片中提取印章：{reason}"
    en = "Cannot extract a seal from the image: {reason}"
    reasons: ClassVar[dict[str, tuple[str, str]]] = {
        "unreadable": ("图片无法读取", "the image cannot be read"),
        "too_large": ("图片过大", "the image is too large"),
        "no_red": ("未找到红色印迹", "no red imprint found"),
    }
