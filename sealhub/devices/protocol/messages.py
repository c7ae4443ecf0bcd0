"""Every message kind of protocol v1 as a frozen dataclass (docs/device-protocol.md §4–§13).

Bodies hold only ints, strs, bools, None, tuples, str-keyed dicts and nested dataclasses, so
the canonical form (§4.2) is exact. `KINDS[(direction, kind)]` gives the body class; a command's
`args` class comes from `COMMAND_ARGS[name]`, a record's `data` class from `RECORD_DATA[type]`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

VERSION = 1
ZERO_HASH = "0" * 64

CAPABILITIES = (
    "application",
    "fingerprint",
    "otc",
    "camera",
    "video",
    "gps",
    "cell",
    "geofence",
    "firmware",
    "bundle",
    "diag",
)

ALARM_CODES = (
    "tamper",
    "press_too_long",
    "fingerprint_failures",
    "geofence",
    "working_hours",
    "low_battery",
    "low_ink",
    "seal_removed",
    "seal_swapped",
    "emergency_use",
    "refused_count",
    "refused_window",
    "refused_person",
)

AlarmCode = Literal[
    "tamper",
    "press_too_long",
    "fingerprint_failures",
    "geofence",
    "working_hours",
    "low_battery",
    "low_ink",
    "seal_removed",
    "seal_swapped",
    "emergency_use",
    "refused_count",
    "refused_window",
    "refused_person",
]
RejectReason = Literal[
    "bad_signature",
    "replay",
    "too_old",
    "stale",
    "expired",
    "unknown_command",
    "bad_args",
    "unsupported",
    "busy",
]


class Body:
    """Marker base of message bodies, command args and record data."""


@dataclass(frozen=True, slots=True)
class Location(Body):
    src: Literal["gps", "cell"]
    lat_e7: int
    lon_e7: int
    acc_m: int


# --- up ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Hello(Body):
    versions: tuple[int, ...]
    capabilities: tuple[str, ...]
    firmware: str
    model: str
    journal_next: int
    journal_head: str


@dataclass(frozen=True, slots=True)
class Heartbeat(Body):
    battery: int
    ink_presses: int
    ink_capacity: int
    firmware: str
    location: Location | None
    lock: Literal["locked", "unlocked"]
    mode: Literal["application", "fingerprint"]
    camera: bool
    signal: int
    storage_free_kb: int


@dataclass(frozen=True, slots=True)
class StampData(Body):
    auth: str | None
    item: str | None
    person: str | None
    fp_slot: int | None
    location: Location | None
    photos: tuple[str, ...]
    presses_left: int
    emergency: bool


@dataclass(frozen=True, slots=True)
class AlarmData(Body):
    code: AlarmCode
    detail: str
    auth: str | None
    person: str | None


@dataclass(frozen=True, slots=True)
class UnlockData(Body):
    method: Literal["application", "fingerprint", "otc", "remote", "emergency"]
    auth: str | None
    person: str | None
    fp_slot: int | None
    photo: str | None


@dataclass(frozen=True, slots=True)
class LockData(Body):
    reason: Literal["used_up", "timeout", "remote", "revoked", "expired", "manual"]


@dataclass(frozen=True, slots=True)
class VideoData(Body):
    auth: str | None
    sha256: str
    seconds: int
    content_type: str


RecordType = Literal["stamp", "alarm", "unlock", "lock", "video"]
RECORD_DATA: dict[str, type[Body]] = {
    "stamp": StampData,
    "alarm": AlarmData,
    "unlock": UnlockData,
    "lock": LockData,
    "video": VideoData,
}


@dataclass(frozen=True, slots=True)
class Record(Body):
    """One journal record (§7.1); its hash chains it to the previous one."""

    n: int
    prev: str
    at: int
    type: RecordType
    data: Body


@dataclass(frozen=True, slots=True)
class Ack(Body):
    id: str
    status: Literal["accepted", "rejected"]
    reason: RejectReason | None


@dataclass(frozen=True, slots=True)
class Result(Body):
    id: str
    ok: bool
    code: str
    detail: dict[str, Any]


@dataclass(frozen=True, slots=True)
class UploadRequest(Body):
    req: str
    sha256: str
    size: int
    content_type: str
    purpose: Literal["photo", "unlock_photo", "video"]


@dataclass(frozen=True, slots=True)
class Gone(Body):
    """The last will (§1.4): its envelope is the bare `{"v":1,"kind":"gone"}`."""


# --- down -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Welcome(Body):
    version: int
    time: int
    acked_upto: int
    heartbeat_s: int


@dataclass(frozen=True, slots=True)
class Probe(Body):
    pass


@dataclass(frozen=True, slots=True)
class RecordAck(Body):
    ns: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class UploadGrant(Body):
    req: str
    url: str | None
    method: Literal["PUT"]
    headers: dict[str, str]
    expires: int
    reason: str | None


# --- command args (§9.4) ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Authorise(Body):
    auth: str
    request: str
    item: str
    people: tuple[str, ...]
    codes: dict[str, str]
    presses: int
    valid_from: int
    valid_until: int
    pages: int
    doc_url: str | None


@dataclass(frozen=True, slots=True)
class Revoke(Body):
    auth: str


@dataclass(frozen=True, slots=True)
class Lock(Body):
    pass


@dataclass(frozen=True, slots=True)
class Unlock(Body):
    seconds: int
    reason: str
    person: str | None


@dataclass(frozen=True, slots=True)
class Mode(Body):
    mode: Literal["application", "fingerprint"]


@dataclass(frozen=True, slots=True)
class FpEnrol(Body):
    slot: int
    member: str


@dataclass(frozen=True, slots=True)
class FpDelete(Body):
    slot: int


@dataclass(frozen=True, slots=True)
class Camera(Body):
    on: bool


@dataclass(frozen=True, slots=True)
class Geofence(Body):
    lat_e7: int
    lon_e7: int
    radius_m: int


@dataclass(frozen=True, slots=True)
class WorkingHours(Body):
    days: tuple[int, ...]
    start: str
    end: str
    tz: str


@dataclass(frozen=True, slots=True)
class Config(Body):
    press_timeout_s: int
    geofence: Geofence | None
    working_hours: WorkingHours | None
    heartbeat_s: int


@dataclass(frozen=True, slots=True)
class TimeSync(Body):
    time: int


@dataclass(frozen=True, slots=True)
class Reboot(Body):
    pass


@dataclass(frozen=True, slots=True)
class Manifest(Body):
    """A firmware manifest (§12), signed by the platform's firmware key (`sig`)."""

    model: str
    version: str
    image_sha256: str
    size: int
    url: str
    min_battery: int
    created_at: int
    sig: str


