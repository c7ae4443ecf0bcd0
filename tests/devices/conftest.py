"""Real MQTT brokers for the device tests.

- `amqtt_url`: amqtt's broker embedded in the test session's event loop, bound to 127.0.0.1
  on a free port (MQTT 3.1.1 only).
- `mosquitto_url`: Debian's `mosquitto` binary started on a free port with a temporary
  configuration (anonymous: these tests play both sides); else `SEALHUB_TEST_MQTT_URL` when
  set; skipped, with the reason, when neither is available.
- `broker_url`: each test that takes it runs on both.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

MQTT_ENV = "SEALHUB_TEST_MQTT_URL"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_open(port: int, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.05)
    return False


@pytest.fixture(scope="session")
async def amqtt_url() -> AsyncIterator[str]:
    from amqtt.broker import Broker

    port = free_port()
    config = {
        # always our own listener: amqtt's default binds 0.0.0.0
        "listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{port}"}},
        "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
    }
    broker = Broker(config)
    await broker.start()
    try:
        yield f"mqtt://127.0.0.1:{port}"
    finally:
        await broker.shutdown()


@pytest.fixture(scope="session")
def mosquitto_url() -> Iterator[str]:
    binary = shutil.which("mosquitto") or (
        "/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None
    )
    if binary is None:
        # an external one must let anonymous clients use any sealhub/v1 topic
        explicit = os.environ.get(MQTT_ENV)
        if explicit:
            yield explicit
            return
        pytest.skip(f"no Mosquitto: install Debian's mosquitto or set {MQTT_ENV}")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="sealhub-mosquitto-") as tmp:
        conf = Path(tmp) / "mosquitto.conf"
        conf.write_text(
            f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
            "max_queued_messages 100000\n",
            "utf-8",
        )
        proc = subprocess.Popen(
            [binary, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        try:
            if not _wait_open(port):
                proc.kill()
                err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
                pytest.skip(f"mosquitto did not start: {err.strip()[:200]}")
            yield f"mqtt://127.0.0.1:{port}"
        finally:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture(params=["amqtt", "mosquitto"])
def broker_url(request: pytest.FixtureRequest) -> str:
    url: str = request.getfixturevalue(f"{request.param}_url")
    return url
