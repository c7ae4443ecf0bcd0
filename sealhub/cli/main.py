"""`sealhub serve | worker | db upgrade | demo | create-admin | version`."""

from __future__ import annotations

import asyncio

import typer

from sealhub import __version__
from sealhub.platform.settings import get_settings

app = typer.Typer(help="SealHub 印控平台", no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="Database schema", no_args_is_help=True)
app.add_typer(db_app, name="db")


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(f"sealhub {__version__}")


@app.command()
def serve(
    host: str | None = typer.Option(None, help="bind address (default from settings)"),
    port: int | None = typer.Option(None, help="port (default from settings)"),
    workers: int = typer.Option(1, help="uvicorn worker processes"),
) -> None:
    """Serve the API and the web console."""
    import uvicorn

    settings = get_settings()
    uvicorn.run(
        "sealhub.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        log_config=None,
        access_log=False,
        # X-Forwarded-For is believed only from SEALHUB_TRUSTED_PROXIES (api/middleware.py)
        proxy_headers=False,
    )


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Apply migrations up to REVISION."""
    from sealhub.platform.db import migrate

    url = get_settings().resolved_database_url()
    migrate.upgrade(url, revision)
    typer.echo(f"database at {revision}")


@db_app.command("downgrade")
def db_downgrade(revision: str = typer.Argument(...)) -> None:
    """Revert migrations down to REVISION (`base` for an empty database)."""
    from sealhub.platform.db import migrate

    migrate.downgrade(get_settings().resolved_database_url(), revision)
    typer.echo(f"database at {revision}")


@app.command("create-admin")
def create_admin(
    phone: str = typer.Option(..., help="mobile number"),
    password: str = typer.Option(..., prompt=True, hide_input=True),
    name: str = typer.Option(..., help="real name"),
    org: str = typer.Option(..., help="organisation name to create"),
) -> None:
    """Create an organisation with this person as its administrator."""
    from sealhub.cli.seed import create_admin as run

    try:
        code = asyncio.run(run(phone=phone, password=password, name=name, org_name=org))
    except Exception as exc:  # shown as a message, not a traceback
        from sealhub.platform.errors import AppError

        if isinstance(exc, AppError):
            typer.echo(f"error: {exc.title('zh-CN')} ({exc.code})", err=True)
            raise typer.Exit(2) from exc
        raise
    typer.echo(f"created organisation {org} (code {code}); admin {phone}")


@app.command()
def demo(
    force: bool = typer.Option(False, help="seed even if the demo organisation exists"),
) -> None:
    """Seed the demo organisation 演示平台 (skipped when it exists)."""
    from sealhub.cli.seed import seed_demo

    created, logins = asyncio.run(seed_demo(force=force))
    typer.echo("demo seeded" if created else "demo already present")
    for role, phone, password in logins:
        typer.echo(f"  {role:<12} {phone}  {password}")


@app.command()
def worker() -> None:
    """Run the worker (outbox relay, jobs, periodic tasks) as its own process."""
    asyncio.run(_run_worker())


async def _run_worker() -> None:
    import logging
    import signal

    from sealhub import worker as worker_
    from sealhub.app import build_runtime
    from sealhub.platform import logs

    settings = get_settings()
    logs.configure(settings.log_level, settings.log_json)
    runtime = build_runtime(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        running = await worker_.start(runtime)
        logging.getLogger("sealhub.worker").info("worker started")
        await stop.wait()
        await running.stop()
    finally:
        await runtime.close()


# smart-seal simulator (sealhub/cli/simulate.py)
from sealhub.cli.simulate import simulate as _simulate  # noqa: E402

app.command("simulate")(_simulate)

# smart-seal device tools (sealhub/cli/devices.py)
from sealhub.cli.devices import app as _devices_app  # noqa: E402

app.add_typer(_devices_app, name="devices")


if __name__ == "__main__":
    app()
