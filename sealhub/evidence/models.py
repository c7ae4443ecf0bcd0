"""The log's tables (private to the context).

`evidence_entries` is appended in the writer's transaction (one row per audit entry or
event, in the same executemany batch); the integrator later gives each its leaf index
(`seq`) and caches every perfect subtree hash in `evidence_nodes`, so a proof reads
O(log n) rows. Level-0 hashes stay on the entries.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Index,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from sealhub.evidence import leaf
from sealhub.platform import clock
from sealhub.platform.audit import AuditEntry
from sealhub.platform.db import appends
from sealhub.platform.db.base import Base, IdMixin
from sealhub.platform.events import OutboxEvent


class EvidenceEntry(IdMixin, Base):
    __tablename__ = "evidence_entries"
    __table_args__ = (
        UniqueConstraint("org_id", "seq"),
        # the integrator's "what is pending" read
        Index("ix_evidence_entries_pending", "seq", "org_id"),
        Index("ix_evidence_entries_subject", "org_id", "subject"),
    )

    org_id: Mapped[uuid.UUID]
    seq: Mapped[int | None] = mapped_column(BigInteger, default=None)
    kind: Mapped[str] = mapped_column(String(20))
    source_id: Mapped[str] = mapped_column(String(64), index=True)
    subject: Mapped[str | None] = mapped_column(String(64), default=None)
    data: Mapped[str] = mapped_column(Text)
    leaf: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class EvidenceNode(Base):
    __tablename__ = "evidence_nodes"

    org_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary)


class EvidenceTree(Base):
    """One row per organisation: the integrated size, and the row the writer locks."""

    __tablename__ = "evidence_trees"

    org_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    root: Mapped[bytes] = mapped_column(LargeBinary)
    signed_size: Mapped[int] = mapped_column(BigInteger, default=0)
    signed_at: Mapped[datetime | None] = mapped_column(default=None)
    locked_at: Mapped[datetime | None] = mapped_column(default=None)


class EvidenceHead(IdMixin, Base):
    """Every signed tree head ever issued (the checkpoint note as signed)."""

    __tablename__ = "evidence_heads"
    __table_args__ = (Index("ix_evidence_heads_org_size", "org_id", "size"),)

    org_id: Mapped[uuid.UUID]
    size: Mapped[int] = mapped_column(BigInteger)
    root: Mapped[bytes] = mapped_column(LargeBinary)
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class EvidenceKey(IdMixin, Base):
    """One generation of the organisation's signing pair; private halves sealed."""

    __tablename__ = "evidence_keys"

    org_id: Mapped[uuid.UUID] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(String(200))
    ed25519: Mapped[bytes] = mapped_column(LargeBinary)
    mldsa65: Mapped[bytes] = mapped_column(LargeBinary)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    retires_at: Mapped[datetime | None] = mapped_column(default=None)


class EvidenceWitness(IdMixin, Base):
    """Where signed heads are pushed: a webhook, a folder, or another SealHub."""

    __tablename__ = "evidence_witnesses"

    org_id: Mapped[uuid.UUID] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(20))
    target: Mapped[str] = mapped_column(String(500))
    pushed_size: Mapped[int] = mapped_column(BigInteger, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500), default=None)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class EvidenceAudit(IdMixin, Base):
    """The result of one `evidence audit` run."""

    __tablename__ = "evidence_audits"

    org_id: Mapped[uuid.UUID] = mapped_column(index=True)
    at: Mapped[datetime] = mapped_column(default=clock.now)
    ok: Mapped[bool]
    checked: Mapped[int] = mapped_column(BigInteger, default=0)
    findings: Mapped[list[Any]] = mapped_column(JSON)


# every audit entry and outbox event gets its leaf in the same batch and transaction; here
# because every process that writes loads the models (sealhub.models, worker.boot)
appends.listen(AuditEntry, lambda row: (EvidenceEntry, leaf.audit_entry(row)))
appends.listen(OutboxEvent, lambda row: (EvidenceEntry, leaf.event_entry(row)))
