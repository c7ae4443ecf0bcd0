"""Every statement on the log's tables (and the reads of the audit trail it checks).

The integrator, the signer and the store audit act for the system across organisations, so
these functions take an explicit `org_id`; the API reaches them only through the service,
which passes the actor's own organisation.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    SmallInteger,
    Table,
    and_,
    bindparam,
    func,
    insert,
    literal,
    or_,
    select,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from sealhub.evidence.merkle import Node
from sealhub.evidence.models import (
    EvidenceAudit,
    EvidenceEntry,
    EvidenceHead,
    EvidenceKey,
    EvidenceNode,
    EvidenceTree,
    EvidenceWitness,
)
from sealhub.platform.audit import AuditEntry
from sealhub.platform.ids import new_id

E = cast(Table, EvidenceEntry.__table__)
N = cast(Table, EvidenceNode.__table__)
T = cast(Table, EvidenceTree.__table__)
H = cast(Table, EvidenceHead.__table__)

_LOCK = update(T).where(T.c.org_id == bindparam("o")).values(locked_at=bindparam("at"))
_PENDING_ORGS = select(E.c.org_id).where(E.c.seq.is_(None)).distinct()
_PENDING = (
    select(E.c.id, E.c.leaf)
    .where(E.c.org_id == bindparam("o"), E.c.seq.is_(None))
    .order_by(E.c.id)
    .limit(bindparam("n"))
)
_SET_SEQ = update(E).where(E.c.id == bindparam("eid")).values(seq=bindparam("s"))
_INSERT_NODE = insert(N)
_TREE = select(T).where(T.c.org_id == bindparam("o"))


async def pending_orgs(session: AsyncSession) -> list[uuid.UUID]:
    return list((await session.execute(_PENDING_ORGS)).scalars())


async def lock_tree(session: AsyncSession, org_id: uuid.UUID, at: datetime) -> Any:
    """Take the organisation's single-writer lock and return its tree row.

    An UPDATE of the tree row is a row lock on PostgreSQL and MariaDB and the database's
    write lock on SQLite, held to the end of the transaction: one integrator per tree."""
    conn = await session.connection()
    result = await conn.execute(_LOCK, {"o": org_id, "at": at})
    if not result.rowcount:
        # the tree's first integration: a writer racing us to create the row makes this
        # INSERT fail, and the integrator retries the tree on its next pass
        await conn.execute(
            insert(T).values(org_id=org_id, size=0, root=b"\0" * 32, signed_size=0, locked_at=at)
        )
    return (await conn.execute(_TREE, {"o": org_id})).one()


async def tree(session: AsyncSession, org_id: uuid.UUID) -> Any | None:
    conn = await session.connection()
    return (await conn.execute(_TREE, {"o": org_id})).one_or_none()


async def pending(session: AsyncSession, org_id: uuid.UUID, limit: int) -> list[Any]:
    conn = await session.connection()
    return list(await conn.execute(_PENDING, {"o": org_id, "n": limit}))


async def assign(
    session: AsyncSession,
    org_id: uuid.UUID,
    seqs: Sequence[tuple[uuid.UUID, int]],
    nodes: dict[Node, bytes],
    *,
    size: int,
    root: bytes,
) -> None:
    conn = await session.connection()
    if conn.dialect.name == "postgresql":
        # one statement for the batch (an executemany is one round trip per row's bind)
        await conn.exec_driver_sql(
            "UPDATE evidence_entries AS e SET seq = v.s FROM"
            " unnest($1::uuid[], $2::bigint[]) AS v(id, s) WHERE e.id = v.id",
            ([eid for eid, _ in seqs], [s for _, s in seqs]),
        )
    else:
        await conn.execute(_SET_SEQ, [{"eid": eid, "s": s} for eid, s in seqs])
    if nodes and conn.dialect.name == "postgresql":
        await conn.exec_driver_sql(
            "INSERT INTO evidence_nodes (org_id, level, idx, hash) SELECT $1, *"
            " FROM unnest($2::smallint[], $3::bigint[], $4::bytea[])",
            (org_id, [lv for lv, _ in nodes], [ix for _, ix in nodes], list(nodes.values())),
        )
    elif nodes:
        await conn.execute(
            _INSERT_NODE,
            [
                {"org_id": org_id, "level": lv, "idx": ix, "hash": h}
                for (lv, ix), h in nodes.items()
            ],
        )
    await conn.execute(update(T).where(T.c.org_id == org_id).values(size=size, root=root))


_PG_NODES = (
    "SELECT 0::smallint, e.seq, e.leaf FROM evidence_entries e"
    " WHERE e.org_id = $1 AND e.seq = ANY($2::bigint[])"
    " UNION ALL SELECT n.level, n.idx, n.hash"
    " FROM unnest($3::smallint[], $4::bigint[]) AS w(level, idx)"
    " JOIN evidence_nodes n ON n.org_id = $1 AND n.level = w.level AND n.idx = w.idx"
)
_NODES = union_all(
    select(
        literal(0, SmallInteger).label("level"), E.c.seq.label("idx"), E.c.leaf.label("hash")
    ).where(E.c.org_id == bindparam("o"), E.c.seq.in_(bindparam("seqs", expanding=True))),
    select(N.c.level, N.c.idx, N.c.hash).where(
        N.c.org_id == bindparam("o"),
        tuple_(N.c.level, N.c.idx).in_(bindparam("pairs", expanding=True)),
    ),
)


async def nodes(
    session: AsyncSession, org_id: uuid.UUID, wanted: Iterable[Node]
) -> dict[Node, bytes]:
    """The stored hashes of the wanted perfect nodes (level 0 from the entries), in one
    round trip of one cached statement."""
    wanted = set(wanted)
    seqs = sorted(ix for lv, ix in wanted if lv == 0) or [-1]
    pairs = sorted((lv, ix) for lv, ix in wanted if lv > 0) or [(-1, -1)]
    conn = await session.connection()
    if conn.dialect.name == "postgresql":
        # index lookups per wanted node (a row-value IN list makes PostgreSQL scan the tree)
        levels = [lv for lv, _ in pairs]
        idxs = [ix for _, ix in pairs]
        result: Any = await conn.exec_driver_sql(_PG_NODES, (org_id, seqs, levels, idxs))
        out: dict[Node, bytes] = {}
        for row in result:
            out[(row[0], row[1])] = bytes(row[2])
        return out
    rows = await conn.execute(_NODES, {"o": org_id, "seqs": seqs, "pairs": pairs})
    return {(r.level, r.idx): bytes(r.hash) for r in rows}


async def entry_by_source(session: AsyncSession, org_id: uuid.UUID, source_id: str) -> Any | None:
    conn = await session.connection()
    stmt = select(E).where(E.c.org_id == org_id, E.c.source_id == source_id)
    return (await conn.execute(stmt)).first()


async def entry_by_seq(session: AsyncSession, org_id: uuid.UUID, seq: int) -> Any | None:
    conn = await session.connection()
    return (await conn.execute(select(E).where(E.c.org_id == org_id, E.c.seq == seq))).first()


async def entries_about(session: AsyncSession, org_id: uuid.UUID, subject: str) -> list[Any]:
    conn = await session.connection()
    stmt = (
        select(E)
        .where(E.c.org_id == org_id, E.c.subject == subject)
        .order_by(E.c.seq.is_(None), E.c.seq, E.c.id)
    )
    return list(await conn.execute(stmt))


async def stream_entries(
    session: AsyncSession, org_id: uuid.UUID, batch: int = 20_000
) -> AsyncIterator[list[Any]]:
    """Every integrated entry of a tree in leaf order, in batches (keyset pagination)."""
    conn = await session.connection()
    after = -1
    while True:
        stmt = (
            select(E.c.seq, E.c.id, E.c.kind, E.c.source_id, E.c.data, E.c.leaf)
            .where(E.c.org_id == org_id, E.c.seq > after)
            .order_by(E.c.seq)
            .limit(batch)
        )
        rows = list(await conn.execute(stmt))
        if not rows:
            return
        yield rows
        after = rows[-1].seq


async def stream_nodes(
    session: AsyncSession, org_id: uuid.UUID, batch: int = 50_000
) -> AsyncIterator[list[Any]]:
    """Every stored subtree hash of a tree, by level then index, in batches (a range scan
    of the primary key per level and batch)."""
    conn = await session.connection()
    top = await conn.scalar(select(func.max(N.c.level)).where(N.c.org_id == org_id))
    for level in range(1, (top or 0) + 1):
        after = -1
        while True:
            stmt = (
                select(N.c.level, N.c.idx, N.c.hash)
                .where(N.c.org_id == org_id, N.c.level == level, N.c.idx > after)
                .order_by(N.c.idx)
                .limit(batch)
            )
            rows = list(await conn.execute(stmt))
            if not rows:
                break
            yield rows
            after = rows[-1].idx


async def audit_rows(
    session: AsyncSession, org_id: uuid.UUID | None, ids: Sequence[str]
) -> dict[str, Any]:
    if not ids:
        return {}
    A = AuditEntry.__table__
    conn = await session.connection()
    out: dict[str, Any] = {}
    for i in range(0, len(ids), 500):
        chunk = [uuid.UUID(x) for x in ids[i : i + 500]]
        for r in await conn.execute(select(A).where(A.c.id.in_(chunk))):
            out[str(r.id)] = r
    return out


async def audit_ids_since(
    session: AsyncSession, org_id: uuid.UUID | None, since: datetime
) -> list[Any]:
    """(id, action) of the organisation's audit entries written since `since`."""
    A = AuditEntry.__table__
    conn = await session.connection()
    org_match = A.c.org_id.is_(None) if org_id is None else A.c.org_id == org_id
    return list(await conn.execute(select(A.c.id, A.c.action).where(org_match, A.c.at >= since)))


