"""API keys: integration credentials holding some of their creator's permissions."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sealhub.identity import auth, common, errors, schemas
from sealhub.identity.models import (
    ApiKey,
)
from sealhub.identity.repository import (
    ApiKeyRepository,
)
from sealhub.platform import audit, clock, ids
from sealhub.platform.actor import Actor
from sealhub.platform.runtime import Runtime

# ================================================================ API keys


async def _api_keys_out(
    session: AsyncSession, org_id: uuid.UUID, keys: list[ApiKey]
) -> list[schemas.ApiKeyOut]:
    people = await common.people_refs(session, org_id, [k.created_by for k in keys])
    return [
        schemas.ApiKeyOut(
            id=k.id,
            name=k.name,
            prefix=k.prefix,
            permissions=sorted(k.permissions or []),
            created_by=people[k.created_by],
            created_at=k.created_at,
            expires_at=k.expires_at,
            last_used_at=k.last_used_at,
            revoked_at=k.revoked_at,
        )
        for k in keys
    ]


async def create_api_key(
    session: AsyncSession,
    runtime: Runtime,
    actor: Actor,
    *,
    name: str,
    permissions: Sequence[str],
    expires_at: datetime | None = None,
) -> schemas.ApiKeyCreatedOut:
    """A new integration key holding some of the creator's permissions; the secret shows once."""
    perms = common.check_permissions(permissions)
    for permission in perms:
        if not actor.can(permission):
            raise errors.PermissionNotHeld(permission=permission)
    if expires_at is not None:
        expires_at = clock.aware(expires_at)
        if expires_at <= clock.now():
            raise errors.ExpiryInPast()
    secret = auth.API_KEY_PREFIX + ids.token(32)
    key = ApiKey(
        org_id=actor.org_id,
        name=name,
        prefix=secret[:12],
        key_hash=runtime.envelope.mac(secret.encode()),
        permissions=perms,
        created_by=actor.user_id,
        created_at=clock.now(),
        expires_at=expires_at,
    )
    session.add(key)
    await session.flush()
    await audit.record(
        session,
        actor,
        "apikey.create",
        "api_key",
        key.id,
        summary=audit.Summary(
            f"创建 API 密钥 {name}（{key.prefix}…）", f"Created API key {name} ({key.prefix}…)"
        ),
        after={"name": name, "prefix": key.prefix, "permissions": perms, "expires_at": expires_at},
    )
    out = (await _api_keys_out(session, actor.org_id, [key]))[0]
    return schemas.ApiKeyCreatedOut(**out.model_dump(), secret=secret)


async def list_api_keys(
    session: AsyncSession, actor: Actor, *, page: int = 1, page_size: int = 20
) -> tuple[list[schemas.ApiKeyOut], int]:
    """The organisation's API keys, newest first (never their secrets)."""
    stmt = ApiKeyRepository(session, actor).readable()
    total = await session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    keys = list(
        (
            await session.execute(
                stmt.order_by(ApiKey.created_at.desc(), ApiKey.id.desc())
                .offset((page - 1) * page_size)
                .limit(page_size)
            )
        ).scalars()
    )
    return await _api_keys_out(session, actor.org_id, keys), int(total)


async def revoke_api_key(session: AsyncSession, actor: Actor, key_id: uuid.UUID) -> None:
    """Revoke a key at once (revoking twice is harmless)."""
    key = await ApiKeyRepository(session, actor).get_for_update(key_id)
    if key.revoked_at is not None:
        return
    key.revoked_at = clock.now()
    await session.flush()
    await audit.record(
        session,
        actor,
        "apikey.revoke",
        "api_key",
        key.id,
        summary=audit.Summary(
            f"吊销 API 密钥 {key.name}（{key.prefix}…）",
            f"Revoked API key {key.name} ({key.prefix}…)",
        ),
        before={"revoked_at": None},
        after={"revoked_at": key.revoked_at},
    )
