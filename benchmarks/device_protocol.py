"""Device protocol codec on one core: what the platform pays per uplink before any I/O.

    .venv/bin/python benchmarks/device_protocol.py [--n 20000] [--reps 5]

Rows (median of --reps runs of --n messages each, alternating with the floor):
- floor: orjson.loads + one Ed25519 verify of the same bytes (the least any signed JSON
  protocol can cost);
- decode: sealhub.devices.protocol.codec.decode (parse, canonical-form check, typed body);
- decode+verify: decode, then the signature with a cached key;
- +accept+chain: the acceptance window and the journal chain check of a record (what the
  ingest does per message before writing);
- encode+sign: what a device (or the simulator) pays per message.
Exit status 0 whatever the numbers.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import orjson

from sealhub.devices.protocol import acceptance, codec
from sealhub.devices.protocol import messages as m
from sealhub.devices.protocol.journal import ChainTracker, Journal
from sealhub.devices.protocol.signing import Signer

SERIAL = "BENCH-0001"
T0 = 1_790_000_000_000


def heartbeat() -> m.Heartbeat:
    return m.Heartbeat(
        battery=87,
        ink_presses=312,
        ink_capacity=1000,
        firmware="1.4.2",
        location=m.Location(src="gps", lat_e7=311_230_000, lon_e7=1_214_730_000, acc_m=8),
        lock="locked",
        mode="application",
        camera=True,
        signal=-71,
        storage_free_kb=6_000_000,
    )


def stamp(i: int) -> m.StampData:
    return m.StampData(
        auth="0193c1f2-7a2b-7c3d-8e4f-5a6b7c8d9e0f",
        item="0193c1f2-7a2b-7c3d-8e4f-5a6b7c8d9e10",
        person="0193c1f2-7a2b-7c3d-8e4f-5a6b7c8d9e11",
        fp_slot=None,
        location=None,
        photos=(f"{i:064x}",),
        presses_left=100 - i % 100,
        emergency=False,
    )


def timed(n: int, fn: Callable[[int], object]) -> float:
    start = time.perf_counter()
    for i in range(n):
        fn(i)
    return n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    n = args.n
    key = Signer.from_seed(b"\x01" * 32)
    verifier = key.verifier()
    hb = [codec.encode(heartbeat(), device=SERIAL, seq=i + 1, ts=T0, signer=key) for i in range(n)]
    journal = Journal()
    records = [journal.append(stamp(i), T0 + i) for i in range(n)]
    rec_wire = [
        codec.encode(r, device=SERIAL, seq=i + 1, ts=T0, signer=key) for i, r in enumerate(records)
    ]
    sigs = [codec.decode(w, "up") for w in hb]

    def floor(i: int) -> object:
        doc = orjson.loads(hb[i])
        return verifier.verify(sigs[i].signed, doc["sig"])

    def decode(i: int) -> object:
        return codec.decode(hb[i], "up")

    def decode_verify(i: int) -> object:
        return codec.decode(hb[i], "up").verify(verifier)

    state: dict[str, object] = {}

    def ingest_record(i: int) -> object:
        if i == 0:
            state["acc"], state["chain"] = acceptance.up(), ChainTracker()
        acc, chain = state["acc"], state["chain"]
        assert isinstance(acc, acceptance.Acceptance) and isinstance(chain, ChainTracker)
        d = codec.decode(rec_wire[i], "up")
        ok = d.verify(verifier) and acc.accept(d.envelope.seq, d.envelope.ts, T0) == "accepted"
        record = d.envelope.body
        assert isinstance(record, m.Record)
        chain.classify(record)
        chain.store(record)
        return ok

    body = heartbeat()

    def encode(i: int) -> object:
        return codec.encode(body, device=SERIAL, seq=i + 1, ts=T0, signer=key)

    rows: dict[str, list[float]] = {
        "floor (orjson + Ed25519 verify)": [],
        "decode": [],
        "decode+verify (heartbeat)": [],
        "decode+verify+accept+chain (stamp record)": [],
        "encode+sign (heartbeat)": [],
    }
    fns = list(zip(rows, (floor, decode, decode_verify, ingest_record, encode), strict=True))
    for _ in range(args.reps):
        for name, fn in fns:  # alternating, so drift hits every row alike
            rows[name].append(timed(n, fn))
    floor_rate = statistics.median(rows["floor (orjson + Ed25519 verify)"])
    print(f"device protocol codec, one core, {n} messages x {args.reps} reps (median)")
    print(f"{'step':<44} {'msg/s':>10} {'us/msg':>8} {'vs floor':>9}")
    for name, rates in rows.items():
        rate = statistics.median(rates)
        print(f"{name:<44} {rate:>10,.0f} {1e6 / rate:>8.1f} {rate / floor_rate:>8.2f}x")
    print(f"heartbeat {len(hb[0])} bytes, stamp record {len(rec_wire[0])} bytes")


if __name__ == "__main__":
    main()
