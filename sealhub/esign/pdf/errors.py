"""Errors of PDF sealing (kept light: importing it does not load pyHanko)."""

from __future__ import annotations

from sealhub.platform.errors import AppError


class SealingFailed(AppError):
    code = "esign.sealing_failed"
    status = 422
    zh = "无法盖章：{reason}"
    en = "Cannot seal the document: {reason}"
    reasons = {  # noqa: RUF012 - AppError declares it ClassVar
        "unreadable": ("PDF 文件无法读取", "the PDF cannot be read"),
        "encrypted": ("PDF 已加密", "the PDF is encrypted"),
        "page": ("页码超出范围", "page out of range"),
        "keyword": ("未在文档中找到关键字", "the keyword was not found in the document"),
        "no_timestamper": ("该级别需要时间戳服务", "this level needs a timestamp authority"),
        "no_image": ("可见印章需要印章图片", "a visible seal needs a seal image"),
        "straddle_pages": ("骑缝章至少需要两页", "a straddle seal needs at least two pages"),
        "revocation": (
            "无法获取证书状态信息（LT 级别需要）",
            "revocation information unavailable (needed for LT)",
        ),
    }
