"""SealHub API benchmark on PostgreSQL against a bare Starlette + asyncpg baseline.

    .venv/bin/python benchmarks/api.py [--pg-url URL] [--duration 10] [--concurrency 64]

Creates a scratch database next to --pg-url (default $SEALHUB_BENCH_PG_URL or
postgresql+asyncpg://postgres@127.0.0.1:5432/test), migrates and seeds it in-process
(benchmarks/seed.py), then runs, one after another, each scenario against

- bare:    benchmarks/bare.py under uvicorn (1 worker), asyncpg pool of 15 (= SQLAlchemy's
           default 5 + 10 overflow), no auth, no validating reads; run first and again
           last, the faster run is the baseline;
- layers:  benchmarks/layers.py, the bare handler's work on FastAPI, with a `yield`
           dependency, through SQLAlchemy's execution layer, and both (skip: --no-layers);
           what they leave of bare's speed is the most SealHub's code could keep;
- sealhub: `sealhub.app:create_app` under uvicorn (1 worker), SEALHUB_LOG_LEVEL=WARNING,
           SEALHUB_RUN_WORKER=true (the outbox relay delivers its own events during the run),
           bearer session token of the applicant (actor cached in --cache-url).

Scenarios: read = GET /api/v1/org (one primary-key SELECT, JSON out); create = POST
/api/v1/requests with submit=true (validation, inserts, audit, outbox). Load comes from wrk
(Debian `wrk`, one thread) when installed, else a Python asyncio/httpx client in its own
process. Prints a table, writes benchmarks/results/latest.json, drops the database. Exit
status 0 whatever the numbers (benchmarks report, they do not gate); non-zero only when
setup fails.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import platform
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import load  # noqa: E402
import seed  # noqa: E402

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
BARE_POOL = 15
# benchmarks/layers.py: the framework and toolkit under SealHub, each doing bare's work
LAYERS = ("fastapi", "fastapi_dep", "starlette_sa", "fastapi_sa")
# the latency goal also measured below saturation (open loop, see --paced-rate)
PACED = ("bare", "sealhub")


@dataclass
class Scenario:
    key: str
    label: str
    method: str
    sealhub_path: str
    bare_path: str
    min_ratio: float
    max_p99_ms: float | None

    def goal(self) -> str:
        parts = [f">= {self.min_ratio:g}x bare"]
        if self.max_p99_ms is not None:
            parts.insert(0, f"p99 <= {self.max_p99_ms:g} ms")
        return ", ".join(parts)


SCENARIOS = [
    Scenario("read", "read  GET /api/v1/org", "GET", "/api/v1/org", "/org", 0.5, None),
    Scenario(
        "create", "create POST /api/v1/requests", "POST", "/api/v1/requests", "/requests", 0.4, 50
    ),
]


@dataclass
class Row:
    scenario: str
    target: str
    tool: str
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    requests: int
    errors: int
    ratio_vs_bare: float | None
    goal: str
    passed: bool | None
    sql_statements: int | None
    server_cpu_ms_per_req: float


# ---- servers ----


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(cmd: list[str], env: dict[str, str], ready_path: str) -> Iterator[tuple[str, int]]:
    """A uvicorn subprocess on a free port; yields (base URL, pid), terminates it afterwards."""
    port = free_port()
    full = [
        sys.executable,
        "-m",
        "uvicorn",
        *cmd,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(full, env=env, cwd=ROOT, stdout=log, stderr=log)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                if proc.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(f"server exited: {log.read().decode()[-3000:]}")
                try:
                    if httpx.get(url + ready_path, timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{cmd[0]} not ready on {url}")
                time.sleep(0.2)
            yield url, proc.pid
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.seek(0)
            tail = log.read().decode(errors="replace").strip()
            if tail:
                print(f"--- {cmd[0]} log (tail) ---\n{tail[-1500:]}", file=sys.stderr)


def sealhub_env(settings: Any, cache_url: str, run_worker: bool) -> dict[str, str]:
    return {
        **os.environ,
        "SEALHUB_DATABASE_URL": settings.database_url,
        "SEALHUB_DATA_DIR": str(settings.data_dir),
        "SEALHUB_MASTER_KEY": settings.master_key,
        "SEALHUB_CACHE_URL": cache_url,
        "SEALHUB_JOBS_URL": "memory://",
        "SEALHUB_SMS_PROVIDER": "capture",
        "SEALHUB_LOG_LEVEL": "WARNING",
        "SEALHUB_RUN_WORKER": "true" if run_worker else "false",
    }


def bare_env(database_url: str, facts: dict[str, Any]) -> dict[str, str]:
    return {
        **os.environ,
        "BENCH_BARE_DSN": seed.asyncpg_dsn(database_url),
        "BENCH_BARE_FACTS": json.dumps(facts),
        "BENCH_BARE_POOL": str(BARE_POOL),
    }


# ---- the run ----


def sanity(url: str, scenario: Scenario, token: str, body: str) -> None:
    """One request before loading: the endpoint answers 2xx (else the numbers mean nothing)."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    r = httpx.request(
        scenario.method,
        url,
        headers=headers,
        content=body.encode() if scenario.method != "GET" else None,
        timeout=30,
    )
    if not 200 <= r.status_code < 300:
        raise RuntimeError(f"{scenario.method} {url} -> {r.status_code}: {r.text[:500]}")


