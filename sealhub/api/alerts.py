"""/api/v1 routes for the alert centre: list, detail, counts, acknowledge, resolve."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Query

from sealhub.api.common import Page, api_router
from sealhub.api.deps import Db, PagingDep, Require
from sealhub.notify import schemas
from sealhub.notify import service as notify_service
from sealhub.notify.schemas import AlertStatus, Severity
from sealhub.platform.actor import Actor
from sealhub.platform.types import Instant

router = api_router(tags=["alerts"])

Reader = Annotated[Actor, Depends(Require("alert.read"))]
Manager = Annotated[Actor, Depends(Require("alert.manage"))]


@router.get("/alerts", response_model=Page[schemas.AlertOut])
async def list_alerts(
    session: Db,
    actor: Reader,
    paging: PagingDep,
    status: Annotated[list[AlertStatus] | None, Query(max_length=3)] = None,
    kind: Annotated[str | None, Query(max_length=64)] = None,
    severity: Severity | None = None,
    subject_type: Annotated[str | None, Query(max_length=40)] = None,
    subject_id: Annotated[str | None, Query(max_length=64)] = None,
    request_id: uuid.UUID | None = None,
    since: Instant | None = None,
    until: Instant | None = None,
) -> Page[schemas.AlertOut]:
    """The organisation's alerts; `status` repeats; `kind` ending in "." picks a family;
    sort by last_at (default, newest first), first_at, count, severity or status."""
    rows, total = await notify_service.list_alerts(
        session,
        actor,
        status=status or (),
        kind=kind,
        severity=severity,
        subject_type=subject_type,
        subject_id=subject_id,
        request_id=request_id,
        since=since,
        until=until,
        paging=paging,
    )
    return Page(items=rows, total=total, page=paging.page, page_size=paging.page_size)


@router.get("/alerts/counts", response_model=schemas.AlertCounts)
async def alert_counts(session: Db, actor: Reader) -> schemas.AlertCounts:
    """Unresolved alerts by status and severity, for the console's badge."""
    return await notify_service.counts(session, actor)


@router.get("/alerts/{alert_id}", response_model=schemas.AlertOut)
async def get_alert(alert_id: uuid.UUID, session: Db, actor: Reader) -> schemas.AlertOut:
    """One alert with who acknowledged and resolved it, when and why."""
    return await notify_service.get_alert(session, actor, alert_id)


@router.post("/alerts/{alert_id}/acknowledge", response_model=schemas.AlertOut)
async def acknowledge(
    alert_id: uuid.UUID, body: schemas.AcknowledgeIn, session: Db, actor: Manager
) -> schemas.AlertOut:
    """Acknowledge an open alert (optionally with a comment)."""
    return await notify_service.acknowledge(session, actor, alert_id, comment=body.comment)


@router.post("/alerts/{alert_id}/resolve", response_model=schemas.AlertOut)
async def resolve(
    alert_id: uuid.UUID, body: schemas.ResolveIn, session: Db, actor: Manager
) -> schemas.AlertOut:
    """Resolve an open or acknowledged alert with a comment."""
    return await notify_service.resolve(session, actor, alert_id, comment=body.comment)
