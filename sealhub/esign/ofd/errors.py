"""Errors of the OFD layer."""

from __future__ import annotations

from typing import ClassVar

from sealhub.platform.errors import AppError


class OfdMalformed(AppError):
    code = "esign.ofd_malformed"
    status = 422
    zh = "OFD 文件无法处理：{reason}"
    en = "Cannot process the OFD file: {reason}"
    reasons: ClassVar[dict[str, tuple[str, str]]] = {
        "not_zip": ("不是 ZIP 包", "not a zip package"),
        "too_large": ("文件过大（{name}）", "too large ({name})"),
        "too_many_entries": ("包内文件过多", "too many entries"),
        "zip_bomb": ("压缩比异常（{name}），疑似压缩炸弹", "suspicious compression ratio ({name})"),
        "unsafe_path": ("包内路径不安全：{name}", "unsafe path in the package: {name}"),
        "duplicate_entry": ("包内文件重复：{name}", "duplicate entry: {name}"),
        "encrypted": ("包内文件已加密", "encrypted entries are not supported"),
        "missing_file": ("缺少文件：{name}", "missing file: {name}"),
        "bad_xml": ("XML 无法解析：{name}", "unparsable XML: {name}"),
        "no_document": ("没有文档（OFD.xml/DocBody）", "no document (OFD.xml/DocBody)"),
        "keyword_not_found": ("未找到关键字“{name}”", "keyword not found: {name}"),
        "bad_page": ("页码超出范围：{name}", "page out of range: {name}"),
        "unsupported_seal": ("印章数据不能用于签章", "the seal cannot be used to sign"),
    }
