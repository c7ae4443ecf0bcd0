"""Typed, versioned events: the stored JSON keeps today's keys, handlers get the typed event."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select

from sealhub.platform import events
from sealhub.platform.events import OutboxEvent
from sealhub.requests.events import ItemFacts, RequestApproved
from sealhub.seals.events import Returned
from tests.requests.conftest import apply, approve_all, make_world

# the keys consumers read before events were typed (kept; "v" added)
APPROVED_KEYS = {
    "org_id",
    "request_id",
    "number",
    "status",
    "applicant_id",
    "valid_from",
    "valid_until",
    "items",
}
ITEM_KEYS = {"item_id", "seal_id", "seal_kind", "presses", "pages", "position", "straddle"}


async def _rows(app, name: str, request_id: str) -> list[OutboxEvent]:
    async with app.state.runtime.db.sessions() as session:
        rows = (
            await session.execute(select(OutboxEvent).where(OutboxEvent.name == name))
        ).scalars()
        return [r for r in rows if r.payload.get("request_id") == request_id]


async def test_approved_is_stored_as_before_plus_its_version(client, app):
    w = await make_world(client, app)
    req = await approve_all(w, await apply(w))
    [row] = await _rows(app, "request.approved", req["id"])
    assert set(row.payload) == APPROVED_KEYS | {"v"} and row.payload["v"] == 1
    assert set(row.payload["items"][0]) == ITEM_KEYS
    assert row.payload["org_id"] == w.admin.org_id and row.payload["status"] == "approved"
    assert row.payload["items"][0]["pages"] == "1,3" and row.payload["items"][0]["presses"] == 2

    event = RequestApproved.decode(row.payload, org_id=row.org_id)
    assert event.request_id == uuid.UUID(req["id"]) and event.org_id == row.org_id
    assert isinstance(event.valid_until, datetime) and event.valid_until.tzinfo is not None
    assert event.items == [
        ItemFacts(
            item_id=uuid.UUID(req["items"][0]["id"]),
            seal_id=uuid.UUID(w.seal["id"]),
            seal_kind="physical",
            presses=2,
            pages="1,3",
            position=None,
            straddle=None,
        )
    ]
    assert event.payload() == row.payload  # encode(decode(row)) == row


async def test_handlers_receive_the_typed_event_decoded_from_the_row():
    seen: list[Returned] = []

    async def probe(session, event: Returned) -> None:
        seen.append(event)

    events.on(Returned)(probe)
    events.on(Returned)(probe)  # registering twice delivers once
    try:
        org = uuid.uuid4()
        sent = Returned(
            org_id=org,
            seal_id=uuid.uuid4(),
            custody_id=uuid.uuid4(),
            request_id=None,
            holder_id=uuid.uuid4(),
            carried_out=True,
            handed_out_at=datetime.fromisoformat("2026-11-20T08:00:00+00:00"),
            expected_return_at=None,
            returned_at=datetime.fromisoformat("2026-11-20T09:30:00+00:00"),
            presses=3,
        )
        row = OutboxEvent(name=Returned.name, org_id=org, payload=sent.payload())
        for handler in events.handlers_for(Returned.name):
            await handler(None, row)  # type: ignore[arg-type]
        assert seen == [sent]
        assert events.known("seal.returned") and not events.known("seal.return")
        assert events.declared()["seal.returned"] is Returned
    finally:
        handlers = events._HANDLERS[Returned.name]
        handlers[:] = [h for h in handlers if getattr(h, "__wrapped__", None) is not probe]
