"""Browser tests: the built console on a real SealHub server, driven through Debian's chromium.

The server is a separate uvicorn process on a fresh SQLite database (migrated here) with the
capture SMS provider, so sign-up codes are read from `<data dir>/sms-capture.jsonl`.
Playwright's sync API runs in plain (non-async) tests and fixtures: they run outside the
session event loop of pytest-asyncio.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.support.server import running_servers, server_env

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
STATIC_INDEX = ROOT / "sealhub" / "api" / "static" / "index.html"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 375, "height": 812}


def _skip_reason() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    if not STATIC_INDEX.exists():
        return f"console not built: {STATIC_INDEX} is missing (cd web && npm ci && npm run build)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed in this environment"
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    reason = _skip_reason()
    for item in items:
        if item.path.is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.xdist_group("browser"))  # one worker, one chromium
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


@dataclass
class Server:
    url: str
    data_dir: Path

    def sms_code(self, phone: str) -> str:
        """The last code the capture provider 'sent' to this phone (stored as +86...)."""
        path = self.data_dir / "sms-capture.jsonl"
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            code = None
            if path.exists():
                for line in path.read_text().splitlines():
                    item = json.loads(line)
                    if str(item["phone"]).endswith(phone[-11:]):
                        code = item["params"].get("code")
            if code:
                return str(code)
            time.sleep(0.1)
        raise AssertionError(f"no SMS captured for {phone}")


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    from sealhub.platform.db import migrate

    data_dir = tmp_path_factory.mktemp("e2e-data")
    db_url = f"sqlite+aiosqlite:///{data_dir / 'sealhub.db'}"
    migrate.upgrade(db_url)
    env = server_env(
        db_url,
        data_dir,
        SEALHUB_SMS_PER_IP_PER_HOUR="10000",
        SEALHUB_LOGIN_PER_IP_PER_MINUTE="10000",
    )
    with running_servers(env) as urls:
        yield Server(url=urls[0], data_dir=data_dir)


@pytest.fixture(scope="module")
def browser(server: Server) -> Iterator[Any]:
    # Module scope: while sync_playwright() is open its event loop counts as running in this
    # thread, so it must close before pytest-asyncio runs the next module's coroutines.
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


_FAILED_LOAD = re.compile(
    r"^Failed to load resource: the server responded with a status of (\d{3})\b"
)


@dataclass
class Watch:
    """Browser console errors and uncaught page errors of every page a test opens."""

    errors: list[str] = field(default_factory=list)
    checked: bool = False
    # (path, status) -> how many more such failed loads the test provokes on purpose
    expected: dict[tuple[str, int], int] = field(default_factory=dict)

    def assert_clean(self) -> None:
        self.checked = True
        assert not self.errors, "browser errors:\n" + "\n".join(self.errors)

    def expect_failed_load(self, path: str, status: int, times: int = 1) -> None:
        """Chromium logs every 4xx reply as a console error; a test that provokes some on
        purpose (wrong passwords) names each one here. Anything else still fails the test."""
        self.expected[(path, status)] = self.expected.get((path, status), 0) + times

    def _expected(self, msg: Any) -> bool:
        m = _FAILED_LOAD.match(msg.text)
        if not m:
            return False
        key = (urlsplit(str(msg.location.get("url", ""))).path, int(m.group(1)))
        if self.expected.get(key, 0) <= 0:
            return False
        self.expected[key] -= 1
        return True

    def attach(self, page: Any, who: str) -> Any:
        def on_console(msg: Any) -> None:
            if msg.type == "error" and not self._expected(msg):
                self.errors.append(f"[{who}] console.error: {msg.text} @ {msg.location}")

        page.on("console", on_console)
        page.on("pageerror", lambda exc: self.errors.append(f"[{who}] pageerror: {exc}"))
        return page


@pytest.fixture
def watch() -> Iterator[Watch]:
    w = Watch()
    yield w
    if not w.checked:  # a test that ended early still reports what the browser logged
        assert not w.errors, "browser errors:\n" + "\n".join(w.errors)


@pytest.fixture(scope="session")
def shots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
