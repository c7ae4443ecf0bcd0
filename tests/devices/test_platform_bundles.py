"""Offline bundles: a good one imports (once); each kind of damage is rejected with its
position and stores nothing; the CLI imports the same way."""

from __future__ import annotations

import asyncio
import time

import pytest
from typer.testing import CliRunner

from sealhub.devices.protocol import bundle as bundles
from sealhub.devices.protocol import messages as m
from sealhub.devices.protocol.journal import Journal
from sealhub.devices.protocol.signing import Signer
from tests.builders import register_org
from tests.devices.helpers import provision, root_unit

N = 6


def _journal() -> Journal:
    journal = Journal(keep_acked=True)
    t = int(time.time() * 1000) - 3_600_000
    for i in range(N):
        data: m.Body
        if i % 3 == 2:
            data = m.AlarmData(code="tamper", detail="casing", auth=None, person=None)
        else:
            data = m.StampData(
                auth=None,
                item=None,
                person=None,
                fp_slot=None,
                location=None,
                photos=("ab" * 32,),
                presses_left=N - i,
                emergency=False,
            )
        journal.append(data, t + i * 1000)
    return journal


def _export(journal: Journal, serial: str, signer: Signer) -> bytes:
    return bundles.export(
        journal.kept,
        device=serial,
        signer=signer,
        now_ms=int(time.time() * 1000),
        head=journal.head,
    )


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")[:-1]


def _join(lines: list[bytes]) -> bytes:
    return b"\n".join(lines) + b"\n"


async def test_bundles_all_or_nothing(client, app):
    admin = await register_org(client, app)
    out = await provision(admin, await root_unit(admin))
    serial, device_id = out["device"]["serial"], out["device"]["id"]
    signer = Signer.from_seed_hex(out["credentials"]["ed25519_seed_hex"])
    good = _export(_journal(), serial, signer)
    lines = _lines(good)
    swapped = [lines[0], lines[1], lines[3], lines[2], *lines[4:]]
    tampered = list(lines)
    tampered[3] = (
        tampered[3].replace(b"casing", b"casinG").replace(b'"presses_left":4', b'"presses_left":9')
    )
    # damage -> (reason, position): the changed record, the first of the swapped pair,
    # where the records end, the header of a bundle signed by another key
    damaged = {
        "chain": (_join(tampered), "chain", "2"),
        "order": (_join(swapped), "order", "1"),
        "truncated": (_join(lines[:-2]), "truncated", "4"),
        "foreign": (_export(_journal(), serial, Signer.generate()), "bad_signature", "header"),
    }
    url = f"/api/v1/devices/{device_id}/bundles"
    for damage, (data, reason, position) in damaged.items():
        r = await admin.call("POST", url, files={"file": ("b.jsonl", data, "application/json")})
        body = r.json()
        assert r.status_code == 422, (damage, r.text)
        assert body["code"] == "device.bundle_rejected", (damage, body)
        assert (body["reason"], body["position"]) == (reason, position), (damage, body)
        events = await admin.get(f"/api/v1/devices/{device_id}/events")
        assert events["total"] == 0, f"{damage}: something was stored"
    ok = await admin.call("POST", url, files={"file": ("b.jsonl", good, "application/json")})
    assert ok.status_code == 200, ok.text
    assert ok.json()["stored"] == N
    again = await admin.call("POST", url, files={"file": ("b.jsonl", good, "application/json")})
    assert again.json() == {**ok.json(), "stored": 0, "already": N}
    events = await admin.get(f"/api/v1/devices/{device_id}/events")
    assert events["total"] == N and {e["source"] for e in events["items"]} == {"bundle"}


async def test_cli_imports_a_bundle_and_refuses_a_foreign_one(
    client, app, db_url, tmp_path, monkeypatch
):
    from sealhub.cli.main import app as cli
    from sealhub.platform.settings import get_settings

    if not db_url.startswith("sqlite"):
        pytest.skip("the CLI shares the service with the API test, run on every database")
    admin = await register_org(client, app)
    out = await provision(admin, await root_unit(admin))
    signer = Signer.from_seed_hex(out["credentials"]["ed25519_seed_hex"])
    good, foreign = tmp_path / "good.jsonl", tmp_path / "foreign.jsonl"
    good.write_bytes(_export(_journal(), out["device"]["serial"], signer))
    foreign.write_bytes(_export(_journal(), out["device"]["serial"], Signer.generate()))
    monkeypatch.setenv("SEALHUB_DATABASE_URL", db_url)
    monkeypatch.setenv("SEALHUB_DATA_DIR", str(app.state.runtime.settings.data_dir))
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        bad = await asyncio.to_thread(
            runner.invoke, cli, ["devices", "import-bundle", str(foreign)]
        )
        assert bad.exit_code == 1 and "rejected" in bad.output, bad.output
        ok = await asyncio.to_thread(runner.invoke, cli, ["devices", "import-bundle", str(good)])
        assert ok.exit_code == 0, ok.output
        assert f"imported {N} records" in ok.output and f"{N} new" in ok.output
    finally:
        get_settings.cache_clear()
    events = await admin.get(f"/api/v1/devices/{out['device']['id']}/events")
    assert events["total"] == N
