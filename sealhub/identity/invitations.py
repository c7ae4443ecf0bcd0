"""Invitations: an organisation asks a person who already has an account to join.

An account belongs to its owner, across organisations. Adding a phone that already
has an account therefore only invites: nothing is granted until the owner accepts,
in the console or with the code sent to them by SMS. Acceptance itself (which makes
the membership) is a members use case: `members.accept_invitation`.
"""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sealhub.identity import auth, common, errors, schemas
from sealhub.identity import repository as repo
from sealhub.identity.models import Invitation, InvitationStatus, Organization, OrgUnit, Role, User
from sealhub.identity.policy import INVITATION_STATUS, InvitationAction
from sealhub.identity.repository import InvitationRepository, RoleRepository, UnitRepository
from sealhub.platform import audit, clock, ids
from sealhub.platform.actor import Actor, DataScope
from sealhub.platform.cache import hit
from sealhub.platform.runtime import Runtime

INVITATION_DAYS = 14
# wrong SMS codes per phone per hour before code acceptance stops (the console still works)
CODE_FAILURES = 5
# invitation texts per phone per hour; past it the invitation waits in the console silently
SMS_PER_PHONE_PER_HOUR = 5


def person_actor(
    user_id: uuid.UUID, org_id: uuid.UUID, name: str, *, ip: str | None, client: str | None
) -> Actor:
    """The invitee acting on their own invitation (not yet a member: no permissions)."""
    return Actor(
        user_id=user_id, org_id=org_id, name=name, data_scope=DataScope.SELF, ip=ip, client=client
    )


async def _outs(
    session: AsyncSession, rows: Sequence[tuple[Invitation, Organization]]
) -> list[schemas.InvitationOut]:
    if not rows:
        return []
    users = {i.user_id for i, _ in rows}
    phones = dict(
        (await session.execute(select(User.id, User.phone).where(User.id.in_(users)))).all()
    )
    out = []
    for inv, org in rows:
        reader = person_actor(inv.user_id, inv.org_id, "", ip=None, client=None)
        roles = await RoleRepository(session, reader).existing([uuid.UUID(r) for r in inv.role_ids])
        units = await UnitRepository(session, reader).existing([uuid.UUID(u) for u in inv.unit_ids])
        people = await common.people_refs(session, inv.org_id, [inv.invited_by])
        out.append(
            schemas.InvitationOut(
                id=inv.id,
                org_id=inv.org_id,
                org_name=org.name,
                real_name=inv.real_name,
                phone=phones.get(inv.user_id, ""),
                status=inv.status,
                roles=[
                    schemas.RoleRef(id=r.id, name=r.name, builtin_key=r.builtin_key) for r in roles
                ],
                units=[schemas.UnitRef(id=u.id, name=u.name, code=u.code) for u in units],
                invited_by=people.get(inv.invited_by),
                created_at=inv.created_at,
                expires_at=inv.expires_at,
                decided_at=inv.decided_at,
                membership_id=inv.membership_id,
            )
        )
    return out


async def invitation_out(session: AsyncSession, inv: Invitation) -> schemas.InvitationOut:
    org = await session.get(Organization, inv.org_id)
    assert org is not None  # the invitation's organisation row is never deleted before it
    return (await _outs(session, [(inv, org)]))[0]


async def invite(
    session: AsyncSession,
    runtime: Runtime,
    actor: Actor,
    user: User,
    *,
    real_name: str,
    roles: Sequence[Role],
    units: Sequence[OrgUnit],
) -> Invitation:
    """Invite the owner of an existing account; texts them a code to accept with."""
    now = clock.now()
    if await InvitationRepository(session, actor).pending_for(user.id, now) is not None:
        raise errors.InvitationPending()
    code = ids.digits(8)
    inv = Invitation(
        org_id=actor.org_id,
        user_id=user.id,
        real_name=real_name,
        status=InvitationStatus.PENDING,
        role_ids=[str(r.id) for r in roles],
        unit_ids=[str(u.id) for u in units],
        invited_by=actor.user_id,
        expires_at=now + timedelta(days=INVITATION_DAYS),
        code_hash=runtime.envelope.mac(code.encode()),
    )
    session.add(inv)
    await session.flush()
    await audit.record(
        session,
        actor,
        "member.invite",
        "invitation",
        inv.id,
        summary=audit.Summary(
            f"邀请 {real_name}（{user.phone}）加入组织", f"Invited {real_name} ({user.phone})"
        ),
        after={
            "real_name": real_name,
            "phone": user.phone,
            "roles": [r.name for r in roles],
            "units": [u.code for u in units],
        },
    )
    ok, _ = await hit(
        runtime.cache, f"sms:invite:{user.phone}", SMS_PER_PHONE_PER_HOUR, timedelta(hours=1)
    )
    if ok:
        org = await session.get(Organization, actor.org_id)
        await runtime.sms.send(
            user.phone, "sms.invite", {"code": code, "org": org.name if org else ""}
        )
    return inv


