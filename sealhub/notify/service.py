"""Alerts' front door: raise (for other contexts), read, acknowledge and resolve."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from sealhub.notify import policy
from sealhub.notify.events import AlertAcknowledged, AlertFacts, AlertRaised, AlertResolved
from sealhub.notify.models import Alert
from sealhub.notify.policy import ALERT_STATUS, AlertAction, AlertStatus, Severity
from sealhub.notify.repository import AlertRepository, upsert_open
from sealhub.notify.schemas import AlertCounts, AlertOut
from sealhub.platform import audit, clock
from sealhub.platform.actor import Actor, system_in
from sealhub.platform.ids import new_id

ALERT_SORTS = {"last_at", "first_at", "count", "severity", "status"}
DETAILS_MAX_KEYS = 50


class PageRequest(Protocol):
    """What list use cases need of the edge's paging (api.deps.Paging satisfies it)."""

    @property
    def offset(self) -> int: ...

    @property
    def page_size(self) -> int: ...

    def sort_key(self, allowed: set[str], default: str) -> tuple[str, bool]: ...


# ---- for other contexts ----


async def raise_alert(
    session: AsyncSession,
    *,
    org_id: uuid.UUID,
    kind: str,
    subject_type: str,
    subject_id: uuid.UUID | str,
    details: dict[str, Any] | None = None,
    request_id: uuid.UUID | None = None,
) -> AlertOut:
    """Raise a declared condition on an object: a new alert, or one more occurrence (count,
    last time, latest details) of the unresolved alert of that condition and object."""
    declared = policy.kind(kind)
    subject = str(subject_id)
    if not subject or len(subject) > 64 or not subject_type or len(subject_type) > 40:
        raise ValueError(f"alert subject {subject_type!r}/{subject!r}: 1-40 and 1-64 characters")
    if details is not None and len(details) > DETAILS_MAX_KEYS:
        raise ValueError(f"alert details: at most {DETAILS_MAX_KEYS} keys")
    now = clock.now()
    alert = await upsert_open(
        session,
        {
            "id": new_id(),
            "org_id": org_id,
            "kind": kind,
            "severity": str(declared.severity),
            "subject_type": subject_type,
            "subject_id": subject,
            "request_id": request_id,
            "status": AlertStatus.OPEN,
            "open_flag": True,
            "details": _jsonable(details or {}),
            "count": 1,
            "first_at": now,
            "last_at": now,
            "acknowledged_by_name": "",
            "acknowledge_comment": "",
            "resolved_by_name": "",
            "resolve_comment": "",
        },
    )
    if alert.request_id is None and request_id is not None:
        alert.request_id = request_id  # a repeat that learned which application it concerns
        await session.flush()
    times = f"（第 {alert.count} 次）" if alert.count > 1 else ""
    times_en = f" (occurrence {alert.count})" if alert.count > 1 else ""
    await audit.record(
        session,
        system_in(org_id),
        "alert.raise",
        "alert",
        alert.id,
        summary=audit.Summary(
            f"告警“{declared.zh}”：{subject_type} {subject}{times}",
            f"Alert “{declared.en}”: {subject_type} {subject}{times_en}",
        ),
        after={"kind": kind, "count": alert.count, "status": alert.status},
        event=AlertRaised(
            **_facts(alert), details=dict(alert.details or {}), last_at=alert.last_at
        ),
    )
    return _out(alert, None)


# ---- for the API ----


async def list_alerts(
    session: AsyncSession,
    actor: Actor,
    *,
    status: Sequence[AlertStatus] = (),
    kind: str | None = None,
    severity: Severity | None = None,
    subject_type: str | None = None,
    subject_id: str | None = None,
    request_id: uuid.UUID | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    paging: PageRequest,
) -> tuple[list[AlertOut], int]:
    """The organisation's alerts, filtered; newest occurrence first by default."""
    field, desc = paging.sort_key(ALERT_SORTS, "-last_at")
    column = getattr(Alert, field)
    order = [column.desc() if desc else column.asc(), Alert.id.desc()]
    rows, total = await AlertRepository(session, actor).search(
        status=[str(s) for s in status],
        kind=kind,
        severity=severity,
        subject_type=subject_type,
        subject_id=subject_id,
        request_id=request_id,
        since=since,
        until=until,
        order=order,
        offset=paging.offset,
        limit=paging.page_size,
    )
    return [_out(a, actor) for a in rows], total


async def get_alert(session: AsyncSession, actor: Actor, alert_id: uuid.UUID) -> AlertOut:
    """One alert with its lifecycle (who acknowledged and resolved it, when, why)."""
    return _out(await AlertRepository(session, actor).get(alert_id), actor)


