"""The overview dashboard (`/api/v1/dashboard/overview`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query
from pydantic import BaseModel

from sealhub.analytics import service as analytics
from sealhub.api.common import api_router
from sealhub.api.deps import CurrentActor, Db

router = api_router("/dashboard", tags=["dashboard"])


class StatusCount(BaseModel):
    status: str
    count: int


class DayCount(BaseModel):
    date: str
    count: int


class OverviewOut(BaseModel):
    pending_approvals: int
    requests_this_week: int
    seals_by_status: list[StatusCount]
    trend: list[DayCount]


@router.get("/overview", response_model=OverviewOut)
async def overview(
    session: Db, actor: CurrentActor, days: Annotated[int, Query(ge=7, le=90)] = 30
) -> OverviewOut:
    """Figures for the home page, within the caller's data scope."""
    o = await analytics.overview(session, actor, days=days)
    return OverviewOut(
        pending_approvals=o.pending_approvals,
        requests_this_week=o.requests_this_week,
        seals_by_status=[StatusCount(status=s, count=n) for s, n in o.seals_by_status],
        trend=[DayCount(date=d, count=n) for d, n in o.trend],
    )
