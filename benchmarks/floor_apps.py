"""The framework floor: one query, JSON out, on each layer SealHub's read path stands on.

    uvicorn floor_apps:<name> --app-dir benchmarks   (env BENCH_FLOOR_DSN, BENCH_FLOOR_ORG)

Every app runs the same primary-key SELECT on `organizations` with asyncpg and a pool of
15, and returns the same JSON; each adds one layer over the previous:

- starlette:        a Starlette route on an asyncpg pool (the bare handler of benchmarks/api.py);
- fastapi:          a FastAPI route with a response model, no dependencies;
- fastapi_dep:      + one `yield` dependency (committed before the reply, as SealHub's Db);
- fastapi_sa:       the query through SQLAlchemy Core on an autocommit AsyncConnection
                    handed out by that dependency (a prebuilt statement, as GET /api/v1/org).

No authentication, no middleware: what remains is what the framework and the SQL toolkit cost.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

import asyncpg
import orjson
from fastapi import Depends, FastAPI
from pydantic import BaseModel
from sqlalchemy import Column, DateTime, MetaData, String, Table, Uuid, bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

DSN = os.environ.get("BENCH_FLOOR_DSN", "postgresql://postgres@127.0.0.1:5432/test")
ORG = uuid.UUID(os.environ.get("BENCH_FLOOR_ORG", str(uuid.UUID(int=0))))
POOL_SIZE = int(os.environ.get("BENCH_FLOOR_POOL", "15"))
SQL = "SELECT id, name, code, status, created_at FROM organizations WHERE id = $1"
ORGS = Table(
    "organizations",
    MetaData(),
    Column("id", Uuid, primary_key=True),
    Column("name", String),
    Column("code", String),
    Column("status", String),
    Column("created_at", DateTime),
)
ORG_ROW = select(ORGS.c.id, ORGS.c.name, ORGS.c.code, ORGS.c.status, ORGS.c.created_at).where(
    ORGS.c.id == bindparam("org_id")
)
STATE: dict[str, Any] = {}


class OrgOut(BaseModel):
    id: uuid.UUID
    name: str
    code: str
    status: str
    created_at: datetime


def _json(row: Any) -> bytes:
    return orjson.dumps(
        {
            "id": str(row["id"]),
            "name": row["name"],
            "code": row["code"],
            "status": row["status"],
            "created_at": row["created_at"].isoformat(),
        }
    )


@contextlib.asynccontextmanager
async def _pool(_app: Any) -> AsyncIterator[None]:
    STATE["pool"] = await asyncpg.create_pool(DSN, min_size=5, max_size=POOL_SIZE)
    try:
        yield
    finally:
        await STATE.pop("pool").close()


@contextlib.asynccontextmanager
async def _engine(_app: Any) -> AsyncIterator[None]:
    url = DSN.replace("postgresql://", "postgresql+asyncpg://", 1)
    engine: AsyncEngine = create_async_engine(url, pool_size=POOL_SIZE, max_overflow=0)
    STATE["engine"] = engine.execution_options(isolation_level="AUTOCOMMIT")
    try:
        yield
    finally:
        await engine.dispose()


async def _fetch() -> Any:
    async with STATE["pool"].acquire() as conn:
        return await conn.fetchrow(SQL, ORG)


async def starlette_org(_request: Request) -> Response:
    return Response(_json(await _fetch()), media_type="application/json")


starlette = Starlette(routes=[Route("/org", starlette_org)], lifespan=_pool)

fastapi = FastAPI(lifespan=_pool)


@fastapi.get("/org", response_model=OrgOut)
async def fastapi_org() -> OrgOut:
    return OrgOut.model_validate(dict(await _fetch()))


async def _unit() -> AsyncIterator[None]:
    yield None


fastapi_dep = FastAPI(lifespan=_pool)


@fastapi_dep.get("/org", response_model=OrgOut)
async def fastapi_dep_org(_: Annotated[None, Depends(_unit, scope="function")]) -> OrgOut:
    return OrgOut.model_validate(dict(await _fetch()))


async def _connection() -> AsyncIterator[AsyncConnection]:
    async with STATE["engine"].connect() as conn:
        yield conn


fastapi_sa = FastAPI(lifespan=_engine)


@fastapi_sa.get("/org", response_model=OrgOut)
async def fastapi_sa_org(
    conn: Annotated[AsyncConnection, Depends(_connection, scope="function")],
) -> OrgOut:
    row = (await conn.execute(ORG_ROW, {"org_id": ORG})).one()
    return OrgOut.model_validate(row._asdict())
