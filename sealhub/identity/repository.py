"""Tenant-bound queries on identity rows (org units, roles, memberships, API keys)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Select, delete, exists, func, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from sealhub.identity.errors import (
    ApiKeyNotFound,
    InvitationNotFound,
    MemberNotFound,
    RoleNotFound,
    UnitNotFound,
)
from sealhub.identity.models import (
    ApiKey,
    Invitation,
    InvitationStatus,
    MemberRole,
    Membership,
    MemberStatus,
    MemberUnit,
    Organization,
    OrgUnit,
    Role,
    Session,
    UnitSupervisor,
    User,
)
from sealhub.platform.actor import DataScope
from sealhub.platform.db.repository import TenantRepository


class UnitRepository(TenantRepository[OrgUnit]):
    """The org tree is visible org-wide to anyone holding org.read."""

    model = OrgUnit
    not_found = UnitNotFound

    async def root(self) -> OrgUnit:
        stmt = self.tenant().where(OrgUnit.parent_id.is_(None))
        row = (await self.session.execute(stmt)).scalar_one_or_none()
        if row is None:
            raise UnitNotFound()
        return row

    async def lock(self, unit_id: uuid.UUID) -> None:
        """Hold the unit's row until commit (serialises creates under one parent)."""
        stmt = self.tenant().where(OrgUnit.id == unit_id).with_for_update()
        await self.session.execute(stmt)

    async def code_taken(self, code: str, exclude: uuid.UUID | None = None) -> bool:
        stmt = select(OrgUnit.id).where(OrgUnit.org_id == self.actor.org_id, OrgUnit.code == code)
        if exclude is not None:
            stmt = stmt.where(OrgUnit.id != exclude)
        return await self.session.scalar(stmt) is not None

    async def codes(self) -> set[str]:
        stmt = select(OrgUnit.code).where(OrgUnit.org_id == self.actor.org_id)
        return set((await self.session.execute(stmt)).scalars())

    async def child_count(self, parent_id: uuid.UUID) -> int:
        stmt = (
            select(func.count())
            .select_from(OrgUnit)
            .where(OrgUnit.org_id == self.actor.org_id, OrgUnit.parent_id == parent_id)
        )
        return int(await self.session.scalar(stmt) or 0)

    async def has_children(self, unit_id: uuid.UUID) -> bool:
        stmt = select(OrgUnit.id).where(
            OrgUnit.org_id == self.actor.org_id, OrgUnit.parent_id == unit_id
        )
        return await self.session.scalar(stmt.limit(1)) is not None

    async def subtree_ids(self, unit: OrgUnit) -> list[uuid.UUID]:
        """The unit and every unit below it."""
        stmt = select(OrgUnit.id).where(
            OrgUnit.org_id == self.actor.org_id,
            OrgUnit.path.startswith(unit.path, autoescape=True),
        )
        return list((await self.session.execute(stmt)).scalars())

    async def ids_by_code(self) -> dict[str, uuid.UUID]:
        stmt = select(OrgUnit.code, OrgUnit.id).where(OrgUnit.org_id == self.actor.org_id)
        return {code: unit_id for code, unit_id in (await self.session.execute(stmt)).all()}

    async def clear_supervisors(self, unit_id: uuid.UUID) -> None:
        await self.session.execute(
            delete(UnitSupervisor).where(
                UnitSupervisor.org_id == self.actor.org_id, UnitSupervisor.unit_id == unit_id
            )
        )

    async def release(self, unit_id: uuid.UUID) -> None:
        """Let go of a unit about to be deleted: deleted members' links, supervisor titles."""
        org_id = self.actor.org_id
        await self.session.execute(
            update(Membership)
            .where(Membership.org_id == org_id, Membership.primary_unit_id == unit_id)
            .values(primary_unit_id=None)
        )
        await self.session.execute(delete(MemberUnit).where(MemberUnit.unit_id == unit_id))
        await self.clear_supervisors(unit_id)

    async def existing(self, unit_ids: Sequence[uuid.UUID]) -> list[OrgUnit]:
        """Those of `unit_ids` still in the organisation, in the given order."""
        if not unit_ids:
            return []
        stmt = self.tenant().where(OrgUnit.id.in_(list(unit_ids)))
        found = {u.id: u for u in (await self.session.execute(stmt)).scalars()}
        return [found[u] for u in unit_ids if u in found]


