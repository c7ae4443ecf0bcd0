"""Sign-in storm: 64 concurrent wrong-password sign-ins against one account while another
person keeps reading. Does the storm slow anyone else down?

    .venv/bin/python benchmarks/signin_storm.py [--db-url URL] [--duration 10] [--storm 64]

Starts a real server (`sealhub.app:create_app` under uvicorn, 1 worker, production Argon2
cost) on a fresh database: a SQLite file by default, or a scratch database next to
--db-url (PostgreSQL). Signs up two organisations through the API. Then

- quiet: the reader (its own process, one request at a time, GET /api/v1/auth/me with a
  bearer token) alone for --duration seconds;
- storm: the same reader while --storm clients (another process) post wrong passwords for
  the other account as fast as they are answered.

The attackers' client process runs at nice 10 (on a real deployment it is not on the
server's machine). Per-IP sign-in limits are lifted on the server (an attacker with many
addresses): only the per-account delays and the hashing pool protect the reader.
Prints a table; the goal is the reader's storm p99 within 2x its quiet p99 and no 5xx.
Exit status 0 whatever the numbers; non-zero only when setup fails.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import orjson

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from api import server  # noqa: E402

PASSWORD = "Passw0rd!storm"


@dataclass
class Sample:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)

    def pct(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


@contextmanager
def database(db_url: str | None, data_dir: Path) -> Iterator[str]:
    if not db_url:
        yield f"sqlite+aiosqlite:///{data_dir / 'storm.sqlite'}"
        return
    import seed

    with seed.scratch_database(db_url) as url:
        yield url


def server_env(database_url: str, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEALHUB_")}
    env.update(
        SEALHUB_DATABASE_URL=database_url,
        SEALHUB_DATA_DIR=str(data_dir),
        SEALHUB_SMS_PROVIDER="capture",
        SEALHUB_SMS_RESEND_SECONDS="0",
        SEALHUB_LOG_LEVEL="WARNING",
        SEALHUB_CACHE_URL="memory://",
        SEALHUB_JOBS_URL="memory://",
        # the attacker has many addresses: leave only the per-account defences
        SEALHUB_LOGIN_PER_IP_PER_MINUTE="100000000",
        SEALHUB_LOGIN_IP_MAX_FAILURES="100000000",
        SEALHUB_SMS_PER_IP_PER_HOUR="100000",
    )
    return env


def _sms_code(data_dir: Path, phone: str) -> str:
    code = None
    for raw in (data_dir / "sms-capture.jsonl").read_bytes().splitlines():
        item = orjson.loads(raw)
        if item["phone"] == phone:
            code = item["params"]["code"]
    assert code, phone
    return code


def sign_up(base: str, data_dir: Path, phone: str, org: str) -> str:
    """Register a person with a new organisation; returns a bearer token."""
    with httpx.Client(base_url=base, timeout=60) as http:
        r = http.post("/api/v1/auth/sms-codes", json={"phone": phone, "purpose": "register"})
        r.raise_for_status()
        body = {
            "phone": phone,
            "code": _sms_code(data_dir, phone),
            "password": PASSWORD,
            "real_name": "压测",
            "create_org": {"name": org},
        }
        r = http.post("/api/v1/auth/register", json=body)
        r.raise_for_status()
        return str(r.json()["token"])


async def _read_loop(base: str, token: str, seconds: float) -> Sample:
    sample = Sample()
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, timeout=120, headers=headers) as http:
        await http.get("/api/v1/auth/me")  # warm the connection and the actor cache
        stop = time.perf_counter() + seconds
        while time.perf_counter() < stop:
            start = time.perf_counter()
            r = await http.get("/api/v1/auth/me")
            sample.latencies_ms.append((time.perf_counter() - start) * 1000)
            sample.statuses[r.status_code] += 1
            await asyncio.sleep(0.01)
    return sample


async def _storm_loop(base: str, phone: str, clients: int, seconds: float) -> Sample:
    sample = Sample()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as http:
        stop = time.perf_counter() + seconds

        async def one(n: int) -> None:
            while time.perf_counter() < stop:
                start = time.perf_counter()
                try:
                    r = await http.post(
                        "/api/v1/auth/login", json={"phone": phone, "password": f"wrong-{n}x1"}
                    )
                    status = r.status_code
                except httpx.HTTPError:
                    status = 0  # connection refused/reset: counted as a failure
                sample.latencies_ms.append((time.perf_counter() - start) * 1000)
                sample.statuses[status] += 1

        await asyncio.gather(*(one(n) for n in range(clients)))
    return sample


def _in_process(kind: str, args: tuple[object, ...], out: multiprocessing.Queue[Sample]) -> None:
    if kind == "read":
        out.put(asyncio.run(_read_loop(*args)))  # type: ignore[arg-type]
    else:
        # the attackers' load generator would run on other machines: here it shares the
        # two cores, so it yields them to the server and the reader
        os.nice(10)
        out.put(asyncio.run(_storm_loop(*args)))  # type: ignore[arg-type]


def run_phase(
    base: str, token: str, victim: str, clients: int, seconds: float
) -> tuple[Sample, Sample | None]:
    """The reader, and the storm if `clients`, each in a process of its own."""
    ctx = multiprocessing.get_context("spawn")
    reads: multiprocessing.Queue[Sample] = ctx.Queue()
    storms: multiprocessing.Queue[Sample] = ctx.Queue()
    procs = [ctx.Process(target=_in_process, args=("read", (base, token, seconds), reads))]
    if clients:
        procs.append(
            ctx.Process(
                target=_in_process, args=("storm", (base, victim, clients, seconds + 1), storms)
            )
        )
        procs[-1].start()
        time.sleep(1.0)  # the storm is at full strength before the reader starts
    procs[0].start()
    read = reads.get(timeout=seconds + 300)
    storm = storms.get(timeout=seconds + 300) if clients else None
    for p in procs:
        p.join(30)
    return read, storm


def table(quiet: Sample, storm_read: Sample, storm: Sample, clients: int) -> str:
    def statuses(s: Sample) -> str:
        return " ".join(f"{k}:{v}" for k, v in sorted(s.statuses.items()))

    head = ["phase", "who", "requests", "p50 ms", "p99 ms", "statuses"]
    rows = [
        ["quiet", "reader", quiet],
        ["storm", "reader", storm_read],
        ["storm", f"{clients} attackers", storm],
    ]
    cells = [
        [p, w, str(len(s.latencies_ms)), f"{s.pct(50):.1f}", f"{s.pct(99):.1f}", statuses(s)]
        for p, w, s in rows  # type: ignore[misc]
    ]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(head)]

    def fmt(c: list[str]) -> str:
        return " | ".join(
            x.rjust(w) if 2 <= i <= 4 else x.ljust(w)
            for i, (x, w) in enumerate(zip(c, widths, strict=True))
        )

    return "\n".join([fmt(head), "-+-".join("-" * w for w in widths), *(fmt(c) for c in cells)])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db-url", default="", help="async PostgreSQL URL (default: SQLite)")
    parser.add_argument("--duration", type=float, default=10, help="seconds per phase")
    parser.add_argument("--storm", type=int, default=64, help="concurrent wrong-password clients")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="sealhub-storm-") as tmp:
        data_dir = Path(tmp)
        with database(args.db_url or None, data_dir) as url:
            env = server_env(url, data_dir)
            from sealhub.platform.db import migrate

            migrate.upgrade(url)
            cmd = ["sealhub.app:create_app", "--factory"]
            with server(cmd, env, "/readyz") as (base, _pid):
                victim, reader = "+8613900000001", "+8613900000002"
                sign_up(base, data_dir, victim, "被攻击的公司")
                token = sign_up(base, data_dir, reader, "旁观的公司")
                print("quiet ...", file=sys.stderr, flush=True)
                quiet, _ = run_phase(base, token, victim, 0, args.duration)
                print("storm ...", file=sys.stderr, flush=True)
                storm_read, storm = run_phase(base, token, victim, args.storm, args.duration)
    assert storm is not None
    backend = "PostgreSQL" if args.db_url else "SQLite"
    print(
        f"signin_storm: {backend}, uvicorn 1 worker, Argon2id t=3 m=64MiB, "
        f"{args.duration:g}s per phase, {os.cpu_count()} CPUs, attackers' client at nice 10"
    )
    print(table(quiet, storm_read, storm, args.storm))
    fives = sum(v for k, v in (storm.statuses + storm_read.statuses).items() if k >= 500 or k == 0)
    ratio = storm_read.pct(99) / quiet.pct(99)
    ok = ratio <= 2 and fives == 0
    print(
        f"goal: reader storm p99 <= 2x quiet p99 and no 5xx -> {ratio:.2f}x, "
        f"{fives} x 5xx/errors: {'PASS' if ok else 'FAIL'}"
    )
    print(
        f"reader median quiet/storm: {statistics.median(quiet.latencies_ms):.1f} / "
        f"{statistics.median(storm_read.latencies_ms):.1f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
