"""The evidence log's use cases: tree heads, proofs, keys, witnesses, packages, store audits.

Facts get in by themselves (`leaf.py`, hooked on the audit trail and the outbox) and are
integrated and signed in the background (`integrator.py`); nothing here is on the path of
a business request.
"""

from __future__ import annotations

import base64
import hashlib
import io
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from sealhub.evidence import leaf, merkle, repository, signing
from sealhub.evidence.errors import (
    BadTreeSizes,
    BadWitnessTarget,
    EntryNotFound,
    EntryNotIntegrated,
    NothingToPackage,
    NoTreeHead,
)
from sealhub.evidence.models import EvidenceAudit, EvidenceHead, EvidenceWitness
from sealhub.evidence.schemas import (
    AuditOut,
    ConsistencyProof,
    HeadOut,
    InclusionProof,
    WitnessIn,
)
from sealhub.evidence.verifier.note import NoteError, verify_checkpoint
from sealhub.evidence.verifier.package import FORMAT
from sealhub.evidence.witnesses import valid_target
from sealhub.platform import audit, clock
from sealhub.platform.actor import Actor, system_in
from sealhub.platform.crypto import Envelope
from sealhub.platform.db.engine import Database
from sealhub.platform.ids import new_id
from sealhub.requests import service as requests_service


def _b64(h: bytes) -> str:
    return base64.b64encode(h).decode()


def head_out(head: EvidenceHead) -> HeadOut:
    return HeadOut(size=head.size, root=_b64(head.root), note=head.note, created_at=head.created_at)


# ---- tree heads and keys ----


async def latest_head(session: AsyncSession, actor: Actor) -> HeadOut | None:
    """The organisation's newest signed tree head (None before the first)."""
    head = await repository.latest_head(session, actor.org_id)
    return head_out(head) if head else None


async def list_heads(
    session: AsyncSession, actor: Actor, *, offset: int, limit: int
) -> tuple[list[HeadOut], int]:
    """Every signed tree head ever issued, newest first."""
    rows, total = await repository.heads(session, actor.org_id, offset=offset, limit=limit)
    return [head_out(h) for h in rows], total


async def public_keys(session: AsyncSession, actor: Actor) -> list[dict[str, Any]]:
    """Every generation of the log's public keys (retired ones too: old heads need them)."""
    return [signing.key_json(k) for k in await repository.keys(session, actor.org_id)]


async def rotate_keys(
    session: AsyncSession, actor: Actor, envelope: Envelope, *, overlap_hours: int = 168
) -> dict[str, Any]:
    """Start a new key pair; the current one co-signs until the overlap ends."""
    key = await signing.rotate(
        session, envelope, actor.org_id, overlap=timedelta(hours=overlap_hours)
    )
    await audit.record(
        session,
        actor,
        "evidence.rotate_key",
        "evidence_key",
        key.id,
        summary=audit.Summary("轮换存证日志签名密钥", "Rotated the evidence log's signing keys"),
        after={"overlap_hours": overlap_hours},
    )
    return signing.key_json(key)


# ---- proofs ----


async def _path(session: AsyncSession, org_id: uuid.UUID, ranges: list[merkle.Range]) -> list[str]:
    nodes = await repository.nodes(session, org_id, merkle.nodes_of(ranges))
    return [_b64(merkle.hash_range(a, b, nodes)) for a, b in ranges]


async def inclusion_at(session: AsyncSession, org_id: uuid.UUID, seq: int, size: int) -> list[str]:
    """The audit path of leaf `seq` in the tree of `size` (O(log n) stored hashes)."""
    return await _path(session, org_id, merkle.inclusion_ranges(seq, size))


async def consistency_at(
    session: AsyncSession, org_id: uuid.UUID, first: int, second: int
) -> list[str]:
    return await _path(session, org_id, merkle.consistency_ranges(first, second))


async def inclusion_proof(
    session: AsyncSession,
    actor: Actor,
    record_id: uuid.UUID | None,
    *,
    tree_size: int | None = None,
) -> InclusionProof | None:
    """Where a record (an audit entry or event id) sits in the log, and its proof (None when
    no record is named)."""
    if record_id is None:
        return None
    head = await repository.latest_head(session, actor.org_id)
    if head is None:
        raise NoTreeHead()
    size = tree_size if tree_size is not None else head.size
    tree = await repository.tree(session, actor.org_id)
    if tree is None or size > tree.size:
        raise BadTreeSizes(current=tree.size if tree else 0)
    entry = await repository.entry_by_source(session, actor.org_id, str(record_id))
    if entry is None:
        raise EntryNotFound()
    if entry.seq is None or entry.seq >= size:
        raise EntryNotIntegrated()
    return InclusionProof(
        record_id=entry.source_id,
        kind=entry.kind,
        index=entry.seq,
        tree_size=size,
        leaf_hash=_b64(entry.leaf),
        data=entry.data,
        path=await inclusion_at(session, actor.org_id, entry.seq, size),
    )


