"""`sealhub demo` provisions three smart seals in devices and writes the simulators' file;
the server then runs those simulators against its own broker."""

from __future__ import annotations

import json
import sqlite3

import pytest

from tests.test_cli import sealhub


@pytest.mark.timeout(180)
def test_demo_seeds_three_bound_devices(tmp_path):
    r = sealhub(tmp_path, "db", "upgrade")
    assert r.returncode == 0, r.stderr
    r = sealhub(tmp_path, "demo")
    assert r.returncode == 0 and "demo seeded" in r.stdout, r.stderr
    records = json.loads((tmp_path / "demo-devices.json").read_text())
    assert [d["serial"] for d in records] == ["DEMO-SEAL-001", "DEMO-SEAL-002", "DEMO-SEAL-003"]
    assert all(d["broker_url"] == "mqtt://127.0.0.1:1884" for d in records)
    assert oct((tmp_path / "demo-devices.json").stat().st_mode & 0o777) == "0o600"
    db = sqlite3.connect(tmp_path / "sealhub.db")
    rows = db.execute(
        "select d.serial, s.kind from devices d join seals s on s.id = d.seal_id order by 1"
    ).fetchall()
    assert rows == [(d["serial"], "smart") for d in records]
    # the stored key is the one in the file
    from sealhub.devices import credentials

    keys = dict(db.execute("select serial, public_key_hex from devices").fetchall())
    for d in records:
        assert credentials.public_of(d["ed25519_seed_hex"]) == keys[d["serial"]]
