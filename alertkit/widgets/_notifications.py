"""The detail panel's notifications: what the opened alert's handlers were told, and what not.

:func:`notifications_section` reads ``manager.notification_log(alert_id=...)`` for the one
alert whose details are open (never for every row of the table, so paging stays one scan of
the alerts table) and renders each row, oldest first, pending ones included:

=========  ====================================================================
column     shown as
=========  ====================================================================
at         ``2026-01-05 15:00 UTC`` (to the minute; to the second and how long
           ago on hover)
handler    its name
reason     ``new``, ``reminder``, ...
outcome    ``sent`` plain, ``failed`` in the warning colour, ``pending`` muted,
           ``suppressed``; `` · 3 attempts`` when a handler was called more
           than once
=========  ====================================================================

A failed row is followed by its last error and a suppressed one by why it was muted. Both are
text written by a handler or a stage, so they are escaped like every alert field
(:mod:`alertkit.widgets._render`). The log is a second table the board otherwise never
needs: when it cannot be read the section says so in one line and the rest of the panel is
drawn as usual.
"""

from __future__ import annotations

import logging
from datetime import datetime
from html import escape
from typing import Any, Final

import polars as pl

from alertkit.live.sync_manager import SyncAlertManager
from alertkit.widgets._render import format_ago, format_time, plural

__all__ = ["NO_NOTIFICATIONS", "notifications_html", "notifications_section", "unreadable_html"]

log = logging.getLogger(__name__)

NO_NOTIFICATIONS: Final = "No notifications"
_HEADER: Final = ("at", "handler", "reason", "outcome")
_NOTED: Final = frozenset({"failed", "suppressed"})
"""Outcomes whose ``error`` (the last error, or the suppression's reason) is shown."""
_SHORT: Final = 160
"""The longest error line drawn in the panel (the whole message is on hover)."""


def notifications_section(manager: SyncAlertManager, alert_id: str, now: datetime) -> str:
    """The section for ``alert_id``: its notification log read now, rendered as HTML.

    Parameters
    ----------
    manager
        Whose log to read (``notification_log`` of the board's manager).
    alert_id
        The alert whose details are open.
    now
        The board's "now", for the relative time on hover.

    Returns
    -------
    str
        The section's HTML, escaped; one error line instead of rows when the read failed.
    """
    try:
        rows = manager.notification_log(alert_id=alert_id)
    except Exception as exc:  # any failure of this side read must leave the panel usable
        log.warning("could not read the notification log of alert %s", alert_id, exc_info=True)
        return unreadable_html(exc)
    return notifications_html(rows, now)


def notifications_html(rows: pl.DataFrame, now: datetime) -> str:
    """The section for notification log ``rows`` (columns of ``notification_log``).

    >>> from datetime import UTC, datetime
    >>> from alertkit.model.notification_log import NOTIFICATION_LOG_SCHEMA
    >>> notifications_html(pl.DataFrame(schema=NOTIFICATION_LOG_SCHEMA), datetime.now(UTC))
    '<h5>notifications</h5><div class="alertkit-notifications-empty">No notifications</div>'
    """
    if rows.is_empty():
        body = f'<div class="alertkit-notifications-empty">{NO_NOTIFICATIONS}</div>'
        return f"<h5>notifications</h5>{body}"
    head = "".join(f"<th>{h}</th>" for h in _HEADER)
    lines = "".join(_row_html(row, now) for row in rows.iter_rows(named=True))
    return (
        '<h5>notifications</h5><table class="alertkit-notifications">'
        f"<thead><tr>{head}</tr></thead><tbody>{lines}</tbody></table>"
    )


def unreadable_html(exc: BaseException) -> str:
    """The section when the log could not be read: one short line, the whole error on hover."""
    text = f"{type(exc).__name__}: {exc}".strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    short = first if len(first) <= _SHORT else first[: _SHORT - 1] + "\u2026"
    return (
        f'<h5>notifications</h5><div class="alertkit-notifications-error" title="{escape(text)}">'
        f"could not read the notification log: {escape(short)}</div>"
    )


def _row_html(row: dict[str, Any], now: datetime) -> str:
    """One log row, and under it the error (or suppression reason) across the columns."""
    outcome = str(row["outcome"])
    at: datetime | None = row["at"]
    attempts = int(row["attempts"] or 0)
    shown = outcome + (f" \u00b7 {plural(attempts, 'attempt')}" if attempts > 1 else "")
    exact = "" if at is None else f"{format_time(at)} ({format_ago(at, now)})"
    cells = (
        f'<td title="{escape(exact)}">{escape(format_time(at, seconds=False))}</td>'
        f"<td>{escape(str(row['handler']))}</td>"
        f"<td>{escape(str(row['reason']))}</td>"
        f'<td class="alertkit-outcome">{escape(shown)}</td>'
    )
    kind = f'data-outcome="{escape(outcome)}"'
    line = f'<tr class="alertkit-notification" {kind}>{cells}</tr>'
    error = row["error"]
    if outcome in _NOTED and error:
        line += (
            f'<tr class="alertkit-notification-note" {kind}>'
            f'<td colspan="{len(_HEADER)}">{escape(str(error))}</td></tr>'
        )
    return line