def cpu_seconds(pid: int) -> float:
    """user + system CPU time of a process (Linux /proc), 0 elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(
    url: str,
    scenario: Scenario,
    token: str,
    bodies: list[str],
    args: argparse.Namespace,
    pid: int,
    rate: float | None = None,
) -> tuple[load.LoadResult, float]:
    """The load result and the server's CPU milliseconds per request during it."""
    sanity(url, scenario, token, bodies[0])
    common = {
        "method": scenario.method,
        "token": token,
        "bodies": bodies,
        "concurrency": args.concurrency,
        "tool": args.loadgen,
        "rate": rate,
    }
    load.run(url, duration=args.warmup, **common)
    cpu = cpu_seconds(pid)
    result = load.run(url, duration=args.duration, **common)
    cpu = cpu_seconds(pid) - cpu
    return result, (cpu * 1000 / result.requests if result.requests else 0.0)


async def _sql(database_url: str, statement: str) -> None:
    conn = await asyncpg.connect(seed.asyncpg_dsn(database_url))
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def between_targets(database_url: str) -> None:
    """The bare handler's outbox rows are nobody's work: mark them delivered; fresh stats."""
    asyncio.run(
        _sql(
            database_url,
            "UPDATE outbox_events SET delivered_at = now() WHERE delivered_at IS NULL",
        )
    )
    asyncio.run(_sql(database_url, "VACUUM ANALYZE"))


def statement_counts(trace: dict[str, list[tuple[str, Any]]]) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for key, statements in trace.items():
        kinds: dict[str, int] = {}
        for stmt, _ in statements:
            word = stmt.lstrip().split(None, 1)[0].upper()
            kinds[word] = kinds.get(word, 0) + 1
        counts[key] = {"total": len(statements), **kinds}
    return counts


BARE_STATEMENTS = {
    # BEGIN/COMMIT not counted (SQLAlchemy's trace does not see them either)
    "read": {"total": 1, "SELECT": 1},
    # advisory lock, max(number); INSERTs: request, document link, item, 3 events
    # (executemany, pipelined), task, 2 audit entries (executemany), outbox: 8 round trips
    "create": {"total": 12, "SELECT": 2, "INSERT": 10},
}


