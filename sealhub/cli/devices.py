"""`sealhub devices ...`: smart-seal device tools (conformance kit, offline bundles, the
Mosquitto password lines)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer

app = typer.Typer(help="Smart-seal devices 智能印章设备", no_args_is_help=True)


@app.command("conformance")
def conformance(
    broker: str = typer.Option(..., help="MQTT broker URL the device is connected to"),
    device: str = typer.Option(..., help="serial number of the device under test"),
    keys: Path = typer.Option(
        ..., exists=True, dir_okay=False, help="keys file (docs/device-protocol.md §2)"
    ),
    wait: float = typer.Option(30.0, help="seconds to wait for the device to answer"),
    http_host: str = typer.Option(
        "127.0.0.1", help="address the device can reach this machine on (firmware download)"
    ),
) -> None:
    """Check a device against the protocol, clause by clause (exit 0 when all pass)."""
    from sealhub.devices.conformance import kit

    kit_keys = kit.KitKeys.load(keys)
    if kit_keys.serial != device:
        typer.echo(f"error: the keys file is for {kit_keys.serial}, not {device}", err=True)
        raise typer.Exit(2)
    report = asyncio.run(
        kit.run(
            broker,
            kit_keys,
            wait_s=wait,
            http_host=http_host,
            progress=lambda msg: typer.echo(f"… {msg}", err=True),
        )
    )
    for line in report.lines():
        typer.echo(line)
    raise typer.Exit(0 if report.ok else 1)


@app.command("import-bundle")
def import_bundle(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="the bundle (.jsonl)"),
) -> None:
    """Import a device's offline bundle (no-upload edition): all or nothing."""
    from sealhub.cli.device_tools import import_bundle_file

    code, message = asyncio.run(import_bundle_file(file.read_bytes()))
    typer.echo(message, err=code != 0)
    raise typer.Exit(code)


@app.command("mosquitto-passwd")
def mosquitto_passwd() -> None:
    """Print Mosquitto password-file lines of every device that may connect."""
    from sealhub.cli.device_tools import mosquitto_lines

    typer.echo(asyncio.run(mosquitto_lines()), nl=False)
