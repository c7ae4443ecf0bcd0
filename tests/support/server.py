"""A real SealHub server process for end-to-end tests."""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text(errors='replace')[-3000:]}")
        try:
            if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url}/readyz did not answer within {timeout:g} s")


def server_env(database_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "SEALHUB_DATABASE_URL": database_url,
        "SEALHUB_DATA_DIR": str(data_dir),
        "SEALHUB_MASTER_KEY": base64.b64encode(os.urandom(32)).decode(),
        "SEALHUB_SMS_PROVIDER": "capture",
        "SEALHUB_SMS_RESEND_SECONDS": "0",
        "SEALHUB_ARGON2_TIME_COST": "1",
        "SEALHUB_ARGON2_MEMORY_KIB": "1024",
        "SEALHUB_LOG_LEVEL": "WARNING",
        # no device broker: several servers (and other suites) would race for its port
        "SEALHUB_MQTT_PORT": "0",
        **extra,
    }


@contextmanager
def running_servers(env: dict[str, str], count: int = 1) -> Iterator[list[str]]:
    """Start `count` uvicorn processes with `env`; yields their base URLs. Each logs to
    `<SEALHUB_DATA_DIR>/server-<n>.log` (a file, not a pipe nobody drains)."""
    data_dir = Path(env["SEALHUB_DATA_DIR"])
    data_dir.mkdir(parents=True, exist_ok=True)
    procs: list[tuple[subprocess.Popen[bytes], str, Path]] = []
    try:
        for n in range(count):
            port = free_port()
            cmd = [
                sys.executable,
                "-m",
                "uvicorn",
                "sealhub.app:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ]
            log = data_dir / f"server-{n}.log"
            with log.open("wb") as out:
                proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
            procs.append((proc, f"http://127.0.0.1:{port}", log))
        for proc, url, log in procs:
            wait_ready(url, proc, log)
        yield [url for _, url, _ in procs]
    finally:
        for proc, _, _ in procs:
            proc.terminate()
        for proc, _, _ in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


def last_sms_code(data_dir: Path, phone: str) -> str:
    code = None
    for line in (data_dir / "sms-capture.jsonl").read_text().splitlines():
        item = json.loads(line)
        if item["phone"] == phone:
            code = item["params"]["code"]
    assert code, f"no SMS to {phone}"
    return code
