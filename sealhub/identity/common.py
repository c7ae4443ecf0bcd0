"""Rules and helpers shared by the directory's aggregates (grants, the last-admin guard)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from sealhub.identity import auth, errors, lookup, schemas
from sealhub.identity import repository as repo
from sealhub.identity.models import (
    Membership,
    Role,
)
from sealhub.identity.permissions import ALL
from sealhub.platform import ids
from sealhub.platform.actor import Actor, DataScope

# holding both (through any of one's roles) makes an administrator for the last-admin guard
ADMIN_PERMISSIONS = frozenset({"member.manage", "role.manage"})
HASH_CONCURRENCY = 4


def check_grantable(actor: Actor, permissions: Sequence[str], scope: str | None) -> None:
    """Nobody hands out more than they hold: no permission or data scope beyond their own."""
    for permission in sorted(set(permissions) - actor.permissions):
        raise errors.GrantExceedsOwn(what=permission)
    if scope is not None and DataScope(scope).rank > actor.data_scope.rank:
        raise errors.GrantExceedsOwn(what=scope)


def check_roles_grantable(actor: Actor, roles: Sequence[Role]) -> None:
    for role in roles:
        check_grantable(actor, role.permissions, role.data_scope)


async def check_member_within_own(session: AsyncSession, actor: Actor, member: Membership) -> None:
    """member.exceeds_own unless the member's permissions and data scope are within the
    actor's own: the rule role grants follow, applied to acting on a person."""
    roles = [role for _, role in await repo.roles_of_memberships(session, [member.id])]
    for permission in sorted({p for r in roles for p in r.permissions or []} - actor.permissions):
        raise errors.MemberExceedsOwn(what=permission)
    for role in roles:
        if DataScope(role.data_scope).rank > actor.data_scope.rank:
            raise errors.MemberExceedsOwn(what=role.data_scope)


def check_permissions(permissions: Sequence[str]) -> list[str]:
    for permission in permissions:
        if permission not in ALL:
            raise errors.UnknownPermission(permission=permission)
    return sorted(set(permissions))


async def people_refs(
    session: AsyncSession, org_id: uuid.UUID, user_ids: Sequence[uuid.UUID | None]
) -> dict[uuid.UUID, schemas.PersonRef]:
    wanted = [u for u in user_ids if u is not None]
    names = await lookup.names(session, org_id, wanted)
    return {u: schemas.PersonRef(id=u, real_name=names.get(u, "")) for u in wanted}


async def ensure_admin_remains(session: AsyncSession, org_id: uuid.UUID) -> None:
    """member.last_admin unless some active member still holds every ADMIN_PERMISSIONS."""
    await session.flush()
    granting = {
        role_id: set(perms) & ADMIN_PERMISSIONS
        for role_id, perms in await repo.role_permissions(session, org_id)
    }
    granting = {k: v for k, v in granting.items() if v}
    if granting:
        rows = await repo.active_role_holders(session, org_id, list(granting))
        held: dict[uuid.UUID, set[str]] = {}
        for membership_id, role_id in rows:
            held.setdefault(membership_id, set()).update(granting[role_id])
        if any(perms >= ADMIN_PERMISSIONS for perms in held.values()):
            return
    raise errors.LastAdmin()


def temporary_password() -> str:
    """A one-time password that passes the password rules (letters and digits, 14 chars)."""
    return "Sh" + ids.token(8)[:10] + ids.digits(2)


async def hash_many(passwords: list[str]) -> list[str]:
    """Argon2 hashes computed in worker threads, a few at a time (each takes ~64 MiB)."""
    gate = asyncio.Semaphore(HASH_CONCURRENCY)

    async def one(password: str) -> str:
        async with gate:
            return await asyncio.to_thread(auth.hash_password, password)

    return list(await asyncio.gather(*(one(p) for p in passwords)))
