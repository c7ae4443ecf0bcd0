"""/api/v1 routes of inspection: results per application and per photo, the highlight
images, the report (JSON and PDF), a re-inspection, and the precision setting."""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Literal

from fastapi import Depends, Query, Response

from sealhub.api.common import api_router
from sealhub.api.deps import CurrentActor, Db, Require, RuntimeDep
from sealhub.api.documents import attachment
from sealhub.inspection import schemas
from sealhub.inspection import service as inspection_service
from sealhub.inspection.report import render_pdf
from sealhub.platform import jobs
from sealhub.platform.actor import Actor

router = api_router(tags=["inspection"])

OrgManager = Annotated[Actor, Depends(Require("org.manage"))]
RequestManager = Annotated[Actor, Depends(Require("request.manage"))]


@router.get("/requests/{request_id}/inspection", response_model=list[schemas.ResultOut])
async def list_results(
    request_id: uuid.UUID, session: Db, actor: CurrentActor
) -> list[schemas.ResultOut]:
    """Every photo's verdict (whoever may see the application may see its inspection)."""
    return await inspection_service.results(session, actor, request_id)


@router.get("/requests/{request_id}/inspection/report", response_model=schemas.ReportOut)
async def report(request_id: uuid.UUID, session: Db, actor: CurrentActor) -> schemas.ReportOut:
    """The inspection report of an application (JSON)."""
    return await inspection_service.report(session, actor, request_id)


@router.get("/requests/{request_id}/inspection/report.pdf", response_class=Response)
async def report_pdf(request_id: uuid.UUID, session: Db, actor: CurrentActor) -> Response:
    """The inspection report of an application (PDF)."""
    out = await inspection_service.report(session, actor, request_id)
    data = await asyncio.to_thread(render_pdf, out)
    return attachment(data, "application/pdf", f"inspection-{out.number}.pdf")


@router.post("/requests/{request_id}/inspection/run", status_code=202)
async def run(
    request_id: uuid.UUID, session: Db, runtime: RuntimeDep, actor: RequestManager
) -> dict[str, int]:
    """Inspect every photo of the application again (one job each)."""
    photo_ids = await inspection_service.photos_to_inspect(session, actor, request_id)
    for photo_id in photo_ids:
        await jobs.enqueue(
            runtime,
            "inspection.inspect_photo",
            org_id=str(actor.org_id),
            request_id=str(request_id),
            photo_id=str(photo_id),
        )
    return {"queued": len(photo_ids)}


@router.get("/requests/{request_id}/inspection/{photo_id}", response_model=schemas.ResultOut)
async def get_result(
    request_id: uuid.UUID, photo_id: uuid.UUID, session: Db, actor: CurrentActor
) -> schemas.ResultOut:
    """One photo's verdict and differences."""
    return await inspection_service.result(session, actor, request_id, photo_id)


@router.get("/requests/{request_id}/inspection/{photo_id}/image", response_class=Response)
async def highlight(
    request_id: uuid.UUID,
    photo_id: uuid.UUID,
    session: Db,
    runtime: RuntimeDep,
    actor: CurrentActor,
    side: Annotated[Literal["photo", "original"], Query()] = "photo",
) -> Response:
    """The straightened photo or its original page, differences highlighted (PNG)."""
    data = await inspection_service.image(session, runtime, actor, request_id, photo_id, side=side)
    return attachment(data, "image/png", f"{side}-{photo_id}.png")


@router.get("/inspection/settings", response_model=schemas.SettingOut)
async def get_settings(session: Db, actor: CurrentActor) -> schemas.SettingOut:
    """The organisation's precision setting."""
    return await inspection_service.get_setting(session, actor)


@router.put("/inspection/settings", response_model=schemas.SettingOut)
async def set_settings(
    body: schemas.SettingIn, session: Db, actor: OrgManager
) -> schemas.SettingOut:
    """Strict (contracts) or loose (letters)."""
    return await inspection_service.set_setting(session, actor, precision=body.precision)