async def list_invitations(
    session: AsyncSession, actor: Actor, *, page: int = 1, page_size: int = 20
) -> tuple[list[schemas.InvitationOut], int]:
    """The organisation's invitations still waiting for an answer, newest first."""
    stmt = InvitationRepository(session, actor).pending(clock.now())
    total = await session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    stmt = stmt.order_by(Invitation.created_at.desc(), Invitation.id.desc())
    invs = list(
        (await session.execute(stmt.offset((page - 1) * page_size).limit(page_size))).scalars()
    )
    org = await session.get(Organization, actor.org_id)
    assert org is not None
    return await _outs(session, [(i, org) for i in invs]), int(total)


async def cancel_invitation(session: AsyncSession, actor: Actor, invitation_id: uuid.UUID) -> None:
    """Withdraw a pending invitation."""
    inv = await InvitationRepository(session, actor).get_for_update(invitation_id)
    target = INVITATION_STATUS.transition(inv.status, InvitationAction.CANCEL)
    if not await repo.claim_invitation(session, inv.id, target, clock.now()):
        raise errors.InvitationInvalidTransition(current=inv.status, action="cancel")
    await audit.record(
        session,
        actor,
        "member.invitation_cancel",
        "invitation",
        inv.id,
        summary=audit.Summary(
            f"撤回对 {inv.real_name} 的邀请", f"Withdrew the invitation of {inv.real_name}"
        ),
    )


async def my_invitations(session: AsyncSession, user_id: uuid.UUID) -> list[schemas.InvitationOut]:
    """Invitations waiting for my answer."""
    return await _outs(session, await repo.invitations_of(session, user_id, clock.now()))


async def mine(session: AsyncSession, user_id: uuid.UUID, invitation_id: uuid.UUID) -> Invitation:
    """One of my invitations, still open to an answer."""
    inv = await repo.invitation_of(session, user_id, invitation_id)
    if inv is None:
        raise errors.InvitationNotFound()
    if inv.status != InvitationStatus.PENDING:
        raise errors.InvitationInvalidTransition(current=inv.status, action="answer")
    if clock.aware(inv.expires_at) <= clock.now():
        raise errors.InvitationInvalidTransition(current="expired", action="answer")
    return inv


async def by_code(runtime: Runtime, session: AsyncSession, phone: str, code: str) -> Invitation:
    """The pending invitation whose texted code this is; wrong codes are counted per phone."""
    phone = auth.normalize_phone(phone)
    fails_key = f"invite:fail:{phone}"
    if int((await runtime.cache.get(fails_key)) or b"0") >= CODE_FAILURES:
        raise errors.InvalidSmsCode()
    user = await repo.user_by_phone(session, phone)
    wanted = runtime.envelope.mac(code.strip().encode())
    if user is not None:
        for inv, _ in await repo.invitations_of(session, user.id, clock.now()):
            if inv.code_hash is not None and hmac.compare_digest(inv.code_hash, wanted):
                return inv
    await runtime.cache.incr(fails_key, 3600)
    raise errors.InvalidSmsCode()


async def decline(
    session: AsyncSession,
    user_id: uuid.UUID,
    invitation_id: uuid.UUID,
    *,
    ip: str | None = None,
    client: str | None = None,
) -> schemas.InvitationOut:
    """Turn down an invitation."""
    inv = await mine(session, user_id, invitation_id)
    target = INVITATION_STATUS.transition(inv.status, InvitationAction.DECLINE)
    if not await repo.claim_invitation(session, inv.id, target, clock.now()):
        raise errors.InvitationInvalidTransition(current=inv.status, action="decline")
    await session.refresh(inv)
    await audit.record(
        session,
        person_actor(user_id, inv.org_id, inv.real_name, ip=ip, client=client),
        "member.invitation_decline",
        "invitation",
        inv.id,
        summary=audit.Summary(
            f"{inv.real_name} 拒绝了邀请", f"{inv.real_name} declined the invitation"
        ),
    )
    return await invitation_out(session, inv)
