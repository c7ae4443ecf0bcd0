"""create_app(settings): the FastAPI application; its lifespan builds the Runtime."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from sqlalchemy import text

from sealhub import __version__, worker
from sealhub.api import problems
from sealhub.api.middleware import Edge
from sealhub.devices import gateway as devices_gateway
from sealhub.devices import keys as devices_keys
from sealhub.identity import service as identity_service
from sealhub.identity.sms import make_sms
from sealhub.platform import logs, untrusted
from sealhub.platform.runtime import Runtime, build_platform
from sealhub.platform.settings import Settings, get_settings
from sealhub.storage.backends import make_backend

log = logging.getLogger("sealhub")
STATIC = Path(__file__).parent / "api" / "static"
API_MODULES = (
    "auth",
    "meta",
    "org",
    "members",
    "roles",
    "apikeys",
    "seals",
    "flows",
    "documents",
    "requests",
    "audit",
    "dashboard",
    "stream",
    "esign",
    "alerts",
    "devices",
    "evidence",
    "inspection",
)


def build_runtime(settings: Settings) -> Runtime:
    identity_service.configure_hashing(
        settings.argon2_time_cost, settings.argon2_memory_kib, settings.password_hash_workers
    )
    untrusted.configure(
        workers=settings.untrusted_workers,
        seconds=settings.untrusted_seconds,
        memory_mb=settings.untrusted_memory_mb,
    )
    db, cache, envelope, broker = build_platform(settings)
    return Runtime(
        settings=settings,
        db=db,
        cache=cache,
        envelope=envelope,
        broker=broker,
        blobs=make_backend(settings),
        sms=make_sms(settings.sms_provider, settings.data_dir),
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    logs.configure(settings.log_level, settings.log_json)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = build_runtime(settings)
        app.state.runtime = runtime
        running: worker.Worker | None = None
        gateway: devices_gateway.Gateway | None = None
        simulators: asyncio.Task[None] | None = None
        try:
            # the API enqueues jobs even when the worker runs elsewhere: boot either way
            await worker.boot(runtime)
            devices_keys.configure(runtime.envelope)
            if settings.run_worker:
                running = await worker.start(runtime)
            # the device channel: embedded broker (or the external one), ingest, commands
            gateway = await devices_gateway.start(runtime)
            if gateway is not None:
                # the demo's three simulated smart seals, when the demo seed wrote them
                from sealhub.simulator.demo import start_demo_simulators

                simulators = start_demo_simulators(settings)
        except BaseException:
            if running is not None:
                await running.stop()
            await runtime.close()
            raise
        # start-up objects (modules, models, routes) never die: keep the collector off them,
        # and collect the young generation less often (a request allocates thousands)
        gc.collect()
        gc.freeze()
        gc.set_threshold(10_000, 10, 10)
        try:
            yield
        finally:
            if simulators is not None:
                simulators.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await simulators
            if gateway is not None:
                await gateway.stop()
            if running is not None:
                await running.stop()
            await runtime.close()

    app = FastAPI(
        title="SealHub",
        version=__version__,
        description="SealHub 印控平台 API",
        lifespan=lifespan,
        docs_url="/docs",
        openapi_url="/openapi.json",
    )
    problems.install(app)

    app.add_middleware(
        Edge,
        limit=settings.max_upload_bytes,
        default_locale=settings.default_locale,
        hsts=settings.https,
        trusted_proxies=settings.proxy_networks(),
    )

    # one flat route list: include_router nests routers that are matched twice per level
    for name in API_MODULES:
        module = importlib.import_module(f"sealhub.api.{name}")
        app.router.routes.extend(module.router.routes)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @app.get("/readyz", include_in_schema=False)
    async def readyz(request: Request) -> JSONResponse:
        runtime: Runtime = request.app.state.runtime
        checks: dict[str, str] = {}
        try:
            async with runtime.db.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"error: {type(exc).__name__}"
        try:
            await runtime.cache.set("readyz", b"1", 5)
            checks["cache"] = "ok"
        except Exception as exc:
            checks["cache"] = f"error: {type(exc).__name__}"
        ok = all(v == "ok" for v in checks.values())
        return JSONResponse(
            {"status": "ok" if ok else "unavailable", "checks": checks},
            status_code=200 if ok else 503,
        )

    @app.get("/{path:path}", include_in_schema=False)
    async def console(path: str, request: Request) -> Response:
        if path.startswith(("api/", "docs", "openapi")):
            return problems.problem_response_404(request.app, "/" + path)
        target = (STATIC / path).resolve()
        if path and target.is_file() and STATIC.resolve() in target.parents:
            # hashed file names under assets/ never change: cache them for a year
            cache = (
                "public, max-age=31536000, immutable" if path.startswith("assets/") else "no-cache"
            )
            return FileResponse(target, headers={"Cache-Control": cache})
        index = STATIC / "index.html"
        if index.exists():
            return FileResponse(index, headers={"Cache-Control": "no-cache"})
        return HTMLResponse(
            "<h1>SealHub</h1><p>The web console is not built: run <code>make web</code>. "
            "The API is at <a href='/docs'>/docs</a>.</p>"
        )

    return app
