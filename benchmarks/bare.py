"""The baseline: a bare Starlette app on asyncpg doing SealHub's SQL without SealHub.

    uvicorn bare:app --app-dir benchmarks   (env BENCH_BARE_DSN, BENCH_BARE_FACTS, BENCH_BARE_POOL)

GET /org: the same primary-key SELECT on organizations as `GET /api/v1/org`, the same JSON
fields out. POST /requests: the INSERTs SealHub's create-and-submit issues (request, document
link, item, three timeline events, approval task, two audit entries, outbox event) in one
transaction, numbered like SealHub from the per-(organisation, day) counter row in its own
statement.
No authentication and no validating reads: the facts a real handler would look up (seal,
keeper, flow, applicant unit) come from BENCH_BARE_FACTS, written by the seeding step.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import asyncpg
import orjson
import uuid6
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
FACTS: dict[str, Any] = orjson.loads(os.environ.get("BENCH_BARE_FACTS", "{}"))
DB: dict[str, Db] = {}  # set by the lifespan

SELECT_ORG = (
    "SELECT name, code, status, settings, created_by, id, created_at, updated_at "
    "FROM organizations WHERE id = $1::UUID"
)
# the same per-(organisation, day) counter SealHub uses, in its own autocommit statement
NEXT_NUMBER = (
    "INSERT INTO request_counters (org_id, day, seq) VALUES ($1::UUID, $2::DATE, 1) "
    "ON CONFLICT (org_id, day) DO UPDATE SET seq = request_counters.seq + 1 RETURNING seq"
)
INSERT_REQUEST = (
    "INSERT INTO stamp_requests (number, name, reason, urgency, status, valid_from, valid_until, "
    "applicant_id, applicant_name, unit_id, flow_id, flow_snapshot, current_step, submitted_at, "
    "decided_at, finished_at, end_reason, photos_owed, id, org_id, created_at, updated_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::JSON, $13, $14, NULL, NULL, "
    "'', false, $15, $16, $17, $17)"
)
INSERT_DOCUMENT = (
    "INSERT INTO stamp_request_documents (request_id, document_id, sort, id, org_id) "
    "VALUES ($1, $2, $3, $4, $5)"
)
INSERT_ITEM = (
    "INSERT INTO stamp_request_items (request_id, seal_id, seal_name, seal_kind, seal_type, "
    "presses, presses_used, pages, position, straddle, handed_out, sort, id, org_id) "
    "VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8::JSON, $9::JSON, false, $10, $11, $12)"
)
INSERT_EVENT = (
    "INSERT INTO stamp_request_events (request_id, actor_id, actor_name, action, from_status, "
    "to_status, comment, at, id, org_id) VALUES ($1, $2, $3, $4, $5, $6, '', $7, $8, $9)"
)
INSERT_TASK = (
    "INSERT INTO approval_tasks (request_id, amendment_id, step_index, step_name, mode, "
    "assignee_id, assignee_name, status, origin, origin_by, comment, created_at, decided_at, "
    "id, org_id) VALUES ($1, NULL, 0, $2, $3, $4, $5, 'pending', 'routed', NULL, '', $6, NULL, "
    "$7, $8)"
)
INSERT_AUDIT = (
    "INSERT INTO audit_entries (org_id, at, actor_id, actor_name, api_key_id, action, "
    "target_type, target_id, ip, client, summary, summary_en, before, after, id) "
    "VALUES ($1, $2, $3, $4, NULL, $5, 'stamp_request', $6, $7, $8, $9, $10, NULL, $11::JSON, "
    "$12)"
)
INSERT_OUTBOX = (
    "INSERT INTO outbox_events (name, org_id, payload, created_at, delivered_at, attempts, "
    "last_error, id) VALUES ($1, $2, $3::JSON, $4, NULL, 0, NULL, $5)"
)


def new_id() -> uuid.UUID:
    return uuid.UUID(bytes=uuid6.uuid7().bytes)


def naive_utc(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None)


def _iso(value: datetime | None) -> str | None:
    return value.replace(tzinfo=UTC).isoformat() if value else None


class Conn(Protocol):
    """The four calls the handlers make: asyncpg's own names (an asyncpg connection is one)."""

    async def fetchrow(self, query: str, *args: Any) -> Any: ...
    async def fetchval(self, query: str, *args: Any) -> Any: ...
    async def execute(self, query: str, *args: Any) -> Any: ...
    async def executemany(self, command: str, args: Any) -> Any: ...


