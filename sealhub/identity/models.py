"""Identity tables (private to this context)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sealhub.platform import clock
from sealhub.platform.db.base import Base, CreatedUpdatedMixin, IdMixin, TenantMixin


class OrgStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class MemberStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    DISABLED = "disabled"


class Organization(IdMixin, CreatedUpdatedMixin, Base):
    """A tenant. `code` is what people type to join it."""

    __tablename__ = "organizations"

    name: Mapped[str] = mapped_column(String(100))
    code: Mapped[str] = mapped_column(String(40), unique=True)
    status: Mapped[str] = mapped_column(String(20), default=OrgStatus.ACTIVE)
    # organisation-wide switches, e.g. {"block_on_photo_debt": true}
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by: Mapped[uuid.UUID | None] = mapped_column(default=None)


class OrgUnit(IdMixin, TenantMixin, CreatedUpdatedMixin, Base):
    """A node of the org tree: the company root, branches, departments."""

    __tablename__ = "org_units"
    __table_args__ = (UniqueConstraint("org_id", "code"),)

    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("org_units.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    code: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(20), default="department")
    sort: Mapped[int] = mapped_column(default=0)
    description: Mapped[str] = mapped_column(Text, default="")
    logo_object_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    # materialised path of ids ("/root/child/") for subtree queries
    path: Mapped[str] = mapped_column(String(2000), default="/")


class UnitSupervisor(IdMixin, TenantMixin, Base):
    """A supervisor title on a unit (e.g. 部门经理) and one person holding it."""

    __tablename__ = "unit_supervisors"
    __table_args__ = (UniqueConstraint("unit_id", "title", "user_id"),)

    unit_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("org_units.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(50))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    sort: Mapped[int] = mapped_column(default=0)


class User(IdMixin, CreatedUpdatedMixin, Base):
    """A person, identified by phone; may belong to several organisations."""

    __tablename__ = "users"

    phone: Mapped[str] = mapped_column(String(20), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    totp_secret: Mapped[str | None] = mapped_column(String(64), default=None)
    totp_enabled: Mapped[bool] = mapped_column(default=False)
    last_login_at: Mapped[datetime | None] = mapped_column(default=None)
    last_org_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    locale: Mapped[str] = mapped_column(String(10), default="zh-CN")
    # the organisation that opened this account for a person who had none; until its owner
    # first signs in (last_login_at), that organisation may still issue a first password
    created_by_org_id: Mapped[uuid.UUID | None] = mapped_column(default=None)


class Membership(IdMixin, TenantMixin, CreatedUpdatedMixin, Base):
    """A person in one organisation: name there, status, roles and units."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("org_id", "user_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    real_name: Mapped[str] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(20), default=MemberStatus.ACTIVE)
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)
    registered_at: Mapped[datetime] = mapped_column(default=clock.now)
    # the primary unit used for data scope and approval chains
    primary_unit_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("org_units.id"), default=None
    )


class InvitationStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    CANCELLED = "cancelled"


class Invitation(IdMixin, TenantMixin, CreatedUpdatedMixin, Base):
    """An organisation asks a person who already has an account to join; nothing is
    granted until that person accepts (in the console, or with the code sent by SMS)."""

    __tablename__ = "invitations"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    real_name: Mapped[str] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(20), default=InvitationStatus.PENDING)
    # the membership to create on acceptance (ids as strings; checked again then)
    role_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    unit_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    invited_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    expires_at: Mapped[datetime]
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    # keyed hash of the SMS code; wrong guesses are counted and burn it
    code_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    code_failures: Mapped[int] = mapped_column(default=0)
    membership_id: Mapped[uuid.UUID | None] = mapped_column(default=None)


class MemberUnit(Base):
    __tablename__ = "member_units"

    membership_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("memberships.id", ondelete="CASCADE"), primary_key=True
    )
    unit_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("org_units.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Role(IdMixin, TenantMixin, CreatedUpdatedMixin, Base):
    __tablename__ = "roles"
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    name: Mapped[str] = mapped_column(String(50))
    # built-in roles keep a stable key (admin, employee...) even when renamed
    builtin_key: Mapped[str | None] = mapped_column(String(30), default=None)
    description: Mapped[str] = mapped_column(Text, default="")
    permissions: Mapped[list[str]] = mapped_column(JSON, default=list)
    data_scope: Mapped[str] = mapped_column(String(20), default="self")
    created_by: Mapped[uuid.UUID | None] = mapped_column(default=None)
    updated_by: Mapped[uuid.UUID | None] = mapped_column(default=None)


class MemberRole(Base):
    __tablename__ = "member_roles"

    membership_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("memberships.id", ondelete="CASCADE"), primary_key=True
    )
    role_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Session(IdMixin, Base):
    """A signed-in browser or API client. Only the token's keyed hash is stored."""

    __tablename__ = "auth_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    org_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    ip: Mapped[str | None] = mapped_column(String(64), default=None)
    client: Mapped[str | None] = mapped_column(String(255), default=None)


class ApiKey(IdMixin, TenantMixin, Base):
    """An integration credential with a subset of permissions; shown once, stored hashed."""

    __tablename__ = "api_keys"
    __table_args__ = (Index("ix_api_keys_prefix", "prefix"),)

    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    permissions: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
