"""Application events -> device commands (all idempotent: an authorisation is keyed by its
application item, so a redelivered event re-sends the same terms)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sealhub.devices import keys, repository
from sealhub.devices.policy import (
    COMMAND_STATE,
    CONNECTABLE,
    CommandAction,
    CommandKind,
    CommandState,
)
from sealhub.devices.service._common import command_changed
from sealhub.devices.service.commands import issue
from sealhub.platform import clock, events
from sealhub.platform.actor import system_in
from sealhub.requests.events import (
    ItemFacts,
    PressesAdded,
    RequestApproved,
    RequestCompleted,
    RequestExpired,
    RequestFacts,
    WindowChanged,
)
from sealhub.seals.schemas import SealKind


def _ms(event: RequestFacts, which: str) -> int:
    return int(getattr(event, which).timestamp() * 1000)


def _pages(pages: str | None) -> int:
    if not pages:
        return 0
    try:
        return max(int(pages), 0)
    except ValueError:
        return 0


def authorise_params(event: RequestFacts, item: ItemFacts) -> dict[str, Any]:
    """The protocol's `authorise` args (§9.4.1) for one smart-seal item."""
    person = event.applicant_id
    code = keys.application_code(event.request_id, item.item_id, person)
    return {
        "auth": str(item.item_id),
        "request": str(event.request_id),
        "item": str(item.item_id),
        "people": [str(person)],
        "codes": {str(person): keys.code_hash(code)},
        "presses": item.presses,
        "valid_from": _ms(event, "valid_from"),
        "valid_until": _ms(event, "valid_until"),
        "pages": _pages(item.pages),
        "doc_url": None,
    }


async def _authorise(session: AsyncSession, event: RequestFacts) -> None:
    actor = system_in(event.org_id)
    for item in event.items:
        if item.seal_kind != SealKind.SMART:
            continue
        device = await repository.bound_device(session, event.org_id, item.seal_id)
        if device is None or device.status not in CONNECTABLE:
            continue
        params = authorise_params(event, item)
        # a redelivered event finds the same terms already queued or sent: nothing new
        same = [
            c
            for c in await repository.authorisations_for_request(
                session, event.org_id, event.request_id
            )
            if c.item_id == item.item_id and c.params == params and c.device_id == device.id
        ]
        if same:
            continue
        await issue(
            session,
            actor,
            device,
            CommandKind.AUTHORISE,
            params,
            timeout_seconds=3600,
            request_id=event.request_id,
            item_id=item.item_id,
        )


@events.on(RequestApproved)
async def push_authorisation(session: AsyncSession, event: RequestApproved) -> None:
    """An approved application's smart-seal items are authorised on their devices."""
    await _authorise(session, event)


@events.on(PressesAdded)
async def push_added_presses(session: AsyncSession, event: PressesAdded) -> None:
    """Added presses re-send the authorisation with the new count (same `auth`)."""
    await _authorise(session, event)


@events.on(WindowChanged)
async def push_window(session: AsyncSession, event: WindowChanged) -> None:
    """A new validity window re-sends each authorisation with it."""
    actor = system_in(event.org_id)
    latest: dict[uuid.UUID, Any] = {}
    for cmd in await repository.authorisations_for_request(session, event.org_id, event.request_id):
        if cmd.item_id is not None:
            latest[cmd.item_id] = cmd
    for item_id, cmd in latest.items():
        params = {
            **cmd.params,
            "valid_from": _ms(event, "valid_from"),
            "valid_until": _ms(event, "valid_until"),
        }
        if params == cmd.params:
            continue
        devices = await repository.devices_by_ids(session, [cmd.device_id])
        if not devices or devices[0].status not in CONNECTABLE:
            continue
        await issue(
            session,
            actor,
            devices[0],
            CommandKind.AUTHORISE,
            params,
            timeout_seconds=3600,
            request_id=event.request_id,
            item_id=item_id,
        )


async def _revoke(session: AsyncSession, event: RequestFacts) -> None:
    actor = system_in(event.org_id)
    done: set[tuple[uuid.UUID, uuid.UUID]] = set()
    cmds = await repository.authorisations_for_request(session, event.org_id, event.request_id)
    revoked = {
        (c.device_id, uuid.UUID(c.params["auth"]))
        for c in await repository.revocations_for_request(session, event.org_id, event.request_id)
    }
    for cmd in cmds:
        if cmd.item_id is None or (cmd.device_id, cmd.item_id) in done | revoked:
            continue
        done.add((cmd.device_id, cmd.item_id))
        if cmd.state == CommandState.QUEUED:
            # never reached the device: it never will
            cmd.state = COMMAND_STATE.transition(cmd.state, CommandAction.CANCEL)
            cmd.finished_at = clock.now()
            await command_changed(session, cmd)
            continue
        devices = await repository.devices_by_ids(session, [cmd.device_id])
        if not devices or devices[0].status not in CONNECTABLE:
            continue
        await issue(
            session,
            actor,
            devices[0],
            CommandKind.REVOKE,
            {"auth": str(cmd.item_id)},
            timeout_seconds=3600,
            request_id=event.request_id,
            item_id=cmd.item_id,
        )


@events.on(RequestCompleted)
async def revoke_on_completion(session: AsyncSession, event: RequestCompleted) -> None:
    """A completed or ended application can no longer unlock its devices."""
    await _revoke(session, event)


@events.on(RequestExpired)
async def revoke_on_expiry(session: AsyncSession, event: RequestExpired) -> None:
    """An expired application can no longer unlock its devices."""
    await _revoke(session, event)
