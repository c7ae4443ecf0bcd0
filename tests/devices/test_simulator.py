"""The simulator: its device logic without I/O, and over a real broker with real HTTP uploads
of page photos (rendered from a real PDF) and a session video."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import io
import json
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import av
import orjson
import paho.mqtt.client as paho
import pytest
from PIL import Image
from reportlab.pdfgen import canvas
from typer.testing import CliRunner

from sealhub.cli.main import app
from sealhub.devices.conformance import kit
from sealhub.devices.conformance.clauses import Report
from sealhub.devices.protocol import bundle as bundles
from sealhub.devices.protocol import codec, topics
from sealhub.devices.protocol import messages as m
from sealhub.devices.protocol.signing import Signer, Verifier
from sealhub.simulator import demo, state
from sealhub.simulator.device import Press, SimDevice
from sealhub.simulator.fleet import make_fleet
from sealhub.simulator.keys import made_up, write_list
from sealhub.simulator.runner import Behaviour

PLATFORM = Signer.from_seed(b"\x07" * 32)
DEVICE_KEY = Signer.from_seed(b"\x08" * 32)
T0 = 1_790_000_000_000


class Clock:
    def __init__(self) -> None:
        self.ms = T0

    def __call__(self) -> int:
        return self.ms


def _device(**kw: object) -> tuple[SimDevice, Clock]:
    clock = Clock()
    device = SimDevice(
        serial="SIM-UNIT-1",
        signer=DEVICE_KEY,
        secret=b"\x09" * 32,
        platform=PLATFORM.verifier(),
        clock=clock,
        **kw,  # type: ignore[arg-type]
    )
    return device, clock


def _down(body: m.Body, seq: int, ts: int = T0, signer: Signer = PLATFORM) -> bytes:
    return codec.encode(body, device="SIM-UNIT-1", seq=seq, ts=ts, signer=signer)


def _authorise(auth: str, people: tuple[str, ...], presses: int) -> m.Authorise:
    return m.Authorise(
        auth=auth,
        request="req-1",
        item="item-1",
        people=people,
        codes={},
        presses=presses,
        valid_from=T0 - 1000,
        valid_until=T0 + 3_600_000,
        pages=2,
        doc_url=None,
    )


def _cmd(args: m.Body, cid: str) -> m.Command:
    return m.Command(id=cid, name=m.command_name(args), args=args, expires=T0 + 60_000)


def test_presses_count_down_refuse_and_lock_at_zero() -> None:
    device, _ = _device()
    outs, _ = device.receive(_down(_cmd(_authorise("a1", ("alice",), 2), "c1"), 1), "command")
    assert [type(o.body) for o in outs] == [m.Ack, m.Result]
    records: list[m.Record] = []
    for person in ("alice", "alice", "alice", "mallory"):
        outs, _ = device.press(person, ("ab" * 32,))
        records += [o.body for o in outs if isinstance(o.body, m.Record)]
    kinds = [
        (r.type, getattr(r.data, "code", None) or getattr(r.data, "reason", None)) for r in records
    ]
    assert kinds == [
        ("unlock", None),
        ("stamp", None),
        ("stamp", None),
        ("lock", "used_up"),
        ("alarm", "refused_count"),
        ("alarm", "refused_person"),
    ]
    stamps = [r.data for r in records if isinstance(r.data, m.StampData)]
    assert [s.presses_left for s in stamps] == [1, 0]
    assert device.lock == "locked" and device.ink_presses == 2
    # the chain links every record to the one before
    assert [r.n for r in records] == list(range(1, 7))


def test_the_application_code_must_match() -> None:
    device, _ = _device()
    terms = dataclasses.replace(
        _authorise("a1", ("alice",), 2), codes={"alice": hashlib.sha256(b"2468").hexdigest()}
    )
    device.receive(_down(_cmd(terms, "c1"), 1), "command")
    outs, ok = device.press("alice", (), app_code="1357")
    assert not ok and device.lock == "locked"
    assert [getattr(o.body.data, "code", None) for o in outs] == ["refused_person"]  # type: ignore[attr-defined]
    outs, ok = device.press("alice", (), app_code="2468")
    assert ok and [o.body.type for o in outs] == ["unlock", "stamp"]  # type: ignore[attr-defined]


def test_commands_are_idempotent_and_bad_downlinks_refused() -> None:
    device, clock = _device()
    wire = _down(_cmd(m.FpEnrol(slot=3, member="alice"), "c1"), 10)
    first, _ = device.receive(wire, "command")
    assert first[0].body == m.Ack(id="c1", status="accepted", reason=None)
    # a retry in a new envelope: the same answers, not run again
    device.fingerprints.clear()
    retry, _ = device.receive(_down(_cmd(m.FpEnrol(slot=3, member="alice"), "c1"), 11), "command")
    assert [o.body for o in retry] == [o.body for o in first]
    assert device.fingerprints == {}
    # the same bytes again: a replay
    replay, _ = device.receive(wire, "command")
    assert replay[0].body == m.Ack(id="c1", status="rejected", reason="replay")
    forged, _ = device.receive(
        _down(_cmd(m.Lock(), "c2"), 12, signer=Signer.from_seed(b"\x01" * 32)), "command"
    )
    assert forged[0].body == m.Ack(id="c2", status="rejected", reason="bad_signature")
    stale, _ = device.receive(_down(_cmd(m.Lock(), "c3"), 13, ts=T0 - 400_000), "command")
    assert stale[0].body == m.Ack(id="c3", status="rejected", reason="stale")
    bad, _ = device.receive(_down(_cmd(m.FpEnrol(slot=100, member="x"), "c4"), 14), "command")
    assert bad[0].body == m.Ack(id="c4", status="rejected", reason="bad_args")
    clock.ms += 120_000
    late, _ = device.receive(
        _down(_cmd(m.Lock(), "c5"), 15, ts=clock.ms), "command"
    )  # expires was T0 + 60 s
    assert late[0].body == m.Ack(id="c5", status="rejected", reason="expired")
    assert dict(device.down_acceptance.rejected) == {"replay": 1, "stale": 1}


def test_no_upload_edition_exports_its_whole_journal_as_a_verifiable_bundle() -> None:
    device, _ = _device(no_upload=True)
    device.receive(_down(_cmd(_authorise("a1", ("alice",), 5), "c1"), 1), "command")
    for _ in range(3):
        device.press("alice", ())
    device.journal.acknowledge([1, 2, 3])  # acknowledgements never drop a record here
    data = device.export()
    verified = bundles.verify_bundle(
        data, {"SIM-UNIT-1": DEVICE_KEY.verifier()}.get, device="SIM-UNIT-1"
    )
    assert [r.n for r in verified.records] == list(range(1, device.journal.next_n))
    # the broken mode signs with a key nobody registered
    broken, _ = _device(no_upload=True, breaks=frozenset({"bundle"}))
    broken.press(None, (), emergency=True)
    with pytest.raises(bundles.BundleError) as err:
        bundles.verify_bundle(broken.export(), {"SIM-UNIT-1": DEVICE_KEY.verifier()}.get)
    assert err.value.reason == "bad_signature"


def test_state_survives_a_restart(tmp_path: Path) -> None:
    device, _ = _device()
    device.receive(_down(_cmd(_authorise("a1", ("alice",), 5), "c1"), 1), "command")
    device.press("alice", ("cd" * 32,))
    device.wire(device.heartbeat())
    state.save(device, tmp_path)
    again, _ = _device()
    assert state.restore(again, tmp_path)
    assert (again.seq, again.journal.next_n, again.journal.head) == (
        device.seq,
        device.journal.next_n,
        device.journal.head,
    )
    assert again.journal.unacked() == device.journal.unacked()
    assert again.auths["a1"].left == 4


def test_diag_press_is_an_effect_for_the_runner() -> None:
    device, _ = _device()
    outs, effects = device.receive(
        _down(_cmd(m.Diag(action="press", person="alice", count=2), "c1"), 1), "command"
    )
    assert effects == [Press("c1", "alice", None, 2)]
    assert [type(o.body) for o in outs] == [m.Ack]  # the result comes when the presses are done


# --- over a real broker, with real HTTP ---------------------------------------------------


@dataclass
class WebStub:
    """A tiny HTTP server: GET /doc.pdf, PUT /upload/<name> (the platform's short-lived URLs)."""

    pdf: bytes
    uploads: dict[str, bytes] = field(default_factory=dict)
    port: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode()
        method, path, _ = head.split("\r\n", 1)[0].split(" ", 2)
        headers = dict(
            line.lower().split(": ", 1) for line in head.split("\r\n")[1:] if ": " in line
        )
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        if method == "GET" and path == "/doc.pdf":
            status, payload = "200 OK", self.pdf
        elif method == "PUT" and path.startswith("/upload/"):
            self.uploads[path.rsplit("/", 1)[1]] = body
            status, payload = "201 Created", b""
        else:
            status, payload = "404 Not Found", b""
        head_out = f"HTTP/1.1 {status}\r\ncontent-length: {len(payload)}\r\n"
        writer.write(head_out.encode() + b"connection: close\r\n\r\n" + payload)
        await writer.drain()
        writer.close()


def _two_page_pdf() -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    for i in range(2):
        c.setFont("Helvetica", 28)
        c.drawString(72, 720, f"Contract page {i + 1}")
        c.showPage()
    c.save()
    return buf.getvalue()


@pytest.fixture
async def web() -> AsyncIterator[WebStub]:
    stub = WebStub(_two_page_pdf())
    server = await asyncio.start_server(stub.handle, "127.0.0.1", 0)
    stub.port = server.sockets[0].getsockname()[1]
    try:
        yield stub
    finally:
        server.close()


class GrantingKit(kit.Kit):
    """The kit's platform side, but granting real upload URLs."""

    web_port = 0

    async def on_uplink(self, kind: str, payload: bytes) -> None:
        if kind == "upload_request":
            body = codec.decode(payload, "up").envelope.body
            assert isinstance(body, m.UploadRequest)
            url = f"http://127.0.0.1:{self.web_port}/upload/{body.sha256}"
            await self.send(
                m.UploadGrant(
                    req=body.req, url=url, method="PUT", headers={}, expires=T0 * 2, reason=None
                )
            )
            return
        await super().on_uplink(kind, payload)


@pytest.mark.slow
async def test_three_presses_with_page_photos_and_a_video(amqtt_url: str, web: WebStub) -> None:
    device = made_up("SIM-PHOTO-1", amqtt_url, platform_public_hex=PLATFORM.public_hex)
    fleet = make_fleet([device], behaviour=Behaviour(photos=True, video=True), seed=1)
    fleet.start()
    keys = kit.KitKeys(**device.conformance_keys(PLATFORM.seed_hex()))
    from sealhub.simulator.runner import Broker, mqtt_client

    client = mqtt_client(
        Broker.parse(amqtt_url), client_id="test-platform", username=None, password=None
    )
    try:
        async with client:
            platform = GrantingKit(client, keys, Report(device.serial))
            platform.web_port = web.port
            await client.subscribe(topics.device_up_filter(device.serial), qos=1)
            reader = asyncio.get_running_loop().create_task(platform.read())
            await fleet.wait_connected(20)
            now = fleet.runners[0].device.now()
            terms = m.Authorise(
                auth="auth-photo",
                request="req-photo",
                item="item-photo",
                people=("alice",),
                codes={"alice": hashlib.sha256(b"1234").hexdigest()},
                presses=3,
                valid_from=now - 1000,
                valid_until=now + 600_000,
                pages=2,
                doc_url=f"http://127.0.0.1:{web.port}/doc.pdf",
            )
            ack, results, _ = await platform.command(terms)
            assert ack is not None and ack.status == "accepted" and results[-1].ok
            stamped = await fleet.runners[0].press("alice", 3)
            assert stamped == 3
            videos = await platform.records_after(0, kind="video", within=10)
            reader.cancel()
    finally:
        await fleet.close()

    records = [a.record for a in platform.arrivals]
    stamps = [r.data for r in records if isinstance(r.data, m.StampData)]
    assert [s.presses_left for s in stamps] == [2, 1, 0]
    assert any(isinstance(r.data, m.LockData) and r.data.reason == "used_up" for r in records)
    (unlock,) = [r.data for r in records if isinstance(r.data, m.UnlockData)]
    assert unlock.method == "application" and unlock.photo in web.uploads  # the front camera
    photos = [s.photos[0] for s in stamps]
    assert len(set(photos)) == 3
    for sha in photos:
        blob = web.uploads[sha]  # uploaded to the granted URL, named by its SHA-256
        assert hashlib.sha256(blob).hexdigest() == sha
        image = Image.open(io.BytesIO(blob)).convert("RGB")
        raw = image.tobytes()
        reds = sum(
            1 for i in range(0, len(raw), 3) if raw[i] > 150 and raw[i + 1] < 80 and raw[i + 2] < 80
        )
        assert reds > 500  # the seal imprint
    # the video plays: H.264, a few seconds, and its hash is in the record
    (video,) = [v.data for v in videos if isinstance(v.data, m.VideoData)]
    blob = web.uploads[video.sha256]
    assert video.content_type == "video/mp4" and hashlib.sha256(blob).hexdigest() == video.sha256
    with av.open(io.BytesIO(blob)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        frames = sum(1 for _ in container.decode(stream))
    assert frames >= 20
    assert platform.report.ok, platform.report.lines()


@pytest.mark.slow
async def test_demo_simulators_start_from_the_demo_file(amqtt_url: str, tmp_path: Path) -> None:
    settings = SimpleNamespace(data_dir=tmp_path, demo_simulators=True)
    assert demo.start_demo_simulators(settings) is None  # no demo file yet
    devices = [made_up(f"DEMO-{i}", amqtt_url, platform_public_hex=None) for i in (1, 2, 3)]
    write_list(tmp_path / demo.DEMO_FILE, devices)
    off = SimpleNamespace(data_dir=tmp_path, demo_simulators=False)
    assert demo.start_demo_simulators(off) is None

    client = mqtt_client_for(amqtt_url)
    async with client:
        await client.subscribe("sealhub/v1/+/up/hello", qos=1)
        task = demo.start_demo_simulators(settings)
        assert task is not None
        seen: set[str] = set()
        async with asyncio.timeout(20):
            async for message in client.messages:
                payload = message.payload
                assert isinstance(payload, bytes)
                decoded = codec.decode(payload, "up")
                signer = next(d for d in devices if d.serial == decoded.envelope.device).signer()
                assert decoded.verify(signer.verifier())
                seen.add(decoded.envelope.device)
                if len(seen) == 3:
                    break
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert seen == {"DEMO-1", "DEMO-2", "DEMO-3"}
    assert {p.name for p in (tmp_path / "simulators").iterdir()} == {
        "DEMO-1.json",
        "DEMO-2.json",
        "DEMO-3.json",
    }


def mqtt_client_for(url: str):  # type: ignore[no-untyped-def]
    from sealhub.simulator.runner import Broker, mqtt_client

    return mqtt_client(Broker.parse(url), client_id="test-watch", username=None, password=None)


def test_cli_simulate_runs_devices_that_sign_what_they_send(
    mosquitto_url: str, tmp_path: Path
) -> None:
    host, port = mosquitto_url.rsplit("//", 1)[1].split(":")
    got: list[tuple[str, bytes]] = []
    ready = threading.Event()
    watcher = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id="test-cli-watch")
    watcher.on_connect = lambda c, *_: (c.subscribe("sealhub/v1/+/up/#", qos=1), ready.set())
    watcher.on_message = lambda _c, _u, msg: got.append((msg.topic, msg.payload))
    watcher.connect(host, int(port))
    watcher.loop_start()
    try:
        assert ready.wait(5)
        result = CliRunner().invoke(
            app,
            [
                "simulate",
                "--devices",
                "2",
                "--broker",
                mosquitto_url,
                "--prefix",
                "CLI",
                "--duration",
                "2",
                "--alarm",
                "tamper",
                "--no-photos",
                "--write-keys",
                str(tmp_path / "keys"),
            ],
        )
    finally:
        watcher.loop_stop()
        watcher.disconnect()
    assert result.exit_code == 0, result.output
    assert "all connected" in result.output
    for serial in ("CLI-0001", "CLI-0002"):
        keys = json.loads((tmp_path / "keys" / f"{serial}.json").read_text())
        verifier = Verifier.from_hex(keys["device_public_key_hex"])
        mine = [(t, p) for t, p in got if f"/{serial}/" in t]
        kinds = [t.rsplit("/", 1)[1] for t, _ in mine]
        assert kinds[0] == "hello" and "record" in kinds
        for topic, payload in mine:
            if topic.endswith("/gone"):
                continue
            assert codec.decode(payload, "up").verify(verifier)
        alarm = next(p for t, p in mine if t.endswith("/record"))
        assert orjson.loads(alarm)["body"]["data"]["code"] == "tamper"
    bad = CliRunner().invoke(app, ["simulate", "--break", "everything"])
    assert bad.exit_code == 2 and "unknown --break" in bad.output
