"""Canonical JSON (§4.2), typed decoding of every kind, and signed envelopes (§4.1, §4.3).

The platform decodes thousands of messages a second: orjson does the JSON, and each body
class gets a converter built once from its type hints (no per-message reflection).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from sealhub.devices.protocol import messages as m
from sealhub.devices.protocol.signing import Signer, Verifier

_SORT = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATACLASS
_FIELDS: dict[type[Any], tuple[str, ...]] = {}
MAX_PAYLOAD = 256 * 1024


class ProtocolError(ValueError):
    """A payload that is not a valid message; `code` is stable, `detail` says where."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


def _as_dict(obj: Any) -> dict[str, Any]:
    # orjson writes dataclass fields in declaration order even with OPT_SORT_KEYS; a dict
    # from here is sorted like every other
    cls = type(obj)
    names = _FIELDS.get(cls)
    if names is None:
        if not dataclasses.is_dataclass(obj):
            raise TypeError(f"not JSON: {cls.__name__}")
        names = _FIELDS[cls] = tuple(f.name for f in dataclasses.fields(obj))
    return {n: getattr(obj, n) for n in names}


def canonical(value: Any) -> bytes:
    """The canonical bytes of a JSON value or message dataclass (sorted keys, no spaces)."""
    return orjson.dumps(value, default=_as_dict, option=_SORT)


# --- typed conversion -------------------------------------------------------------------

Conv = Callable[[Any, str], Any]


def _fail(path: str, what: str) -> ProtocolError:
    return ProtocolError("bad_field", f"{path}: {what}")


def _int(v: Any, path: str) -> int:
    if type(v) is not int:
        raise _fail(path, "expected an integer")
    if not -(2**63) <= v < 2**63:
        raise _fail(path, "integer out of range")
    return v


def _str(v: Any, path: str) -> str:
    if type(v) is not str:
        raise _fail(path, "expected a string")
    return v


def _bool(v: Any, path: str) -> bool:
    if type(v) is not bool:
        raise _fail(path, "expected a boolean")
    return v


def _json(v: Any, path: str) -> Any:
    """Free JSON (a result's detail): anything but floats (§4.2)."""
    if isinstance(v, float):
        raise _fail(path, "floats are not allowed")
    if isinstance(v, dict):
        for k, x in v.items():
            _json(x, f"{path}.{k}")
    elif isinstance(v, list):
        for i, x in enumerate(v):
            _json(x, f"{path}[{i}]")
    return v


def _literal(values: tuple[Any, ...]) -> Conv:
    allowed = frozenset(values)

    def conv(v: Any, path: str) -> Any:
        if type(v) is not str or v not in allowed:
            raise _fail(path, f"expected one of {sorted(allowed)}")
        return v

    return conv


def _optional(inner: Conv) -> Conv:
    def conv(v: Any, path: str) -> Any:
        return None if v is None else inner(v, path)

    return conv


def _tuple(inner: Conv) -> Conv:
    def conv(v: Any, path: str) -> tuple[Any, ...]:
        if type(v) is not list:
            raise _fail(path, "expected an array")
        return tuple(inner(x, f"{path}[{i}]") for i, x in enumerate(v))

    return conv


def _dict(inner: Conv) -> Conv:
    def conv(v: Any, path: str) -> dict[str, Any]:
        if type(v) is not dict:
            raise _fail(path, "expected an object")
        return {k: inner(x, f"{path}.{k}") for k, x in v.items()}

    return conv


def converter(tp: Any) -> Conv:
    """A strict converter from decoded JSON to the annotated type `tp`."""
    if tp is int:
        return _int
    if tp is str:
        return _str
    if tp is bool:
        return _bool
    if tp is Any:
        return _json
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Literal:
        return _literal(args)
    if origin in (typing.Union, types.UnionType):
        rest = [a for a in args if a is not type(None)]
        if len(rest) != 1 or len(args) != 2:
            raise TypeError(f"unsupported union {tp}")
        return _optional(converter(rest[0]))
    if origin is tuple:
        return _tuple(converter(args[0]))
    if origin is dict:
        return _dict(converter(args[1]))
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return body_converter(tp)
    raise TypeError(f"unsupported type {tp!r}")


_BODY: dict[type[Any], Conv] = {}


