"""Identity's Pydantic shapes in and out."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from sealhub.identity.policy import INVITATION_STATUS, MEMBER_STATUS
from sealhub.platform.actor import DataScope
from sealhub.platform.i18n import label_table
from sealhub.platform.types import Instant, Name, StrictModel

Strict = StrictModel  # the one strict input base (platform.types)


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class SmsCodeIn(Strict):
    phone: str = Field(max_length=32)
    purpose: str = Field(pattern=r"^(register|reset|login)$")


class SmsCodeOut(BaseModel):
    resend_after: int


class CreateOrgIn(Strict):
    name: Name = Field(min_length=2, max_length=100)


class RegisterIn(Strict):
    phone: str = Field(max_length=32)
    code: str = Field(min_length=4, max_length=8)
    password: str = Field(max_length=128)
    real_name: Name = Field(min_length=1, max_length=50)
    org_code: str | None = Field(default=None, max_length=40)
    create_org: CreateOrgIn | None = None


class OrgBrief(Out):
    id: uuid.UUID
    name: str
    code: str


class RegisterOut(BaseModel):
    status: str
    organization: OrgBrief
    token: str | None = None
    csrf_token: str | None = None


class LoginIn(Strict):
    phone: str = Field(max_length=32)
    password: str = Field(max_length=128)
    totp_code: str | None = Field(default=None, max_length=10)


class SmsLoginIn(Strict):
    phone: str = Field(max_length=32)
    code: str = Field(min_length=4, max_length=8)
    totp_code: str | None = Field(default=None, max_length=10)


class LoginOut(BaseModel):
    token: str
    csrf_token: str
    current_org_id: uuid.UUID | None
    expires_at: datetime


class PasswordResetIn(Strict):
    phone: str = Field(max_length=32)
    code: str = Field(min_length=4, max_length=8)
    new_password: str = Field(max_length=128)


class SwitchOrgIn(Strict):
    org_id: uuid.UUID


class TotpCodeIn(Strict):
    code: str = Field(min_length=6, max_length=8)


class TotpSetupOut(BaseModel):
    secret: str
    otpauth_uri: str


class UserOut(Out):
    id: uuid.UUID
    phone: str
    totp_enabled: bool


class MembershipBrief(BaseModel):
    org_id: uuid.UUID
    org_name: str
    org_code: str
    status: str


class MemberBrief(BaseModel):
    id: uuid.UUID
    real_name: str
    status: str


class MeOut(BaseModel):
    user: UserOut
    member: MemberBrief | None
    organization: OrgBrief | None
    permissions: list[str]
    data_scope: str | None
    unit_ids: list[uuid.UUID]
    memberships: list[MembershipBrief]


# ---------------------------------------------------------------- directory: organisation

SettingValue = bool | int | str | None


class OrgOut(Out):
    id: uuid.UUID
    name: str
    code: str
    status: str
    settings: dict[str, SettingValue]
    created_at: datetime


class OrgSettingsIn(Strict):
    """The organisation-wide switches, each typed; a key sent as null goes back to its
    default, a key not sent keeps its value. Unknown keys are refused (no free dict)."""

    # refuse new applications from someone who still owes photos of stamped pages
    block_on_photo_debt: bool | None = None


class OrgPatchIn(Strict):
    name: Name | None = Field(default=None, min_length=2, max_length=100)
    # merged into the current settings; a null value removes the key
    settings: OrgSettingsIn | None = None


# ---------------------------------------------------------------- directory: org units

UNIT_KINDS = r"^(company|branch|department)$"


class PersonRef(BaseModel):
    id: uuid.UUID
    real_name: str


class SupervisorTitleOut(BaseModel):
    title: str
    users: list[PersonRef]


class UnitOut(BaseModel):
    id: uuid.UUID
    parent_id: uuid.UUID | None
    name: str
    code: str
    kind: str
    sort: int
    description: str
    path: str
    logo_url: str | None
    supervisors: list[SupervisorTitleOut]
    created_at: datetime
    updated_at: datetime


class UnitCreateIn(Strict):
    parent_id: uuid.UUID | None = None  # None: under the root unit
    name: Name = Field(min_length=1, max_length=100)
    code: Name | None = Field(default=None, min_length=1, max_length=60)
    kind: str = Field(default="department", pattern=UNIT_KINDS)
    sort: int = Field(default=0, ge=-1_000_000, le=1_000_000)
    description: str = Field(default="", max_length=2000)


class UnitPatchIn(Strict):
    name: Name | None = Field(default=None, min_length=1, max_length=100)
    code: Name | None = Field(default=None, min_length=1, max_length=60)
    kind: str | None = Field(default=None, pattern=UNIT_KINDS)
    sort: int | None = Field(default=None, ge=-1_000_000, le=1_000_000)
    description: str | None = Field(default=None, max_length=2000)


class UnitMoveIn(Strict):
    parent_id: uuid.UUID


class SupervisorTitleIn(Strict):
    title: Name = Field(min_length=1, max_length=50)
    user_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)


class SupervisorsIn(Strict):
    titles: list[SupervisorTitleIn] = Field(max_length=20)


# ---------------------------------------------------------------- directory: roles


class PermissionOut(BaseModel):
    key: str
    zh: str
    en: str


class PermissionGroupOut(BaseModel):
    key: str
    zh: str
    en: str
    permissions: list[PermissionOut]


class DataScopeOut(BaseModel):
    key: str
    zh: str
    en: str


class CatalogueOut(BaseModel):
    groups: list[PermissionGroupOut]
    data_scopes: list[DataScopeOut]


class RoleOut(BaseModel):
    id: uuid.UUID
    name: str
    builtin_key: str | None
    description: str
    permissions: list[str]
    data_scope: str
    member_count: int
    created_by: PersonRef | None
    updated_by: PersonRef | None
    created_at: datetime
    updated_at: datetime


DATA_SCOPES = r"^(self|unit|unit_and_below|org)$"


class RoleCreateIn(Strict):
    name: Name = Field(min_length=1, max_length=50)
    description: str = Field(default="", max_length=2000)
    permissions: list[str] = Field(default_factory=list, max_length=200)
    data_scope: str = Field(default="self", pattern=DATA_SCOPES)


class RolePatchIn(Strict):
    name: Name | None = Field(default=None, min_length=1, max_length=50)
    description: str | None = Field(default=None, max_length=2000)
    permissions: list[str] | None = Field(default=None, max_length=200)
    data_scope: str | None = Field(default=None, pattern=DATA_SCOPES)


# ---------------------------------------------------------------- directory: members


class RoleRef(BaseModel):
    id: uuid.UUID
    name: str
    builtin_key: str | None


class UnitRef(BaseModel):
    id: uuid.UUID
    name: str
    code: str


class MemberOut(BaseModel):
    id: uuid.UUID  # the membership id
    user_id: uuid.UUID
    real_name: str
    phone: str
    status: str
    roles: list[RoleRef]
    units: list[UnitRef]  # the first is the primary unit
    primary_unit_id: uuid.UUID | None
    registered_at: datetime
    updated_at: datetime


class MemberCreatedOut(MemberOut):
    # set only when a new account was made without a password: shown this once
    temporary_password: str | None = None


class MemberCreateIn(Strict):
    real_name: Name = Field(min_length=1, max_length=50)
    phone: str = Field(max_length=32)
    # for a new account; ignored when the phone already has one (that person is invited)
    password: str | None = Field(default=None, max_length=128)
    role_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)
    unit_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)


class MemberPatchIn(Strict):
    real_name: Name | None = Field(default=None, min_length=1, max_length=50)
    role_ids: list[uuid.UUID] | None = Field(default=None, max_length=50)
    unit_ids: list[uuid.UUID] | None = Field(default=None, min_length=1, max_length=50)


class TemporaryPasswordOut(BaseModel):
    # a first password, only for an account this organisation opened and nobody has used;
    # otherwise None and the owner was sent a reset code by SMS instead
    temporary_password: str | None = None
    code_sent: bool = False


class InvitationOut(BaseModel):
    """An organisation's invitation to a person who already has an account."""

    id: uuid.UUID
    org_id: uuid.UUID
    org_name: str
    real_name: str  # the name the organisation will know them by
    phone: str
    status: str  # pending, accepted, declined, cancelled
    roles: list[RoleRef]
    units: list[UnitRef]
    invited_by: PersonRef | None
    created_at: datetime
    expires_at: datetime
    decided_at: datetime | None
    membership_id: uuid.UUID | None  # set once accepted


