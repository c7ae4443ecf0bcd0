"""Evidence errors, each with a stable code."""

from __future__ import annotations

from sealhub.platform.errors import AppError, NotFound


class EntryNotFound(NotFound):
    code = "evidence.entry_not_found"
    status = 404
    zh = "存证记录不存在"
    en = "Evidence entry not found"


class EntryNotIntegrated(AppError):
    code = "evidence.entry_not_integrated"
    status = 409
    zh = "该记录尚未纳入已签名的树头，请稍后再试"
    en = "The entry is not yet in a signed tree head; try again shortly"


class NoTreeHead(NotFound):
    code = "evidence.no_tree_head"
    status = 404
    zh = "尚无已签名的树头"
    en = "No signed tree head yet"


class BadTreeSizes(AppError):
    code = "evidence.bad_tree_sizes"
    status = 422
    zh = "树大小无效：须满足 1 ≤ 旧大小 ≤ 新大小 ≤ 当前大小（{current}）"
    en = "Invalid tree sizes: need 1 <= first <= second <= the current size ({current})"


class BadWitnessTarget(AppError):
    code = "evidence.bad_witness_target"
    status = 422
    zh = "见证方地址无效（webhook 须为 http(s) 地址；file 须为简单文件夹名）"
    en = "Invalid witness target (a webhook needs an http(s) URL; a file drop a plain folder name)"


class NothingToPackage(NotFound):
    code = "evidence.nothing_to_package"
    status = 404
    zh = "该申请尚无已纳入签名树头的存证记录"
    en = "The application has no records in a signed tree head yet"
