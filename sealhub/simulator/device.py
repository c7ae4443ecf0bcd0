"""One virtual smart seal: the device's whole behaviour, without I/O (sans-IO).

`SimDevice` takes decoded downlinks and the person's actions and returns what to publish
(`Out`) and what needs I/O (`Effect`: take photos, download firmware, go offline, reboot);
`sealhub.simulator.runner` does the MQTT and HTTP. The `breaks` set makes it deliberately
wrong in one respect, for the conformance kit's negative tests.
"""

from __future__ import annotations

import dataclasses
import hashlib
import random
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from sealhub.devices.protocol import acceptance, codec, firmware, otc
from sealhub.devices.protocol import bundle as bundles
from sealhub.devices.protocol import messages as m
from sealhub.devices.protocol.journal import Journal
from sealhub.devices.protocol.signing import Signer, Verifier

BREAKS = ("signature", "replay", "sequence", "journal", "bundle", "ack")
MODEL = "SH-SIM-1"
FIRMWARE = "1.0.0"
MAX_REMEMBERED_COMMANDS = 256


@dataclass(frozen=True, slots=True)
class Out:
    """A message to publish on up/<kind>."""

    body: m.Body


@dataclass(frozen=True, slots=True)
class Press:
    """Take page photos and press `count` times for `person` (or fingerprint `fp_slot`)."""

    cmd: str | None
    person: str | None
    fp_slot: int | None
    count: int
    emergency: bool = False
    app_code: str | None = None


@dataclass(frozen=True, slots=True)
class Offline:
    cmd: str
    seconds: int
    presses: int
    person: str | None


@dataclass(frozen=True, slots=True)
class Reboot:
    cmd: str


@dataclass(frozen=True, slots=True)
class Download:
    cmd: str
    manifest: m.Manifest
    url: str


@dataclass(frozen=True, slots=True)
class Grant:
    grant: m.UploadGrant


Effect = Press | Offline | Reboot | Download | Grant
# a command handler returns (records and other messages, effects, the result or None when an
# effect will finish it)
Handled = tuple[list[Out], list[Effect], m.Result | None]


@dataclass
class AuthState:
    terms: m.Authorise
    used: int = 0

    @property
    def left(self) -> int:
        return max(self.terms.presses - self.used, 0)


