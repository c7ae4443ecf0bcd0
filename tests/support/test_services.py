"""The session's discovery of local servers (tests/support/services.py), on real sockets."""

from __future__ import annotations

import socket

import pytest

from tests.support.services import NO_SERVICES, SERVICES, Service, discover


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again on return: nothing listens there


def test_explicit_url_wins_without_probing():
    env = {"SEALHUB_TEST_PG_URL": f"postgresql+asyncpg://u:secret@127.0.0.1:{_closed_port()}/x"}
    lines = discover(env, SERVICES[:1])
    assert "from SEALHUB_TEST_PG_URL" in lines["postgresql"]
    assert "secret" not in lines["postgresql"]  # the header never shows a password


def test_nothing_listening_is_skipped_with_the_reason():
    port = _closed_port()
    down = Service("redis", "SEALHUB_TEST_X_URL", f"redis://127.0.0.1:{port}/15")
    env: dict[str, str] = {}
    lines = discover(env, (down,))
    assert "SEALHUB_TEST_X_URL" not in env
    assert lines["redis"].startswith(f"skipped: nothing answers on 127.0.0.1:{port}")


def test_discovery_can_be_turned_off():
    env = {NO_SERVICES: "1"}
    lines = discover(env, SERVICES)
    assert set(env) == {NO_SERVICES}
    assert all(line == f"skipped: {NO_SERVICES} is set" for line in lines.values())


def test_a_server_on_its_default_is_found():
    redis = next(s for s in SERVICES if s.name == "redis")
    env: dict[str, str] = {}
    lines = discover(env, (redis,))
    if lines["redis"].startswith("skipped"):
        pytest.skip(f"no Redis on this machine: {lines['redis']}")
    assert env == {redis.env: redis.default}
    assert lines["redis"].endswith("(found on the local default)")
