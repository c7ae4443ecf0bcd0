"""Events of the requests context (stored JSON: these fields plus "v", see platform.events)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from sealhub.platform.events import Event


class UseSource(StrEnum):
    """How an approved application was used (every kind goes through `record_use`)."""

    HAND_OUT = "hand_out"  # a keeper hands a physical seal to the applicant
    RETURN_COUNT = "return_count"  # the keeper counts the presses when it comes back
    DEVICE_PRESS = "device_press"  # a smart seal reports a press
    E_SIGNATURE = "e_signature"  # an electronic seal signs a document


@dataclass(frozen=True, kw_only=True)
class ItemFacts:
    """One seal of an application as events carry it."""

    item_id: uuid.UUID
    seal_id: uuid.UUID
    seal_kind: str
    presses: int
    pages: str | None
    position: dict[str, Any] | None
    straddle: dict[str, Any] | None


@dataclass(frozen=True, kw_only=True)
class RequestFacts(Event):
    """What every application event says about the application (no `name`: not an event)."""

    request_id: uuid.UUID
    number: str
    status: str
    applicant_id: uuid.UUID
    valid_from: datetime
    valid_until: datetime
    # the seals and their presses; empty where the event does not need them
    items: list[ItemFacts] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class RequestSubmitted(RequestFacts):
    """An application was submitted and routed to its flow's first step."""

    name: ClassVar[str] = "request.submitted"
    version: ClassVar[int] = 1


@dataclass(frozen=True, kw_only=True)
class RequestApproved(RequestFacts):
    """The last step approved an application: its seals may be used within the window."""

    name: ClassVar[str] = "request.approved"
    version: ClassVar[int] = 1


@dataclass(frozen=True, kw_only=True)
class PressesAdded(RequestFacts):
    """More presses of one seal were approved (an amendment)."""

    name: ClassVar[str] = "request.presses_added"
    version: ClassVar[int] = 1
    amendment_id: uuid.UUID


@dataclass(frozen=True, kw_only=True)
class RequestRejected(RequestFacts):
    """An application was rejected."""

    name: ClassVar[str] = "request.rejected"
    version: ClassVar[int] = 1


@dataclass(frozen=True, kw_only=True)
class RequestCompleted(RequestFacts):
    """An application finished: everything returned and photographed, or ended early."""

    name: ClassVar[str] = "request.completed"
    version: ClassVar[int] = 1
    ended_early: bool


@dataclass(frozen=True, kw_only=True)
class WindowChanged(RequestFacts):
    """The validity window of an approved or in-use application changed."""

    name: ClassVar[str] = "request.window_changed"
    version: ClassVar[int] = 1


@dataclass(frozen=True, kw_only=True)
class RequestExpired(RequestFacts):
    """An approved or in-use application's window closed."""

    name: ClassVar[str] = "request.expired"
    version: ClassVar[int] = 1


@dataclass(frozen=True, kw_only=True)
class OverPressed(Event):
    """A seal was pressed more times than approved (counted at its return)."""

    name: ClassVar[str] = "request.over_pressed"
    version: ClassVar[int] = 1
    request_id: uuid.UUID
    seal_id: uuid.UUID
    presses: int
    presses_used: int


@dataclass(frozen=True, kw_only=True)
class UseRecorded(Event):
    """A use of an approved application passed its checks and was recorded."""

    name: ClassVar[str] = "request.used"
    version: ClassVar[int] = 1
    request_id: uuid.UUID
    item_id: uuid.UUID
    seal_id: uuid.UUID
    source: UseSource
    user_id: uuid.UUID
    count: int
    presses: int
    presses_used: int


@dataclass(frozen=True, kw_only=True)
class PhotoUploaded(Event):
    """A photo (or scan) of stamped pages was uploaded (inspection compares it)."""

    name: ClassVar[str] = "request.photo_uploaded"
    version: ClassVar[int] = 1
    request_id: uuid.UUID
    photo_id: uuid.UUID
