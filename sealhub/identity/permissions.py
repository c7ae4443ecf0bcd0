"""The fixed permission catalogue and the built-in roles every new organisation gets.

Documented in docs/permissions.md; the permission-matrix test checks every route against it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sealhub.platform.actor import DataScope


@dataclass(frozen=True)
class Permission:
    key: str
    group: str
    zh: str
    en: str


GROUPS: dict[str, tuple[str, str]] = {
    "org": ("组织管理", "Organisation"),
    "member": ("人员管理", "Members"),
    "role": ("角色管理", "Roles"),
    "seal": ("印章管理", "Seals"),
    "request": ("用章申请", "Applications"),
    "flow": ("审批流程", "Approval flows"),
    "device": ("智能印章设备", "Smart-seal devices"),
    "audit": ("审计", "Audit"),
    "integration": ("集成", "Integrations"),
    "alert": ("告警", "Alerts"),
}

CATALOGUE: tuple[Permission, ...] = (
    Permission("org.read", "org", "查看组织架构", "View the org tree"),
    Permission("org.manage", "org", "管理组织架构与组织设置", "Manage the org tree and settings"),
    Permission("member.read", "member", "查看人员", "View members"),
    Permission("member.manage", "member", "管理人员", "Manage members"),
    Permission("role.read", "role", "查看角色", "View roles"),
    Permission("role.manage", "role", "管理角色", "Manage roles"),
    Permission("seal.read", "seal", "查看印章", "View seals"),
    Permission("seal.manage", "seal", "管理印章（登记、状态）", "Manage seals (register, status)"),
    Permission("seal.custody", "seal", "印章保管（外借、归还）", "Seal custody (hand out, return)"),
    Permission("request.create", "request", "申请用章", "Apply to use seals"),
    Permission("request.read", "request", "查看他人申请", "View others' applications"),
    Permission("request.manage", "request", "管理申请（提前结束、调整）", "Manage applications"),
    Permission("flow.read", "flow", "查看审批流程", "View approval flows"),
    Permission("flow.manage", "flow", "管理审批流程", "Manage approval flows"),
    Permission("device.read", "device", "查看设备", "View devices"),
    Permission("device.control", "device", "控制设备", "Control devices"),
    Permission("audit.read", "audit", "查看审计日志", "Read the audit trail"),
    Permission("integration.manage", "integration", "管理 API 密钥与集成", "Manage API keys"),
    Permission("alert.read", "alert", "查看告警", "View alerts"),
    Permission("alert.manage", "alert", "处理告警（确认、解决）", "Handle alerts"),
)

ALL: frozenset[str] = frozenset(p.key for p in CATALOGUE)
READ_ONLY: frozenset[str] = frozenset(p.key for p in CATALOGUE if p.key.endswith(".read"))


@dataclass(frozen=True)
class BuiltinRole:
    key: str
    zh: str
    en: str
    permissions: frozenset[str]
    scope: DataScope
    description: str


BUILTIN_ROLES: tuple[BuiltinRole, ...] = (
    BuiltinRole("admin", "管理员", "Administrator", ALL, DataScope.ORG, "组织的全部权限"),
    BuiltinRole(
        "employee",
        "普通用户",
        "Employee",
        frozenset({"org.read", "seal.read", "request.create", "flow.read"}),
        DataScope.SELF,
        "申请用章，查看自己的申请",
    ),
    BuiltinRole(
        "approver",
        "审批人",
        "Approver",
        frozenset(
            {
                "org.read",
                "member.read",
                "seal.read",
                "request.create",
                "request.read",
                "flow.read",
            }
        ),
        DataScope.UNIT_AND_BELOW,
        "审批本部门及下级部门的用章申请",
    ),
    BuiltinRole(
        "keeper",
        "管章人",
        "Seal keeper",
        frozenset(
            {
                "org.read",
                "member.read",
                "seal.read",
                "seal.custody",
                "request.create",
                "request.read",
                "flow.read",
                "device.read",
                "alert.read",
                "alert.manage",
            }
        ),
        DataScope.ORG,
        "保管印章，办理外借与归还",
    ),
    BuiltinRole("auditor", "审计员", "Auditor", READ_ONLY, DataScope.ORG, "只读查看全部记录"),
    BuiltinRole(
        "it",
        "IT专员",
        "IT",
        frozenset(
            {
                "org.read",
                "member.read",
                "seal.read",
                "device.read",
                "device.control",
                "integration.manage",
                "alert.read",
                "alert.manage",
            }
        ),
        DataScope.ORG,
        "设备、集成与 API 密钥",
    ),
)

BUILTIN_BY_KEY = {r.key: r for r in BUILTIN_ROLES}
