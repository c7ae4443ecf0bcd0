"""Outbox handlers and periodic sweeps of the esign context (all idempotent)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from sealhub.esign import repository, service
from sealhub.platform import clock, jobs
from sealhub.platform import events as platform_events
from sealhub.platform.actor import system_in
from sealhub.platform.runtime import Runtime
from sealhub.seals.events import StatusChanged

# a seal in these states must not seal anything again: its certificates are revoked
_REVOKING = frozenset({"revoked", "reported_lost", "destroyed"})


@platform_events.on(StatusChanged)
async def revoke_certificates(session: AsyncSession, event: StatusChanged) -> None:
    """A seal revoked, reported lost or destroyed: revoke its certificates (once)."""
    if event.kind != "electronic" or event.to_status not in _REVOKING:
        return
    reason = f"seal.{event.to_status}: {event.reason}"[:200]
    await service.revoke_for_seal(session, system_in(event.org_id), event.seal_id, reason=reason)


@jobs.job("esign.sweep")
async def sweep(runtime: Runtime) -> int:
    """Expire certificates, record renewal reminders, refresh CRLs that are due."""
    async with runtime.transaction() as session:
        org_ids = await repository.orgs_with_cas(session)
    done = 0
    for org_id in org_ids:
        async with runtime.transaction() as session:
            actor = system_in(org_id)
            expired, reminded = await service.expire_and_remind(session, actor)
            await service.refresh_crl(session, runtime, actor)
            done += expired + reminded
    return done


@jobs.periodic
async def periodic(runtime: Runtime) -> None:
    """Once an hour: the esign sweep (expiry, reminders, CRLs)."""
    if int(clock.now().timestamp()) // 60 % 60 == 7:
        await jobs.enqueue(runtime, "esign.sweep")