def run(
    args: argparse.Namespace,
) -> tuple[list[Row], seed.Seeded, dict[str, load.LoadResult]]:
    master_key = base64.b64encode(os.urandom(32)).decode()
    results: dict[tuple[str, str], tuple[load.LoadResult, float]] = {}
    paced: dict[str, load.LoadResult] = {}
    with (
        seed.scratch_database(args.pg_url) as database_url,
        tempfile.TemporaryDirectory(prefix="sealhub-bench-") as data_dir,
    ):
        settings = seed.make_settings(
            database_url, Path(data_dir), master_key, cache_url=args.cache_url
        )
        print(f"seeding {database_url.rsplit('/', 1)[-1]} ...", file=sys.stderr)
        seeded = seed.seed(settings)
        bodies = [json.dumps(seed.create_body(seeded, n)) for n in range(len(seeded.document_ids))]
        asyncio.run(_sql(database_url, "VACUUM ANALYZE"))
        env = bare_env(database_url, seeded.facts)
        targets = [("bare", ["bare:app", "--app-dir", str(HERE)], env)]
        if not args.no_layers:
            targets += [(t, [f"layers:{t}", "--app-dir", str(HERE)], env) for t in LAYERS]
        targets.append(
            (
                "sealhub",
                ["sealhub.app:create_app", "--factory"],
                sealhub_env(settings, args.cache_url, not args.no_worker),
            )
        )
        # bare again at the end: the first writes of a fresh database run slower (new WAL
        # segments...); the faster of its two runs is the baseline, so ratios err low
        targets.append(targets[0])
        for target, cmd, target_env in targets:
            ready = "/readyz" if target == "sealhub" else "/healthz"
            with server(cmd, target_env, ready) as (base, pid):
                for sc in SCENARIOS:
                    path = sc.sealhub_path if target == "sealhub" else sc.bare_path
                    print(f"{sc.key:6} {target:12} ...", file=sys.stderr, flush=True)
                    result = measure(base + path, sc, seeded.token, bodies, args, pid)
                    earlier = results.get((sc.key, target))
                    if earlier is None or result[0].rps > earlier[0].rps:
                        results[(sc.key, target)] = result
                    if (
                        sc.max_p99_ms is not None
                        and args.paced_rate
                        and target in PACED
                        and target not in paced
                    ):
                        print(f"{sc.key:6} {target:12} paced ...", file=sys.stderr, flush=True)
                        paced[target] = measure(
                            base + path, sc, seeded.token, bodies, args, pid, args.paced_rate
                        )[0]
            if target != "sealhub":
                between_targets(database_url)
    sealhub_sql = statement_counts(seeded.trace)
    rows: list[Row] = []
    for sc in SCENARIOS:
        bare = results[(sc.key, "bare")][0]
        for target in dict.fromkeys(t for t, _, _ in targets):
            res, cpu_ms = results[(sc.key, target)]
            ratio = passed = None
            if target != "bare":
                ratio = res.rps / bare.rps if bare.rps else 0.0
            if target == "sealhub":
                passed = ratio is not None and ratio >= sc.min_ratio and res.errors == 0
                if sc.max_p99_ms is not None:
                    passed = passed and res.p99_ms <= sc.max_p99_ms
            counts = sealhub_sql if target == "sealhub" else BARE_STATEMENTS
            rows.append(
                Row(
                    scenario=sc.label,
                    target=target,
                    tool=res.tool,
                    requests_per_s=round(res.rps, 1),
                    p50_ms=round(res.p50_ms, 2),
                    p99_ms=round(res.p99_ms, 2),
                    max_ms=round(res.max_ms, 2),
                    requests=res.requests,
                    errors=res.errors,
                    ratio_vs_bare=round(ratio, 3) if ratio is not None else None,
                    goal=sc.goal() if target == "sealhub" else "",
                    passed=passed,
                    sql_statements=counts.get(sc.key, {}).get("total"),
                    server_cpu_ms_per_req=round(cpu_ms, 2),
                )
            )
    return rows, seeded, paced


