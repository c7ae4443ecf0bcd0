"""The evidence log on PostgreSQL, each figure beside a bare baseline measured in the same run.

    .venv/bin/python benchmarks/evidence.py [--pg-url URL] [--entries 1000000] [--quick]

Creates a scratch database next to --pg-url (default $SEALHUB_BENCH_PG_URL or
postgresql+asyncpg://postgres@127.0.0.1:5432/test), migrates it, runs:

1. batched appends: batches of 1,000 evidence rows (canonical JSON + leaf hash, one
   executemany, commit) each followed by the integrator (leaf indexes, subtree hashes, tree
   root; a signed head every 1,000) vs a raw asyncpg COPY of the same rows;
2. single durable appends: `service.append_now` (one fact, one autocommit INSERT) vs a raw
   single-row asyncpg INSERT in autocommit, sequentially;
3. proofs at --entries leaves (bulk-loaded by COPY): inclusion and consistency proofs read
   from the database, p50/p99 over 1,000 random proofs each;
4. full store audit of --entries leaves (`audit_store`, tree part) vs reading the same rows
   and rehashing them with hashlib;
5. append -> included in a signed tree head: single appends at a steady rate while
   `integrator.loop` runs, p50/p99 of the delay to the head that covers each;
6. the request path: POST /api/v1/requests (create and submit) in-process on the seeded
   benchmark organisation, alternating blocks with the evidence hook on and off (the same
   code otherwise): mean and p50 ms per create.

Prints a table; drops the database. Benchmarks report, they do not gate.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from seed import asyncpg_dsn, scratch_database  # noqa: E402

from sealhub import contexts  # noqa: E402
from sealhub.evidence import integrator, leaf, merkle, service  # noqa: E402
from sealhub.platform import clock  # noqa: E402
from sealhub.platform.crypto import Envelope  # noqa: E402
from sealhub.platform.db import migrate  # noqa: E402
from sealhub.platform.db.engine import Database  # noqa: E402
from sealhub.platform.ids import new_id  # noqa: E402

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
COLUMNS = ["id", "org_id", "seq", "kind", "source_id", "subject", "data", "leaf", "created_at"]


def fact(i: int, org: uuid.UUID) -> dict[str, Any]:
    """An audit-entry-sized fact (~450 bytes of canonical JSON)."""
    return {
        "v": 1,
        "kind": "audit",
        "id": str(new_id()),
        "org": str(org),
        "at": clock.now().isoformat(),
        "actor_id": str(uuid.uuid4()),
        "actor_name": "张员工",
        "api_key_id": None,
        "action": "request.approve",
        "target_type": "request",
        "target_id": str(uuid.uuid4()),
        "ip": "10.0.0.7",
        "client": "Mozilla/5.0",
        "summary": f"同意申请“销售合同用印”（SQ-{i:08d}）",
        "summary_en": f"Approved “Sales contract” (SQ-{i:08d})",
        "before": {"status": "pending"},
        "after": {"status": "approved", "step": 2},
    }


def raw(row: dict[str, Any]) -> tuple[Any, ...]:
    """A row as asyncpg wants it (timestamp without time zone: naive UTC)."""
    return tuple(row[c].replace(tzinfo=None) if c == "created_at" else row[c] for c in COLUMNS)


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


class Runtime:
    """What the integrator needs of a runtime."""

    def __init__(self, db: Database, envelope: Envelope) -> None:
        self.db, self.envelope = db, envelope

    def transaction(self) -> Any:
        return self.db.transaction()


async def batched(db: Database, pg: asyncpg.Connection, rt: Runtime, n: int) -> tuple[float, float]:
    org = uuid.uuid4()
    facts = [fact(i, org) for i in range(n)]  # the producers' data, made before the clock
    rows = [leaf.fact_entry(org, "audit", f) for f in facts]
    t0 = time.perf_counter()
    for i in range(0, n, 1000):
        # the log's own work: canonical JSON, leaf hash, insert, integrate, sign
        chunk = [leaf.fact_entry(org, "audit", f) for f in facts[i : i + 1000]]
        async with db.transaction() as session:
            await service.repository.insert_entries(session, chunk)
        async with db.transaction() as session:
            await integrator.integrate(session, rt.envelope, org)
    ours = n / (time.perf_counter() - t0)
    await pg.execute("CREATE TABLE bare_copy (LIKE evidence_entries INCLUDING ALL)")
    records = [raw(r) for r in rows]
    t0 = time.perf_counter()
    for i in range(0, n, 1000):
        await pg.copy_records_to_table("bare_copy", records=records[i : i + 1000], columns=COLUMNS)
    bare = n / (time.perf_counter() - t0)
    await pg.execute("DROP TABLE bare_copy")
    return ours, bare


async def single(db: Database, pg: asyncpg.Connection, n: int) -> tuple[float, float]:
    org = uuid.uuid4()
    facts = [fact(i, org) for i in range(n)]
    t0 = time.perf_counter()
    for f in facts:
        await service.append_now(db, org, "audit", f)
    ours = n / (time.perf_counter() - t0)
    await pg.execute("CREATE TABLE bare_one (LIKE evidence_entries INCLUDING ALL)")
    rows = [leaf.fact_entry(org, "audit", f) for f in facts]
    marks = ", ".join(f"${i + 1}" for i in range(len(COLUMNS)))
    stmt = f"INSERT INTO bare_one ({', '.join(COLUMNS)}) VALUES ({marks})"
    t0 = time.perf_counter()
    for r in rows:
        await pg.execute(stmt, *raw(r))
    bare = n / (time.perf_counter() - t0)
    await pg.execute("DROP TABLE bare_one")
    return ours, bare


async def bulk_tree(pg: asyncpg.Connection, n: int) -> uuid.UUID:
    """A tree of n leaves loaded by COPY (entries, every perfect node, the tree row)."""
    org = uuid.uuid4()
    now = clock.now().replace(tzinfo=None)
    leaves, entries = [], []
    for i in range(n):
        data = f'{{"i":{i},"kind":"bench","org":"{org}"}}'
        h = merkle.leaf_hash(data.encode())
        leaves.append(h)
        entries.append((uuid.uuid4(), org, i, "bench", str(i), None, data, h, now))
    for i in range(0, n, 100_000):
        await pg.copy_records_to_table(
            "evidence_entries", records=entries[i : i + 100_000], columns=COLUMNS
        )
    nodes = merkle.build(leaves)
    inner = [(org, lv, ix, h) for (lv, ix), h in nodes.items() if lv > 0]
    await pg.copy_records_to_table(
        "evidence_nodes", records=inner, columns=["org_id", "level", "idx", "hash"]
    )
    await pg.execute(
        "INSERT INTO evidence_trees (org_id, size, root, signed_size) VALUES ($1, $2, $3, $2)",
        org,
        n,
        merkle.root_of(n, nodes),
    )
    await pg.execute("ANALYZE evidence_entries; ANALYZE evidence_nodes")
    return org


async def proofs(db: Database, org: uuid.UUID, n: int, count: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"inclusion": [], "consistency": []}
    rng = random.Random(7)
    for _ in range(count):
        idx = rng.randrange(n)
        async with db.read_sessions() as session:
            t0 = time.perf_counter()
            await service.inclusion_at(session, org, idx, n)
            out["inclusion"].append((time.perf_counter() - t0) * 1000)
        first = rng.randrange(1, n)
        async with db.read_sessions() as session:
            t0 = time.perf_counter()
            await service.consistency_at(session, org, first, n)
            out["consistency"].append((time.perf_counter() - t0) * 1000)
    return out


async def audit(db: Database, pg: asyncpg.Connection, org: uuid.UUID) -> tuple[float, float]:
    t0 = time.perf_counter()
    async with db.transaction() as session:
        report = await service.audit_store(session, org, sources=False, save=False)
    ours = time.perf_counter() - t0
    assert report.ok, report.render()
    t0 = time.perf_counter()
    async with pg.transaction():
        cur = pg.cursor(
            "SELECT seq, data FROM evidence_entries WHERE org_id = $1 ORDER BY seq",
            org,
            prefetch=20_000,
        )
        async for r in cur:
            hashlib.sha256(b"\x00" + r["data"].encode()).digest()
    bare = time.perf_counter() - t0
    return ours, bare


async def to_signed_head(db: Database, rt: Runtime, seconds: float, rate: float) -> list[float]:
    org = uuid.uuid4()
    stop = asyncio.Event()
    task = asyncio.create_task(integrator.loop(rt, stop))  # type: ignore[arg-type]
    sent: list[tuple[str, float]] = []
    t_end = time.perf_counter() + seconds
    while time.perf_counter() < t_end:
        f = fact(len(sent), org)
        await service.append_now(db, org, "audit", f)
        sent.append((f["id"], time.time()))
        await asyncio.sleep(1 / rate)
    await asyncio.sleep(2)
    stop.set()
    await task
    async with db.read_sessions() as session:
        conn = await session.connection()
        seqs = {
            r[0]: r[1]
            for r in await conn.exec_driver_sql(
                f"SELECT source_id, seq FROM evidence_entries WHERE org_id = '{org}'"
            )
        }
        heads = list(
            await conn.exec_driver_sql(
                f"SELECT size, created_at FROM evidence_heads WHERE org_id = '{org}' ORDER BY size"
            )
        )
    delays = []
    for sid, t in sent:
        seq = seqs.get(sid)
        head = next((h for h in heads if seq is not None and h[0] > seq), None)
        if head is None:
            delays.append(float("inf"))
            continue
        at = head[1].replace(tzinfo=clock.now().tzinfo).timestamp()
        delays.append((at - t) * 1000)
    return delays


class Rows(list[tuple[str, str, str, str]]):
    """The table's rows, each also printed as soon as it is measured."""

    def append(self, row: tuple[str, str, str, str]) -> None:
        print(" | ".join(row), flush=True)
        super().append(row)


