"""Application and approval-flow errors, each with a stable code."""

from __future__ import annotations

from typing import ClassVar

from sealhub.platform.errors import AppError, Conflict, Forbidden, InvalidTransition, NotFound


class RequestNotFound(NotFound):
    code = "request.not_found"
    status = 404
    zh = "申请单不存在"
    en = "Application not found"


class FlowNotFound(NotFound):
    code = "flow.not_found"
    status = 404
    zh = "审批流程不存在"
    en = "Approval flow not found"


class DocumentNotFound(NotFound):
    code = "request.document_not_found"
    status = 404
    zh = "文件不存在"
    en = "Document not found"


class PhotoNotFound(NotFound):
    code = "request.photo_not_found"
    status = 404
    zh = "盖章照片不存在"
    en = "Stamp photo not found"


class SealNotInOrg(NotFound):
    code = "request.seal_not_found"
    status = 404
    zh = "印章不存在"
    en = "Seal not found"


class ItemNotFound(NotFound):
    code = "request.item_not_found"
    status = 404
    zh = "申请单中没有该印章"
    en = "The application has no such seal item"


class InvalidRequestTransition(InvalidTransition):
    code = "request.invalid_transition"
    status = 409
    zh = "申请单当前状态“{current}”不允许“{action}”"
    en = "Cannot {action} an application that is {current}"


class SealNotActive(AppError):
    code = "request.seal_not_active"
    status = 422
    zh = "印章“{seal_name}”当前不可用"
    en = "Seal {seal_name} is not active"


class DuplicateSeal(AppError):
    code = "request.duplicate_seal"
    status = 422
    zh = "同一印章在申请单中只能出现一次"
    en = "A seal may appear only once in an application"


class InvalidWindow(AppError):
    code = "request.invalid_window"
    status = 422
    zh = "有效期结束时间必须晚于开始时间且晚于当前时间"
    en = "valid_until must be after valid_from and in the future"


class InvalidPages(AppError):
    code = "request.invalid_pages"
    status = 422
    zh = "页码“{pages}”无效（文件共 {page_count} 页）"
    en = "Invalid pages {pages} (the document has {page_count} pages)"


class InvalidDocument(AppError):
    code = "request.invalid_document"
    status = 422
    zh = "文件不存在或不是您上传的"
    en = "A document does not exist or was not uploaded by you"


class InvalidUnit(AppError):
    code = "request.invalid_unit"
    status = 422
    zh = "申请部门必须是您所在的部门"
    en = "The applying unit must be one of your units"


class NoFlow(AppError):
    code = "request.no_flow"
    status = 422
    zh = "没有适用于该申请的审批流程，请联系管理员配置（印章类型、数量或部门条件）"
    en = (
        "No approval flow applies to this application; ask an administrator to set one up "
        "(conditions on seal type, presses or unit)"
    )


class NoApprovers(AppError):
    code = "request.no_approvers"
    status = 422
    zh = "审批步骤“{step}”找不到审批人（申请人本人不能审批）"
    en = "Approval step {step} resolves to nobody (applicants never approve their own)"


class SelfApproval(Conflict):
    code = "request.self_approval"
    status = 409
    zh = "不能审批自己的申请"
    en = "Nobody may approve their own application"


class NotAssignee(Forbidden):
    code = "request.not_assignee"
    status = 403
    zh = "您没有该申请的待办审批"
    en = "You have no pending approval task on this application"


class AlreadyDecided(Conflict):
    code = "request.already_decided"
    status = 409
    zh = "该审批已处理"
    en = "This approval task has already been decided"


class AlreadyAssignee(Conflict):
    code = "request.already_assignee"
    status = 409
    zh = "该人员已在当前审批步骤中"
    en = "That person already has a pending task in this step"


class AssigneeNotMember(AppError):
    code = "request.assignee_not_member"
    status = 422
    zh = "审批人必须是本组织的在职成员"
    en = "The approver must be an active member of the organisation"


class PhotoDebt(Conflict):
    code = "request.photo_debt"
    status = 409
    zh = "您还有申请单“{number}”未上传盖章照片，请先上传"
    en = "Upload the stamped-page photos of application {number} first"


class AmendmentPending(Conflict):
    code = "request.amendment_pending"
    status = 409
    zh = "已有追加次数申请在审批中"
    en = "An add-presses amendment is already under review"


class TooManyPresses(AppError):
    code = "request.too_many_presses"
    status = 422
    zh = "每枚印章最多 {limit} 次"
    en = "At most {limit} presses per seal"


class NotApplicant(Forbidden):
    code = "request.not_applicant"
    status = 403
    zh = "只有申请人可以执行此操作"
    en = "Only the applicant may do this"


USE_REASONS: dict[str, tuple[str, str]] = {
    "bad_count": ("次数无效（{count}）", "invalid count ({count})"),
    "status": ("申请单状态不允许（{current}）", "the application is {current}"),
    "no_item": ("申请单中没有该印章", "the seal is not in the application"),
    "not_applicant": ("使用人必须是申请人", "only the applicant may use it"),
    "outside_window": ("不在申请的有效期内", "outside the application's validity window"),
    "used_up": ("用印次数不足（剩余 {left} 次）", "not enough presses left ({left})"),
}


class HandOutNotAllowed(Conflict):
    code = "request.hand_out_not_allowed"
    status = 409
    zh = "申请单不允许外借该印章：{reason}"
    en = "The application does not allow this hand-out: {reason}"
    reasons: ClassVar[dict[str, tuple[str, str]]] = USE_REASONS


class UseNotAllowed(Conflict):
    code = "request.use_not_allowed"
    status = 409
    zh = "申请单不允许这次用印：{reason}"
    en = "The application does not allow this use: {reason}"
    reasons: ClassVar[dict[str, tuple[str, str]]] = USE_REASONS


class InvalidFlow(AppError):
    code = "flow.invalid"
    status = 422
    zh = "审批流程设置有误：{reason}"
    en = "Invalid approval flow: {reason}"
    reasons: ClassVar[dict[str, tuple[str, str]]] = {
        "unknown_role": ("步骤“{step}”的角色不存在", "step “{step}”: the role does not exist"),
        "unknown_people": (
            "步骤“{step}”的人员不在本组织",
            "step “{step}”: someone is not in the organisation",
        ),
        "unknown_unit": ("条件中的部门不存在", "a unit in the conditions does not exist"),
    }