class RoleRepository(TenantRepository[Role]):
    model = Role
    not_found = RoleNotFound

    async def existing(self, role_ids: Sequence[uuid.UUID]) -> list[Role]:
        """Those of `role_ids` still in the organisation, in the given order."""
        if not role_ids:
            return []
        stmt = self.tenant().where(Role.id.in_(list(role_ids)))
        found = {r.id: r for r in (await self.session.execute(stmt)).scalars()}
        return [found[r] for r in role_ids if r in found]

    async def builtin(self, key: str) -> Role | None:
        return await self.session.scalar(self.tenant().where(Role.builtin_key == key))

    async def name_taken(self, name: str, exclude: uuid.UUID | None = None) -> bool:
        stmt = select(Role.id).where(Role.org_id == self.actor.org_id, Role.name == name)
        if exclude is not None:
            stmt = stmt.where(Role.id != exclude)
        return await self.session.scalar(stmt) is not None

    async def member_counts(self, role_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
        """How many live members hold each role."""
        if not role_ids:
            return {}
        rows = await self.session.execute(
            select(MemberRole.role_id, func.count())
            .join(Membership, Membership.id == MemberRole.membership_id)
            .where(
                Membership.org_id == self.actor.org_id,
                Membership.deleted_at.is_(None),
                MemberRole.role_id.in_(list(role_ids)),
            )
            .group_by(MemberRole.role_id)
        )
        return {role_id: int(n) for role_id, n in rows.all()}

    async def unlink(self, role_id: uuid.UUID) -> None:
        """Drop the links deleted members still have to a role."""
        await self.session.execute(delete(MemberRole).where(MemberRole.role_id == role_id))


class MemberRepository(TenantRepository[Membership]):
    """Members not deleted; data scope by the units a member belongs to (any of them)."""

    model = Membership
    not_found = MemberNotFound

    def scope_clause(self) -> ColumnElement[bool]:
        actor = self.actor
        scope = actor.data_scope
        if scope == DataScope.ORG:
            return true()
        mine = Membership.user_id == actor.user_id
        if scope == DataScope.SELF:
            return mine
        units = actor.unit_ids if scope == DataScope.UNIT else actor.subtree_unit_ids
        if not units:
            return mine
        in_units = Membership.id.in_(
            select(MemberUnit.membership_id).where(MemberUnit.unit_id.in_(list(units)))
        )
        return mine | in_units

    def tenant(self) -> Select[Membership]:
        return super().tenant().where(Membership.deleted_at.is_(None))

    async def any_in_unit(self, unit_id: uuid.UUID) -> bool:
        """Some live member belongs to the unit (primary or not), whatever the data scope."""
        in_unit = select(MemberUnit.membership_id).where(MemberUnit.unit_id == unit_id)
        stmt = (
            select(Membership.id)
            .where(
                Membership.org_id == self.actor.org_id,
                Membership.deleted_at.is_(None),
                or_(Membership.primary_unit_id == unit_id, Membership.id.in_(in_unit)),
            )
            .limit(1)
        )
        return await self.session.scalar(stmt) is not None

    async def drop_supervisor_titles(self, user_id: uuid.UUID) -> None:
        await self.session.execute(
            delete(UnitSupervisor).where(
                UnitSupervisor.org_id == self.actor.org_id, UnitSupervisor.user_id == user_id
            )
        )


class ApiKeyRepository(TenantRepository[ApiKey]):
    model = ApiKey
    not_found = ApiKeyNotFound


class InvitationRepository(TenantRepository[Invitation]):
    """The organisation's side of its invitations."""

    model = Invitation
    not_found = InvitationNotFound
    # invitees are in no unit yet: below org-wide scope one sees the invitations one sent
    scope_owner = "invited_by"

    def pending(self, now: datetime, *, scoped: bool = True) -> Select[Invitation]:
        return (self.readable() if scoped else self.tenant()).where(
            Invitation.status == InvitationStatus.PENDING, Invitation.expires_at > now
        )

    async def pending_for(self, user_id: uuid.UUID, now: datetime) -> Invitation | None:
        stmt = self.pending(now, scoped=False).where(Invitation.user_id == user_id)
        return (await self.session.execute(stmt.limit(1))).scalar_one_or_none()


__all__ = [
    "ApiKeyRepository",
    "InvitationRepository",
    "MemberRepository",
    "RoleRepository",
    "UnitRepository",
]


# ---------------------------------------------------------------- a person's own invitations
# The invitee is not (yet) in the inviting organisation, so these are bound to the
# person (user id) instead of a tenant actor.


async def invitations_of(
    session: AsyncSession, user_id: uuid.UUID, now: datetime
) -> list[tuple[Invitation, Organization]]:
    """A person's invitations still waiting for their answer, oldest first."""
    stmt = (
        select(Invitation, Organization)
        .join(Organization, Organization.id == Invitation.org_id)
        .where(
            Invitation.user_id == user_id,
            Invitation.status == InvitationStatus.PENDING,
            Invitation.expires_at > now,
        )
        .order_by(Invitation.created_at, Invitation.id)
    )
    return [(i, o) for i, o in (await session.execute(stmt)).all()]


async def invitation_of(
    session: AsyncSession, user_id: uuid.UUID, invitation_id: uuid.UUID
) -> Invitation | None:
    """One of a person's invitations (any status), or None when it is not theirs."""
    stmt = select(Invitation).where(Invitation.id == invitation_id, Invitation.user_id == user_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def claim_invitation(
    session: AsyncSession, invitation_id: uuid.UUID, status: InvitationStatus, now: datetime
) -> bool:
    """Move a pending invitation to `status`; False when another answer came first."""
    result = await session.execute(
        update(Invitation)
        .where(Invitation.id == invitation_id, Invitation.status == InvitationStatus.PENDING)
        .values(status=status, decided_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


async def user_by_phone(session: AsyncSession, phone: str) -> User | None:
    return await session.scalar(select(User).where(User.phone == phone))


async def ever_signed_in(session: AsyncSession, user: User) -> bool:
    """Signed in at least once, by any means (a session was ever opened)."""
    if user.last_login_at is not None:
        return True
    stmt = select(exists().where(Session.user_id == user.id))
    return bool(await session.scalar(stmt))


async def membership_of(
    session: AsyncSession, org_id: uuid.UUID, user_id: uuid.UUID
) -> Membership | None:
    """A person's membership in one organisation, soft-deleted ones included."""
    stmt = select(Membership).where(Membership.org_id == org_id, Membership.user_id == user_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def supervisors_in(
    session: AsyncSession, org_id: uuid.UUID, unit_ids: list[uuid.UUID]
) -> list[UnitSupervisor]:
    stmt = (
        select(UnitSupervisor)
        .where(UnitSupervisor.org_id == org_id, UnitSupervisor.unit_id.in_(unit_ids))
        .order_by(UnitSupervisor.unit_id, UnitSupervisor.sort)
    )
    return list((await session.execute(stmt)).scalars())


async def roles_of_memberships(
    session: AsyncSession, member_ids: list[uuid.UUID]
) -> list[tuple[uuid.UUID, Role]]:
    """(membership id, role) pairs; membership ids come from a tenant-scoped query."""
    stmt = (
        select(MemberRole.membership_id, Role)
        .join(Role, Role.id == MemberRole.role_id)
        .where(MemberRole.membership_id.in_(member_ids))
        .order_by(Role.created_at, Role.name)
    )
    return [(m, r) for m, r in (await session.execute(stmt)).all()]


async def units_of_memberships(
    session: AsyncSession, member_ids: list[uuid.UUID]
) -> list[tuple[uuid.UUID, OrgUnit]]:
    stmt = (
        select(MemberUnit.membership_id, OrgUnit)
        .join(OrgUnit, OrgUnit.id == MemberUnit.unit_id)
        .where(MemberUnit.membership_id.in_(member_ids))
        .order_by(OrgUnit.sort, OrgUnit.name)
    )
    return [(m, u) for m, u in (await session.execute(stmt)).all()]


async def role_permissions(
    session: AsyncSession, org_id: uuid.UUID
) -> list[tuple[uuid.UUID, list[str]]]:
    """(role id, permissions) of every role of the organisation."""
    stmt = select(Role.id, Role.permissions).where(Role.org_id == org_id)
    return [(r, list(p or [])) for r, p in (await session.execute(stmt)).all()]


async def active_role_holders(
    session: AsyncSession, org_id: uuid.UUID, role_ids: Sequence[uuid.UUID]
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(membership id, role id) for active, live members holding any of `role_ids`."""
    stmt = (
        select(MemberRole.membership_id, MemberRole.role_id)
        .join(Membership, Membership.id == MemberRole.membership_id)
        .where(
            Membership.org_id == org_id,
            Membership.status == MemberStatus.ACTIVE,
            Membership.deleted_at.is_(None),
            MemberRole.role_id.in_(list(role_ids)),
        )
    )
    return [(m, r) for m, r in (await session.execute(stmt)).all()]
