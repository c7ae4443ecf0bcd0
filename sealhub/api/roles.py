"""The permission catalogue and the organisation's roles (`/api/v1/roles`)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Query, Request, Response

from sealhub.api.common import Page, api_router, idempotent
from sealhub.api.deps import CurrentActor, Db, PagingDep, Require, RuntimeDep
from sealhub.identity import schemas
from sealhub.identity import service as identity
from sealhub.platform.actor import Actor, DataScope

router = api_router(tags=["roles"])

Reader = Annotated[Actor, Depends(Require("role.read"))]
Manager = Annotated[Actor, Depends(Require("role.manage"))]


@router.get("/permissions", response_model=schemas.CatalogueOut)
async def permissions(actor: CurrentActor) -> schemas.CatalogueOut:
    """The permission catalogue grouped by area, and the data scopes, with labels."""
    return identity.permission_catalogue()


@router.get("/roles", response_model=Page[schemas.RoleOut])
async def list_roles(
    session: Db,
    actor: Reader,
    paging: PagingDep,
    q: Annotated[str | None, Query(max_length=50)] = None,
) -> Page[schemas.RoleOut]:
    """Roles, paged; sort by created_at, name or updated_at (prefix - for descending)."""
    field, desc = paging.sort_key({"created_at", "name", "updated_at"}, "created_at")
    items, total = await identity.list_roles(
        session,
        actor,
        q=q,
        page=paging.page,
        page_size=paging.page_size,
        sort=field,
        descending=desc,
    )
    return Page(items=items, total=total, page=paging.page, page_size=paging.page_size)


@router.post("/roles", status_code=201, response_model=schemas.RoleOut)
async def create_role(
    body: schemas.RoleCreateIn,
    request: Request,
    session: Db,
    runtime: RuntimeDep,
    actor: Manager,
) -> Response:
    """A new role with permissions from the catalogue and a data scope."""

    async def make() -> schemas.RoleOut:
        return await identity.create_role(
            session,
            runtime,
            actor,
            name=body.name,
            description=body.description,
            permissions=body.permissions,
            data_scope=DataScope(body.data_scope),
        )

    return await idempotent(request, session, actor, make)


@router.get("/roles/{role_id}", response_model=schemas.RoleOut)
async def get_role(role_id: uuid.UUID, session: Db, actor: Reader) -> schemas.RoleOut:
    """One role."""
    return await identity.get_role(session, actor, role_id)


@router.patch("/roles/{role_id}", response_model=schemas.RoleOut)
async def patch_role(
    role_id: uuid.UUID,
    body: schemas.RolePatchIn,
    session: Db,
    runtime: RuntimeDep,
    actor: Manager,
) -> schemas.RoleOut:
    """Edit a role's name, description, permissions or data scope."""
    return await identity.update_role(
        session,
        runtime,
        actor,
        role_id,
        name=body.name,
        description=body.description,
        permissions=body.permissions,
        data_scope=DataScope(body.data_scope) if body.data_scope else None,
    )


@router.delete("/roles/{role_id}", status_code=204)
async def delete_role(
    role_id: uuid.UUID, session: Db, runtime: RuntimeDep, actor: Manager
) -> Response:
    """Delete a custom role nobody holds."""
    await identity.delete_role(session, runtime, actor, role_id)
    return Response(status_code=204)
