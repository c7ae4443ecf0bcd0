"""Seal errors, each with a stable code."""

from __future__ import annotations

from sealhub.platform.errors import AppError, Conflict, InvalidTransition, NotFound


class SealNotFound(NotFound):
    code = "seal.not_found"
    status = 404
    zh = "印章不存在"
    en = "Seal not found"


class CustodyNotFound(NotFound):
    code = "seal.custody_not_found"
    status = 404
    zh = "外借记录不存在"
    en = "Custody record not found"


class InvalidSealTransition(InvalidTransition):
    code = "seal.invalid_transition"
    status = 409
    zh = "印章当前状态“{current}”不能变更为“{action}”"
    en = "A seal cannot move from {current} to {action}"


class DuplicateSealCode(Conflict):
    code = "seal.duplicate_code"
    status = 409
    zh = "印章编码“{seal_code}”已存在"
    en = "Seal code {seal_code} is already in use"


class UnitNotFound(AppError):
    code = "seal.unit_not_found"
    status = 422
    zh = "所属部门不存在"
    en = "The owning organisation unit does not exist"


class KeeperNotMember(AppError):
    code = "seal.keeper_not_member"
    status = 422
    zh = "管章人必须是本组织的在职成员"
    en = "Seal keepers must be active members of the organisation"


class CustomTypeNameRequired(AppError):
    code = "seal.custom_type_name"
    status = 422
    zh = "自定义印章类型须填写类型名称"
    en = "A custom seal type needs a type name"


class HolderNotMember(AppError):
    code = "seal.holder_not_member"
    status = 422
    zh = "领用人必须是本组织的在职成员"
    en = "The holder must be an active member of the organisation"


class NotPhysical(AppError):
    code = "seal.not_physical"
    status = 409
    zh = "只有实体章可以外借"
    en = "Only physical seals can be handed out"


class SealNotActive(AppError):
    code = "seal.not_active"
    status = 409
    zh = "印章当前状态为“{current}”，不能外借"
    en = "The seal is {current} and cannot be handed out"


class SealAlreadyOut(AppError):
    code = "seal.already_out"
    status = 409
    zh = "印章已外借，尚未归还"
    en = "The seal is already handed out and not yet returned"


class AlreadyReturned(AppError):
    code = "seal.already_returned"
    status = 409
    zh = "该外借记录已归还"
    en = "This custody record has already been returned"


class NotKeeper(AppError):
    code = "seal.not_keeper"
    status = 403
    zh = "只有该印章的管章人可以办理外借与归还"
    en = "Only this seal's keepers may hand it out or take it back"


class ReturnBeforeHandOut(AppError):
    code = "seal.bad_return_time"
    status = 422
    zh = "预计归还时间必须晚于当前时间"
    en = "The expected return time must be in the future"


class NoImage(NotFound):
    code = "seal.no_image"
    status = 404
    zh = "该印章没有印模图片"
    en = "This seal has no image"