async def consistency_proof(
    session: AsyncSession, actor: Actor, first: int | None, second: int | None
) -> ConsistencyProof | None:
    """That the tree of size `second` extends the tree of size `first` (defaults: the two
    newest heads)."""
    if first is None or second is None:
        recent, _ = await repository.heads(session, actor.org_id, limit=2)
        if not recent:
            return None
        second = second or recent[0].size
        first = first or (recent[1].size if len(recent) > 1 else second)
    tree = await repository.tree(session, actor.org_id)
    current = tree.size if tree else 0
    if not 1 <= first <= second <= current:
        raise BadTreeSizes(current=current)
    return ConsistencyProof(
        first=first, second=second, path=await consistency_at(session, actor.org_id, first, second)
    )


# ---- witnesses ----


async def list_witnesses(session: AsyncSession, actor: Actor) -> list[EvidenceWitness]:
    """Where the organisation's signed heads are pushed."""
    return await repository.witnesses(session, actor.org_id)


async def set_witnesses(
    session: AsyncSession, actor: Actor, wanted: list[WitnessIn]
) -> list[EvidenceWitness]:
    """Replace where signed heads are pushed (a kept target keeps its delivery state)."""
    for w in wanted:
        if not valid_target(w.kind, w.target):
            raise BadWitnessTarget()
    current = await repository.witnesses(session, actor.org_id)
    want = {(w.kind, w.target) for w in wanted}
    have = {(w.kind, w.target): w for w in current}
    for key, row in have.items():
        if key not in want:
            await session.delete(row)
    for kind, target in sorted(want - set(have)):
        session.add(
            EvidenceWitness(
                id=new_id(), org_id=actor.org_id, kind=kind, target=target, pushed_size=0
            )
        )
    await session.flush()
    await audit.record(
        session,
        actor,
        "evidence.set_witnesses",
        "evidence_witness",
        None,
        summary=audit.Summary("设置存证见证方", "Set the evidence log's witnesses"),
        before={"witnesses": sorted(f"{k}:{t}" for k, t in have)},
        after={"witnesses": sorted(f"{k}:{t}" for k, t in want)},
    )
    return await repository.witnesses(session, actor.org_id)


# ---- evidence packages ----


