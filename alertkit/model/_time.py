"""UTC handling at the boundary: every timestamp alertkit stores is timezone-aware UTC."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from alertkit.model.errors import ValidationError

Clock = Callable[[], datetime]
"""A zero-argument callable returning the current time; injected so nothing reads the wall clock."""


def system_clock() -> datetime:
    """The real wall clock, in UTC. The only place alertkit reads it."""
    return datetime.now(UTC)


def to_utc(value: datetime, field: str) -> datetime:
    """Return ``value`` as an aware UTC datetime with microsecond precision.

    A naive datetime is taken as *local* time (what ``datetime.now()`` gives a user) and
    converted, so ``datetime.now()`` and ``datetime.now(UTC)`` denote the same instant.
    """
    if not isinstance(value, datetime):
        raise ValidationError(f"{field}: expected a datetime, got {type(value).__name__} {value!r}")
    try:
        if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
            value = value.astimezone()  # interpret as local time
        return value.astimezone(UTC)
    except (OverflowError, ValueError, OSError):
        # Year 1 or 9999 in local time can fall outside datetime's range once in UTC.
        raise ValidationError(
            f"{field}: expected an instant between 0001-01-01 and 9999-12-31 UTC, got"
            f" {value.isoformat()} ({'local time' if value.tzinfo is None else value.tzinfo})"
        ) from None
