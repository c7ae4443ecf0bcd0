"""The evidence log's background work: integrate and sign (`evidence.integrate`), audit the
store (`evidence.audit`). `integrator.loop` is the sub-second path the worker runs; the
periodic task below is the once-a-minute safety net."""

from __future__ import annotations

from sealhub.evidence import integrator, repository, service
from sealhub.platform.jobs import job, loop, periodic
from sealhub.platform.runtime import Runtime

loop(integrator.loop)


@job("evidence.integrate")
async def integrate(runtime: Runtime) -> int:
    """Integrate every pending entry and sign the heads that are due."""
    done = await integrator.integrate_all(runtime)
    await integrator.sign_due(runtime)
    return sum(d.added for d in done)


@job("evidence.audit")
async def audit(runtime: Runtime) -> int:
    """Recompute every tree; returns the number of findings."""
    async with runtime.transaction() as session:
        orgs = await repository.tree_orgs(session)
    findings = 0
    for org_id in orgs:
        async with runtime.transaction() as session:
            report = await service.audit_actor(session, org_id)
        findings += len(report.findings)
    return findings


@periodic
async def integrate_every_minute(runtime: Runtime) -> None:
    await integrate(runtime)
