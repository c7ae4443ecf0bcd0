"""Transactional outbox: typed domain events written with the change, delivered at least once.

Each event is a frozen dataclass declared in its context's `events.py`:

    @dataclass(frozen=True, kw_only=True)
    class RequestApproved(events.Event):
        name: ClassVar[str] = "request.approved"
        version: ClassVar[int] = 1
        request_id: uuid.UUID

    await events.emit(session, RequestApproved(org_id=r.org_id, request_id=r.id))

    @events.on(RequestApproved)
    async def push(session: AsyncSession, event: RequestApproved) -> None: ...

Handlers must be idempotent; the relay (worker.py) delivers each row to every handler in
its own transaction, then publishes it on the cache bus so listeners in any process (the
console's live updates) see it. The stored payload is the event's fields as JSON plus
`"v"`, its version; `declared()` lists every event class, `known(name)` tells a declared
event (with or without handlers) from an unknown name.
"""

from __future__ import annotations

import dataclasses
import logging
import types
import typing
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, ClassVar, Self, TypeVar

import orjson
from pydantic import TypeAdapter
from sqlalchemy import JSON, Index, String, Text, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from sealhub.platform import clock
from sealhub.platform.db import appends
from sealhub.platform.db.base import Base, IdMixin
from sealhub.platform.ids import new_id

log = logging.getLogger("sealhub.events")

Handler = Callable[[AsyncSession, "OutboxEvent"], Awaitable[None]]
_HANDLERS: dict[str, list[Handler]] = defaultdict(list)
_DECLARED: dict[str, type[Event]] = {}
BUS_CHANNEL = "events"
E = TypeVar("E", bound="Event")
TypedHandler = Callable[[AsyncSession, E], Awaitable[None]]


@dataclasses.dataclass(frozen=True, kw_only=True)
class Event:
    """One domain event: subclasses set `name` and `version` and add typed fields.

    Field types the codec knows: UUID, str, int, bool, datetime, str enums, dicts, lists,
    `X | None` and nested frozen dataclasses (stored as JSON objects)."""

    name: ClassVar[str]
    version: ClassVar[int] = 1
    org_id: uuid.UUID

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        name = cls.__dict__.get("name")
        if not isinstance(name, str):
            return  # an abstract base shared by several events
        other = _DECLARED.get(name)
        if other is not None and other.__qualname__ != cls.__qualname__:
            raise TypeError(f"event {name!r} declared twice ({other.__qualname__})")
        _DECLARED[name] = cls

    def payload(self) -> dict[str, Any]:
        """The stored JSON: every field, plus the version as "v"."""
        # orjson writes dataclasses, UUIDs, aware datetimes and enums as the JSON we store;
        # `str` covers the UUID class database drivers return (asyncpg's is its own)
        body: dict[str, Any] = orjson.loads(orjson.dumps(self, default=str))
        body["v"] = self.version
        return body

    @classmethod
    def decode(cls, payload: dict[str, Any], *, org_id: uuid.UUID | None = None) -> Self:
        """The event back from its stored JSON (rows of an older version included)."""
        data = dict(payload)
        if data.get("org_id") is None and org_id is not None:
            data["org_id"] = str(org_id)
        return _adapter(cls).validate_python(data)


def declared() -> dict[str, type[Event]]:
    """Every declared event by name (those whose modules have been imported)."""
    return dict(sorted(_DECLARED.items()))


def known(name: str) -> bool:
    """Whether `name` is a declared event (the relay tells these from unknown names)."""
    return name in _DECLARED


def fields_of(event_type: type[Any], prefix: str = "") -> list[tuple[str, str]]:
    """(field, type) pairs of an event, nested dataclasses spelt out (`items[].seal_id`)."""
    hints = typing.get_type_hints(event_type)
    out: list[tuple[str, str]] = []
    for f in dataclasses.fields(event_type):
        tp = hints[f.name]
        out.append((prefix + f.name, _type_name(tp)))
        inner = [tp, *typing.get_args(tp)]
        nested = next(
            (t for t in inner if isinstance(t, type) and dataclasses.is_dataclass(t)), None
        )
        if nested is not None:
            many = "[]" if typing.get_origin(tp) in (list, tuple) else ""
            out += fields_of(nested, f"{prefix}{f.name}{many}.")
    return out