async def main_async(args: argparse.Namespace, url: str) -> list[tuple[str, str, str, str]]:
    contexts.load_models()
    db = Database(url, pool_size=5)
    rt = Runtime(db, Envelope(os.urandom(32)))
    pg = await asyncpg.connect(asyncpg_dsn(url))
    rows = Rows()
    try:
        n_batch = 20_000 if args.quick else 100_000
        ours, bare = await batched(db, pg, rt, n_batch)
        rows.append(
            (
                f"batched appends ({n_batch:,}, 1,000/commit, integrated)",
                f"{ours:,.0f}/s",
                f"COPY {bare:,.0f}/s",
                f"{ours / bare:.2f}x (goal >= 0.10x, >= 17,500/s)",
            )
        )
        n_single = 300 if args.quick else 2000
        ours, bare = await single(db, pg, n_single)
        rows.append(
            (
                f"single durable appends ({n_single:,})",
                f"{ours:,.0f}/s",
                f"INSERT autocommit {bare:,.0f}/s",
                f"{ours / bare:.2f}x (goal >= 0.7x)",
            )
        )
        t0 = time.perf_counter()
        org = await bulk_tree(pg, args.entries)
        load_s = time.perf_counter() - t0
        lat = await proofs(db, org, args.entries, 200 if args.quick else 1000)
        for kind, values in lat.items():
            rows.append(
                (
                    f"{kind} proof at {args.entries:,}",
                    f"p50 {pct(values, 50):.2f} ms, p99 {pct(values, 99):.2f} ms",
                    "-",
                    f"p99 <= 5 ms: {'PASS' if pct(values, 99) <= 5 else 'FAIL'}",
                )
            )
        ours, bare = await audit(db, pg, org)
        rows.append(
            (
                f"full audit of {args.entries:,}",
                f"{ours:.2f} s",
                f"read + rehash {bare:.2f} s",
                f"{ours / bare:.2f}x (goal <= 3x and <= 10 s)",
            )
        )
        delays = await to_signed_head(db, rt, 5 if args.quick else 15, 100)
        rows.append(
            (
                f"append -> signed head ({len(delays)} appends at 100/s)",
                f"p50 {pct(delays, 50):.0f} ms, p99 {pct(delays, 99):.0f} ms",
                "-",
                f"p99 <= 1000 ms: {'PASS' if pct(delays, 99) <= 1000 else 'FAIL'}",
            )
        )
        print(f"(bulk load of {args.entries:,} leaves and their subtree hashes: {load_s:.1f} s)")
    finally:
        await pg.close()
        await db.dispose()
    return rows


