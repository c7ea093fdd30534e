"""Which of the board's alerts need action now: the only ones it colours.

Red means "someone must act now", so it is kept for few things. An age is coloured only while
nobody has acknowledged the alert and it has waited longer than its severity allows
(:data:`ACK_WINDOWS`): then it is ``overdue`` (red) for the severities that call for action
at once (immediate, high), and ``late`` (amber) for the others, whose alerts a trader works
through within the day. An acknowledged or closed alert's age is plain: someone has it. A
group row is neutral; it carries a red accent only while it holds an open immediate alert.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from alertkit.model.alerts import AlertSeverity, AlertStatus

__all__ = ["ACK_WINDOWS", "age_level", "group_accent"]

ACK_WINDOWS: Final[dict[str, timedelta]] = {
    AlertSeverity.IMMEDIATE.value: timedelta(minutes=15),
    AlertSeverity.HIGH.value: timedelta(hours=1),
    AlertSeverity.NORMAL.value: timedelta(days=1),
    AlertSeverity.LOW.value: timedelta(days=3),
}
"""How long an alert of each severity may wait for someone to acknowledge it."""

_RED: Final = frozenset({AlertSeverity.IMMEDIATE.value, AlertSeverity.HIGH.value})


def age_level(status: str, severity: str, created: datetime, now: datetime) -> str:
    """``overdue``, ``late`` or "" (not coloured) for an alert's age.

    >>> from datetime import UTC, datetime
    >>> t = datetime(2026, 1, 5, 15, tzinfo=UTC)
    >>> [age_level("active", s, t, t + timedelta(hours=2)) for s in ("immediate", "normal")]
    ['overdue', '']
    >>> age_level("active", "normal", t, t + timedelta(days=2)), age_level(
    ...     "acknowledged", "immediate", t, t + timedelta(days=2))
    ('late', '')
    """
    if status != AlertStatus.ACTIVE.value:
        return ""
    window = ACK_WINDOWS.get(severity, ACK_WINDOWS[AlertSeverity.NORMAL.value])
    if now - created <= window:
        return ""
    return "overdue" if severity in _RED else "late"


def group_accent(open_immediate: int) -> str:
    """A group row's accent: ``immediate`` while it holds open immediate alerts, else ""."""
    return AlertSeverity.IMMEDIATE.value if open_immediate > 0 else ""
