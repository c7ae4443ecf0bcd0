"""How much of the bare handler's speed each layer under SealHub's read path leaves.

    .venv/bin/python benchmarks/floor.py [--pg-url URL] [--duration 10] [--concurrency 64]

Creates a scratch PostgreSQL database holding one `organizations` row, serves each app of
benchmarks/floor_apps.py in turn (uvicorn, 1 worker), loads GET /org with wrk (or the
Python client) and prints requests/s, latency, server CPU per request and the ratio to the
bare Starlette handler. This is the ceiling for benchmarks/api.py's read goal: SealHub
cannot be faster than the framework and toolkit it is built on.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import api  # noqa: E402
import seed  # noqa: E402

APPS = [
    ("starlette", "Starlette route + asyncpg pool (bare)"),
    ("fastapi", "FastAPI route, response model"),
    ("fastapi_dep", "+ one yield dependency"),
    ("fastapi_sa", "+ SQLAlchemy Core on that connection"),
]


async def _prepare(dsn: str, org: uuid.UUID) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "CREATE TABLE organizations (id UUID PRIMARY KEY, name VARCHAR(100), "
            "code VARCHAR(40), status VARCHAR(20), created_at TIMESTAMP)"
        )
        await conn.execute(
            "INSERT INTO organizations VALUES ($1, '压测公司', 'BENCH', 'active', $2)",
            org,
            datetime.now(UTC).replace(tzinfo=None),
        )
    finally:
        await conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg-url", default=os.environ.get("SEALHUB_BENCH_PG_URL", api.DEFAULT_PG))
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--loadgen", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--apps", nargs="*", default=[a for a, _ in APPS], help="a subset")
    args = parser.parse_args()
    org = uuid.uuid4()
    scenario = api.Scenario("floor", "GET /org", "GET", "/org", "/org", 0.5, None)
    rows = []
    with seed.scratch_database(args.pg_url) as url:
        dsn = seed.asyncpg_dsn(url)
        asyncio.run(_prepare(dsn, org))
        env = {**os.environ, "BENCH_FLOOR_DSN": dsn, "BENCH_FLOOR_ORG": str(org)}
        for name, label in [a for a in APPS if a[0] in args.apps]:
            print(f"{name} ...", file=sys.stderr, flush=True)
            cmd = [f"floor_apps:{name}", "--app-dir", str(HERE)]
            with api.server(cmd, env, "/org") as (base, pid):
                result, cpu_ms = api.measure(base + "/org", scenario, "-", [""], args, pid)
            rows.append((name, label, result, cpu_ms))
    base_rps = rows[0][2].rps
    head = f"{'app':12} | {'layers':40} | {'req/s':>6} | {'p50 ms':>6} | {'p99 ms':>6} | "
    head += f"{'errors':>6} | {'CPU ms/req':>10} | {'vs bare':>7}"
    print()
    print(head)
    print("-" * len(head))
    for name, label, res, cpu_ms in rows:
        ratio = res.rps / base_rps if base_rps else 0.0
        print(
            f"{name:12} | {label:40} | {res.rps:6.0f} | {res.p50_ms:6.1f} | {res.p99_ms:6.1f} | "
            f"{res.errors:6d} | {cpu_ms:10.2f} | {ratio:6.2f}x"
        )
    print(
        f"\nload: {rows[0][2].tool}, {args.concurrency} connections, {args.duration:g}s after "
        f"{args.warmup:g}s warm-up; {os.cpu_count()} CPUs; uvicorn 1 worker"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
