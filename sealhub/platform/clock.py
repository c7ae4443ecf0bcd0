"""The one clock. Tests freeze or advance it; nothing else calls datetime.now()."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

_frozen: datetime | None = None
_offset = timedelta(0)


def now() -> datetime:
    """Current UTC time, timezone-aware."""
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC) + _offset


def freeze(at: datetime | None) -> None:
    """Freeze the clock at `at` (None unfreezes)."""
    global _frozen
    _frozen = at


def advance(delta: timedelta) -> None:
    """Move the clock forward (frozen or not)."""
    global _frozen, _offset
    if _frozen is not None:
        _frozen = _frozen + delta
    else:
        _offset += delta


def reset() -> None:
    global _frozen, _offset
    _frozen = None
    _offset = timedelta(0)


def aware(value: datetime) -> datetime:
    """Databases without time zones return naive datetimes: they are UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# the organisation's calendar (application numbers, daily figures); one zone until
# organisations choose their own
LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def local_day(value: datetime) -> date:
    """The organisation's calendar day of an instant."""
    return aware(value).astimezone(LOCAL_TZ).date()