class InvitationCodeIn(Strict):
    phone: str = Field(max_length=32)
    code: str = Field(min_length=1, max_length=16)


class ImportInvitedRow(BaseModel):
    row: int
    invitation_id: uuid.UUID
    real_name: str
    phone: str


class ImportedRow(BaseModel):
    row: int
    member_id: uuid.UUID
    real_name: str
    phone: str
    temporary_password: str | None = None


class ImportRowError(BaseModel):
    row: int
    message: str


class ImportOut(BaseModel):
    created: list[ImportedRow]
    errors: list[ImportRowError]
    # rows whose phone already has an account: invited, not added
    invited: list[ImportInvitedRow] = Field(default_factory=list)


# ---------------------------------------------------------------- directory: API keys


class ApiKeyOut(BaseModel):
    id: uuid.UUID
    name: str
    prefix: str
    permissions: list[str]
    created_by: PersonRef
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreatedOut(ApiKeyOut):
    secret: str  # shown once, never again


class ApiKeyCreateIn(Strict):
    name: Name = Field(min_length=1, max_length=100)
    permissions: list[str] = Field(min_length=1, max_length=100)
    expires_at: Instant | None = None


# one wording for the role editor's catalogue and the console's tags
DATA_SCOPE_LABELS: dict[DataScope, tuple[str, str, str]] = {
    DataScope.SELF: ("仅本人", "Own records only", "info"),
    DataScope.UNIT: ("本部门", "Own unit", "primary"),
    DataScope.UNIT_AND_BELOW: ("本部门及下级部门", "Own unit and below", "warning"),
    DataScope.ORG: ("全组织", "Whole organisation", "danger"),
}


def enum_labels() -> dict[str, list[dict[str, Any]]]:
    """Member and invitation statuses and data scopes with zh/en labels and tag colours."""
    return {
        "member_status": MEMBER_STATUS.labels(),
        "invitation_status": INVITATION_STATUS.labels(),
        "data_scope": label_table(DATA_SCOPE_LABELS),
    }
