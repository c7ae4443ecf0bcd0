"""The conformance kit against the simulator: all clauses pass; each broken mode fails exactly
the clauses it breaks. Real brokers (amqtt embedded, Mosquitto), real MQTT clients."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sealhub.cli.main import app
from sealhub.devices.conformance import kit
from sealhub.devices.conformance.clauses import CLAUSES, Report, Status
from sealhub.devices.protocol.signing import Signer
from sealhub.simulator.fleet import make_fleet
from sealhub.simulator.keys import made_up
from sealhub.simulator.runner import Behaviour

PLATFORM = Signer.from_seed(b"\x42" * 32)

# what each deliberately broken simulator mode must fail, and nothing else
EXPECTED_FAILURES = {
    "signature": {"§2.2", "§4.3"},
    "replay": {"§5.3"},
    "sequence": {"§5.1"},
    "journal": {"§7.1", "§8.1"},
    "bundle": {"§8.1"},
    "ack": {"§7.3"},
}


async def _check(
    broker_url: str, serial: str, *, breaks: tuple[str, ...] = (), photos: bool = False
) -> Report:
    device = made_up(serial, broker_url, platform_public_hex=PLATFORM.public_hex)
    fleet = make_fleet([device], behaviour=Behaviour(photos=photos), breaks=breaks, seed=7)
    fleet.start()
    try:
        await fleet.wait_connected(20)
        keys = kit.KitKeys(**device.conformance_keys(PLATFORM.seed_hex()))
        return await kit.run(broker_url, keys, wait_s=20)
    finally:
        await fleet.close()


@pytest.mark.slow
async def test_the_simulator_passes_every_clause(broker_url: str) -> None:
    report = await _check(broker_url, f"CONF-OK-{broker_url.rsplit(':', 1)[1]}")
    assert report.ok, "\n".join(report.lines())
    assert set(report.results) == set(CLAUSES)  # every clause checked, none skipped
    assert all(status is Status.PASS for status, _ in report.results.values())


@pytest.mark.slow
async def test_each_broken_mode_fails_exactly_its_clauses(mosquitto_url: str) -> None:
    modes = sorted(EXPECTED_FAILURES)
    reports = await asyncio.gather(
        *(_check(mosquitto_url, f"CONF-BRK-{mode}", breaks=(mode,)) for mode in modes)
    )
    for mode, report in zip(modes, reports, strict=True):
        assert report.failed() == EXPECTED_FAILURES[mode], (mode, "\n".join(report.lines()))
        assert not report.ok


def test_report_lines_and_verdict() -> None:
    report = Report("SN-1")
    report.check("§4.3", True)
    report.check("§4.3", False, "seq 9: signature does not verify")
    report.check("§4.3", True)  # a later pass does not hide a failure
    report.skip("§9.4.12", "no firmware capability")
    report.check("§5.1", True)
    assert report.failed() == {"§4.3"} and not report.ok
    lines = report.lines()
    assert lines[1].startswith("FAIL  §4.3") and "seq 9" in lines[1]
    assert lines[-1] == "3 clauses: 1 pass, 1 fail, 1 skip"


def test_cli_refuses_a_keys_file_of_another_device(tmp_path: Path) -> None:
    keys = made_up("SN-KEYS-1", "mqtt://127.0.0.1:1", platform_public_hex=None)
    path = tmp_path / "keys.json"
    path.write_text(json.dumps(keys.conformance_keys(PLATFORM.seed_hex())))
    result = CliRunner().invoke(
        app,
        [
            "devices",
            "conformance",
            "--broker",
            "mqtt://127.0.0.1:1",
            "--device",
            "SN-OTHER",
            "--keys",
            str(path),
        ],
    )
    assert result.exit_code == 2
    assert "SN-KEYS-1" in result.output
