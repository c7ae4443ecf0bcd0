"""The organisation, its settings and its unit tree (`/api/v1/org`)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, File, Request, Response, UploadFile

from sealhub.api.common import api_router, idempotent, read_upload
from sealhub.api.deps import Db, Require, RuntimeDep
from sealhub.identity import schemas
from sealhub.identity import service as identity
from sealhub.platform.actor import Actor

router = api_router(tags=["org"])

Reader = Annotated[Actor, Depends(Require("org.read"))]
Manager = Annotated[Actor, Depends(Require("org.manage"))]


@router.get("/org", response_model=schemas.OrgOut)
async def get_org(session: Db, actor: Reader) -> schemas.OrgOut:
    """The current organisation with its settings."""
    return await identity.get_organization(session, actor)


@router.patch("/org", response_model=schemas.OrgOut)
async def patch_org(body: schemas.OrgPatchIn, session: Db, actor: Manager) -> schemas.OrgOut:
    """Rename the organisation or change settings (e.g. block_on_photo_debt)."""
    return await identity.update_organization(
        session,
        actor,
        name=body.name,
        settings=body.settings.model_dump(exclude_unset=True) if body.settings else None,
    )


@router.get("/org/units", response_model=list[schemas.UnitOut])
async def list_units(session: Db, actor: Reader) -> list[schemas.UnitOut]:
    """Every unit, flat (with parent_id), by sort then name."""
    return await identity.list_units(session, actor)


@router.post("/org/units", status_code=201, response_model=schemas.UnitOut)
async def create_unit(
    body: schemas.UnitCreateIn, request: Request, session: Db, actor: Manager
) -> Response:
    """Add a branch or department under a unit (the root by default)."""

    async def make() -> schemas.UnitOut:
        return await identity.create_unit(
            session,
            actor,
            parent_id=body.parent_id,
            name=body.name,
            code=body.code,
            kind=body.kind,
            sort=body.sort,
            description=body.description,
        )

    return await idempotent(request, session, actor, make)


@router.get("/org/units/{unit_id}", response_model=schemas.UnitOut)
async def get_unit(unit_id: uuid.UUID, session: Db, actor: Reader) -> schemas.UnitOut:
    """One unit with its supervisors."""
    return await identity.get_unit(session, actor, unit_id)


@router.patch("/org/units/{unit_id}", response_model=schemas.UnitOut)
async def patch_unit(
    unit_id: uuid.UUID, body: schemas.UnitPatchIn, session: Db, actor: Manager
) -> schemas.UnitOut:
    """Edit a unit's name, code, kind, sort order or description."""
    return await identity.update_unit(
        session,
        actor,
        unit_id,
        name=body.name,
        code=body.code,
        kind=body.kind,
        sort=body.sort,
        description=body.description,
    )


@router.delete("/org/units/{unit_id}", status_code=204)
async def delete_unit(unit_id: uuid.UUID, session: Db, actor: Manager) -> Response:
    """Delete an empty unit."""
    await identity.delete_unit(session, actor, unit_id)
    return Response(status_code=204)


@router.post("/org/units/{unit_id}/move", response_model=schemas.UnitOut)
async def move_unit(
    unit_id: uuid.UUID,
    body: schemas.UnitMoveIn,
    session: Db,
    runtime: RuntimeDep,
    actor: Manager,
) -> schemas.UnitOut:
    """Move a unit and its subtree under another parent."""
    return await identity.move_unit(session, runtime, actor, unit_id, parent_id=body.parent_id)


@router.put("/org/units/{unit_id}/supervisors", response_model=schemas.UnitOut)
async def put_supervisors(
    unit_id: uuid.UUID, body: schemas.SupervisorsIn, session: Db, actor: Manager
) -> schemas.UnitOut:
    """Replace the unit's supervisor titles and who holds them."""
    titles = [(t.title, t.user_ids) for t in body.titles]
    return await identity.set_supervisors(session, actor, unit_id, titles)


@router.post("/org/units/{unit_id}/logo", response_model=schemas.UnitOut)
async def upload_logo(
    unit_id: uuid.UUID,
    session: Db,
    runtime: RuntimeDep,
    actor: Manager,
    file: Annotated[UploadFile, File()],
) -> schemas.UnitOut:
    """Upload the unit's logo: PNG/JPEG/WebP, at most 1 MB and 1024×1024 (recommended)."""
    data = await read_upload(file, identity.LOGO_MAX_BYTES)
    return await identity.upload_unit_logo(
        session, runtime, actor, unit_id, data, filename=file.filename or "logo"
    )


@router.get("/org/units/{unit_id}/logo", response_class=Response)
async def get_logo(unit_id: uuid.UUID, session: Db, runtime: RuntimeDep, actor: Reader) -> Response:
    """The unit's logo image."""
    content_type, data = await identity.get_unit_logo(session, runtime, actor, unit_id)
    return Response(
        content=data,
        media_type=content_type,
        headers={"Cache-Control": "private, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )
