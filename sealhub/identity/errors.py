"""Identity errors, each with a stable code."""

from __future__ import annotations

from typing import ClassVar

from sealhub.platform.errors import AppError, Conflict, InvalidTransition, NotFound


class InvalidPhone(AppError):
    code = "auth.invalid_phone"
    status = 422
    zh = "手机号码格式不正确"
    en = "Not a valid mobile phone number"


class WeakPassword(AppError):
    code = "auth.weak_password"
    status = 422
    zh = "密码至少 8 位，且须包含字母和数字"
    en = "Password needs at least 8 characters with letters and digits"


class InvalidSmsCode(AppError):
    code = "auth.invalid_sms_code"
    status = 400
    zh = "验证码错误或已过期"
    en = "The verification code is wrong or has expired"


class SmsTooSoon(AppError):
    code = "auth.sms_too_soon"
    status = 429
    zh = "验证码发送过于频繁，请 {retry_after} 秒后再试"
    en = "Code sent too recently; retry in {retry_after} s"


class BadCredentials(AppError):
    code = "auth.bad_credentials"
    status = 401
    zh = "手机号或密码错误"
    en = "Wrong phone number or password"


class TotpRequired(AppError):
    code = "auth.totp_required"
    status = 401
    zh = "请输入动态验证码"
    en = "Enter your authenticator code"


class InvalidTotp(AppError):
    code = "auth.invalid_totp"
    status = 401
    zh = "动态验证码错误"
    en = "Wrong authenticator code"


class CsrfFailed(AppError):
    code = "auth.csrf"
    status = 403
    zh = "请求校验失败，请刷新页面后重试"
    en = "CSRF check failed; reload the page and retry"


class PhoneTaken(Conflict):
    code = "auth.phone_registered"
    status = 409
    zh = "该手机号已注册，请直接登录"
    en = "This phone number is already registered; sign in instead"


class OrgCodeUnknown(AppError):
    code = "org.code_unknown"
    status = 404
    zh = "组织代码不存在"
    en = "No organisation has this code"


class NoMembership(AppError):
    code = "auth.no_membership"
    status = 403
    zh = "您尚未加入任何组织，或加入申请正在审核中"
    en = "You belong to no organisation yet, or your request to join is pending"


class MembershipInactive(AppError):
    code = "auth.membership_inactive"
    status = 403
    zh = "您在该组织的账号已停用或待审核"
    en = "Your membership in this organisation is disabled or pending"


class UnitNotFound(NotFound):
    code = "org.unit_not_found"
    zh = "组织单元不存在"
    en = "Org unit not found"


class UnitNotEmpty(Conflict):
    code = "org.unit_not_empty"
    zh = "该组织下仍有下级组织、人员或印章，不能删除"
    en = "The unit still has sub-units, members or seals"


class UnitCycle(Conflict):
    code = "org.unit_cycle"
    zh = "不能移动到自身或其下级组织下"
    en = "Cannot move a unit under itself or its descendants"


class UnitCodeTaken(Conflict):
    code = "org.unit_code_taken"
    zh = "组织代码已被使用"
    en = "This unit code is already used"


class RootUnitImmutable(Conflict):
    code = "org.root_immutable"
    zh = "根组织不能删除或移动"
    en = "The root unit cannot be deleted or moved"


class MemberNotFound(NotFound):
    code = "member.not_found"
    zh = "人员不存在"
    en = "Member not found"


class MemberExists(Conflict):
    code = "member.exists"
    zh = "该手机号已是本组织成员"
    en = "This phone number is already a member"


class LastAdmin(Conflict):
    code = "member.last_admin"
    zh = "组织至少需要一名启用的管理员"
    en = "The organisation needs at least one active administrator"


class RoleNotFound(NotFound):
    code = "role.not_found"
    zh = "角色不存在"
    en = "Role not found"


class RoleNameTaken(Conflict):
    code = "role.name_taken"
    zh = "角色名称已存在"
    en = "A role with this name exists"