async def package(session: AsyncSession, actor: Actor, request_id: uuid.UUID) -> bytes:
    """One application's evidence package: its records, their proofs, the head, the keys."""
    detail = await requests_service.get_request(session, actor, request_id)  # access check
    head = await repository.latest_head(session, actor.org_id)
    if head is None:
        raise NothingToPackage()
    entries = [
        e
        for e in await repository.entries_about(session, actor.org_id, str(request_id))
        if e.seq is not None and e.seq < head.size
    ]
    if not entries:
        raise NothingToPackage()
    pending = len(await repository.entries_about(session, actor.org_id, str(request_id))) - len(
        entries
    )
    keys = await repository.keys(session, actor.org_id)
    files: dict[str, bytes] = {
        "checkpoint.txt": head.note.encode(),
        "keys.json": orjson.dumps([signing.key_json(k) for k in keys], option=orjson.OPT_INDENT_2),
        "context/application.json": orjson.dumps(
            detail.model_dump(mode="json"), option=orjson.OPT_INDENT_2
        ),
    }
    records = []
    for e in entries:
        name = f"records/{e.seq:012d}.json"
        proof_name = f"proofs/{e.seq:012d}.json"
        files[name] = e.data.encode()
        path = await inclusion_at(session, actor.org_id, e.seq, head.size)
        files[proof_name] = orjson.dumps(
            {"index": e.seq, "tree_size": head.size, "leaf_hash": _b64(e.leaf), "path": path},
            option=orjson.OPT_INDENT_2,
        )
        records.append(
            {
                "index": e.seq,
                "kind": e.kind,
                "source_id": e.source_id,
                "file": name,
                "proof": proof_name,
            }
        )
    media = [
        {"role": "document", "filename": d.filename, "sha256": d.sha256} for d in detail.documents
    ] + [{"role": "photo", "filename": p.filename, "sha256": p.sha256} for p in detail.photos]
    manifest = {
        "format": FORMAT,
        "origin": signing.origin(actor.org_id),
        "org_id": str(actor.org_id),
        "application_id": str(request_id),
        "application_number": detail.number,
        "created_at": clock.now().isoformat(),
        "tree_size": head.size,
        "records": records,
        "records_not_yet_in_a_signed_head": pending,
        "media": media,
        "files": {n: hashlib.sha256(b).hexdigest() for n, b in sorted(files.items())},
        "notes": {
            "records": "each file is the exact leaf (RFC 8785 JSON);"
            " leaf hash = SHA-256(0x00 || bytes)",
            "context": "context/application.json is the application as shown today, for reading;"
            " what is proven is the records",
            "media": "media are listed by SHA-256; the same hashes appear in the records",
        },
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
        for name, data in sorted(files.items()):
            zf.writestr(name, data)
    await audit.record(
        session,
        actor,
        "evidence.export_package",
        "request",
        request_id,
        summary=audit.Summary(
            f"导出申请 {detail.number} 的证据包",
            f"Exported the evidence package of {detail.number}",
        ),
        after={"tree_size": head.size, "records": len(records)},
    )
    return out.getvalue()


async def positions(
    session: AsyncSession, actor: Actor, request_id: uuid.UUID
) -> list[dict[str, Any]]:
    """Where an application's records sit in the log (for its page)."""
    await requests_service.get_request(session, actor, request_id)
    head = await repository.latest_head(session, actor.org_id)
    signed = head.size if head else 0
    out = []
    for e in await repository.entries_about(session, actor.org_id, str(request_id)):
        fact = orjson.loads(e.data)
        out.append(
            {
                "index": e.seq,
                "kind": e.kind,
                "record_id": e.source_id,
                "what": fact.get("action") or fact.get("name"),
                "at": fact.get("at"),
                "leaf_hash": _b64(e.leaf),
                "in_signed_head": e.seq is not None and e.seq < signed,
            }
        )
    return out


# ---- the store audit ----


@dataclass
class Report:
    org_id: uuid.UUID
    checked: int = 0
    heads: int = 0
    findings: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def add(self, kind: str, record: str, detail: str) -> None:
        self.findings.append({"kind": kind, "record": record, "detail": detail})

    def render(self) -> str:
        head = f"organisation {self.org_id}: {self.checked} leaves, {self.heads} signed heads"
        if self.ok:
            return f"OK   {head}: every leaf, subtree hash and tree head recomputes"
        lines = [f"FAIL {head}: {len(self.findings)} findings"]
        lines += [f"  {f['kind']:<9} {f['record']}: {f['detail']}" for f in self.findings]
        return "\n".join(lines)


async def audit_store(
    session: AsyncSession, org_id: uuid.UUID, *, sources: bool = True, save: bool = True
) -> Report:
    """Recompute one organisation's tree from its rows and name what changed behind our back."""
    report = Report(org_id)
    leaves: list[bytes] = []
    audit_leaves: dict[str, tuple[int, dict[str, Any]]] = {}
    async for rows in repository.stream_entries(session, org_id):
        for r in rows:
            if r.seq != len(leaves):
                report.add(
                    "removed", f"leaves {len(leaves)}..{r.seq - 1}", "missing from evidence_entries"
                )
                leaves.extend([b""] * (r.seq - len(leaves)))
            data = r.data.encode()
            h = merkle.leaf_hash(data)
            if h != r.leaf:
                report.add(
                    "changed",
                    f"leaf {r.seq} (evidence entry {r.id})",
                    "its data no longer hashes to its leaf hash",
                )
            leaves.append(h)
            if sources and r.kind == "audit":
                audit_leaves[r.source_id] = (r.seq, orjson.loads(data))
    report.checked = len(leaves)
    tree = await repository.tree(session, org_id)
    size = tree.size if tree else 0
    if len(leaves) > size:
        report.add(
            "inserted", f"leaves {size}..{len(leaves) - 1}", "beyond the integrated tree size"
        )
    # every perfect subtree recomputed from the data, against the cache proofs are built from
    lv = merkle.levels([h or b"\0" * 32 for h in leaves[:size]])
    computed = merkle.LevelView(lv)
    bad_nodes = 0
    async for batch in repository.stream_nodes(session, org_id):
        for level, idx, stored in batch:
            want = lv[level][idx] if level < len(lv) and idx < len(lv[level]) else None
            if want == stored:
                continue
            bad_nodes += 1
            if bad_nodes <= 20:
                first, last = idx << level, ((idx + 1) << level) - 1
                report.add(
                    "changed" if want else "inserted",
                    f"subtree hash ({level}, {idx})",
                    f"covers leaves {first}..{last}; "
                    + ("differs from the records" if want else "beyond the tree"),
                )
    keys = [signing.public_pair(k) for k in await repository.keys(session, org_id)]
    heads = await repository.all_heads(session, org_id)
    report.heads = len(heads)
    for head in heads:
        try:
            verify_checkpoint(head.note, keys)
        except NoteError as exc:
            report.add("head", f"tree head {head.size}", f"its signature does not verify: {exc}")
        if head.size > len(leaves):
            report.add(
                "removed", f"tree head {head.size}", f"the log has only {len(leaves)} leaves"
            )
        elif head.size and merkle.root_of(head.size, computed) != head.root:
            report.add(
                "changed",
                f"tree head {head.size}",
                "the records below it no longer give its signed root",
            )
    if sources:
        await _audit_sources(session, org_id, audit_leaves, report)
    if save:
        session.add(
            EvidenceAudit(
                id=new_id(),
                org_id=org_id,
                at=clock.now(),
                ok=report.ok,
                checked=report.checked,
                findings=report.findings[:200],
            )
        )
        await session.flush()
    return report


async def _audit_sources(
    session: AsyncSession,
    org_id: uuid.UUID,
    leaves: dict[str, tuple[int, dict[str, Any]]],
    report: Report,
) -> None:
    """The audit trail's rows against their leaves: changed, removed, inserted."""
    audit_org = None if org_id == leaf.PLATFORM_ORG else org_id
    ids = list(leaves)
    rows = await repository.audit_rows(session, audit_org, ids)
    for source_id, (seq, fact) in leaves.items():
        row = rows.get(source_id)
        if row is None:
            report.add(
                "removed",
                f"audit entry {source_id} ({fact.get('action')})",
                f"deleted; leaf {seq} still holds it",
            )
            continue
        now = leaf.audit_fact(row._asdict())
        if now != fact:
            fields = sorted(k for k in now if now.get(k) != fact.get(k))
            report.add(
                "changed",
                f"audit entry {source_id} ({fact.get('action')})",
                f"{', '.join(fields)} {'differs' if len(fields) == 1 else 'differ'}"
                f" from leaf {seq}",
            )
    since = await repository.first_entry_at(session, org_id)
    if since is None:
        return
    known = await repository.audit_sources(session, org_id)  # pending leaves count too
    for row in await repository.audit_ids_since(session, audit_org, since):
        if str(row.id) not in known:
            report.add("inserted", f"audit entry {row.id} ({row.action})", "is not in the log")


async def last_audit(session: AsyncSession, actor: Actor) -> AuditOut | None:
    """The result of the last store audit (for the auditors' page)."""
    a = await repository.last_audit(session, actor.org_id)
    if a is None:
        return None
    return AuditOut(at=a.at, ok=a.ok, checked=a.checked, findings=a.findings)


async def audit_actor(session: AsyncSession, org_id: uuid.UUID) -> Report:
    """Audit and record it as the system (the CLI and the periodic job)."""
    report = await audit_store(session, org_id)
    await audit.record(
        session,
        system_in(org_id),
        "evidence.audit",
        "evidence_tree",
        str(org_id),
        summary=audit.Summary(
            f"存证日志审计：{'通过' if report.ok else f'发现 {len(report.findings)} 处问题'}",
            f"Evidence log audit: {'passed' if report.ok else f'{len(report.findings)} findings'}",
        ),
        after={"checked": report.checked, "ok": report.ok},
    )
    return report


async def tree_orgs(session: AsyncSession) -> list[uuid.UUID]:
    """Every organisation with a tree (the CLI's and the audit job's list)."""
    return await repository.tree_orgs(session)


async def head_notes(session: AsyncSession, org_id: uuid.UUID, *, limit: int) -> list[str]:
    """The newest signed checkpoints of one tree, as signed (the CLI's `heads`)."""
    rows, _ = await repository.heads(session, org_id, limit=limit)
    return [h.note for h in rows]


async def append_now(db: Database, org_id: uuid.UUID, kind: str, fact: dict[str, Any]) -> None:
    """Append one fact durably on its own (one INSERT in autocommit: one round trip), for a
    producer outside a business transaction; the integrator gives it its leaf index."""
    await repository.insert_one_autocommit(db.engine, leaf.fact_entry(org_id, kind, fact))
