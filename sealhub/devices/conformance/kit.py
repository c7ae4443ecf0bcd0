"""The conformance kit: plays the platform's side of protocol v1 against a device under test.

It connects to the broker as the platform, answers hellos with welcomes, acknowledges records,
grants (empty) uploads, sends every command and a few deliberately bad downlinks, and checks
each clause of docs/device-protocol.md it can observe. Observations that span the whole run
(signatures, sequence numbers, the chain) are checked on every message; a broken message is
still processed, so one fault fails its own clauses and not the ones after it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import secrets
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import aiomqtt

from sealhub.devices.conformance.clauses import Report
from sealhub.devices.protocol import acceptance, codec, firmware, otc, topics
from sealhub.devices.protocol import bundle as bundles
from sealhub.devices.protocol import messages as m
from sealhub.devices.protocol.journal import ChainTracker, Link
from sealhub.devices.protocol.signing import Signer, Verifier
from sealhub.platform import clock

PERSON = "kit-person-1"
SECOND = "kit-person-2"
STRANGER = "kit-stranger"
# a protocol field (a wire code), not an error reason
KIT_REASON = "conformance"
APP_CODE = "246810"
NODELAY = ((socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),)


@dataclass(frozen=True)
class KitKeys:
    """What the platform registered at provisioning (§2), from the keys file."""

    serial: str
    device_public_key_hex: str
    platform_seed_hex: str
    device_secret_hex: str
    mqtt_username: str = ""
    mqtt_password: str = ""

    @classmethod
    def load(cls, path: Path) -> KitKeys:
        doc = json.loads(path.read_text("utf-8"))
        names = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in doc.items() if k in names})


def _now_ms() -> int:
    return int(clock.now().timestamp() * 1000)


@dataclass
class Exchange:
    ack: asyncio.Future[m.Ack]
    results: list[m.Result] = field(default_factory=list)
    final: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class Arrival:
    session: int
    record: m.Record


class Kit:
    def __init__(self, client: aiomqtt.Client, keys: KitKeys, report: Report) -> None:
        self.client = client
        self.keys = keys
        self.serial = keys.serial
        self.report = report
        self.platform = Signer.from_seed_hex(keys.platform_seed_hex)
        self.device_key = Verifier.from_hex(keys.device_public_key_hex)
        self.secret = bytes.fromhex(keys.device_secret_hex)
        self.up = acceptance.up()
        self.down_seq = 0
        self.session = 0
        self.hellos: asyncio.Queue[m.Hello] = asyncio.Queue()
        self.heartbeats: asyncio.Queue[m.Heartbeat] = asyncio.Queue()
        self.exchanges: dict[str, Exchange] = {}
        self.arrivals: list[Arrival] = []
        self.chain = ChainTracker()
        self.acked: set[int] = set()
        self.held: set[int] = set()
        self.ack_base = 0  # numbers below the first record seen were settled before this run
        self.hold_acks = False
        self.heartbeat_s = 1
        self.record_seen = asyncio.Event()

    # --- the platform's side ------------------------------------------------------------

    def next_down_seq(self) -> int:
        # §5.4: the sender's clock in microseconds, strictly increasing
        self.down_seq = max(self.down_seq + 1, int(clock.now().timestamp() * 1_000_000))
        return self.down_seq

    async def send(
        self, body: m.Body, *, signer: Signer | None = None, ts: int | None = None
    ) -> bytes:
        kind = m.KIND_OF[type(body)]
        payload = codec.encode(
            body,
            device=self.serial,
            seq=self.next_down_seq(),
            ts=_now_ms() if ts is None else ts,
            signer=signer or self.platform,
        )
        await self.publish(kind, payload)
        return payload

    async def publish(self, kind: str, payload: bytes) -> None:
        await self.client.publish(topics.down(self.serial, kind), payload, qos=1)

    def acked_upto(self) -> int:
        """The contiguous prefix of stored records (what a welcome acknowledges)."""
        n = self.ack_base
        while n + 1 in self.acked:
            n += 1
        return n

    async def read(self) -> None:
        async for message in self.client.messages:
            parsed = topics.parse(str(message.topic))
            payload = message.payload
            if parsed is None or parsed[0] != self.serial or parsed[1] != "up":
                continue
            if not isinstance(payload, bytes | bytearray) or parsed[2] == "gone":
                continue
            await self.on_uplink(parsed[2], bytes(payload))

    async def on_uplink(self, kind: str, payload: bytes) -> None:
        try:
            decoded = codec.decode(payload, "up")
        except codec.ProtocolError as exc:
            self.report.check("§4.5", False, f"{kind}: {exc}")
            return
        env = decoded.envelope
        self.report.check("§4.5", env.kind == kind, f"topic up/{kind} carries {env.kind}")
        if env.device != self.serial:
            self.report.check("§4.5", False, f"device field {env.device!r}")
        signed = decoded.verify(self.device_key)
        self.report.check("§4.3", signed, f"{kind} seq {env.seq}: signature does not verify")
        verdict = self.up.accept(env.seq, env.ts, _now_ms())
        if verdict is acceptance.Verdict.STALE:
            self.report.check(
                "§5.2",
                False,
                f"{kind} seq {env.seq}: device time off by {(env.ts - _now_ms()) / 1000:.0f} s",
            )
        elif verdict is not acceptance.Verdict.ACCEPTED:
            self.report.check("§5.1", False, f"{kind} seq {env.seq}: {verdict.value}")
        body = env.body
        if isinstance(body, m.Hello):
            self.session += 1
            if self.session == 1 or signed:
                self.report.check(
                    "§2.2",
                    signed and env.device == self.serial,
                    "hello not signed by the registered key",
                )
            await self.send(
                m.Welcome(
                    version=m.VERSION,
                    time=_now_ms(),
                    acked_upto=self.acked_upto(),
                    heartbeat_s=self.heartbeat_s,
                )
            )
            self.hellos.put_nowait(body)
        elif isinstance(body, m.Heartbeat):
            self.heartbeats.put_nowait(body)
        elif isinstance(body, m.Record):
            await self.on_record(body)
        elif isinstance(body, m.Ack):
            ex = self.exchanges.get(body.id)
            if ex is not None and not ex.ack.done():
                ex.ack.set_result(body)
        elif isinstance(body, m.Result):
            ex = self.exchanges.get(body.id)
            if ex is not None:
                ex.results.append(body)
                if body.code != "downloading":
                    ex.final.set()
        elif isinstance(body, m.UploadRequest):
            # the kit stores no media: it answers every request with no URL
            await self.send(
                m.UploadGrant(
                    req=body.req,
                    url=None,
                    method="PUT",
                    headers={},
                    expires=_now_ms(),
                    reason=KIT_REASON,
                )
            )

    async def on_record(self, record: m.Record) -> None:
        self.arrivals.append(Arrival(self.session, record))
        if self.chain.last_n == 0 and not self.chain.stored and record.n > 1:
            # the device's journal started before this run: trust its first record's link
            self.chain.last_n, self.chain.last_hash = record.n - 1, record.prev
            self.ack_base = record.n - 1
        link = self.chain.classify(record)
        if link is Link.BROKEN:
            self.report.check(
                "§7.1", False, f"record n={record.n} does not chain to n={record.n - 1}"
            )
        if link is not Link.DUPLICATE:
            self.chain.store(record)
        if self.hold_acks and record.n not in self.acked:
            self.held.add(record.n)
        else:
            self.acked.add(record.n)
            await self.send(m.RecordAck(ns=(record.n,)))
        self.record_seen.set()

    # --- helpers ------------------------------------------------------------------------

    async def command(
        self, args: m.Body, *, cid: str | None = None, within: float = 5.0, **send: Any
    ) -> tuple[m.Ack | None, list[m.Result], bytes]:
        """Send one command; its ack (None if none came) and results."""
        cid = cid or secrets.token_hex(8)
        name = m.command_name(args)
        ex = self.exchanges.get(cid)
        if ex is None or ex.ack.done():
            ex = self.exchanges[cid] = Exchange(asyncio.get_running_loop().create_future())
        expires = _now_ms() + 60_000
        wire = await self.send(m.Command(id=cid, name=name, args=args, expires=expires), **send)
        ack = await _wait(ex.ack, within)
        if ack is not None and ack.status == "accepted":
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(ex.final.wait(), within)
        ok = ack is None or ack.status == "rejected" or ex.final.is_set()
        self.report.check("§9.2", ok, f"{name}: accepted but no result")
        return ack, list(ex.results), wire

    async def records_after(self, mark: int, *, kind: str, within: float = 3.0) -> list[m.Record]:
        """Records of `kind` that arrived after arrival index `mark` (waiting a little)."""
        deadline = asyncio.get_running_loop().time() + within
        while True:
            found = [a.record for a in self.arrivals[mark:] if a.record.type == kind]
            left = deadline - asyncio.get_running_loop().time()
            if found or left <= 0:
                return found
            self.record_seen.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.record_seen.wait(), left)

    async def next_hello(self, within: float) -> m.Hello | None:
        with contextlib.suppress(TimeoutError):
            return await asyncio.wait_for(self.hellos.get(), within)
        return None

    def _final(self, results: list[m.Result]) -> m.Result | None:
        finals = [r for r in results if r.code != "downloading"]
        return finals[-1] if finals else None

    def check_command(
        self, clause: str, ack: m.Ack | None, results: list[m.Result], code: str | None = None
    ) -> m.Result | None:
        final = self._final(results)
        if ack is None:
            self.report.check(clause, False, "no ack")
        elif ack.status != "accepted":
            self.report.check(clause, False, f"rejected: {ack.reason}")
        elif final is None:
            self.report.check(clause, False, "no result")
        elif not final.ok or (code is not None and final.code != code):
            self.report.check(clause, False, f"result {final.code} ok={final.ok}")
        else:
            self.report.check(clause, True)
        return final


async def _wait(future: asyncio.Future[m.Ack], within: float) -> m.Ack | None:
    with contextlib.suppress(TimeoutError):
        return await asyncio.wait_for(asyncio.shield(future), within)
    return None


# --- the run ----------------------------------------------------------------------------


async def run(
    broker_url: str,
    keys: KitKeys,
    *,
    wait_s: float = 30.0,
    http_host: str = "127.0.0.1",
    progress: Callable[[str], None] | None = None,
) -> Report:
    """Check the device named in `keys` through the broker at `broker_url`."""
    report = Report(keys.serial)
    parts = urlsplit(broker_url if "://" in broker_url else f"mqtt://{broker_url}")
    client = aiomqtt.Client(
        parts.hostname or "127.0.0.1",
        parts.port or 1883,
        identifier=f"sealhub-conformance-{keys.serial}-{secrets.token_hex(3)}",
        username=keys.mqtt_username or None,
        password=keys.mqtt_password or None,
        socket_options=NODELAY,
        timeout=10,
    )
    async with client:
        kit = Kit(client, keys, report)
        await client.subscribe(topics.device_up_filter(keys.serial), qos=1)
        reader = asyncio.get_running_loop().create_task(kit.read())
        try:
            await _scenario(kit, wait_s=wait_s, http_host=http_host, progress=progress)
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, aiomqtt.MqttError):
                await reader
    return report


Step = Callable[[], Awaitable[None]]


async def _scenario(
    kit: Kit, *, wait_s: float, http_host: str, progress: Callable[[str], None] | None
) -> None:
    r = kit.report
    say = progress or (lambda _msg: None)

    # §6.3 / §6.1 / §2.2: probe until the device answers
    say("waiting for the device")
    hello: m.Hello | None = None
    deadline = asyncio.get_running_loop().time() + wait_s
    while hello is None and asyncio.get_running_loop().time() < deadline:
        await kit.send(m.Probe())
        hello = await kit.next_hello(2.0)
    if hello is None:
        r.check("§6.3", False, f"no hello within {wait_s:.0f} s")
        return
    r.check("§6.3", True)
    caps = set(hello.capabilities)
    unknown = caps - set(m.CAPABILITIES)
    r.check("§6.1", m.VERSION in hello.versions, f"versions {hello.versions}")
    r.check("§6.1", not unknown, f"unknown capabilities {sorted(unknown)}")
    r.check(
        "§6.1",
        hello.journal_next >= 1 and len(hello.journal_head) == 64,
        "journal_next/journal_head",
    )

    # §6.4: the welcome (sent on the hello) is followed by a heartbeat
    try:
        hb = await asyncio.wait_for(kit.heartbeats.get(), kit.heartbeat_s + 5)
        plausible = (
            0 <= hb.battery <= 100
            and 800 <= hb.ink_capacity <= 1200
            and hb.ink_presses >= 0
            and hb.storage_free_kb >= 0
        )
        r.check("§6.4", plausible, f"implausible telemetry {hb}")
    except TimeoutError:
        r.check("§6.4", False, "no heartbeat after the welcome")

    now = _now_ms()
    code_hash = hashlib.sha256(APP_CODE.encode()).hexdigest()

    def authorise(auth: str, people: tuple[str, ...], presses: int) -> m.Authorise:
        return m.Authorise(
            auth=auth,
            request=f"req-{auth}",
            item=f"item-{auth}",
            people=people,
            codes={p: code_hash for p in people},
            presses=presses,
            valid_from=now - 60_000,
            valid_until=now + 3_600_000,
            pages=2,
            doc_url=None,
        )

    auth1 = f"kit-a1-{secrets.token_hex(3)}"
    say("commands")
    ack, res, _ = await kit.command(authorise(auth1, (PERSON,), 5))
    kit.check_command("§9.4.1", ack, res, "authorised")

    modes: tuple[Literal["fingerprint", "application"], ...] = ("fingerprint", "application")
    for mode in modes:
        ack, res, _ = await kit.command(m.Mode(mode=mode))
        kit.check_command("§9.4.5", ack, res)

    if "fingerprint" in caps:
        ack, res, _ = await kit.command(m.FpEnrol(slot=7, member=PERSON))
        kit.check_command("§9.4.6", ack, res, "enrolled")
        ack, _res, _ = await kit.command(m.FpEnrol(slot=100, member=PERSON))
        r.check(
            "§9.4.6",
            ack is not None and ack.status == "rejected" and ack.reason == "bad_args",
            f"slot 100: {ack}",
        )
        ack, res, _ = await kit.command(m.FpDelete(slot=7))
        kit.check_command("§9.4.7", ack, res)
    else:
        r.skip("§9.4.6", "no fingerprint capability")
        r.skip("§9.4.7", "no fingerprint capability")

    if "camera" in caps:
        for on in (False, True):
            ack, res, _ = await kit.command(m.Camera(on=on))
            kit.check_command("§9.4.8", ack, res)
    else:
        r.skip("§9.4.8", "no camera capability")

    ack, res, _ = await kit.command(
        m.Config(press_timeout_s=120, geofence=None, working_hours=None, heartbeat_s=60)
    )
    kit.check_command("§9.4.9", ack, res)

    ack, res, time_sync_wire = await kit.command(m.TimeSync(time=_now_ms()))
    kit.check_command("§9.4.10", ack, res)

    mark = len(kit.arrivals)
    ack, res, _ = await kit.command(m.Unlock(seconds=30, reason=KIT_REASON, person=PERSON))
    kit.check_command("§9.4.4", ack, res)
    unlocks = await kit.records_after(mark, kind="unlock")
    r.check("§9.4.4", bool(unlocks), "no unlock record")

    mark = len(kit.arrivals)
    ack, res, _ = await kit.command(m.Lock())
    kit.check_command("§9.4.3", ack, res)
    locks = await kit.records_after(mark, kind="lock")
    r.check("§9.4.3", bool(locks), "no lock record after an unlock")

    # bad downlinks: forged, replayed, stale, unknown
    say("bad downlinks")
    ack, res, _ = await kit.command(m.Lock(), signer=Signer.generate(), within=3.0)
    r.check(
        "§4.4",
        ack is not None and ack.status == "rejected" and ack.reason == "bad_signature",
        f"forged command answered {ack.status if ack else 'nothing'}",
    )
    ack_replay = await _replay(kit, time_sync_wire)
    r.check(
        "§5.3",
        ack_replay is not None
        and ack_replay.status == "rejected"
        and ack_replay.reason == "replay",
        f"replayed command answered {_show(ack_replay)}",
    )
    ack, res, _ = await kit.command(m.Lock(), ts=_now_ms() - 400_000, within=3.0)
    r.check(
        "§5.2",
        ack is not None and ack.status == "rejected" and ack.reason == "stale",
        f"stale command answered {_show(ack)}",
    )
    ack = await _unknown_command(kit)
    r.check(
        "§9.5",
        ack is not None and ack.status == "rejected" and ack.reason == "unknown_command",
        f"unknown command answered {_show(ack)}",
    )

    if "diag" not in caps:
        for clause in ("§9.4.14", "§9.3", "§10.1", "§10.3", "§10.5", "§7.2", "§7.3", "§9.4.2"):
            r.skip(clause, "needs the diag capability (test bench)")
    else:
        await _diag_scenario(kit, auth1, authorise)

    # §9.4.11 reboot
    say("reboot")
    ack, res, _ = await kit.command(m.Reboot())
    kit.check_command("§9.4.11", ack, res)
    r.check("§9.4.11", await kit.next_hello(15.0) is not None, "no hello after the reboot")

    # §9.4.12 firmware
    if "firmware" in caps:
        say("firmware")
        await _firmware(kit, http_host)
    else:
        r.skip("§9.4.12", "no firmware capability")

    # §9.4.13 export and §8.1 the bundle
    if "bundle" in caps:
        ack, res, _ = await kit.command(m.Export(), within=10.0)
        final = kit.check_command("§9.4.13", ack, res, "exported")
        text = final.detail.get("bundle") if final else None
        if not isinstance(text, str):
            r.check("§9.4.13", False, "no bundle in the result")
            r.check("§8.1", False, "no bundle to verify")
        else:
            lookup = {kit.serial: kit.device_key}
            try:
                bundles.verify_bundle(text.encode(), lookup.get, device=kit.serial)
                r.check("§8.1", True)
            except bundles.BundleError as exc:
                r.check("§8.1", False, str(exc))
    else:
        r.skip("§9.4.13", "no bundle capability")
        r.skip("§8.1", "no bundle capability")

    # acknowledge what is still held, like a platform that stored them
    kit.hold_acks = False
    held = sorted(kit.held - kit.acked)
    kit.acked.update(held)
    if held:
        await kit.send(m.RecordAck(ns=tuple(held)))

    # whole-run observations
    await asyncio.sleep(0.3)
    for clause in ("§4.3", "§4.5", "§5.1", "§5.2", "§7.1", "§9.2", "§2.2"):
        r.check(clause, True)


async def _diag_scenario(
    kit: Kit, auth1: str, authorise: Callable[[str, tuple[str, ...], int], m.Authorise]
) -> None:
    r = kit.report
    # §9.4.14 alarm on request
    mark = len(kit.arrivals)
    ack, res, _ = await kit.command(m.Diag(action="alarm", alarm="tamper"))
    kit.check_command("§9.4.14", ack, res)
    alarms = await kit.records_after(mark, kind="alarm")
    r.check(
        "§9.4.14",
        any(a.data.code == "tamper" for a in alarms if isinstance(a.data, m.AlarmData)),
        "no tamper alarm record",
    )

    # §10.1 the application code typed on the device
    mark = len(kit.arrivals)
    await kit.command(m.Diag(action="press", person=PERSON, count=1, code="000000"))
    wrong = await kit.records_after(mark, kind="alarm")
    no_stamp = not [a for a in kit.arrivals[mark:] if a.record.type == "stamp"]
    r.check("§10.1", bool(wrong) and no_stamp, "a wrong application code was not refused")
    mark = len(kit.arrivals)
    await kit.command(m.Diag(action="press", person=PERSON, count=1, code=APP_CODE))
    right = await kit.records_after(mark, kind="stamp")
    r.check("§10.1", bool(right), "the right application code did not open")

    # §9.3 idempotence: the same command id in a new envelope is not run again
    cid = secrets.token_hex(8)
    mark = len(kit.arrivals)
    ack1, res1, _ = await kit.command(m.Diag(action="press", person=PERSON, count=1), cid=cid)
    kit.check_command("§9.3", ack1, res1)
    stamps = await kit.records_after(mark, kind="stamp")
    mark = len(kit.arrivals)
    kit.exchanges.pop(cid)
    ack2, res2, _ = await kit.command(m.Diag(action="press", person=PERSON, count=1), cid=cid)
    await asyncio.sleep(0.5)
    again = [a for a in kit.arrivals[mark:] if a.record.type == "stamp"]
    same = (
        ack2 is not None
        and ack1 is not None
        and ack2.status == ack1.status
        and kit._final(res2) == kit._final(res1)
    )
    r.check(
        "§9.3",
        len(stamps) == 1 and not again and same,
        f"first run {len(stamps)} stamp(s), retry {len(again)} more; same answer: {same}",
    )

    # §10.5 refusals and the lock at zero
    auth2 = f"kit-a2-{secrets.token_hex(3)}"
    ack, res, _ = await kit.command(authorise(auth2, (SECOND,), 1))
    kit.check_command("§9.4.1", ack, res, "authorised")
    mark = len(kit.arrivals)
    await kit.command(m.Diag(action="press", person=SECOND, count=1))
    locks = await kit.records_after(mark, kind="lock")
    r.check(
        "§10.5",
        any(getattr(x.data, "reason", "") == "used_up" for x in locks),
        "no used_up lock at zero presses left",
    )
    for who, code in ((SECOND, "refused_count"), (STRANGER, "refused_person")):
        mark = len(kit.arrivals)
        await kit.command(m.Diag(action="press", person=who, count=1))
        alarms = await kit.records_after(mark, kind="alarm")
        r.check(
            "§10.5", any(getattr(a.data, "code", "") == code for a in alarms), f"no {code} alarm"
        )

    # §9.4.2 revoke: the person of a revoked authorisation is refused
    ack, res, _ = await kit.command(m.Revoke(auth=auth1))
    kit.check_command("§9.4.2", ack, res)
    mark = len(kit.arrivals)
    await kit.command(m.Diag(action="press", person=PERSON, count=1))
    after = await kit.records_after(mark, kind="stamp", within=1.0)
    r.check("§9.4.2", not after, "a press was stamped under a revoked authorisation")

    # §10.3 one-time codes
    code = otc.issue(kit.secret, kit.serial, PERSON, _now_ms())
    answers: list[tuple[bool, str] | None] = []
    for attempt in (code, code, "00000000" if code != "00000000" else "11111111"):
        ack, res, _ = await kit.command(m.Diag(action="code", person=PERSON, code=attempt))
        final = kit._final(res)
        answers.append((final.ok, final.code) if final else None)
    expected = [(True, "unlocked"), (False, "used"), (False, "invalid")]
    r.check("§10.3", answers == expected, f"answers {answers}")
    await kit.command(m.Lock())

    # §7.2 / §7.3: resend after a network loss; acknowledged records never come back
    auth3 = f"kit-a3-{secrets.token_hex(3)}"
    await kit.command(authorise(auth3, (PERSON,), 3))
    kit.hold_acks = True
    mark = len(kit.arrivals)
    await kit.command(m.Diag(action="alarm", alarm="low_ink"))
    held = await kit.records_after(mark, kind="alarm")
    kit.hold_acks = False
    mark = len(kit.arrivals)
    await kit.command(m.Diag(action="alarm", alarm="seal_removed"))
    acked_late = await kit.records_after(mark, kind="alarm")
    await asyncio.sleep(0.3)  # let the record_ack reach the device
    # from here on records stay unacknowledged, so the exported bundle (§8.1) holds a chain
    kit.hold_acks = True
    before = kit.session
    acked_before = set(kit.acked)
    await kit.command(m.Diag(action="offline", seconds=2, count=1, person=PERSON))
    hello = None
    while kit.session <= before:
        hello = await kit.next_hello(15.0)
        if hello is None:
            break
    await asyncio.sleep(1.5)  # the resend
    new = [a.record.n for a in kit.arrivals if a.session > before]
    wanted = {rec.n for rec in held}
    offline_stamps = [a for a in kit.arrivals if a.session > before and a.record.type == "stamp"]
    r.check(
        "§7.2",
        hello is not None and wanted <= set(new) and bool(offline_stamps),
        f"after reconnect got {sorted(new)}; expected {sorted(wanted)} and an offline stamp",
    )
    resent_acked = sorted(set(new) & acked_before)
    r.check(
        "§7.3",
        bool(acked_late) and not resent_acked,
        f"acknowledged records resent: {resent_acked}",
    )


async def _replay(kit: Kit, wire: bytes) -> m.Ack | None:
    cid = codec.decode(wire, "down").envelope.body.id  # type: ignore[attr-defined]
    ex = kit.exchanges[cid] = Exchange(asyncio.get_running_loop().create_future())
    await kit.publish("command", wire)
    return await _wait(ex.ack, 3.0)


async def _unknown_command(kit: Kit) -> m.Ack | None:
    cid = secrets.token_hex(8)
    doc: dict[str, Any] = codec.unsigned(
        "command",
        kit.serial,
        kit.next_down_seq(),
        _now_ms(),
        {"id": cid, "name": "self_destruct", "args": {}, "expires": _now_ms() + 60_000},  # type: ignore[arg-type]
    )
    doc["sig"] = kit.platform.sign(codec.canonical(doc))
    ex = kit.exchanges[cid] = Exchange(asyncio.get_running_loop().create_future())
    await kit.publish("command", codec.canonical(doc))
    return await _wait(ex.ack, 3.0)


def _show(ack: m.Ack | None) -> str:
    if ack is None:
        return "nothing"
    return f"{ack.status} ({ack.reason})" if ack.reason else ack.status


async def _firmware(kit: Kit, http_host: str) -> None:
    image = b"SEALHUB-FIRMWARE" + secrets.token_bytes(4096)

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(Exception):
            await reader.readuntil(b"\r\n\r\n")
            writer.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\n"
                + f"content-length: {len(image)}\r\nconnection: close\r\n\r\n".encode()
                + image
            )
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, http_host, 0)
    port = server.sockets[0].getsockname()[1]
    url = f"http://{http_host}:{port}/firmware.bin"
    try:
        good = firmware.sign_manifest(
            model="any",
            version="9.9.9-conformance",
            image=image,
            url=url,
            min_battery=0,
            created_at=_now_ms(),
            signer=kit.platform,
        )
        ack, res, _ = await kit.command(m.Firmware(manifest=good, url=url), within=20.0)
        kit.check_command("§9.4.12", ack, res, "installed")
        forged = firmware.sign_manifest(
            model="any",
            version="6.6.6",
            image=image,
            url=url,
            min_battery=0,
            created_at=_now_ms(),
            signer=Signer.generate(),
        )
        ack, res, _ = await kit.command(m.Firmware(manifest=forged, url=url), within=20.0)
        final = kit._final(res)
        refused = (ack is not None and ack.status == "rejected") or (
            final is not None and not final.ok
        )
        kit.report.check("§9.4.12", refused, "a forged manifest was installed")
    finally:
        server.close()
