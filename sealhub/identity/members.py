"""Members: a person's membership in the organisation, its roles, units and status."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sealhub.identity import auth, common, errors, invitations, schemas
from sealhub.identity import repository as repo
from sealhub.identity.models import (
    Invitation,
    MemberRole,
    Membership,
    MemberStatus,
    MemberUnit,
    OrgUnit,
    Role,
    Session,
    User,
)
from sealhub.identity.policy import (
    INVITATION_STATUS,
    MEMBER_STATUS,
    InvitationAction,
    MemberAction,
)
from sealhub.identity.repository import (
    MemberRepository,
    RoleRepository,
    UnitRepository,
)
from sealhub.platform import audit, clock
from sealhub.platform.actor import Actor
from sealhub.platform.runtime import Runtime

# ================================================================ members


_ACTION_ZH = {
    MemberAction.APPROVE: "批准",
    MemberAction.DISABLE: "停用",
    MemberAction.ENABLE: "启用",
}
_ACTION_EN = {
    MemberAction.APPROVE: "Approved",
    MemberAction.DISABLE: "Disabled",
    MemberAction.ENABLE: "Enabled",
}


def member_transition(current: str, action: MemberAction) -> MemberStatus:
    """The status after `action`, or MemberInvalidTransition (409)."""
    return MEMBER_STATUS.transition(current, action)


async def _members_out(
    session: AsyncSession, org_id: uuid.UUID, members: list[Membership]
) -> list[schemas.MemberOut]:
    if not members:
        return []
    member_ids = [m.id for m in members]
    phones = dict(
        (
            await session.execute(
                select(User.id, User.phone).where(User.id.in_([m.user_id for m in members]))
            )
        ).all()
    )
    roles: dict[uuid.UUID, list[schemas.RoleRef]] = {}
    for membership_id, role in await repo.roles_of_memberships(session, member_ids):
        roles.setdefault(membership_id, []).append(
            schemas.RoleRef(id=role.id, name=role.name, builtin_key=role.builtin_key)
        )
    units: dict[uuid.UUID, list[OrgUnit]] = {}
    for membership_id, unit in await repo.units_of_memberships(session, member_ids):
        units.setdefault(membership_id, []).append(unit)
    out = []
    for m in members:
        mine = sorted(units.get(m.id, []), key=lambda u: u.id != m.primary_unit_id)
        out.append(
            schemas.MemberOut(
                id=m.id,
                user_id=m.user_id,
                real_name=m.real_name,
                phone=phones.get(m.user_id, ""),
                status=m.status,
                roles=roles.get(m.id, []),
                units=[schemas.UnitRef(id=u.id, name=u.name, code=u.code) for u in mine],
                primary_unit_id=m.primary_unit_id,
                registered_at=m.registered_at,
                updated_at=m.updated_at,
            )
        )
    return out


async def _member_out(session: AsyncSession, member: Membership) -> schemas.MemberOut:
    return (await _members_out(session, member.org_id, [member]))[0]


async def _member_fields(session: AsyncSession, member: Membership) -> dict[str, Any]:
    out = await _member_out(session, member)
    return {
        "real_name": out.real_name,
        "status": out.status,
        "roles": [r.name for r in out.roles],
        "units": [u.code for u in out.units],
    }


_MEMBER_SORTS = {"registered_at": Membership.registered_at, "real_name": Membership.real_name}


async def list_members(
    session: AsyncSession,
    actor: Actor,
    *,
    q: str | None = None,
    unit_id: uuid.UUID | None = None,
    below: bool = False,
    role_id: uuid.UUID | None = None,
    status: str | None = None,
    page: int = 1,
    page_size: int = 20,
    sort: str = "registered_at",
    descending: bool = True,
) -> tuple[list[schemas.MemberOut], int]:
    """Members the actor may see (data scope), filtered, one page, and how many match."""
    stmt = MemberRepository(session, actor).readable()
    if q:
        phone_match = select(User.id).where(User.phone.contains(q, autoescape=True))
        stmt = stmt.where(
            or_(
                Membership.real_name.contains(q, autoescape=True),
                Membership.user_id.in_(phone_match),
            )
        )
    if unit_id is not None:
        unit_ids: list[uuid.UUID] = [unit_id]
        if below:
            units = UnitRepository(session, actor)
            unit_ids = await units.subtree_ids(await units.get(unit_id))
        stmt = stmt.where(
            Membership.id.in_(
                select(MemberUnit.membership_id).where(MemberUnit.unit_id.in_(unit_ids))
            )
        )
    if role_id is not None:
        stmt = stmt.where(
            Membership.id.in_(select(MemberRole.membership_id).where(MemberRole.role_id == role_id))
        )
    if status:
        stmt = stmt.where(Membership.status == status)
    total = await session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    column = _MEMBER_SORTS[sort]
    stmt = stmt.order_by(column.desc() if descending else column.asc(), Membership.id)
    members = list(
        (await session.execute(stmt.offset((page - 1) * page_size).limit(page_size))).scalars()
    )
    return await _members_out(session, actor.org_id, members), int(total)


async def get_member(
    session: AsyncSession, actor: Actor, member_id: uuid.UUID
) -> schemas.MemberOut:
    """One member (within the actor's data scope)."""
    return await _member_out(session, await MemberRepository(session, actor).get(member_id))


async def _roles_by_ids(
    session: AsyncSession, actor: Actor, role_ids: Sequence[uuid.UUID]
) -> list[Role]:
    return await RoleRepository(session, actor).get_many(role_ids, scoped=False)


async def _units_by_ids(
    session: AsyncSession, actor: Actor, unit_ids: Sequence[uuid.UUID]
) -> list[OrgUnit]:
    return await UnitRepository(session, actor).get_many(unit_ids, scoped=False)


async def _replace_links(
    session: AsyncSession,
    membership_id: uuid.UUID,
    *,
    role_ids: Sequence[uuid.UUID] | None = None,
    unit_ids: Sequence[uuid.UUID] | None = None,
) -> None:
    # Core statements: link rows never enter the identity map, so replacing is conflict-free
    if role_ids is not None:
        await session.execute(delete(MemberRole).where(MemberRole.membership_id == membership_id))
        if role_ids:
            await session.execute(
                insert(MemberRole),
                [{"membership_id": membership_id, "role_id": r} for r in role_ids],
            )
    if unit_ids is not None:
        await session.execute(delete(MemberUnit).where(MemberUnit.membership_id == membership_id))
        if unit_ids:
            await session.execute(
                insert(MemberUnit),
                [{"membership_id": membership_id, "unit_id": u} for u in unit_ids],
            )


@dataclass(frozen=True)
class NewMember:
    real_name: str
    phone: str
    user: User | None
    revived: Membership | None  # a deleted membership of the same person, reused
    roles: list[Role]
    units: list[OrgUnit]


async def plan_member(
    session: AsyncSession,
    actor: Actor,
    *,
    real_name: str,
    phone: str,
    password: str | None,
    role_ids: Sequence[uuid.UUID],
    unit_ids: Sequence[uuid.UUID],
) -> NewMember:
    """Validate a new member without writing anything."""
    phone = auth.normalize_phone(phone)
    user = await repo.user_by_phone(session, phone)
    revived = None
    if user is not None:
        existing = await repo.membership_of(session, actor.org_id, user.id)
        if existing is not None and existing.deleted_at is None:
            raise errors.MemberExists()
        revived = existing
    elif password:
        auth.check_password(password)
    roles = await _roles_by_ids(session, actor, role_ids)
    if not roles:
        employee = await RoleRepository(session, actor).builtin("employee")
        roles = [employee] if employee is not None else []
    units = await _units_by_ids(session, actor, unit_ids)
    if not units:
        units = [await UnitRepository(session, actor).root()]
    common.check_roles_grantable(actor, roles)
    return NewMember(real_name.strip(), phone, user, revived, roles, units)


async def add_member(
    session: AsyncSession,
    actor: Actor,
    plan: NewMember,
    *,
    password_hash: str | None,
    invitation: Invitation | None = None,
) -> Membership:
    """Write a planned member; a new account needs `password_hash`. An existing account
    only joins through its owner accepting `invitation` (then `actor` is that owner)."""
    user = plan.user
    if user is None:
        assert password_hash is not None
        # remembered so this organisation alone may issue a first password, until first use
        user = User(phone=plan.phone, password_hash=password_hash, created_by_org_id=actor.org_id)
        session.add(user)
        await session.flush()
    now = clock.now()
    if plan.revived is not None:
        member = plan.revived
        member.real_name = plan.real_name
        member.status = MemberStatus.ACTIVE
        member.deleted_at = None
        member.registered_at = now
        member.primary_unit_id = plan.units[0].id
        member.updated_at = now
    else:
        member = Membership(
            org_id=actor.org_id,
            user_id=user.id,
            real_name=plan.real_name,
            status=MemberStatus.ACTIVE,
            registered_at=now,
            primary_unit_id=plan.units[0].id,
        )
        session.add(member)
    await session.flush()
    await _replace_links(
        session,
        member.id,
        role_ids=[r.id for r in plan.roles],
        unit_ids=[u.id for u in plan.units],
    )
    if invitation is not None:
        summary = audit.Summary(
            f"{plan.real_name}（{plan.phone}）接受邀请加入组织",
            f"{plan.real_name} ({plan.phone}) accepted the invitation",
        )
    else:
        summary = audit.Summary(
            f"添加人员 {plan.real_name}（{plan.phone}）",
            f"Added member {plan.real_name} ({plan.phone})",
        )
    await audit.record(
        session,
        actor,
        "member.create" if invitation is None else "member.invitation_accept",
        "membership",
        member.id,
        summary=summary,
        after={
            "real_name": plan.real_name,
            "phone": plan.phone,
            "roles": [r.name for r in plan.roles],
            "units": [u.code for u in plan.units],
            "new_account": plan.user is None,
            "invitation_id": invitation.id if invitation is not None else None,
        },
    )
    return member


async def create_member(
    session: AsyncSession,
    runtime: Runtime,
    actor: Actor,
    *,
    real_name: str,
    phone: str,
    password: str | None = None,
    role_ids: Sequence[uuid.UUID] = (),
    unit_ids: Sequence[uuid.UUID] = (),
) -> schemas.MemberCreatedOut | schemas.InvitationOut:
    """Add a person by phone: a new account and its membership, or, when the phone
    already has an account, an invitation its owner accepts (nothing granted before).

    A new account without a password gets a temporary one, returned this once.
    Default role: employee; default unit: the root. The first unit is the primary one.
    """
    plan = await plan_member(
        session,
        actor,
        real_name=real_name,
        phone=phone,
        password=password,
        role_ids=role_ids,
        unit_ids=unit_ids,
    )
    if plan.user is not None:
        inv = await invitations.invite(
            session,
            runtime,
            actor,
            plan.user,
            real_name=plan.real_name,
            roles=plan.roles,
            units=plan.units,
        )
        return await invitations.invitation_out(session, inv)
    temp = None
    if not password:
        password = temp = common.temporary_password()
    password_hash = (await common.hash_many([password]))[0]
    member = await add_member(session, actor, plan, password_hash=password_hash)
    auth.invalidate_org(session, runtime, actor.org_id)
    out = await _member_out(session, member)
    return schemas.MemberCreatedOut(**out.model_dump(), temporary_password=temp)


async def update_member(
    session: AsyncSession,
    runtime: Runtime,
    actor: Actor,
    member_id: uuid.UUID,
    *,
    real_name: str | None = None,
    role_ids: Sequence[uuid.UUID] | None = None,
    unit_ids: Sequence[uuid.UUID] | None = None,
) -> schemas.MemberOut:
    """Edit a member's name, roles or units (the first unit becomes the primary one)."""
    member = await MemberRepository(session, actor).get_for_update(member_id)
    await common.check_member_within_own(session, actor, member)
    before = await _member_fields(session, member)
    roles = await _roles_by_ids(session, actor, role_ids) if role_ids is not None else None
    if roles is not None:
        common.check_roles_grantable(actor, roles)
    units = await _units_by_ids(session, actor, unit_ids) if unit_ids is not None else None
    if real_name is not None:
        member.real_name = real_name
    if units:
        member.primary_unit_id = units[0].id
    member.updated_at = clock.now()
    await session.flush()
    await _replace_links(
        session,
        member.id,
        role_ids=[r.id for r in roles] if roles is not None else None,
        unit_ids=[u.id for u in units] if units else None,
    )
    if roles is not None:
        await common.ensure_admin_remains(session, actor.org_id)
    after = await _member_fields(session, member)
    await audit.record(
        session,
        actor,
        "member.update",
        "membership",
        member.id,
        summary=audit.Summary(f"修改人员 {member.real_name}", f"Updated member {member.real_name}"),
        before=before,
        after=after,
    )
    auth.invalidate_org(session, runtime, actor.org_id)
    return await _member_out(session, member)


async def change_member_status(
    session: AsyncSession,
    runtime: Runtime,
    actor: Actor,
    member_id: uuid.UUID,
    action: MemberAction,
) -> schemas.MemberOut:
    """Approve a join request, disable or enable a member."""
    member = await MemberRepository(session, actor).get_for_update(member_id)
    await common.check_member_within_own(session, actor, member)
    before = member.status
    member.status = member_transition(member.status, action)
    member.updated_at = clock.now()
    await session.flush()
    if action == MemberAction.DISABLE:
        await common.ensure_admin_remains(session, actor.org_id)
    await audit.record(
        session,
        actor,
        f"member.{action.value}",
        "membership",
        member.id,
        summary=audit.Summary(
            f"{_ACTION_ZH[action]}人员 {member.real_name}",
            f"{_ACTION_EN[action]} member {member.real_name}",
        ),
        before={"status": before},
        after={"status": member.status},
    )
    auth.invalidate_org(session, runtime, actor.org_id)
    return await _member_out(session, member)


async def approve_member(
    session: AsyncSession, runtime: Runtime, actor: Actor, member_id: uuid.UUID
) -> schemas.MemberOut:
    """Accept a pending request to join."""
    return await change_member_status(session, runtime, actor, member_id, MemberAction.APPROVE)


async def disable_member(
    session: AsyncSession, runtime: Runtime, actor: Actor, member_id: uuid.UUID
) -> schemas.MemberOut:
    """Stop a member from acting in the organisation (keeps their records)."""
    return await change_member_status(session, runtime, actor, member_id, MemberAction.DISABLE)


async def enable_member(
    session: AsyncSession, runtime: Runtime, actor: Actor, member_id: uuid.UUID
) -> schemas.MemberOut:
    """Let a disabled member act again."""
    return await change_member_status(session, runtime, actor, member_id, MemberAction.ENABLE)


async def _revoke_org_sessions(
    session: AsyncSession, runtime: Runtime, user_id: uuid.UUID, org_id: uuid.UUID
) -> None:
    where = (Session.user_id == user_id, Session.org_id == org_id, Session.revoked_at.is_(None))
    for token_hash in (await session.execute(select(Session.token_hash).where(*where))).scalars():
        await runtime.cache.delete(f"actor:{token_hash}")
    await session.execute(update(Session).where(*where).values(revoked_at=clock.now()))


async def delete_member(
    session: AsyncSession, runtime: Runtime, actor: Actor, member_id: uuid.UUID
) -> None:
    """Remove a member (soft) and end their sessions in this organisation."""
    member = await MemberRepository(session, actor).get_for_update(member_id)
    await common.check_member_within_own(session, actor, member)
    before = await _member_fields(session, member)
    now = clock.now()
    member.deleted_at = now
    member.updated_at = now
    await MemberRepository(session, actor).drop_supervisor_titles(member.user_id)
    await session.flush()
    await common.ensure_admin_remains(session, actor.org_id)
    await _revoke_org_sessions(session, runtime, member.user_id, actor.org_id)
    await audit.record(
        session,
        actor,
        "member.delete",
        "membership",
        member.id,
        summary=audit.Summary(f"删除人员 {member.real_name}", f"Deleted member {member.real_name}"),
        before=before,
    )
    auth.invalidate_org(session, runtime, actor.org_id)


async def reset_member_password(
    session: AsyncSession, runtime: Runtime, actor: Actor, member_id: uuid.UUID
) -> schemas.TemporaryPasswordOut:
    """Help a member who cannot sign in. The account is its owner's: the organisation only
    texts the owner a reset code, or issues a first password when it opened the account
    itself and nobody has signed in with it yet (that password ends all sessions)."""
    member = await MemberRepository(session, actor).get_for_update(member_id)
    await common.check_member_within_own(session, actor, member)
    user = await auth.get_user(session, member.user_id)
    if user.created_by_org_id == actor.org_id and not await repo.ever_signed_in(session, user):
        temp = common.temporary_password()
        await auth.set_password(session, runtime, user, temp)
        await audit.record(
            session,
            actor,
            "member.reset_password",
            "membership",
            member.id,
            summary=audit.Summary(
                f"为 {member.real_name} 重新生成初始密码",
                f"Issued a new first password to {member.real_name}",
            ),
        )
        return schemas.TemporaryPasswordOut(temporary_password=temp)
    await auth.send_sms_code(runtime, user.phone, "reset", ip=actor.ip)
    await audit.record(
        session,
        actor,
        "member.reset_code_sent",
        "membership",
        member.id,
        summary=audit.Summary(
            f"向 {member.real_name} 发送重置密码验证码",
            f"Sent {member.real_name} a password reset code",
        ),
    )
    return schemas.TemporaryPasswordOut(code_sent=True)


async def accept_invitation(
    session: AsyncSession,
    runtime: Runtime,
    user_id: uuid.UUID,
    invitation_id: uuid.UUID,
    *,
    ip: str | None = None,
    client: str | None = None,
) -> schemas.InvitationOut:
    """Join the inviting organisation: the membership starts now."""
    inv = await invitations.mine(session, user_id, invitation_id)
    return await _accept(session, runtime, inv, ip=ip, client=client)


async def accept_invitation_by_code(
    session: AsyncSession,
    runtime: Runtime,
    *,
    phone: str,
    code: str,
    ip: str | None = None,
    client: str | None = None,
) -> schemas.InvitationOut:
    """Join with the code the invitation texted to the account's phone."""
    inv = await invitations.by_code(runtime, session, phone, code)
    return await _accept(session, runtime, inv, ip=ip, client=client)


async def _accept(
    session: AsyncSession,
    runtime: Runtime,
    inv: Invitation,
    *,
    ip: str | None,
    client: str | None,
) -> schemas.InvitationOut:
    user = await auth.get_user(session, inv.user_id)
    person = invitations.person_actor(user.id, inv.org_id, inv.real_name, ip=ip, client=client)
    now = clock.now()
    target = INVITATION_STATUS.transition(inv.status, InvitationAction.ACCEPT)
    if not await repo.claim_invitation(session, inv.id, target, now):
        raise errors.InvitationInvalidTransition(current=inv.status, action="accept")
    existing = await repo.membership_of(session, inv.org_id, user.id)
    if existing is not None and existing.deleted_at is None:
        raise errors.MemberExists()
    # roles or units deleted since the invitation fall back to the defaults
    roles = await RoleRepository(session, person).existing([uuid.UUID(r) for r in inv.role_ids])
    if not roles:
        employee = await RoleRepository(session, person).builtin("employee")
        roles = [employee] if employee is not None else []
    units = await UnitRepository(session, person).existing([uuid.UUID(u) for u in inv.unit_ids])
    if not units:
        units = [await UnitRepository(session, person).root()]
    plan = NewMember(inv.real_name, user.phone, user, existing, roles, units)
    member = await add_member(session, person, plan, password_hash=None, invitation=inv)
    await session.refresh(inv)
    inv.membership_id = member.id
    await session.flush()
    auth.invalidate_org(session, runtime, inv.org_id)
    return await invitations.invitation_out(session, inv)
