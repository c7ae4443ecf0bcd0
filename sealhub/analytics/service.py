"""Dashboard figures composed from the contexts that own them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from sealhub.platform import clock
from sealhub.platform.actor import Actor
from sealhub.requests import service as requests_service
from sealhub.seals import service as seals_service


@dataclass(frozen=True)
class RequestFigures:
    pending_for_me: int
    this_week: int
    # (the organisation's calendar day, applications created), oldest first, zero days included
    trend: list[tuple[str, int]]


@dataclass(frozen=True)
class Overview:
    pending_approvals: int
    requests_this_week: int
    seals_by_status: list[tuple[str, int]]
    trend: list[tuple[str, int]]


async def figures(session: AsyncSession, actor: Actor, *, days: int = 30) -> RequestFigures:
    """Counts for the overview: my pending approvals, this week's and a daily trend."""
    today = clock.local_day(clock.now())
    first = today - timedelta(days=days - 1)
    start = datetime.combine(first, datetime.min.time(), clock.LOCAL_TZ)
    per_day: dict[str, int] = {}
    for at in await requests_service.created_since(session, actor, start):
        day = clock.local_day(at).isoformat()
        per_day[day] = per_day.get(day, 0) + 1
    days_iso = [(first + timedelta(days=i)).isoformat() for i in range(days)]
    trend = [(day, per_day.get(day, 0)) for day in days_iso]
    week_start = (today - timedelta(days=today.weekday())).isoformat()
    return RequestFigures(
        pending_for_me=await requests_service.pending_task_count(session, actor),
        this_week=sum(n for day, n in trend if day >= week_start),
        trend=trend,
    )


async def overview(session: AsyncSession, actor: Actor, *, days: int = 30) -> Overview:
    """The home page: my pending approvals, this week's applications, seals, 30-day trend."""
    counts = await figures(session, actor, days=days)
    seals = await seals_service.count_by_status(session, actor) if actor.can("seal.read") else {}
    return Overview(
        pending_approvals=counts.pending_for_me,
        requests_this_week=counts.this_week,
        seals_by_status=sorted(seals.items()),
        trend=counts.trend,
    )