def body_converter(cls: type[Any]) -> Conv:
    if (done := _BODY.get(cls)) is not None:
        return done
    hints = typing.get_type_hints(cls)
    fields = dataclasses.fields(cls)
    variant = {f: spec for (c, f), spec in m.VARIANTS.items() if c is cls}
    plan: list[tuple[str, Conv | None, bool]] = []
    for f in fields:
        required = f.default is dataclasses.MISSING
        plan.append((f.name, None if f.name in variant else converter(hints[f.name]), required))
    names = frozenset(f.name for f in fields)

    def conv(v: Any, path: str) -> Any:
        if type(v) is not dict:
            raise _fail(path, "expected an object")
        if extra := v.keys() - names:
            raise _fail(path, f"unknown field {sorted(extra)[0]}")
        out: dict[str, Any] = {}
        for name, c, required in plan:
            if name not in v:
                if required:
                    raise _fail(path, f"missing field {name}")
                continue
            if c is None:
                key, table = variant[name]
                sub = table.get(v.get(key))  # type: ignore[arg-type]
                if sub is None:
                    raise ProtocolError(
                        "unknown_command" if cls is m.Command else "bad_field",
                        f"{path}.{key}: unknown {v.get(key)!r}",
                    )
                out[name] = body_converter(sub)(v[name], f"{path}.{name}")
            else:
                out[name] = c(v[name], f"{path}.{name}")
        return cls(**out)

    _BODY[cls] = conv
    return conv


def to_body(cls: type[m.Body], data: Any, path: str = "body") -> Any:
    """Decode `data` (parsed JSON) into a `cls` instance, strictly."""
    return body_converter(cls)(data, path)


# --- envelopes --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Decoded:
    """A parsed message and the bytes its signature covers."""

    envelope: m.Envelope
    signed: bytes
    direction: str

    def verify(self, verifier: Verifier) -> bool:
        return verifier.verify(self.signed, self.envelope.sig)


def unsigned(kind: str, device: str, seq: int, ts: int, body: m.Body) -> dict[str, Any]:
    return {"v": m.VERSION, "kind": kind, "device": device, "seq": seq, "ts": ts, "body": body}


def encode(
    body: m.Body,
    *,
    device: str,
    seq: int,
    ts: int,
    signer: Signer,
    kind: str | None = None,
) -> bytes:
    """The signed wire bytes of one message."""
    kind = kind or m.KIND_OF[type(body)]
    doc = unsigned(kind, device, seq, ts, body)
    doc["sig"] = signer.sign(canonical(doc))
    return canonical(doc)


_ENVELOPE_KEYS = frozenset({"v", "kind", "device", "seq", "ts", "body", "sig"})


def decode(payload: bytes, direction: str) -> Decoded:
    """Parse and type-check one message (not its signature: see `Decoded.verify`)."""
    if len(payload) > MAX_PAYLOAD:
        raise ProtocolError("too_large", f"{len(payload)} bytes")
    try:
        doc = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise ProtocolError("malformed", str(exc)) from None
    if type(doc) is not dict:
        raise ProtocolError("malformed", "not a JSON object")
    if doc.keys() != _ENVELOPE_KEYS:
        missing = _ENVELOPE_KEYS - doc.keys()
        what = f"missing {sorted(missing)[0]}" if missing else "unknown envelope field"
        raise ProtocolError("malformed", what)
    if doc["v"] != m.VERSION or type(doc["v"]) is not int:
        raise ProtocolError("bad_version", repr(doc["v"]))
    kind = doc["kind"]
    cls = m.KINDS.get((direction, kind)) if type(kind) is str else None
    if cls is None:
        raise ProtocolError("unknown_kind", f"{direction}/{kind!r}")
    sig = _str(doc["sig"], "sig")
    # only the canonical form is accepted (§4.2): no two byte strings mean the same message
    if canonical(doc) != payload:
        raise ProtocolError("not_canonical", "payload is not in canonical form")
    del doc["sig"]
    envelope = m.Envelope(
        v=m.VERSION,
        kind=kind,
        device=_str(doc["device"], "device"),
        seq=_int(doc["seq"], "seq"),
        ts=_int(doc["ts"], "ts"),
        body=to_body(cls, doc["body"]),
        sig=sig,
    )
    if envelope.seq < 1:
        raise _fail("seq", "must be ≥ 1")
    return Decoded(envelope, canonical(doc), direction)


def encode_record(record: m.Record) -> bytes:
    """A journal record's canonical bytes (what its hash covers)."""
    return canonical(record)


def decode_record(data: Any, path: str = "record") -> m.Record:
    rec: m.Record = to_body(m.Record, data, path)
    return rec


def as_json(value: Any) -> Any:
    """A message dataclass as plain JSON values (dicts and lists)."""
    return orjson.loads(canonical(value))
