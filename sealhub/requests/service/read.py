"""Reading applications: inboxes, one application, numbers."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from sealhub.platform.actor import Actor
from sealhub.platform.errors import Forbidden
from sealhub.requests import repository
from sealhub.requests.errors import RequestNotFound
from sealhub.requests.models import (
    RequestItem,
    StampRequest,
)
from sealhub.requests.policy import RequestStatus
from sealhub.requests.repository import (
    RequestRepository,
    request_numbers,
)
from sealhub.requests.schemas import (
    RequestDetail,
    RequestOut,
)
from sealhub.requests.service._common import REQUEST_SORTS, _detail, _out, _visible
from sealhub.seals.schemas import PageRequest


async def numbers(
    session: AsyncSession, org_id: uuid.UUID, request_ids: list[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """Application numbers (SQ…) by id, for lists that show them next to other records."""
    return await request_numbers(session, org_id, request_ids)


# ---- reading ----


async def list_requests(
    session: AsyncSession,
    actor: Actor,
    *,
    box: str,
    status: RequestStatus | None = None,
    seal_id: uuid.UUID | None = None,
    urgency: str | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    q: str | None = None,
    paging: PageRequest,
) -> tuple[list[RequestOut], int]:
    """An inbox: mine (I applied), pending (awaiting me), decided (by me), all (request.read)."""
    if box == "all" and not actor.can("request.read"):
        raise Forbidden()
    field, desc = paging.sort_key(REQUEST_SORTS, "-created_at")
    col = getattr(StampRequest, field)
    repo = RequestRepository(session, actor)
    rows, total = await repo.search(
        box=box,
        status=status,
        seal_id=seal_id,
        urgency=urgency,
        created_from=created_from,
        created_to=created_to,
        q=q,
        order=[col.desc() if desc else col, StampRequest.id.desc() if desc else StampRequest.id],
        offset=paging.offset,
        limit=paging.page_size,
    )
    items = await repo.items([r.id for r in rows])
    by_request: dict[uuid.UUID, list[RequestItem]] = {}
    for item in items:
        by_request.setdefault(item.request_id, []).append(item)
    return [_out(r, by_request.get(r.id, [])) for r in rows], total


async def get_request(session: AsyncSession, actor: Actor, request_id: uuid.UUID) -> RequestDetail:
    """Everything about one application the actor may see, and what they may do with it."""
    req = await _visible(session, actor, request_id)
    return await _detail(session, actor, req)


async def can_read(session: AsyncSession, actor: Actor, request_id: uuid.UUID) -> bool:
    """Whether the actor may see the application (the visibility rule, without the detail)."""
    try:
        await _visible(session, actor, request_id)
    except RequestNotFound:
        return False
    return True


async def created_since(session: AsyncSession, actor: Actor, since: datetime) -> list[datetime]:
    """Creation times of applications the actor may see (for analytics' daily figures)."""
    return await repository.created_since(session, actor, since)


async def pending_task_count(session: AsyncSession, actor: Actor) -> int:
    """How many approval tasks wait for the actor."""
    return await repository.pending_task_count(session, actor)
