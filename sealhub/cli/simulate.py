"""`sealhub simulate`: N virtual smart seals over the real protocol and a real MQTT broker."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
from pathlib import Path

import typer

from sealhub.devices.protocol.messages import ALARM_CODES
from sealhub.devices.protocol.signing import Signer
from sealhub.simulator.device import BREAKS
from sealhub.simulator.keys import Provisioned, load_list, made_up, write_list

BROKER = "mqtt://127.0.0.1:1883"


def simulate(
    devices: int = typer.Option(1, "--devices", "-n", min=1, max=100_000, help="how many"),
    broker: str = typer.Option(BROKER, help="MQTT broker URL (mqtt:// or mqtts://)"),
    fleet: Path | None = typer.Option(
        None, help="provisioned devices (JSON list, e.g. data/demo-devices.json)"
    ),
    prefix: str = typer.Option("SIM", help="serial prefix of made-up devices"),
    platform_seed: str | None = typer.Option(
        None, help="platform Ed25519 seed (hex): downlinks are verified with its key"
    ),
    write_keys: Path | None = typer.Option(
        None, help="write each device's conformance keys file into this folder"
    ),
    write_fleet: Path | None = typer.Option(None, help="write the devices used to this file"),
    break_: list[str] = typer.Option(
        [], "--break", help=f"deliberately wrong in one respect: {', '.join(BREAKS)}"
    ),
    press_every: float = typer.Option(0.0, help="mean seconds between random presses (0: off)"),
    alarm_every: float = typer.Option(0.0, help="mean seconds between random alarms (0: off)"),
    offline_every: float = typer.Option(0.0, help="mean seconds between network losses"),
    alarm: list[str] = typer.Option([], help="raise this alarm once at connect (repeatable)"),
    photos: bool = typer.Option(True, help="photograph stamped pages"),
    video: bool = typer.Option(False, help="film each session (H.264 MP4)"),
    no_upload: bool = typer.Option(False, help="the no-upload edition: keep the whole journal"),
    state_dir: Path | None = typer.Option(None, help="keep device state here across runs"),
    duration: float = typer.Option(0.0, help="stop after this many seconds (0: until Ctrl-C)"),
    seed: int | None = typer.Option(None, help="random seed (reproducible behaviour)"),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Run virtual smart seals (虚拟智能印章) against a broker."""
    from sealhub.simulator.runner import Behaviour

    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, format="%(message)s")
    logging.getLogger("httpx").setLevel(logging.DEBUG if verbose else logging.WARNING)
    bad = [b for b in break_ if b not in BREAKS]
    if bad:
        raise typer.BadParameter(f"unknown --break {bad[0]} (one of {', '.join(BREAKS)})")
    unknown = [a for a in alarm if a not in ALARM_CODES]
    if unknown:
        raise typer.BadParameter(f"unknown alarm {unknown[0]} (one of {', '.join(ALARM_CODES)})")
    platform = Signer.from_seed_hex(platform_seed) if platform_seed else None
    if write_keys and platform is None:
        platform = Signer.generate()
    public = platform.public_hex if platform else None
    provisioned: list[Provisioned]
    if fleet is not None:
        provisioned = load_list(fleet)[:devices] if devices > 1 else load_list(fleet)
    else:
        provisioned = [
            made_up(f"{prefix}-{i:04d}", broker, platform_public_hex=public)
            for i in range(1, devices + 1)
        ]
    if write_fleet is not None:
        write_list(write_fleet, provisioned)
    if write_keys is not None and platform is not None:
        write_keys.mkdir(parents=True, exist_ok=True)
        for p in provisioned:
            doc = p.conformance_keys(platform.seed_hex())
            (write_keys / f"{p.serial}.json").write_text(json.dumps(doc, indent=2), "utf-8")
        typer.echo(f"keys written to {write_keys}/ (platform key {platform.public_hex[:16]}…)")
    behaviour = Behaviour(
        photos=photos,
        video=video,
        press_every_s=press_every,
        alarm_every_s=alarm_every,
        offline_every_s=offline_every,
        alarms_at_start=tuple(alarm),
    )
    asyncio.run(_run(provisioned, behaviour, break_, no_upload, state_dir, duration, seed))


async def _run(
    provisioned: list[Provisioned],
    behaviour: object,
    breaks: list[str],
    no_upload: bool,
    state_dir: Path | None,
    duration: float,
    seed: int | None,
) -> None:
    from sealhub.simulator.fleet import make_fleet
    from sealhub.simulator.runner import Behaviour

    assert isinstance(behaviour, Behaviour)
    fleet = make_fleet(
        provisioned,
        behaviour=behaviour,
        breaks=breaks,
        no_upload=no_upload,
        seed=seed,
        state_dir=state_dir,
    )
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, fleet.stop.set)
    fleet.start()
    typer.echo(f"{len(fleet.runners)} simulated seal(s) → {provisioned[0].broker_url}")
    try:
        await fleet.wait_connected(60)
        typer.echo("all connected")
    except TimeoutError:
        up = sum(r.connected.is_set() for r in fleet.runners)
        typer.echo(f"{up}/{len(fleet.runners)} connected after 60 s; still trying", err=True)
    await fleet.run_for(duration)
    await fleet.close()
    records = sum(r.device.journal.next_n - 1 for r in fleet.runners)
    unacked = sum(len(r.device.journal.unacked()) for r in fleet.runners)
    typer.echo(f"stopped: {records} journal records, {unacked} not yet acknowledged")
