"""`sealhub evidence verify | audit | integrate | heads | proof | package`."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import typer
from pydantic import BaseModel

from sealhub.platform.runtime import Runtime

app = typer.Typer(help="The evidence log (存证日志)", no_args_is_help=True)
T = TypeVar("T")


def _with_runtime(fn: Callable[[Runtime], Awaitable[T]]) -> T:
    async def run() -> T:
        from sealhub import worker
        from sealhub.app import build_runtime
        from sealhub.platform.settings import get_settings

        runtime = build_runtime(get_settings())
        try:
            await worker.boot(runtime)  # every context's tables, so audit entries get leaves
            return await fn(runtime)
        finally:
            await runtime.close()

    return asyncio.run(run())


@app.command()
def verify(package: Path = typer.Argument(..., help="the evidence package (.zip)")) -> None:
    """Verify an evidence package offline; prints the verdict (exit 1 if invalid)."""
    from sealhub.evidence.verifier import verify_package

    verdict = verify_package(package)
    typer.echo(verdict.render())
    raise typer.Exit(0 if verdict.ok else 1)


async def run_audit(runtime: Runtime, org: uuid.UUID | None = None) -> tuple[str, bool]:
    """Audit one tree or all of them; the report's text and whether all passed."""
    from sealhub.evidence import service

    async with runtime.transaction() as session:
        orgs = [org] if org else await service.tree_orgs(session)
    texts, ok = [], True
    for org_id in orgs:
        async with runtime.transaction() as session:
            report = await service.audit_actor(session, org_id)
        texts.append(report.render())
        ok = ok and report.ok
    return "\n".join(texts) or "no trees yet", ok


@app.command()
def audit(org: uuid.UUID | None = typer.Option(None, help="one organisation's tree")) -> None:
    """Recompute every tree from the database; name any row changed, removed or inserted."""
    text, ok = _with_runtime(lambda rt: run_audit(rt, org))
    typer.echo(text)
    raise typer.Exit(0 if ok else 1)


@app.command()
def integrate() -> None:
    """Integrate pending entries and sign a tree head now (the worker does this by itself)."""
    from sealhub.evidence import integrator

    done = _with_runtime(lambda rt: integrator.integrate_all(rt, force_sign=True))
    for d in done:
        typer.echo(f"{d.org_id}: +{d.added} -> size {d.size}{' (signed)' if d.signed else ''}")


@app.command()
def heads(
    org: uuid.UUID = typer.Option(..., help="the organisation"),
    limit: int = typer.Option(10, min=1, max=1000),
) -> None:
    """Print the newest signed tree heads (checkpoints as signed)."""
    from sealhub.evidence import service

    async def run(runtime: Runtime) -> list[str]:
        async with runtime.transaction() as session:
            return await service.head_notes(session, org, limit=limit)

    for note in _with_runtime(run):
        typer.echo(note)


@app.command()
def proof(
    org: uuid.UUID = typer.Option(..., help="the organisation"),
    record: uuid.UUID | None = typer.Option(None, help="inclusion proof of this record id"),
    first: int | None = typer.Option(None, help="consistency proof from this tree size"),
    second: int | None = typer.Option(None, help="... to this tree size"),
) -> None:
    """Print an inclusion proof (--record) or a consistency proof (--first/--second, default
    the two newest heads) as JSON."""
    from sealhub.evidence import service
    from sealhub.platform.actor import system_in

    async def run(runtime: Runtime) -> str:
        async with runtime.transaction() as session:
            actor = system_in(org)
            found: BaseModel | None
            if record is not None:
                found = await service.inclusion_proof(session, actor, record)
            else:
                found = await service.consistency_proof(session, actor, first, second)
            return found.model_dump_json() if found else "null"

    typer.echo(json.dumps(json.loads(_with_runtime(run)), indent=2, ensure_ascii=False))


@app.command()
def package(
    org: uuid.UUID = typer.Option(..., help="the organisation"),
    request: uuid.UUID = typer.Option(..., help="the application"),
    out: Path = typer.Option(..., "-o", "--out", help="where to write the zip"),
) -> None:
    """Write an application's evidence package (as the console's download does)."""
    from sealhub.evidence import service
    from sealhub.platform.actor import system_in

    async def run(runtime: Runtime) -> bytes:
        async with runtime.transaction() as session:
            return await service.package(session, system_in(org), request)

    data = _with_runtime(run)
    out.write_bytes(data)
    typer.echo(f"{out}: {len(data):,} bytes")