async def request_path(
    settings: Any, seeded: Any, rounds: int, block: int
) -> dict[str, list[float]]:
    import httpx
    from seed import create_body

    from sealhub.app import create_app
    from sealhub.platform.db import appends

    hooks = dict(appends._LISTENERS)
    app = create_app(settings)
    times: dict[str, list[float]] = {"on": [], "off": []}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 1))
        headers = {"Authorization": f"Bearer {seeded.token}"}
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            n = 0
            for r in range(rounds * 2 + 1):
                mode = "on" if r % 2 == 0 else "off"
                appends._LISTENERS.clear()
                if mode == "on":
                    appends._LISTENERS.update(hooks)
                for _ in range(block):
                    n += 1
                    t0 = time.perf_counter()
                    resp = await http.post(
                        "/api/v1/requests", json=create_body(seeded, n), headers=headers
                    )
                    elapsed = (time.perf_counter() - t0) * 1000
                    assert resp.status_code == 201, resp.text
                    if r:  # the first block warms up
                        times[mode].append(elapsed)
    appends._LISTENERS.clear()
    appends._LISTENERS.update(hooks)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg-url", default=os.environ.get("SEALHUB_BENCH_PG_URL", DEFAULT_PG))
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="smaller runs (a rough look)")
    parser.add_argument(
        "--only-request-path", action="store_true", help="only section 6 (the hook's cost)"
    )
    args = parser.parse_args()
    load = os.getloadavg()[0]
    rows: list[tuple[str, str, str, str]] = Rows()
    if not args.only_request_path:
        with scratch_database(args.pg_url) as url:
            migrate.upgrade(url)
            rows = asyncio.run(main_async(args, url))
    import base64
    import tempfile

    from seed import make_settings, seed

    try:
        with scratch_database(args.pg_url) as url, tempfile.TemporaryDirectory() as data:
            settings = make_settings(
                url,
                Path(data),
                base64.b64encode(os.urandom(32)).decode(),
                run_worker=False,
                untrusted_seconds=60,
            )
            seeded = seed(settings)
            times = asyncio.run(request_path(settings, seeded, 3, 30 if args.quick else 100))
        on, off = times["on"], times["off"]
        rows.append(
            (
                f"create request in-process ({len(on)} with hook / {len(off)} without)",
                f"mean {statistics.mean(on):.2f} ms, p50 {pct(on, 50):.2f} ms",
                f"without hook: mean {statistics.mean(off):.2f} ms, p50 {pct(off, 50):.2f} ms",
                f"{statistics.mean(off) / statistics.mean(on):.2f}x the speed without",
            )
        )
    except Exception as exc:  # the other rows still print
        print(f"request path not measured: {exc!r}"[:300])
    header = ("what", "evidence log", "bare baseline", "ratio / goal")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    print()
    for r in [header, *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))
    print(f"load average before: {load:.1f} on {os.cpu_count()} CPUs (busy machine: noisy)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