class RoleInUse(Conflict):
    code = "role.in_use"
    zh = "角色仍有成员，不能删除"
    en = "The role still has members"


class UnknownPermission(AppError):
    code = "role.unknown_permission"
    status = 422
    zh = "未知权限：{permission}"
    en = "Unknown permission: {permission}"


class ApiKeyNotFound(NotFound):
    code = "apikey.not_found"
    zh = "API 密钥不存在"
    en = "API key not found"


class PermissionNotHeld(AppError):
    code = "apikey.permission_not_held"
    status = 403
    zh = "不能授予自己没有的权限：{permission}"
    en = "Cannot grant a permission you do not hold: {permission}"


class RoleBuiltin(Conflict):
    code = "role.builtin"
    zh = "内置角色不能删除"
    en = "Built-in roles cannot be deleted"


class MemberInvalidTransition(InvalidTransition):
    code = "member.invalid_transition"


class LogoTooLarge(AppError):
    code = "org.logo_too_large"
    status = 422
    zh = "组织标志图片尺寸过大（{width}×{height}），最大 {limit}×{limit} 像素"
    en = "The logo is {width}×{height} pixels; at most {limit}×{limit}"


class LogoMissing(NotFound):
    code = "org.logo_missing"
    zh = "该组织单元没有标志图片"
    en = "This unit has no logo"


class ImportUnreadable(AppError):
    code = "member.import_unreadable"
    status = 422
    zh = "无法读取导入文件：{reason}"
    en = "Cannot read the import file: {reason}"
    reasons: ClassVar[dict[str, tuple[str, str]]] = {
        "empty": ("文件为空", "the file is empty"),
        "no_rows": ("没有数据行", "no rows"),
        "missing_columns": ("缺少“姓名”或“手机号”列", "the name or phone column is missing"),
        "xlsx": ("无法解析 .xlsx 文件", "the .xlsx file cannot be parsed"),
        "encoding": ("CSV 不是 UTF-8 或 GBK 编码", "the CSV is neither UTF-8 nor GBK"),
        "binary": ("不是文本表格", "not a text sheet"),
        "csv": ("无法解析 CSV", "the CSV cannot be parsed"),
    }


class ImportRowInvalid(AppError):
    code = "member.import_row_invalid"
    status = 422
    zh = "该行有误：{reason}"
    en = "Invalid row: {reason}"
    reasons: ClassVar[dict[str, tuple[str, str]]] = {
        "bad_name": ("姓名为空或过长", "the name is empty or too long"),
        "duplicate_phone": ("手机号在文件中重复", "the phone appears twice in the file"),
        "unknown_role": ("未知角色 {value}", "unknown role {value}"),
        "unknown_unit": ("未知部门代码 {value}", "unknown unit code {value}"),
    }


class ImportTooManyRows(AppError):
    code = "member.import_too_many_rows"
    status = 422
    zh = "导入文件最多 {limit} 行"
    en = "An import file holds at most {limit} rows"


class ExpiryInPast(AppError):
    code = "apikey.expiry_in_past"
    status = 422
    zh = "过期时间必须晚于当前时间"
    en = "The expiry time must be in the future"


class GrantExceedsOwn(AppError):
    code = "role.exceeds_own"
    status = 403
    zh = "不能授予超出自身的权限或数据范围：{what}"
    en = "Cannot grant a permission or data scope beyond your own: {what}"


class MemberExceedsOwn(AppError):
    code = "member.exceeds_own"
    status = 403
    zh = "不能操作权限或数据范围超出自身的成员：{what}"
    en = "Cannot act on a member whose permissions or data scope exceed your own: {what}"


class InvitationPending(Conflict):
    code = "member.invitation_pending"
    zh = "已向该手机号发出邀请，等待对方接受"
    en = "An invitation to this phone is already waiting for an answer"


class InvitationNotFound(NotFound):
    code = "invitation.not_found"
    zh = "邀请不存在或已失效"
    en = "No such invitation, or it has expired"


class InvitationInvalidTransition(InvalidTransition):
    code = "invitation.invalid_transition"