async def audit_sources(session: AsyncSession, org_id: uuid.UUID) -> set[str]:
    conn = await session.connection()
    stmt = select(E.c.source_id).where(E.c.org_id == org_id, E.c.kind == "audit")
    return set((await conn.execute(stmt)).scalars())


async def first_entry_at(session: AsyncSession, org_id: uuid.UUID) -> datetime | None:
    conn = await session.connection()
    return await conn.scalar(select(func.min(E.c.created_at)).where(E.c.org_id == org_id))  # type: ignore[no-any-return]


# ---- heads, keys, witnesses, audits ----


async def add_head(
    session: AsyncSession, org_id: uuid.UUID, size: int, root: bytes, note: str, at: datetime
) -> None:
    conn = await session.connection()
    await conn.execute(
        insert(H).values(id=new_id(), org_id=org_id, size=size, root=root, note=note, created_at=at)
    )
    await conn.execute(update(T).where(T.c.org_id == org_id).values(signed_size=size, signed_at=at))


async def heads(
    session: AsyncSession, org_id: uuid.UUID, *, offset: int = 0, limit: int = 50
) -> tuple[list[EvidenceHead], int]:
    stmt = select(EvidenceHead).where(EvidenceHead.org_id == org_id)
    total = await session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = await session.scalars(
        stmt.order_by(EvidenceHead.size.desc(), EvidenceHead.created_at.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(rows), int(total or 0)


async def latest_head(session: AsyncSession, org_id: uuid.UUID) -> EvidenceHead | None:
    stmt = (
        select(EvidenceHead)
        .where(EvidenceHead.org_id == org_id)
        .order_by(EvidenceHead.size.desc(), EvidenceHead.created_at.desc())
        .limit(1)
    )
    return (await session.scalars(stmt)).first()


async def all_heads(session: AsyncSession, org_id: uuid.UUID) -> list[EvidenceHead]:
    stmt = select(EvidenceHead).where(EvidenceHead.org_id == org_id).order_by(EvidenceHead.size)
    return list(await session.scalars(stmt))


async def keys(session: AsyncSession, org_id: uuid.UUID) -> list[EvidenceKey]:
    stmt = select(EvidenceKey).where(EvidenceKey.org_id == org_id).order_by(EvidenceKey.created_at)
    return list(await session.scalars(stmt))


async def retire_keys(session: AsyncSession, org_id: uuid.UUID, at: datetime) -> None:
    await session.execute(
        update(EvidenceKey)
        .where(
            EvidenceKey.org_id == org_id,
            or_(EvidenceKey.retires_at.is_(None), EvidenceKey.retires_at > at),
        )
        .values(retires_at=at)
    )


async def witnesses(session: AsyncSession, org_id: uuid.UUID) -> list[EvidenceWitness]:
    stmt = (
        select(EvidenceWitness)
        .where(EvidenceWitness.org_id == org_id)
        .order_by(EvidenceWitness.created_at)
    )
    return list(await session.scalars(stmt))


async def witness(
    session: AsyncSession, org_id: uuid.UUID, witness_id: uuid.UUID
) -> EvidenceWitness | None:
    stmt = select(EvidenceWitness).where(
        and_(EvidenceWitness.org_id == org_id, EvidenceWitness.id == witness_id)
    )
    return (await session.scalars(stmt)).first()


async def last_audit(session: AsyncSession, org_id: uuid.UUID) -> EvidenceAudit | None:
    stmt = (
        select(EvidenceAudit)
        .where(EvidenceAudit.org_id == org_id)
        .order_by(EvidenceAudit.at.desc())
        .limit(1)
    )
    return (await session.scalars(stmt)).first()


async def unsigned_orgs(session: AsyncSession) -> list[uuid.UUID]:
    conn = await session.connection()
    return list(
        (await conn.execute(select(T.c.org_id).where(T.c.size > T.c.signed_size))).scalars()
    )


async def tree_orgs(session: AsyncSession) -> list[uuid.UUID]:
    conn = await session.connection()
    return list((await conn.execute(select(T.c.org_id))).scalars())


async def insert_entries(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    conn = await session.connection()
    await conn.execute(insert(E), rows)


_COLS = ("id", "org_id", "seq", "kind", "source_id", "subject", "data", "leaf", "created_at")
_PG_INSERT = (
    "INSERT INTO evidence_entries (id, org_id, seq, kind, source_id, subject, data, leaf,"
    " created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
)


async def insert_one_autocommit(engine: AsyncEngine, row: dict[str, Any]) -> None:
    """One row, durable when this returns: a single statement outside any transaction."""
    async with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            raw = await conn.get_raw_connection()
            values = [row[c] for c in _COLS]
            values[-1] = values[-1].astimezone(UTC).replace(tzinfo=None)
            await raw.driver_connection.execute(_PG_INSERT, *values)  # type: ignore[union-attr]
        else:
            await conn.execute(insert(E), [row])
            await conn.commit()