@dataclass(frozen=True, slots=True)
class Firmware(Body):
    manifest: Manifest
    url: str


@dataclass(frozen=True, slots=True)
class Export(Body):
    pass


@dataclass(frozen=True, slots=True)
class Diag(Body):
    action: Literal["press", "alarm", "offline", "code"]
    alarm: AlarmCode | None = None
    seconds: int | None = None
    code: str | None = None
    person: str | None = None
    count: int | None = None


COMMAND_ARGS: dict[str, type[Body]] = {
    "authorise": Authorise,
    "revoke": Revoke,
    "lock": Lock,
    "unlock": Unlock,
    "mode": Mode,
    "fp_enrol": FpEnrol,
    "fp_delete": FpDelete,
    "camera": Camera,
    "config": Config,
    "time_sync": TimeSync,
    "reboot": Reboot,
    "firmware": Firmware,
    "export": Export,
    "diag": Diag,
}
COMMAND_NAMES = tuple(COMMAND_ARGS)


@dataclass(frozen=True, slots=True)
class Command(Body):
    id: str
    name: str
    args: Body
    expires: int


KINDS: dict[tuple[str, str], type[Body]] = {
    ("up", "hello"): Hello,
    ("up", "heartbeat"): Heartbeat,
    ("up", "record"): Record,
    ("up", "ack"): Ack,
    ("up", "result"): Result,
    ("up", "upload_request"): UploadRequest,
    ("down", "welcome"): Welcome,
    ("down", "probe"): Probe,
    ("down", "command"): Command,
    ("down", "record_ack"): RecordAck,
    ("down", "upload_grant"): UploadGrant,
}
KIND_OF: dict[type[Body], str] = {cls: kind for (_, kind), cls in KINDS.items()}
# the polymorphic fields: (class, field) -> (discriminating field, name -> class)
VARIANTS: dict[tuple[type[Body], str], tuple[str, dict[str, type[Body]]]] = {
    (Command, "args"): ("name", COMMAND_ARGS),
    (Record, "data"): ("type", RECORD_DATA),
}


@dataclass(frozen=True, slots=True)
class Envelope:
    """A decoded, not yet verified message (§4.1)."""

    v: int
    kind: str
    device: str
    seq: int
    ts: int
    body: Body
    sig: str = field(default="")


def command_name(args: Body) -> str:
    for name, cls in COMMAND_ARGS.items():
        if type(args) is cls:
            return name
    raise TypeError(f"not command args: {type(args).__name__}")


def record_type(data: Body) -> str:
    for name, cls in RECORD_DATA.items():
        if type(data) is cls:
            return name
    raise TypeError(f"not record data: {type(data).__name__}")