class Db(Protocol):
    def connect(self) -> AbstractAsyncContextManager[Conn]: ...
    def transaction(self) -> AbstractAsyncContextManager[Conn]: ...


class AsyncpgDb:
    """asyncpg's pool: the bare handler's database."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    def connect(self) -> AbstractAsyncContextManager[Conn]:
        return self.pool.acquire()  # type: ignore[no-any-return]

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Conn]:
        async with self.pool.acquire() as conn, conn.transaction():
            yield conn


async def org_reply(db: Db) -> dict[str, Any] | None:
    async with db.connect() as conn:
        row = await conn.fetchrow(SELECT_ORG, uuid.UUID(FACTS["org_id"]))
    if row is None:
        return None
    return {
        "id": str(row["id"]),
        "name": row["name"],
        "code": row["code"],
        "status": row["status"],
        "settings": orjson.loads(row["settings"] or "{}"),
        "created_at": _iso(row["created_at"]),
    }


async def get_org(request: Request) -> Response:
    reply = await org_reply(DB["db"])
    if reply is None:
        return JSONResponse({"detail": "not found"}, status_code=404)
    return JSONResponse(reply)


def _parse(body: dict[str, Any]) -> dict[str, Any]:
    """Minimal validation: types and presence, nothing looked up."""
    valid_from = datetime.fromisoformat(body["valid_from"])
    valid_until = datetime.fromisoformat(body["valid_until"])
    if valid_from.tzinfo is None or valid_until <= valid_from:
        raise ValueError("window")
    items = [
        {"seal_id": uuid.UUID(i["seal_id"]), "presses": int(i["presses"]), "pages": i.get("pages")}
        for i in body["items"]
    ]
    return {
        "name": str(body["name"])[:200],
        "reason": str(body.get("reason", ""))[:2000],
        "urgency": str(body.get("urgency", "normal")),
        "valid_from": valid_from,
        "valid_until": valid_until,
        "document_ids": [uuid.UUID(d) for d in body["document_ids"]],
        "items": items,
    }


async def create_request(request: Request) -> Response:
    return await create_response(request, DB["db"])


async def create_response(request: Request, db: Db) -> Response:
    """Parse, write, reply: the whole create on a given database."""
    try:
        data = _parse(orjson.loads(await request.body()))
    except (KeyError, ValueError, TypeError) as exc:
        return JSONResponse({"detail": str(exc)}, status_code=422)
    ip = request.client.host if request.client else None
    client = request.headers.get("user-agent", "")[:255]
    reply = await create_reply(db, data, ip, client)
    return JSONResponse(reply, status_code=201)


async def create_reply(db: Db, data: dict[str, Any], ip: str | None, client: str) -> dict[str, Any]:
    """The application's rows in one transaction; the reply's JSON."""
    f = FACTS
    org_id = uuid.UUID(f["org_id"])
    actor_id = uuid.UUID(f["applicant_id"])
    actor_name = f["applicant_name"]
    now = datetime.now(UTC)
    at = naive_utc(now)
    req_id = new_id()
    prefix = f"SQ{now.astimezone(LOCAL_TZ):%Y%m%d}-"
    snapshot = orjson.dumps(f["flow_snapshot"]).decode()
    item_ids = [new_id() for _ in data["items"]]
    async with db.connect() as conn:
        seq = await conn.fetchval(NEXT_NUMBER, org_id, now.astimezone(LOCAL_TZ).date())
    number = f"{prefix}{seq:04d}"
    async with db.transaction() as conn:
        await conn.execute(
            INSERT_REQUEST,
            number,
            data["name"],
            data["reason"],
            data["urgency"],
            "in_review",
            naive_utc(data["valid_from"]),
            naive_utc(data["valid_until"]),
            actor_id,
            actor_name,
            uuid.UUID(f["unit_id"]),
            uuid.UUID(f["flow_id"]),
            snapshot,
            0,
            at,
            req_id,
            org_id,
            at,
        )
        await conn.executemany(
            INSERT_DOCUMENT,
            [(req_id, d, i, new_id(), org_id) for i, d in enumerate(data["document_ids"])],
        )
        await conn.executemany(
            INSERT_ITEM,
            [
                (
                    req_id,
                    item["seal_id"],
                    f["seal_name"],
                    f["seal_kind"],
                    f["seal_type"],
                    item["presses"],
                    item["pages"],
                    "null",
                    "null",
                    i,
                    item_ids[i],
                    org_id,
                )
                for i, item in enumerate(data["items"])
            ],
        )
        await conn.executemany(
            INSERT_EVENT,
            [
                (req_id, actor_id, actor_name, action, frm, to, at, new_id(), org_id)
                for action, frm, to in (
                    ("create", None, "draft"),
                    ("submit", "draft", "submitted"),
                    ("route", "submitted", "in_review"),
                )
            ],
        )
        await conn.execute(
            INSERT_TASK,
            req_id,
            f["step_name"],
            f["step_mode"],
            uuid.UUID(f["keeper_id"]),
            f["keeper_name"],
            at,
            new_id(),
            org_id,
        )
        after = {
            "number": number,
            "name": data["name"],
            "status": "in_review",
            "urgency": data["urgency"],
            "valid_from": data["valid_from"].isoformat(),
            "valid_until": data["valid_until"].isoformat(),
            "flow_id": f["flow_id"],
        }
        await conn.executemany(
            INSERT_AUDIT,
            [
                (
                    org_id,
                    at,
                    actor_id,
                    actor_name,
                    action,
                    str(req_id),
                    ip,
                    client,
                    summary,
                    summary_en,
                    orjson.dumps({**after, "status": status}).decode(),
                    new_id(),
                )
                for action, status, summary, summary_en in (
                    (
                        "request.create",
                        "draft",
                        f"创建用章申请“{data['name']}”（{number}）",
                        f"Created application “{data['name']}” ({number})",
                    ),
                    (
                        "request.submit",
                        "in_review",
                        f"提交用章申请“{data['name']}”（{number}）",
                        f"Submitted application “{data['name']}” ({number})",
                    ),
                )
            ],
        )
        payload = {
            "org_id": str(org_id),
            "request_id": str(req_id),
            "number": number,
            "status": "in_review",
            "applicant_id": str(actor_id),
            "valid_from": after["valid_from"],
            "valid_until": after["valid_until"],
            "items": [
                {
                    "item_id": str(item_ids[i]),
                    "seal_id": str(item["seal_id"]),
                    "seal_kind": f["seal_kind"],
                    "presses": item["presses"],
                    "pages": item["pages"],
                    "position": None,
                    "straddle": None,
                }
                for i, item in enumerate(data["items"])
            ],
        }
        await conn.execute(
            INSERT_OUTBOX,
            "request.submitted",
            org_id,
            orjson.dumps(payload).decode(),
            at,
            new_id(),
        )
    return {"id": str(req_id), "number": number, "status": "in_review", **payload}


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    size = int(os.environ.get("BENCH_BARE_POOL", "15"))
    pool = await asyncpg.create_pool(
        os.environ["BENCH_BARE_DSN"], min_size=min(5, size), max_size=size
    )
    DB["db"] = AsyncpgDb(pool)
    try:
        yield
    finally:
        del DB["db"]
        await pool.close()


app = Starlette(
    routes=[
        Route("/org", get_org),
        Route("/requests", create_request, methods=["POST"]),
        Route("/healthz", healthz),
    ],
    lifespan=lifespan,
)
