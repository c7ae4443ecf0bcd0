"""Codec: round trips, canonical form, schemas, and signature rejection on any changed byte."""

from __future__ import annotations

import jsonschema_rs
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sealhub.devices.protocol import codec, schema, topics
from sealhub.devices.protocol import messages as m
from sealhub.devices.protocol.signing import Signer
from tests.devices.strategies import any_message

SIGNER = Signer.from_seed(bytes(range(32)))
OTHER = Signer.from_seed(bytes(range(1, 33)))
VERIFIER = SIGNER.verifier()
SERIAL = "SH-TEST-0001"
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _encode(body: m.Body, seq: int = 7, ts: int = 1_790_000_000_000) -> bytes:
    return codec.encode(body, device=SERIAL, seq=seq, ts=ts, signer=SIGNER)


@FAST
@given(any_message(), st.integers(1, 2**63 - 1), st.integers(0, 2**62))
def test_round_trip_is_exact_and_verifies(msg: tuple[str, m.Body], seq: int, ts: int) -> None:
    direction, body = msg
    wire = _encode(body, seq, ts)
    decoded = codec.decode(wire, direction)
    assert decoded.envelope.body == body
    assert (decoded.envelope.seq, decoded.envelope.ts, decoded.envelope.device) == (
        seq,
        ts,
        SERIAL,
    )
    assert decoded.verify(VERIFIER)
    assert not decoded.verify(OTHER.verifier())
    # encoding is canonical: the same message always has the same bytes
    assert _encode(decoded.envelope.body, seq, ts) == wire


_VALIDATORS = {
    name: jsonschema_rs.Draft202012Validator(s) for name, s in schema.all_schemas().items()
}


@FAST
@given(any_message())
def test_every_message_matches_its_shipped_schema(msg: tuple[str, m.Body]) -> None:
    direction, body = msg
    wire = _encode(body)
    kind = m.KIND_OF[type(body)]
    _VALIDATORS[f"{direction}.{kind}.json"].validate(orjson.loads(wire))


def test_shipped_schemas_are_the_generated_ones() -> None:
    for (direction, kind), _ in m.KINDS.items():
        assert schema.load(direction, kind) == schema.envelope_schema(direction, kind), (
            "run python -m sealhub.devices.protocol.schema"
        )


def test_schema_refuses_what_the_codec_refuses() -> None:
    good = orjson.loads(_encode(m.RecordAck(ns=(1, 2))))
    validator = _VALIDATORS["down.record_ack.json"]
    validator.validate(good)
    bad = {**good, "body": {"ns": [1], "extra": 1}}
    assert not validator.is_valid(bad)
    with pytest.raises(codec.ProtocolError):
        codec.decode(codec.canonical(bad), "down")


@settings(max_examples=40, deadline=None)
@given(any_message(), st.data())
def test_any_changed_byte_is_rejected(msg: tuple[str, m.Body], data: st.DataObject) -> None:
    direction, body = msg
    wire = bytearray(_encode(body))
    pos = data.draw(st.integers(0, len(wire) - 1), label="position")
    new = data.draw(st.integers(0, 255).filter(lambda b: b != wire[pos]), label="byte")
    wire[pos] = new
    try:
        decoded = codec.decode(bytes(wire), direction)
    except codec.ProtocolError:
        return
    assert not decoded.verify(VERIFIER)


def test_every_signature_byte_matters() -> None:
    wire = _encode(m.Probe())
    sig_at = wire.index(b'"sig":"') + 7
    for i in range(86):
        for repl in (b"A", b"_"):
            changed = bytearray(wire)
            if changed[sig_at + i : sig_at + i + 1] == repl:
                continue
            changed[sig_at + i : sig_at + i + 1] = repl
            with pytest.raises(AssertionError):
                assert codec.decode(bytes(changed), "down").verify(VERIFIER)


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (b"not json", "malformed"),
        (b"[]", "malformed"),
        (b'{"v":1}', "malformed"),
        (
            b'{"body":{},"device":"SN0001","kind":"nope","seq":1,"sig":"x","ts":1,"v":1}',
            "unknown_kind",
        ),
        (
            b'{"body":{},"device":"SN0001","kind":"probe","seq":1,"sig":"x","ts":1,"v":2}',
            "bad_version",
        ),
        (
            b'{"body":{"ns":[1.5]},"device":"SN0001","kind":"record_ack","seq":1,"sig":"x","ts":1,"v":1}',
            "bad_field",
        ),
        (
            b'{"body":{}, "device":"SN0001","kind":"probe","seq":1,"sig":"x","ts":1,"v":1}',
            "not_canonical",
        ),
        (
            b'{"body":{"args":{},"expires":1,"id":"a","name":"selfdestruct"},"device":"SN0001","kind":"command","seq":1,"sig":"x","ts":1,"v":1}',
            "unknown_command",
        ),
    ],
)
def test_bad_payloads_have_stable_codes(payload: bytes, code: str) -> None:
    with pytest.raises(codec.ProtocolError) as err:
        codec.decode(payload, "down")
    assert err.value.code == code


def test_uplink_kinds_are_not_downlink_kinds() -> None:
    wire = _encode(m.Probe())
    with pytest.raises(codec.ProtocolError):
        codec.decode(wire, "up")


def test_topics() -> None:
    assert topics.up(SERIAL, "hello") == "sealhub/v1/SH-TEST-0001/up/hello"
    assert topics.parse("sealhub/v1/SH-TEST-0001/down/command") == (SERIAL, "down", "command")
    assert topics.parse("sealhub/v1/a/up/x") is None  # serial too short
    assert topics.parse("sealhub/v2/SH-TEST-0001/up/x") is None
    assert topics.fleet_up_filter(shared=True) == "$share/sealhub/sealhub/v1/+/up/#"