@dataclass
class SimDevice:
    serial: str
    signer: Signer
    secret: bytes
    platform: Verifier | None = None
    clock: Callable[[], int] = field(default=lambda: 0)
    breaks: frozenset[str] = frozenset()
    no_upload: bool = False
    capabilities: tuple[str, ...] = (
        "application",
        "fingerprint",
        "otc",
        "camera",
        "video",
        "gps",
        "firmware",
        "bundle",
        "diag",
    )
    rng: random.Random = field(default_factory=random.Random)
    # state the device keeps across reconnects
    seq: int = 0
    offset_ms: int = 0
    firmware: str = FIRMWARE
    battery: int = 100
    ink_presses: int = 0
    ink_capacity: int = 1000
    lock: str = "locked"
    mode: str = "application"
    camera: bool = True
    signal: int = -71
    storage_free_kb: int = 6_000_000
    location: m.Location | None = field(
        default_factory=lambda: m.Location(
            src="gps", lat_e7=311_230_000, lon_e7=1_214_730_000, acc_m=8
        )
    )
    heartbeat_s: int = 60
    press_timeout_s: int = 120
    geofence: m.Geofence | None = None
    working_hours: m.WorkingHours | None = None
    auths: dict[str, AuthState] = field(default_factory=dict)
    fingerprints: dict[int, str] = field(default_factory=dict)
    unlocked_auth: str | None = None
    unlocked_until: int = 0
    journal: Journal = field(default_factory=Journal)
    down_acceptance: acceptance.Acceptance = field(default_factory=acceptance.down)
    answered: OrderedDict[str, list[m.Body]] = field(default_factory=OrderedDict)
    otc_verifier: otc.OtcVerifier | None = None

    def __post_init__(self) -> None:
        self.journal.keep_acked = self.no_upload
        self.otc_verifier = otc.OtcVerifier(self.secret, self.serial)

    # --- time and framing ---------------------------------------------------------------

    def now(self) -> int:
        return self.clock() + self.offset_ms

    def next_seq(self) -> int:
        if "sequence" in self.breaks and self.seq >= 2 and self.seq % 3 == 0:
            return self.seq  # reuses a number (broken on purpose)
        self.seq += 1
        return self.seq

    def wire(self, body: m.Body) -> bytes:
        """The signed payload of one uplink."""
        seq, ts = self.next_seq(), self.now()
        if "signature" not in self.breaks:
            return codec.encode(body, device=self.serial, seq=seq, ts=ts, signer=self.signer)
        doc = codec.unsigned(m.KIND_OF[type(body)], self.serial, seq, ts, body)
        doc["sig"] = self.signer.sign(codec.canonical(doc) + b"!")  # signs the wrong bytes
        return codec.canonical(doc)

    # --- session ------------------------------------------------------------------------

    def hello(self) -> m.Hello:
        return m.Hello(
            versions=(m.VERSION,),
            capabilities=self.capabilities,
            firmware=self.firmware,
            model=MODEL,
            journal_next=self.journal.next_n,
            journal_head=self.journal.head,
        )

    def heartbeat(self) -> m.Heartbeat:
        return m.Heartbeat(
            battery=self.battery,
            ink_presses=self.ink_presses,
            ink_capacity=self.ink_capacity,
            firmware=self.firmware,
            location=self.location,
            lock="unlocked" if self.lock == "unlocked" else "locked",
            mode="fingerprint" if self.mode == "fingerprint" else "application",
            camera=self.camera,
            signal=self.signal,
            storage_free_kb=self.storage_free_kb,
        )

    def resend(self) -> list[Out]:
        """Every record not yet acknowledged, in order (§7.2)."""
        return [Out(r) for r in self.journal.unacked()]

    def drain(self, seconds: float) -> None:
        """Battery use while idle: about 1 % per 10 minutes."""
        if self.rng.random() < seconds / 600:
            self.battery = max(self.battery - 1, 0)

    # --- the journal --------------------------------------------------------------------

    def record(self, data: m.Body) -> Out:
        if "journal" in self.breaks:
            self.journal.head = m.ZERO_HASH  # forgets to chain (broken on purpose)
        return Out(self.journal.append(data, self.now()))

    def alarm(self, code: str, detail: str = "", *, person: str | None = None) -> Out:
        return self.record(
            m.AlarmData(code=code, detail=detail, auth=self.unlocked_auth, person=person)  # type: ignore[arg-type]
        )

    def export(self) -> bytes:
        records = self.journal.kept
        signer = self.signer
        if "bundle" in self.breaks:
            signer = Signer.from_seed(hashlib.sha256(self.serial.encode()).digest())
        return bundles.export(
            records, device=self.serial, signer=signer, now_ms=self.now(), head=self.journal.head
        )

    # --- downlinks ----------------------------------------------------------------------

    def receive(self, payload: bytes, kind: str) -> tuple[list[Out], list[Effect]]:
        """Handle one downlink payload (from down/<kind>)."""
        try:
            decoded = codec.decode(payload, "down")
        except codec.ProtocolError as exc:
            if exc.code == "unknown_command":
                return self._reject_raw(payload, "unknown_command"), []
            return [], []
        env = decoded.envelope
        if env.kind != kind or env.device != self.serial:
            return [], []
        command = env.body if isinstance(env.body, m.Command) else None
        if self.platform is not None and not decoded.verify(self.platform):
            return ([self._ack(command.id, "bad_signature")] if command else []), []
        verdict = self.down_acceptance.check(env.seq, env.ts, self.now())
        if verdict in (acceptance.Verdict.REPLAY, acceptance.Verdict.TOO_OLD) and (
            "replay" in self.breaks
        ):
            verdict = acceptance.Verdict.ACCEPTED  # does not check (broken on purpose)
        if verdict is not acceptance.Verdict.ACCEPTED:
            self.down_acceptance.rejected[verdict.value] += 1
            return ([self._ack(command.id, verdict.value)] if command else []), []
        self.down_acceptance.accept(env.seq, env.ts, self.now())
        body = env.body
        if isinstance(body, m.Welcome):
            self.offset_ms += body.time - self.now()
            self.heartbeat_s = body.heartbeat_s
            if "ack" not in self.breaks:
                self.journal.acknowledge_upto(body.acked_upto)
            return [Out(self.heartbeat()), *self.resend()], []
        if isinstance(body, m.Probe):
            return [Out(self.hello())], []
        if isinstance(body, m.RecordAck):
            if "ack" not in self.breaks:
                self.journal.acknowledge(body.ns)
            return [], []
        if isinstance(body, m.Command):
            return self.command(body)
        if isinstance(body, m.UploadGrant):
            return [], [Grant(body)]
        return [], []

    def _reject_raw(self, payload: bytes, reason: str) -> list[Out]:
        try:
            import orjson

            cid = orjson.loads(payload)["body"]["id"]
        except Exception:  # not even that: nothing to answer
            return []
        return [self._ack(str(cid), reason)] if isinstance(cid, str) else []

    @staticmethod
    def _ack(cid: str, reason: str | None) -> Out:
        status = "accepted" if reason is None else "rejected"
        return Out(m.Ack(id=cid, status=status, reason=reason))  # type: ignore[arg-type]

    def _remember(self, cid: str, answers: list[m.Body]) -> None:
        self.answered[cid] = answers
        while len(self.answered) > MAX_REMEMBERED_COMMANDS:
            self.answered.popitem(last=False)

    def finish(self, cid: str | None, ok: bool, code: str, **detail: object) -> Out | None:
        """The final result of a command (remembered for retries, §9.3)."""
        if cid is None:
            return None
        result = m.Result(id=cid, ok=ok, code=code, detail=dict(detail))
        if cid in self.answered:
            self.answered[cid] = [*self.answered[cid], result]
        return Out(result)

    def command(self, cmd: m.Command) -> tuple[list[Out], list[Effect]]:
        if (previous := self.answered.get(cmd.id)) is not None:
            return [Out(b) for b in previous], []  # a retry: the same answers, not run again
        if cmd.expires < self.now():
            return [self._ack(cmd.id, "expired")], []
        handler = getattr(self, f"_do_{cmd.name}", None)
        if handler is None:
            return [self._ack(cmd.id, "unsupported")], []
        try:
            outs, effects, result = handler(cmd.id, cmd.args)
        except _BadArgs:
            return [self._ack(cmd.id, "bad_args")], []
        ack = self._ack(cmd.id, None).body
        self._remember(cmd.id, [ack] if result is None else [ack, result])
        tail = [] if result is None else [Out(result)]
        return [Out(ack), *outs, *tail], effects

    def _ok(self, cid: str, code: str, **detail: object) -> m.Result:
        return m.Result(id=cid, ok=True, code=code, detail=dict(detail))

    def _do_authorise(self, cid: str, a: m.Authorise) -> Handled:
        if a.presses < 0 or a.valid_until <= a.valid_from or a.pages < 0:
            raise _BadArgs
        state = self.auths.get(a.auth)
        used = state.used if state else 0
        self.auths[a.auth] = AuthState(a, used)
        return (
            [],
            [],
            self._ok(cid, "authorised", auth=a.auth, presses_left=max(a.presses - used, 0)),
        )

    def _do_revoke(self, cid: str, a: m.Revoke) -> Handled:
        self.auths.pop(a.auth, None)
        outs = []
        if self.unlocked_auth == a.auth and self.lock == "unlocked":
            outs.append(self._relock("revoked"))
        return outs, [], self._ok(cid, "revoked", auth=a.auth)

    def _relock(self, reason: str) -> Out:
        self.lock, self.unlocked_auth, self.unlocked_until = "locked", None, 0
        return self.record(m.LockData(reason=reason))  # type: ignore[arg-type]

    def _do_lock(self, cid: str, a: m.Lock) -> Handled:
        outs = [self._relock("remote")] if self.lock == "unlocked" else []
        return outs, [], self._ok(cid, "locked")

    def _do_unlock(self, cid: str, a: m.Unlock) -> Handled:
        if not 1 <= a.seconds <= 3600 or not a.reason:
            raise _BadArgs
        self.lock, self.unlocked_auth = "unlocked", None
        self.unlocked_until = self.now() + a.seconds * 1000
        out = self.record(
            m.UnlockData(method="remote", auth=None, person=a.person, fp_slot=None, photo=None)
        )
        return [out], [], self._ok(cid, "unlocked", until=self.unlocked_until)

    def _do_mode(self, cid: str, a: m.Mode) -> Handled:
        self.mode = a.mode
        return [], [], self._ok(cid, "mode", mode=a.mode)

    def _do_fp_enrol(self, cid: str, a: m.FpEnrol) -> Handled:
        if not 0 <= a.slot <= 99 or not a.member:
            raise _BadArgs
        self.fingerprints[a.slot] = a.member  # the template stays here
        return [], [], self._ok(cid, "enrolled", slot=a.slot, member=a.member)

    def _do_fp_delete(self, cid: str, a: m.FpDelete) -> Handled:
        if not 0 <= a.slot <= 99:
            raise _BadArgs
        existed = self.fingerprints.pop(a.slot, None) is not None
        return [], [], self._ok(cid, "deleted" if existed else "empty", slot=a.slot)

    def _do_camera(self, cid: str, a: m.Camera) -> Handled:
        self.camera = a.on
        return [], [], self._ok(cid, "camera", on=a.on)

    def _do_config(self, cid: str, a: m.Config) -> Handled:
        if not 5 <= a.press_timeout_s <= 3600 or not 1 <= a.heartbeat_s <= 86_400:
            raise _BadArgs
        self.press_timeout_s, self.heartbeat_s = a.press_timeout_s, a.heartbeat_s
        self.geofence, self.working_hours = a.geofence, a.working_hours
        return [], [], self._ok(cid, "configured")

    def _do_time_sync(self, cid: str, a: m.TimeSync) -> Handled:
        self.offset_ms += a.time - self.now()
        return [], [], self._ok(cid, "synced", time=self.now())

    def _do_reboot(self, cid: str, a: m.Reboot) -> Handled:
        return [], [Reboot(cid)], self._ok(cid, "rebooting")

    def _do_firmware(self, cid: str, a: m.Firmware) -> Handled:
        if "firmware" not in self.capabilities:
            raise _BadArgs
        if self.platform is None or not firmware.verify_manifest(a.manifest, self.platform):
            return [], [], m.Result(id=cid, ok=False, code="failed", detail={"why": "manifest"})
        if self.battery < a.manifest.min_battery:
            return [], [], m.Result(id=cid, ok=False, code="failed", detail={"why": "battery"})
        progress = Out(self._ok(cid, "downloading", version=a.manifest.version))
        return [progress], [Download(cid, a.manifest, a.url)], None

    def install(self, effect: Download, image: bytes | None) -> Out | None:
        """The firmware image arrived (or not): install it or keep the old one."""
        if image is None or not firmware.image_matches(effect.manifest, image):
            return self.finish(effect.cmd, False, "rolled_back", version=self.firmware)
        self.firmware = effect.manifest.version
        return self.finish(effect.cmd, True, "installed", version=self.firmware)

    def _do_export(self, cid: str, a: m.Export) -> Handled:
        return [], [], self._ok(cid, "exported", bundle=self.export().decode())

    def _do_diag(self, cid: str, a: m.Diag) -> Handled:
        if "diag" not in self.capabilities:
            raise _BadArgs
        if a.action == "press":
            fp = None
            if a.person is None and self.fingerprints:
                fp = min(self.fingerprints)
            return [], [Press(cid, a.person, fp, a.count or 1, app_code=a.code)], None
        if a.action == "alarm":
            if a.alarm is None:
                raise _BadArgs
            return [self.alarm(a.alarm, "diag")], [], self._ok(cid, "alarm", alarm=a.alarm)
        if a.action == "offline":
            seconds = a.seconds or 2
            if not 1 <= seconds <= 600:
                raise _BadArgs
            effect = Offline(cid, seconds, a.count or 0, a.person)
            return [], [effect], self._ok(cid, "offline", seconds=seconds)
        if a.action == "code":
            if a.person is None or a.code is None:
                raise _BadArgs
            return self._code_unlock(cid, a.person, a.code)
        raise _BadArgs

    def _code_unlock(self, cid: str, person: str, code: str) -> Handled:
        assert self.otc_verifier is not None
        verdict = self.otc_verifier.check(person, code, self.now())
        if verdict is not otc.OtcVerdict.OK:
            return [], [], m.Result(id=cid, ok=False, code=verdict.value, detail={})
        self.lock, self.unlocked_auth = "unlocked", None
        self.unlocked_until = self.now() + self.press_timeout_s * 1000
        out = self.record(
            m.UnlockData(method="otc", auth=None, person=person, fp_slot=None, photo=None)
        )
        return [out], [], self._ok(cid, "unlocked", person=person)

    # --- a person at the device ---------------------------------------------------------

    def authorisation_for(self, person: str | None) -> tuple[AuthState | None, str | None]:
        """The authorisation this person may press under now, or the alarm code why not."""
        now = self.now()
        named = [s for s in self.auths.values() if person is None or person in s.terms.people]
        if not named:
            return None, "refused_person"
        in_window = [s for s in named if s.terms.valid_from <= now <= s.terms.valid_until]
        if not in_window:
            return None, "refused_window"
        usable = [s for s in in_window if s.left > 0]
        if not usable:
            return None, "refused_count"
        return usable[0], None

    def press(
        self,
        person: str | None,
        photos: tuple[str, ...],
        *,
        fp_slot: int | None = None,
        emergency: bool = False,
        unlock_photo: str | None = None,
        app_code: str | None = None,
    ) -> tuple[list[Out], bool]:
        """One press by `person` (or the member of fingerprint `fp_slot`); (records, stamped).

        `app_code` is the application code the person typed (§10.1); None when the unlock
        is by fingerprint or the device is already open for them."""
        if fp_slot is not None and person is None:
            person = self.fingerprints.get(fp_slot)
        outs: list[Out] = []
        if emergency:
            outs.append(self.alarm("emergency_use", "emergency use", person=person))
            state: AuthState | None = None
        else:
            state, refusal = self.authorisation_for(person)
            if state is not None and app_code is not None and person is not None:
                expected = state.terms.codes.get(person)
                typed = hashlib.sha256(app_code.encode()).hexdigest()
                if expected is not None and typed != expected:
                    state, refusal = None, "refused_person"
            if state is None:
                assert refusal is not None
                outs.append(self.alarm(refusal, "press refused", person=person))
                return outs, False
        if self.lock != "unlocked" or (state and self.unlocked_auth != state.terms.auth):
            method = (
                "emergency"
                if emergency
                else ("fingerprint" if fp_slot is not None else "application")
            )
            self.lock, self.unlocked_auth = "unlocked", state.terms.auth if state else None
            outs.append(
                self.record(
                    m.UnlockData(
                        method=method,  # type: ignore[arg-type]
                        auth=self.unlocked_auth,
                        person=person,
                        fp_slot=fp_slot,
                        photo=unlock_photo,
                    )
                )
            )
        if state is not None:
            state.used += 1
        self.ink_presses += 1
        if self.ink_presses % 25 == 0:
            self.battery = max(self.battery - 1, 0)
        left = state.left if state else 0
        outs.append(
            self.record(
                m.StampData(
                    auth=state.terms.auth if state else None,
                    item=state.terms.item if state else None,
                    person=person,
                    fp_slot=fp_slot,
                    location=self.location,
                    photos=photos,
                    presses_left=left,
                    emergency=emergency,
                )
            )
        )
        if self.ink_presses >= self.ink_capacity - 50 and self.ink_presses % 10 == 0:
            outs.append(self.alarm("low_ink", f"{self.ink_capacity - self.ink_presses} left"))
        if self.battery < 20 and self.ink_presses % 10 == 0:
            outs.append(self.alarm("low_battery", f"{self.battery}%"))
        if state is not None and left == 0:
            outs.append(self._relock("used_up"))
        return outs, True

    def video(self, sha256: str, seconds: int, content_type: str) -> Out:
        return self.record(
            m.VideoData(
                auth=self.unlocked_auth, sha256=sha256, seconds=seconds, content_type=content_type
            )
        )

    def refill(self) -> None:
        self.ink_presses = 0

    def replace(self, **changes: object) -> SimDevice:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


class _BadArgs(Exception):
    pass
