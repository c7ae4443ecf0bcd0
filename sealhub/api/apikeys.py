"""API keys for integrations (`/api/v1/api-keys`)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Response

from sealhub.api.common import Page, api_router
from sealhub.api.deps import Db, PagingDep, Require, RuntimeDep
from sealhub.identity import schemas
from sealhub.identity import service as identity
from sealhub.platform.actor import Actor

router = api_router(tags=["api-keys"])

Manager = Annotated[Actor, Depends(Require("integration.manage"))]


@router.post("/api-keys", status_code=201, response_model=schemas.ApiKeyCreatedOut)
async def create_api_key(
    body: schemas.ApiKeyCreateIn, session: Db, runtime: RuntimeDep, actor: Manager
) -> schemas.ApiKeyCreatedOut:
    """A new key; the secret is in this reply only. (No Idempotency-Key replay: it would
    store the secret.)"""
    return await identity.create_api_key(
        session,
        runtime,
        actor,
        name=body.name,
        permissions=body.permissions,
        expires_at=body.expires_at,
    )


@router.get("/api-keys", response_model=Page[schemas.ApiKeyOut])
async def list_api_keys(session: Db, actor: Manager, paging: PagingDep) -> Page[schemas.ApiKeyOut]:
    """The organisation's keys, newest first, with when each was last used."""
    items, total = await identity.list_api_keys(
        session, actor, page=paging.page, page_size=paging.page_size
    )
    return Page(items=items, total=total, page=paging.page, page_size=paging.page_size)


@router.delete("/api-keys/{key_id}", status_code=204)
async def revoke_api_key(key_id: uuid.UUID, session: Db, actor: Manager) -> Response:
    """Revoke a key; it stops working at once."""
    await identity.revoke_api_key(session, actor, key_id)
    return Response(status_code=204)
