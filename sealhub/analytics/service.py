"""Dashboard figures composed from the contexts that own them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from sealhub.platform.actor import Actor
from sealhub.requests import service as requests_service
from sealhub.seals import service as seals_service


@dataclass(frozen=True)
class Overview:
    pending_approvals: int
    requests_this_week: int
    seals_by_status: list[tuple[str, int]]
    trend: list[tuple[str, int]]


async def overview(session: AsyncSession, actor: Actor, *, days: int = 30) -> Overview:
    """The home page: my pending approvals, this week's applications, seals, 30-day trend."""
    figures = await requests_service.figures(session, actor, days=days)
    seals = await seals_service.count_by_status(session, actor) if actor.can("seal.read") else {}
    return Overview(
        pending_approvals=figures.pending_for_me,
        requests_this_week=figures.this_week,
        seals_by_status=sorted(seals.items()),
        trend=figures.trend,
    )