def table(rows: list[Row]) -> str:
    head = [
        "scenario",
        "target",
        "requests/s",
        "p50 ms",
        "p99 ms",
        "errors",
        "SQL/req",
        "CPU ms/req",
        "ratio vs bare",
        "goal",
        "pass/fail",
    ]
    lines = [
        [
            r.scenario,
            r.target,
            f"{r.requests_per_s:.0f}",
            f"{r.p50_ms:.1f}",
            f"{r.p99_ms:.1f}",
            str(r.errors),
            str(r.sql_statements) if r.sql_statements is not None else "",
            f"{r.server_cpu_ms_per_req:.2f}",
            f"{r.ratio_vs_bare:.2f}x" if r.ratio_vs_bare is not None else "",
            r.goal,
            {True: "PASS", False: "FAIL", None: ""}[r.passed],
        ]
        for r in rows
    ]
    widths = [max(len(h), *(len(x[i]) for x in lines)) for i, h in enumerate(head)]
    numeric = {2, 3, 4, 5, 6, 7, 8}

    def fmt(cells: list[str]) -> str:
        return " | ".join(
            c.rjust(w) if i in numeric else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    sep = "-+-".join("-" * w for w in widths)
    return "\n".join([fmt(head), sep, *(fmt(x) for x in lines)])


def main() -> int:
    parser = argparse.ArgumentParser(
        description="SealHub API benchmark vs a bare Starlette + asyncpg handler (PostgreSQL)."
    )
    parser.add_argument(
        "--pg-url", default=os.environ.get("SEALHUB_BENCH_PG_URL", DEFAULT_PG), help="async URL"
    )
    parser.add_argument("--duration", type=float, default=10, help="seconds measured per run")
    parser.add_argument("--warmup", type=float, default=2, help="seconds of warm-up per run")
    parser.add_argument("--concurrency", type=int, default=64, help="open connections")
    parser.add_argument(
        "--loadgen", choices=["auto", "wrk", "python"], default="auto", help="auto: wrk if found"
    )
    parser.add_argument(
        "--cache-url", default="memory://", help="SealHub actor cache (e.g. redis://...)"
    )
    parser.add_argument(
        "--no-worker", action="store_true", help="SEALHUB_RUN_WORKER=false (no outbox relay)"
    )
    parser.add_argument(
        "--no-layers", action="store_true", help="skip the layer targets (benchmarks/layers.py)"
    )
    parser.add_argument(
        "--paced-rate",
        type=float,
        default=50,
        help="also load create at this many requests/s over the connections (open loop, "
        "Python client) for its latency below saturation; 0: skip",
    )
    parser.add_argument("--out", type=Path, default=HERE / "results" / "latest.json")
    args = parser.parse_args()
    if args.loadgen == "wrk" and not load.have_wrk():
        parser.error("wrk not found (apt-get install -y wrk)")

    load_before = os.getloadavg()[0]
    rows, seeded, paced = run(args)
    load_after = os.getloadavg()[0]
    print()
    print(table(rows))
    sql = statement_counts(seeded.trace)
    print()
    # reads run in autocommit (no BEGIN/COMMIT); writes add BEGIN and COMMIT to the count
    framing = {"read": "", "create": " + BEGIN/COMMIT"}
    for key in ("read", "create"):
        kinds = ", ".join(f"{k} {v}" for k, v in sql[key].items() if k != "total")
        print(
            f"SQL per {key}: sealhub {sql[key]['total']} ({kinds}){framing[key]};"
            f" bare {BARE_STATEMENTS[key]['total']}."
            f" In-process single {key}: {seeded.inproc_ms[key]:.1f} ms"
        )
    if paced:
        goal = next(sc.max_p99_ms for sc in SCENARIOS if sc.max_p99_ms is not None)
        print(
            f"\ncreate below saturation: {args.paced_rate:g} requests/s on a fixed schedule over "
            f"{args.concurrency} connections (open loop, Python client; latency from the "
            "scheduled start)"
        )
        for target, res in paced.items():
            verdict = "PASS" if res.p99_ms <= goal and not res.errors else "FAIL"
            print(
                f"  {target:8} {res.requests / res.seconds:6.1f} req/s  p50 {res.p50_ms:7.1f} ms"
                f"  p99 {res.p99_ms:7.1f} ms  max {res.max_ms:7.1f} ms  errors {res.errors}"
                f"  (p99 <= {goal:g} ms: {verdict})"
            )
    tool = rows[0].tool
    print(
        f"load: {tool}, {args.concurrency} connections, {args.duration:g}s after "
        f"{args.warmup:g}s warm-up; {os.cpu_count()} CPUs; servers: uvicorn 1 worker each;"
        " bare: the faster of its runs first and last"
    )
    print(
        f"load average {load_before:.1f} before, {load_after:.1f} after"
        + ("  (machine busy: compare CPU ms/req, not requests/s)" if load_before > 1 else "")
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "machine": {
                    "cpus": os.cpu_count(),
                    "python": platform.python_version(),
                    "loadavg_before": load_before,
                    "loadavg_after": load_after,
                },
                "settings": {
                    "duration_s": args.duration,
                    "warmup_s": args.warmup,
                    "concurrency": args.concurrency,
                    "loadgen": tool,
                    "cache_url": args.cache_url,
                    "run_worker": not args.no_worker,
                    "bare_pool": BARE_POOL,
                },
                "rows": [asdict(r) for r in rows],
                "paced_create": {
                    "rate_per_s": args.paced_rate,
                    **{t: asdict(r) for t, r in paced.items()},
                },
                "sealhub_sql": sql,
                "sealhub_sql_text": {
                    k: [re.sub(r"\s+", " ", s)[:200] for s, _ in v] for k, v in seeded.trace.items()
                },
                "bare_sql": BARE_STATEMENTS,
                "inprocess_single_request_ms": seeded.inproc_ms,
            },
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )
    print(f"wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