async def counts(session: AsyncSession, actor: Actor) -> AlertCounts:
    """Unresolved alerts by status and severity (the console's badge)."""
    by_status = {AlertStatus.OPEN: 0, AlertStatus.ACKNOWLEDGED: 0}
    by_severity = dict.fromkeys(Severity, 0)
    for status, severity, n in await AlertRepository(session, actor).counts():
        by_status[AlertStatus(status)] += n
        if severity in by_severity:
            by_severity[Severity(severity)] += n
    return AlertCounts(
        open=by_status[AlertStatus.OPEN],
        acknowledged=by_status[AlertStatus.ACKNOWLEDGED],
        unresolved=sum(by_status.values()),
        by_severity=by_severity,
    )


async def acknowledge(
    session: AsyncSession, actor: Actor, alert_id: uuid.UUID, *, comment: str = ""
) -> AlertOut:
    """Take an open alert on: it stays until resolved, and repeats still count on it."""
    alert = await AlertRepository(session, actor).get_for_update(alert_id)
    old = alert.status
    alert.status = ALERT_STATUS.transition(old, AlertAction.ACKNOWLEDGE)
    alert.acknowledged_at = clock.now()
    alert.acknowledged_by = None if actor.is_system else actor.user_id
    alert.acknowledged_by_name = actor.name[:100]
    alert.acknowledge_comment = comment
    await session.flush()
    label = policy.kind(alert.kind) if alert.kind in _declared() else None
    await audit.record(
        session,
        actor,
        "alert.acknowledge",
        "alert",
        alert.id,
        summary=audit.Summary(
            f"确认告警“{label.zh if label else alert.kind}”：{comment}".rstrip("："),
            f"Acknowledged alert “{label.en if label else alert.kind}”: {comment}".rstrip(": "),
        ),
        before={"status": old},
        after={"status": alert.status, "comment": comment},
        event=AlertAcknowledged(
            **_facts(alert),
            by=alert.acknowledged_by,
            by_name=alert.acknowledged_by_name,
            comment=comment,
        ),
    )
    return _out(alert, actor)


async def resolve(
    session: AsyncSession, actor: Actor, alert_id: uuid.UUID, *, comment: str
) -> AlertOut:
    """Close an alert with a comment; the condition's next occurrence opens a new one."""
    alert = await AlertRepository(session, actor).get_for_update(alert_id)
    old = alert.status
    alert.status = ALERT_STATUS.transition(old, AlertAction.RESOLVE)
    alert.open_flag = None  # frees the (condition, object) key for the next occurrence
    alert.resolved_at = clock.now()
    alert.resolved_by = None if actor.is_system else actor.user_id
    alert.resolved_by_name = actor.name[:100]
    alert.resolve_comment = comment
    await session.flush()
    label = policy.kind(alert.kind) if alert.kind in _declared() else None
    await audit.record(
        session,
        actor,
        "alert.resolve",
        "alert",
        alert.id,
        summary=audit.Summary(
            f"解决告警“{label.zh if label else alert.kind}”：{comment}",
            f"Resolved alert “{label.en if label else alert.kind}”: {comment}",
        ),
        before={"status": old},
        after={"status": alert.status, "comment": comment},
        event=AlertResolved(
            **_facts(alert), by=alert.resolved_by, by_name=alert.resolved_by_name, comment=comment
        ),
    )
    return _out(alert, actor)


# ---- helpers ----


def _jsonable(value: dict[str, Any]) -> dict[str, Any]:
    # UUIDs, datetimes and enums as the JSON column stores them
    return orjson.loads(orjson.dumps(value, default=str))  # type: ignore[no-any-return]


def _declared() -> set[str]:
    return {k.key for k in policy.kinds()}


def _facts(alert: Alert) -> dict[str, Any]:
    return {
        "org_id": alert.org_id,
        "alert_id": alert.id,
        "kind": alert.kind,
        "severity": alert.severity,
        "subject_type": alert.subject_type,
        "subject_id": alert.subject_id,
        "request_id": alert.request_id,
        "status": alert.status,
        "count": alert.count,
    }


def _out(alert: Alert, actor: Actor | None) -> AlertOut:
    out = AlertOut.model_validate(alert)
    if actor is not None and actor.can("alert.manage"):
        out.actions = ALERT_STATUS.actions_from(alert.status)
    return out


__all__ = [
    "AlertFacts",
    "acknowledge",
    "counts",
    "get_alert",
    "list_alerts",
    "raise_alert",
    "resolve",
]
