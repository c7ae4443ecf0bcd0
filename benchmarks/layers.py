"""The layers under SealHub, one at a time, each doing the bare handler's work (bare.py).

    uvicorn layers:<name> --app-dir benchmarks   (the same environment as bare.py)

- fastapi:       FastAPI routes (a response model on GET /org) calling bare.py's handlers
                 on its asyncpg pool; no dependencies;
- fastapi_dep:   + one `yield` dependency handing out the database, committed before the
                 reply (`scope="function"`, as SealHub's);
- starlette_sa:  Starlette routes, the same SQL through SQLAlchemy's execution layer
                 (`exec_driver_sql` on an AsyncEngine over asyncpg, pool of 15 behind the
                 FIFO gate SealHub uses);
- fastapi_sa:    fastapi_dep on that SQLAlchemy engine: the floor under SealHub, with no
                 authentication, no validating reads and no ORM.

Run by benchmarks/api.py next to bare and sealhub: the ratios say how much of the bare
handler's speed each layer leaves before SealHub adds any code of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

import bare
from fastapi import Depends, FastAPI, Request
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from starlette.applications import Starlette
from starlette.responses import Response

POOL_SIZE = int(os.environ.get("BENCH_BARE_POOL", "15"))


class OrgOut(BaseModel):
    id: str
    name: str
    code: str
    status: str
    settings: dict[str, Any]
    created_at: datetime


class SAConn:
    """bare.Conn over a SQLAlchemy AsyncConnection: the same SQL, SQLAlchemy's execution."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def fetchrow(self, query: str, *args: Any) -> Any:
        return (await self.conn.exec_driver_sql(query, args)).mappings().first()

    async def fetchval(self, query: str, *args: Any) -> Any:
        return (await self.conn.exec_driver_sql(query, args)).scalar()

    async def execute(self, query: str, *args: Any) -> Any:
        await self.conn.exec_driver_sql(query, args)

    async def executemany(self, command: str, args: Any) -> Any:
        await self.conn.exec_driver_sql(command, list(args))


class SADb:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
        self.gate = asyncio.Semaphore(POOL_SIZE)

    @contextlib.asynccontextmanager
    async def connect(self) -> AsyncIterator[bare.Conn]:
        async with self.gate, self.autocommit.connect() as conn:
            yield SAConn(conn)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[bare.Conn]:
        async with self.gate, self.engine.begin() as conn:
            yield SAConn(conn)


@contextlib.asynccontextmanager
async def sa_lifespan(_app: Any) -> AsyncIterator[None]:
    url = "postgresql+asyncpg://" + os.environ["BENCH_BARE_DSN"].split("://", 1)[1]
    engine = create_async_engine(url, pool_size=POOL_SIZE, max_overflow=0)
    bare.DB["db"] = SADb(engine)
    try:
        yield
    finally:
        del bare.DB["db"]
        await engine.dispose()


async def _db() -> AsyncIterator[bare.Db]:
    yield bare.DB["db"]


DbDep = Annotated[bare.Db, Depends(_db, scope="function")]


def _fastapi(lifespan: Any, *, with_dep: bool) -> FastAPI:
    app = FastAPI(lifespan=lifespan)
    if with_dep:

        @app.get("/org", response_model=OrgOut)
        async def org_dep(db: DbDep) -> Any:
            return await bare.org_reply(db)

        @app.post("/requests", status_code=201)
        async def create_dep(request: Request, db: DbDep) -> Response:
            return await bare.create_response(request, db)

    else:

        @app.get("/org", response_model=OrgOut)
        async def org() -> Any:
            return await bare.org_reply(bare.DB["db"])

        @app.post("/requests", status_code=201)
        async def create(request: Request) -> Response:
            return await bare.create_response(request, bare.DB["db"])

    app.add_api_route("/healthz", bare.healthz)
    return app


fastapi = _fastapi(bare.lifespan, with_dep=False)
fastapi_dep = _fastapi(bare.lifespan, with_dep=True)
fastapi_sa = _fastapi(sa_lifespan, with_dep=True)
starlette_sa = Starlette(routes=bare.app.routes, lifespan=sa_lifespan)
