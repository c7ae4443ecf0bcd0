"""The integrator: the one writer of each organisation's tree.

Under the tree row's lock it takes pending entries in order, gives them leaf indexes, adds
the perfect subtree hashes they complete, and signs a tree head when `SIGN_EVERY` entries
arrived since the last one or `SIGN_INTERVAL` passed with new entries. Signed heads are then
pushed to the organisation's witnesses (after the commit: a slow witness never holds the
lock).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from sealhub.evidence import merkle, repository, signing, witnesses
from sealhub.evidence.verifier.note import Checkpoint
from sealhub.platform import clock
from sealhub.platform.crypto import Envelope
from sealhub.platform.runtime import Runtime

log = logging.getLogger("sealhub.evidence")

BATCH = 5_000
SIGN_EVERY = 1_000
SIGN_INTERVAL = timedelta(seconds=0.5)
LOOP_SECONDS = 0.2


@dataclass(frozen=True)
class Integrated:
    org_id: uuid.UUID
    added: int
    size: int
    signed: bool


async def integrate(
    session: AsyncSession,
    envelope: Envelope,
    org_id: uuid.UUID,
    *,
    batch: int = BATCH,
    force_sign: bool = False,
) -> Integrated:
    """Integrate up to `batch` pending entries of one tree; sign a head when due."""
    now = clock.now()
    tree = await repository.lock_tree(session, org_id, now)
    size = int(tree.size)
    rows = await repository.pending(session, org_id, batch)
    if rows:
        # the right border of the current tree: the only old nodes new ones can need
        frontier = merkle.perfect_nodes(0, size)
        known = await repository.nodes(session, org_id, frontier)
        new_nodes: dict[merkle.Node, bytes] = {}
        seqs = []
        for i, row in enumerate(rows):
            index = size + i
            seqs.append((row.id, index))
            known[(0, index)] = row.leaf
            for level, idx in merkle.parents_completed(index):
                h = merkle.node_hash(known[(level - 1, 2 * idx)], known[(level - 1, 2 * idx + 1)])
                known[(level, idx)] = new_nodes[(level, idx)] = h
        size += len(rows)
        root = merkle.root_of(size, known)
        await repository.assign(session, org_id, seqs, new_nodes, size=size, root=root)
    else:
        root = bytes(tree.root)
    signed = False
    due = size - int(tree.signed_size) >= SIGN_EVERY or (
        tree.signed_at is None or now - clock.aware(tree.signed_at) >= SIGN_INTERVAL
    )
    if size > 0 and (force_sign or (size > int(tree.signed_size) and due)):
        checkpoint = Checkpoint(signing.origin(org_id), size, root)
        note = signing.sign(checkpoint, await signing.signers(session, envelope, org_id))
        await repository.add_head(session, org_id, size, root, note, now)
        signed = True
    return Integrated(org_id, len(rows), size, signed)


async def integrate_all(runtime: Runtime, *, force_sign: bool = False) -> list[Integrated]:
    """One pass over every tree with pending entries: a transaction per tree and batch."""
    async with runtime.transaction() as session:
        orgs = await repository.pending_orgs(session)
    done: list[Integrated] = []
    for org_id in orgs:
        while True:
            try:
                async with runtime.transaction() as session:
                    result = await integrate(
                        session, runtime.envelope, org_id, force_sign=force_sign
                    )
            except IntegrityError:  # another writer created this tree's row first: next pass
                log.info("evidence tree created concurrently", extra={"org": str(org_id)})
                break
            done.append(result)
            if result.signed:
                await witnesses.push_all(runtime, org_id)
            if result.added < BATCH:
                break
    return done


async def sign_due(runtime: Runtime) -> None:
    """Sign the trees whose last entries came in under `SIGN_EVERY` and have waited."""
    async with runtime.transaction() as session:
        orgs = await repository.unsigned_orgs(session)
    for org_id in orgs:
        async with runtime.transaction() as session:
            result = await integrate(session, runtime.envelope, org_id)
        if result.signed:
            await witnesses.push_all(runtime, org_id)


async def loop(runtime: Runtime, stop: asyncio.Event, every: float = LOOP_SECONDS) -> None:
    """Integrate and sign continuously (the worker runs this beside the outbox relay).

    Not on SQLite: a write there every half second breaks other transactions' read-then-write
    upgrades ("database is locked" at once, whatever the busy timeout); the once-a-minute
    periodic task integrates instead."""
    if runtime.db.engine.dialect.name == "sqlite":
        return
    while not stop.is_set():
        try:
            await integrate_all(runtime)
            await sign_due(runtime)
        except Exception:
            log.exception("evidence integrator failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)
