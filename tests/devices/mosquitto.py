"""A Mosquitto of the test's own, configured with exactly the files docs/deployment.md
documents (read from that page), on a free port; skipped with a reason when Debian's
`mosquitto` binary is absent."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.server import free_port

DOC = Path(__file__).resolve().parents[2] / "docs" / "deployment.md"
PLATFORM_PASSWORD = "platform-test-password"


def documented(name: str) -> str:
    """The fenced block of docs/deployment.md labelled `conf <name>`."""
    text = DOC.read_text()
    found = re.search(r"```conf " + re.escape(name) + r"\n(.*?)```", text, re.S)
    assert found, f"docs/deployment.md has no ```conf {name} block"
    return found.group(1)


@dataclass
class Mosquitto:
    proc: subprocess.Popen[bytes]
    port: int
    dir: Path

    @property
    def passwd(self) -> Path:
        return self.dir / "sealhub.passwd"

    @property
    def platform_url(self) -> str:
        return f"mqtt://sealhub-platform:{PLATFORM_PASSWORD}@127.0.0.1:{self.port}"

    def add_devices(self, lines: str) -> None:
        """Append device lines (`sealhub devices mosquitto-passwd`) and reload."""
        with self.passwd.open("a") as fh:
            fh.write(lines)
        self.reload()

    def reload(self) -> None:
        self.proc.send_signal(signal.SIGHUP)
        time.sleep(0.3)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()

    def restart(self) -> None:
        """Stop and start again on the same port with the same files (persistence kept)."""
        self.stop()
        self.proc = _spawn(self.dir)
        _wait_port(self.port)


def _spawn(d: Path) -> subprocess.Popen[bytes]:
    log = (d / "mosquitto.log").open("ab")
    return subprocess.Popen(
        ["mosquitto", "-c", str(d / "sealhub.conf")], stdout=log, stderr=subprocess.STDOUT
    )


def _wait_port(port: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"mosquitto did not listen on {port}")


def start(d: Path) -> Mosquitto:
    binary = shutil.which("mosquitto") or (
        "/usr/sbin/mosquitto" if os.path.exists("/usr/sbin/mosquitto") else None
    )
    if binary is None or shutil.which("mosquitto_passwd") is None:
        pytest.skip("no mosquitto binary (apt-get install mosquitto)")
    os.environ["PATH"] = f"{Path(binary).parent}:{os.environ['PATH']}"
    port = free_port()
    (d / "data").mkdir(parents=True, exist_ok=True)
    conf = documented("sealhub.conf")
    conf = conf.replace("listener 1883 0.0.0.0", f"listener {port} 127.0.0.1")
    conf = conf.replace("/etc/mosquitto/sealhub.passwd", str(d / "sealhub.passwd"))
    conf = conf.replace("/etc/mosquitto/sealhub.acl", str(d / "sealhub.acl"))
    conf = conf.replace("/var/lib/mosquitto/", f"{d / 'data'}/")
    if os.geteuid() == 0:
        # started as root, mosquitto drops to the `mosquitto` user, who cannot read the
        # test's private temp folder; the packaged service reads /etc/mosquitto instead
        conf += "user root\n"
    (d / "sealhub.conf").write_text(conf)
    (d / "sealhub.acl").write_text(documented("sealhub.acl"))
    subprocess.run(
        [
            "mosquitto_passwd",
            "-c",
            "-b",
            str(d / "sealhub.passwd"),
            "sealhub-platform",
            PLATFORM_PASSWORD,
        ],
        check=True,
        capture_output=True,
    )
    proc = _spawn(d)
    _wait_port(port)
    return Mosquitto(proc, port, d)
