"""Device ingest through Mosquitto into PostgreSQL, beside the bare baseline, A/B alternating.

    .venv/bin/python benchmarks/ingest.py [--devices 20] [--messages 200] [--reps 5]

Starts its own Mosquitto (Debian's binary, anonymous, on a free port) and a scratch
PostgreSQL database (SEALHUB_BENCH_PG_URL, default the local postgres), provisions the
devices through the API, then per repetition, alternating:
- platform: signed heartbeats from paho clients -> Mosquitto -> the platform's gateway
  (shared subscription, decode, Ed25519, acceptance, batched Core writes, ack after commit);
- baseline: the same pre-encoded payloads -> Mosquitto -> a plain paho subscriber writing
  the same telemetry rows with COPY in <= 50 ms batches (no decode, no signature).
Prints heartbeats/s (median of --reps), the ratio, and the command round trip (authorise
command -> device ack) p50/p99 beside a bare echo. Exit status 0 whatever the numbers.
Rows not measured here are printed as such.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sealhub.app import create_app
from sealhub.devices.protocol import codec, topics
from sealhub.devices.protocol import messages as m
from sealhub.devices.protocol.signing import Signer
from sealhub.platform.db import migrate
from tests.builders import register_org
from tests.conftest import make_settings
from tests.devices.helpers import provision, root_unit

BARE = "bare/v1"
PG = os.environ.get("SEALHUB_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_mosquitto(d: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    (d / "m.conf").write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
        "max_queued_messages 0\nmax_inflight_messages 0\nset_tcp_nodelay true\n"
        + ("user root\n" if os.geteuid() == 0 else "")
    )
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    proc = subprocess.Popen([binary, "-c", str(d / "m.conf")], stderr=subprocess.DEVNULL)
    for _ in range(100):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc, port
        time.sleep(0.05)
    raise RuntimeError("mosquitto did not start")


def heartbeat(i: int) -> m.Heartbeat:
    return m.Heartbeat(
        battery=80 + i % 20,
        ink_presses=i % 900,
        ink_capacity=1000,
        firmware="1.0.0",
        location=None,
        lock="locked",
        mode="application",
        camera=True,
        signal=-60,
        storage_free_kb=1000,
    )


class Publisher:
    """One paho connection per device, publishing pre-encoded payloads."""

    def __init__(self, port: int, serials: list[str]) -> None:
        self.clients = []
        for serial in serials:
            c = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"pub-{serial}")
            c.on_socket_open = lambda cl, u, s: s.setsockopt(
                socket.IPPROTO_TCP, socket.TCP_NODELAY, 1
            )
            c.max_inflight_messages_set(1000)
            c.connect("127.0.0.1", port)
            c.loop_start()
            self.clients.append((serial, c))

    def send(self, payloads: dict[str, list[bytes]], prefix: str = topics.PREFIX) -> None:
        for serial, c in self.clients:
            topic = f"{prefix}/{serial}/up/heartbeat"
            for p in payloads[serial]:
                c.publish(topic, p, qos=1)

    def close(self) -> None:
        for _, c in self.clients:
            c.disconnect()
            c.loop_stop()


class Baseline:
    """paho subscriber -> rows -> COPY in <= 50 ms batches."""

    def __init__(self, port: int, pg: str, devices: dict[str, tuple[uuid.UUID, uuid.UUID]]):
        self.port, self.pg, self.devices = port, pg, devices
        self.rows: list[tuple[Any, ...]] = []
        self.lock = threading.Lock()
        self.stored = 0

    async def run(self, total: int) -> float:
        conn = await asyncpg.connect(self.pg)
        c = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"base-{uuid.uuid4().hex[:6]}")

        def on_message(client: Any, u: Any, msg: Any) -> None:
            serial = msg.topic.split("/")[2]
            org, dev = self.devices[serial]
            row = (uuid.uuid4(), org, dev, 0, time.time(), 90, 1, 1000, -60, bytes(msg.payload))
            with self.lock:
                self.rows.append(row)

        c.on_message = on_message
        c.connect("127.0.0.1", self.port)
        c.subscribe(f"{BARE}/+/up/#", qos=1)
        c.loop_start()
        await asyncio.sleep(0.3)
        self.t0 = time.perf_counter()
        return await self._drain(conn, c, total)

    async def _drain(self, conn: Any, c: Any, total: int) -> float:
        from datetime import UTC, datetime

        import orjson

        while self.stored < total:
            await asyncio.sleep(0.05)
            with self.lock:
                batch, self.rows = self.rows, []
            if not batch:
                continue
            records = [
                (
                    r[0],
                    r[1],
                    r[2],
                    r[3],
                    datetime.fromtimestamp(r[4], UTC).replace(tzinfo=None),
                    r[5],
                    r[6],
                    r[7],
                    r[8],
                    orjson.loads(r[9])["body"],
                )
                for r in batch
            ]
            await conn.copy_records_to_table(
                "device_telemetry",
                records=[(*r[:9], orjson.dumps(r[9]).decode()) for r in records],
                columns=[
                    "id",
                    "org_id",
                    "device_id",
                    "seq",
                    "at",
                    "battery",
                    "ink_used",
                    "ink_capacity",
                    "signal",
                    "readings",
                ],
            )
            self.stored += len(batch)
        c.disconnect()
        c.loop_stop()
        await conn.close()
        return total / (time.perf_counter() - self.t0)


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--devices", type=int, default=20)
    ap.add_argument("--messages", type=int, default=200, help="heartbeats per device per rep")
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sealhub-bench-ingest-"))
    mq, port = start_mosquitto(work)
    dbname = f"bench_ingest_{uuid.uuid4().hex[:8]}"
    admin_conn = await asyncpg.connect(PG)
    await admin_conn.execute(f'CREATE DATABASE "{dbname}"')
    base_pg = PG.rsplit("/", 1)[0] + f"/{dbname}"
    url = base_pg.replace("postgresql://", "postgresql+asyncpg://")
    try:
        await asyncio.to_thread(migrate.upgrade, url)
        settings = make_settings(
            url, work / "data", mqtt_url=f"mqtt://127.0.0.1:{port}", mqtt_port=0, run_worker=False
        )
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            gw = app.state.runtime.extras["devices.gateway"]
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://b") as client:
                admin = await register_org(client, app)
                unit = await root_unit(admin)
                made = [
                    await provision(admin, unit, serial=f"BENCH-{i:04d}")
                    for i in range(args.devices)
                ]
            signers = {
                d["device"]["serial"]: Signer.from_seed_hex(d["credentials"]["ed25519_seed_hex"])
                for d in made
            }
            ids = {
                d["device"]["serial"]: (uuid.UUID(admin.org_id), uuid.UUID(d["device"]["id"]))
                for d in made
            }
            pub = Publisher(port, list(signers))
            seq = {s: 0 for s in signers}
            total = args.devices * args.messages
            platform_rates, base_rates = [], []
            for rep in range(args.reps):
                now = int(time.time() * 1000)
                payloads: dict[str, list[bytes]] = {}
                for s, signer in signers.items():
                    out = []
                    for i in range(args.messages):
                        seq[s] += 1
                        out.append(
                            codec.encode(heartbeat(i), device=s, seq=seq[s], ts=now, signer=signer)
                        )
                    payloads[s] = out
                # A: the platform
                before = gw.ingest.stats.heartbeats
                t0 = time.perf_counter()
                pub.send(payloads)
                while gw.ingest.stats.heartbeats - before < total:
                    await asyncio.sleep(0.01)
                    if time.perf_counter() - t0 > 120:
                        break
                platform_rates.append(
                    (gw.ingest.stats.heartbeats - before) / (time.perf_counter() - t0)
                )
                # B: the bare baseline, on topics the platform does not hear
                base = Baseline(port, base_pg, ids)
                task = asyncio.create_task(base.run(total))
                await asyncio.sleep(0.5)
                base.t0 = time.perf_counter()
                pub.send(payloads, BARE)
                base_rates.append(await task)
                print(
                    f"rep {rep + 1}: platform {platform_rates[-1]:,.0f}/s, "
                    f"baseline {base_rates[-1]:,.0f}/s",
                    file=sys.stderr,
                )
            pub.close()
        p, b = statistics.median(platform_rates), statistics.median(base_rates)
        print()
        print(
            f"devices {args.devices}, {args.messages} heartbeats each per rep, "
            f"{args.reps} reps, median; {os.cpu_count()} cores"
        )
        print(f"{'row':<52} {'value':>14}")
        print(f"{'heartbeats stored/s, platform (1 process)':<52} {p:>14,.0f}")
        print(f"{'heartbeats stored/s, bare baseline (COPY)':<52} {b:>14,.0f}")
        print(f"{'ratio platform / baseline (target >= 0.6)':<52} {p / b:>14.2f}")
        print(f"{'heartbeats/s, 2 platform processes':<52} {'not measured':>14}")
        print(f"{'command round trip p99 vs bare echo':<52} {'not measured':>14}")
        print(f"{'stamp events with a 200 KB photo':<52} {'not measured':>14}")
    finally:
        mq.terminate()
        await admin_conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        await admin_conn.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
