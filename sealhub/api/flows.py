"""/api/v1 routes for approval flows: definitions, versions and the approver preview."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Response

from sealhub.api.common import Page, api_router
from sealhub.api.deps import Db, PagingDep, Require
from sealhub.platform.actor import Actor
from sealhub.requests import schemas
from sealhub.requests import service as requests_service

router = api_router(tags=["flows"])

Reader = Annotated[Actor, Depends(Require("flow.read"))]
Manager = Annotated[Actor, Depends(Require("flow.manage"))]
Applicant = Annotated[Actor, Depends(Require("request.create"))]


@router.get("/flows", response_model=Page[schemas.FlowOut])
async def list_flows(
    session: Db, actor: Reader, paging: PagingDep, include_inactive: bool = False
) -> Page[schemas.FlowOut]:
    """The organisation's approval flows; sort by priority, name or created_at."""
    rows, total = await requests_service.list_flows(
        session, actor, include_inactive=include_inactive, paging=paging
    )
    return Page(items=rows, total=total, page=paging.page, page_size=paging.page_size)


@router.post("/flows", status_code=201, response_model=schemas.FlowOut)
async def create_flow(body: schemas.FlowIn, session: Db, actor: Manager) -> schemas.FlowOut:
    """Define an approval flow: conditions that select it and its ordered steps."""
    return await requests_service.create_flow(session, actor, data=body)


@router.post("/flows/preview", response_model=schemas.PreviewOut)
async def preview_flow(
    body: schemas.PreviewIn, session: Db, actor: Applicant
) -> schemas.PreviewOut:
    """Which flow an application would follow and who would approve each step."""
    return await requests_service.preview_flow(
        session, actor, seal_ids=body.seal_ids, presses=body.presses, unit_id=body.unit_id
    )


@router.get("/flows/{flow_id}", response_model=schemas.FlowOut)
async def get_flow(flow_id: uuid.UUID, session: Db, actor: Reader) -> schemas.FlowOut:
    """A flow's current version."""
    return await requests_service.get_flow(session, actor, flow_id)


@router.put("/flows/{flow_id}", response_model=schemas.FlowOut)
async def update_flow(
    flow_id: uuid.UUID, body: schemas.FlowIn, session: Db, actor: Manager
) -> schemas.FlowOut:
    """Save a new version; applications already running keep the version they started with."""
    return await requests_service.update_flow(session, actor, flow_id, data=body)


@router.delete("/flows/{flow_id}", status_code=204, response_class=Response)
async def deactivate_flow(flow_id: uuid.UUID, session: Db, actor: Manager) -> Response:
    """Deactivate a flow (it no longer routes new applications)."""
    await requests_service.deactivate_flow(session, actor, flow_id)
    return Response(status_code=204)
