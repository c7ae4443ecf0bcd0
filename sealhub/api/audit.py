"""The audit trail for auditors (`/api/v1/audit`): filters, pages, CSV export."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict

from sealhub.api.common import Page, api_router
from sealhub.api.deps import Db, PagingDep, Require
from sealhub.platform import audit
from sealhub.platform.actor import Actor
from sealhub.platform.db.repository import page
from sealhub.platform.types import Instant

router = api_router(tags=["audit"])
Auditor = Annotated[Actor, Depends(Require("audit.read"))]
EXPORT_LIMIT = 100_000


class AuditOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    at: datetime
    actor_id: uuid.UUID | None
    actor_name: str
    api_key_id: uuid.UUID | None
    action: str
    target_type: str
    target_id: str | None
    ip: str | None
    client: str | None
    summary: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class AuditFilters(BaseModel):
    actor_id: uuid.UUID | None = None
    action: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    q: str | None = None


def filters(
    actor_id: uuid.UUID | None = None,
    action: Annotated[str | None, Query(max_length=100)] = None,
    target_type: Annotated[str | None, Query(max_length=50)] = None,
    target_id: Annotated[str | None, Query(max_length=64)] = None,
    since: Instant | None = None,
    until: Instant | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> AuditFilters:
    return AuditFilters(
        actor_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        since=since,
        until=until,
        q=q,
    )


Filters = Annotated[AuditFilters, Depends(filters)]


@router.get("/audit", response_model=Page[AuditOut])
async def list_audit(session: Db, actor: Auditor, paging: PagingDep, f: Filters) -> Page[AuditOut]:
    """Search the organisation's audit trail, newest first."""
    stmt = audit.query(actor.org_id, **f.model_dump())
    rows, total = await page(session, stmt, (), paging.offset, paging.page_size)
    return Page(
        items=[_out(r, actor.locale) for r in rows],
        total=total,
        page=paging.page,
        page_size=paging.page_size,
    )


def _out(entry: audit.AuditEntry, locale: str) -> AuditOut:
    out = AuditOut.model_validate(entry)
    out.summary = audit.localized(entry, locale)
    return out


def _cell(value: str) -> str:
    """Neutralise spreadsheet formulas (CSV injection) in exported text."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


@router.get(
    "/audit/export.csv",
    response_class=StreamingResponse,
    responses={
        200: {"description": "CSV", "content": {"text/csv": {"schema": {"type": "string"}}}}
    },
)
async def export_audit(session: Db, actor: Auditor, f: Filters) -> StreamingResponse:
    """The filtered trail as CSV (UTF-8 with BOM so Excel opens Chinese text). The export
    itself is recorded (who took which part of the trail away)."""
    stmt = audit.query(actor.org_id, **f.model_dump()).limit(EXPORT_LIMIT)
    rows = list((await session.execute(stmt)).scalars())
    await audit.record(
        session,
        actor,
        "audit.export",
        "audit_trail",
        None,
        summary=audit.Summary(
            f"导出审计日志 {len(rows)} 条", f"Exported {len(rows)} audit entries"
        ),
        after={"filters": f.model_dump(mode="json", exclude_none=True), "rows": len(rows)},
    )

    async def body() -> AsyncIterator[bytes]:
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(
            [
                "时间 at",
                "操作人 actor",
                "操作 action",
                "对象 target",
                "对象ID id",
                "摘要 summary",
                "IP",
                "客户端 client",
            ]
        )
        yield ("\ufeff" + buf.getvalue()).encode()
        for r in rows:
            buf.seek(0)
            buf.truncate()
            writer.writerow(
                [
                    r.at.isoformat(),
                    *map(
                        _cell,
                        [
                            r.actor_name,
                            r.action,
                            r.target_type,
                            r.target_id or "",
                            audit.localized(r, actor.locale),
                            r.ip or "",
                            r.client or "",
                        ],
                    ),
                ]
            )
            yield buf.getvalue().encode()

    return StreamingResponse(
        body(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
    )
