"""The `sealhub` command, run as a user would (a subprocess on a fresh data folder)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from sealhub import __version__


def sealhub(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "SEALHUB_DATA_DIR": str(data),
        "SEALHUB_ARGON2_TIME_COST": "1",
        "SEALHUB_ARGON2_MEMORY_KIB": "1024",
        "SEALHUB_LOG_LEVEL": "ERROR",
    }
    env.pop("SEALHUB_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "sealhub.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli")
    r = sealhub(folder, "db", "upgrade")
    assert r.returncode == 0 and "database at head" in r.stdout, r.stderr
    return folder


def test_version(data):
    r = sealhub(data, "version")
    assert r.returncode == 0 and r.stdout.strip() == f"sealhub {__version__}"


def test_create_admin_and_a_clear_error(data):
    r = sealhub(
        data,
        "create-admin",
        "--phone",
        "13912340000",
        "--password",
        "Admin2026",
        "--name",
        "钱总",
        "--org",
        "命令行公司",
    )
    assert r.returncode == 0 and "命令行公司" in r.stdout, r.stderr
    bad = sealhub(
        data,
        "create-admin",
        "--phone",
        "123",
        "--password",
        "Admin2026",
        "--name",
        "x",
        "--org",
        "某公司",
    )
    assert bad.returncode == 2
    assert "auth.invalid_phone" in bad.stderr and "Traceback" not in bad.stderr


def test_demo_seeds_once(data):
    first = sealhub(data, "demo")
    assert first.returncode == 0 and "demo seeded" in first.stdout, first.stderr
    assert "13800000001  Demo2026" in first.stdout
    again = sealhub(data, "demo")
    assert again.returncode == 0 and "demo already present" in again.stdout
    db = sqlite3.connect(data / "sealhub.db")
    states = dict(db.execute("select name, status from stamp_requests").fetchall())
    assert sorted(states.values()) == sorted(
        ["draft", "in_review", "approved", "rejected", "completed", "in_use"]
    )
    # the e-seal with its certificate, and one contract sealed with it
    assert db.execute(
        "select count(*) from esign_certificates where status = 'valid'"
    ).fetchone() == (1,)
    assert db.execute("select count(*) from esign_sealings").fetchone() == (1,)
    assert db.execute("select count(*) from organizations where name = '演示平台'").fetchone() == (
        1,
    )