def markdown() -> str:
    """docs/events.md: every declared event with its version and fields."""
    lines = [
        "# Domain events",
        "",
        "Generated from the event registry (`python -m tests.test_events_doc`);",
        "a test fails when it is stale. Every event is stored in the outbox as its fields",
        'in JSON plus `"v"` (its version), written in the transaction of the change and',
        "delivered at least once: handlers are idempotent.",
        "",
    ]
    for name, cls in declared().items():
        doc = (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""
        lines += [f"## `{name}` (v{cls.version})", "", f"`{cls.__module__}.{cls.__qualname__}`"]
        if doc:
            lines += ["", doc]
        lines += ["", "| field | type |", "|---|---|"]
        lines += [f"| `{f}` | `{t.replace('|', chr(92) + '|')}` |" for f, t in fields_of(cls)]
        lines.append("")
    return "\n".join(lines)


class OutboxEvent(IdMixin, Base):
    __tablename__ = "outbox_events"
    __table_args__ = (Index("ix_outbox_pending", "delivered_at", "id"),)

    name: Mapped[str] = mapped_column(String(100))
    org_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)


def on(
    event_type: type[E],
) -> Callable[[TypedHandler[E]], TypedHandler[E]]:
    """Register an idempotent handler of one event type; it receives the typed event."""

    def register(fn: TypedHandler[E]) -> TypedHandler[E]:
        async def deliver(session: AsyncSession, row: OutboxEvent) -> None:
            await fn(session, event_type.decode(row.payload, org_id=row.org_id))

        deliver.__qualname__ = fn.__qualname__
        deliver.__wrapped__ = fn  # type: ignore[attr-defined]
        handlers = _HANDLERS[event_type.name]
        if all(getattr(h, "__wrapped__", h) is not fn for h in handlers):
            handlers.append(deliver)
        return fn

    return register


def handlers_for(name: str) -> list[Handler]:
    """The row-level handlers of an event name (the relay decodes nothing itself)."""
    return list(_HANDLERS.get(name, ()))


async def emit(session: AsyncSession, event: Event) -> None:
    """Write an event in the caller's transaction (with its next flush or the commit)."""
    _queue(session, event.name, event.payload(), org_id=event.org_id)


def write(
    session: AsyncSession, name: str, payload: dict[str, Any], *, org_id: uuid.UUID | None
) -> None:
    """Queue one outbox row as it is stored; contexts emit typed events through `emit`."""
    _queue(session, name, orjson.loads(orjson.dumps(payload)), org_id=org_id)


def _queue(
    session: AsyncSession, name: str, payload: dict[str, Any], *, org_id: uuid.UUID | None
) -> None:
    appends.append(
        session,
        OutboxEvent,
        {
            "id": new_id(),
            "name": name,
            "org_id": org_id,
            "payload": payload,
            "created_at": clock.now(),
            "delivered_at": None,
            "attempts": 0,
            "last_error": None,
        },
    )


def bus_message(event: OutboxEvent) -> bytes:
    return orjson.dumps(
        {
            "id": str(event.id),
            "name": event.name,
            "org_id": str(event.org_id) if event.org_id else None,
            "payload": event.payload,
            "at": event.created_at.isoformat(),
        }
    )


async def pending(session: AsyncSession, limit: int = 100) -> list[OutboxEvent]:
    stmt = (
        select(OutboxEvent)
        .where(OutboxEvent.delivered_at.is_(None), OutboxEvent.attempts < 20)
        .order_by(OutboxEvent.id)
        .limit(limit)
    )
    if session.bind is not None and session.bind.dialect.name != "sqlite":
        stmt = stmt.with_for_update(skip_locked=True)
    return list((await session.execute(stmt)).scalars())


# ---- decoding: pydantic validates the stored JSON back into the dataclass ----

_ADAPTERS: dict[type[Any], TypeAdapter[Any]] = {}


def _adapter(cls: type[E]) -> TypeAdapter[E]:
    """One adapter per event class (building one costs far more than using it)."""
    adapter = _ADAPTERS.get(cls)
    if adapter is None:
        adapter = _ADAPTERS[cls] = TypeAdapter(cls)
    return adapter


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        return " | ".join(_type_name(a) for a in typing.get_args(tp))
    if origin is not None:
        args = ", ".join(_type_name(a) for a in typing.get_args(tp))
        return f"{getattr(origin, '__name__', str(origin))}[{args}]"
    if tp is type(None):
        return "None"
    if tp is Any:
        return "Any"
    return getattr(tp, "__name__", str(tp))
