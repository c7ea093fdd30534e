"""HTML and row text for the triage board. Every value from an alert is escaped here.

Alert text (title, message, symbol, metadata, notes) comes from rules and people and may hold
anything, including markup: it is passed through :func:`html.escape` before it meets any HTML,
and the table receives plain strings that its front end sets as text, never as markup.

Every instant is shown one way: relative to the board's "now" (``3 h ago``) with the exact
``2026-01-05 15:00:00 UTC`` next to it or on hover.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta  # noqa: F401  # the doctests use timedelta
from enum import Enum
from html import escape
from typing import Any, Final

import polars as pl

from alertkit.model.alerts import Alert
from alertkit.model.lifecycle import dismissed_at
from alertkit.model.status import OPEN_STATUSES
from alertkit.widgets._query import Counts, GroupBy
from alertkit.widgets._urgency import age_level, group_accent

__all__ = [
    "counts_html",
    "detail_html",
    "format_ago",
    "format_duration",
    "format_time",
    "group_rows",
    "history_instants",
    "no_counts_html",
    "page_rows",
    "plural",
    "snoozed_badge",
    "status_html",
]

EMPTY: Final = "\u2014"  # an em dash for "no value"
_HISTORY_COLUMNS: Final = ("at", "action", "from", "to", "by", "note")


def plural(n: int, noun: str) -> str:
    """``1 alert``, ``2 alerts``, ``1,204 alerts``.

    >>> plural(1, "alert"), plural(0, "alert"), plural(1204, "group")
    ('1 alert', '0 alerts', '1,204 groups')
    """
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def format_duration(seconds: float) -> str:
    """A compact duration: ``45s``, ``12m``, ``3h 05m``, ``2d 04h``.

    >>> format_duration(45), format_duration(750), format_duration(11_100), format_duration(187_200)
    ('45s', '12m', '3h 05m', '2d 04h')
    """
    s = max(int(seconds), 0)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    if s < 86_400:
        return f"{s // 3600}h {s % 3600 // 60:02d}m"
    return f"{s // 86_400}d {s % 86_400 // 3600:02d}h"


def format_time(value: datetime | None, *, seconds: bool = True) -> str:
    """``2026-01-05 15:00:00 UTC`` (to the second, or with ``seconds=False`` to the minute:
    ``2026-01-05 15:00 UTC``), or an em dash for None.

    >>> from datetime import UTC, datetime
    >>> t = datetime(2026, 1, 5, 15, 0, 27, tzinfo=UTC)
    >>> format_time(t), format_time(t, seconds=False)
    ('2026-01-05 15:00:27 UTC', '2026-01-05 15:00 UTC')
    """
    if value is None:
        return EMPTY
    utc = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return utc.strftime("%Y-%m-%d %H:%M:%S UTC" if seconds else "%Y-%m-%d %H:%M UTC")


def format_ago(value: datetime | None, now: datetime, *, may_be_future: bool = False) -> str:
    """``45 s ago``, ``12 min ago``, ``3 h ago``, ``2 d ago``; ``in 5 min`` only for an instant
    that ``may_be_future`` (a snooze's end, a silence's start or end).

    Anything else is an event that already happened (created, seen, acknowledged, a history
    entry, a notification sent), so it is never called future: one stamped later than ``now``
    by a clock ahead of the board's reads ``just now``.

    >>> from datetime import UTC, datetime
    >>> t = datetime(2026, 1, 5, 15, tzinfo=UTC)
    >>> format_ago(t, t + timedelta(hours=3, minutes=20)), format_ago(t, t - timedelta(minutes=5))
    ('3 h ago', 'just now')
    >>> format_ago(t, t - timedelta(minutes=5), may_be_future=True)
    'in 5 min'
    """
    if value is None:
        return EMPTY
    seconds = int((now - value).total_seconds())
    if seconds < 0 and not may_be_future:
        return "just now"
    s = abs(seconds)
    if s < 60:
        text = f"{s} s"
    elif s < 3600:
        text = f"{s // 60} min"
    elif s < 86_400:
        text = f"{s // 3600} h"
    else:
        text = f"{s // 86_400} d"
    return f"{text} ago" if seconds >= 0 else f"in {text}"


def history_instants(alert: Alert) -> list[datetime]:
    """When each event of ``alert``'s history happened (the ones with a readable ``at``)."""
    instants = []
    for event in alert.history:
        try:
            at = datetime.fromisoformat(str(event.get("at")).replace("Z", "+00:00"))
        except ValueError:
            continue
        instants.append(at if at.tzinfo is not None else at.replace(tzinfo=UTC))
    return instants


def snoozed_badge(wakes_at: datetime, now: datetime) -> str:
    """``snoozed until 17:30`` (UTC; with the date when it wakes on another day than now).

    >>> from datetime import UTC, datetime
    >>> now = datetime(2026, 1, 5, 15, tzinfo=UTC)
    >>> snoozed_badge(now + timedelta(hours=2, minutes=30), now)
    'snoozed until 17:30'
    >>> snoozed_badge(now + timedelta(days=1), now)
    'snoozed until 2026-01-06 15:00'
    """
    wakes, today = wakes_at.astimezone(UTC), now.astimezone(UTC).date()
    return f"snoozed until {wakes.strftime('%H:%M' if wakes.date() == today else '%Y-%m-%d %H:%M')}"


def _policy_cells(
    row: Mapping[str, Any], now: datetime, wakes: Mapping[str, datetime]
) -> dict[str, str]:
    """A row's policy keys, present only when set: ``assignee``, ``flapping`` and
    ``snoozed`` (badges) with ``snoozed_hover``."""
    cells: dict[str, str] = {}
    if row.get("assignee"):
        cells["assignee"] = row["assignee"]
    wakes_at = wakes.get(row["alert_id"])
    if wakes_at is not None:
        cells["snoozed"] = snoozed_badge(wakes_at, now)
        cells["snoozed_hover"] = f"snoozed: notifies nobody until {format_time(wakes_at)}"
    if row.get("flapping"):
        cells["flapping"] = "flapping"
    return cells


def page_rows(
    page: pl.DataFrame,
    now: datetime,
    group: str = "",
    wakes: Mapping[str, datetime] | None = None,
) -> list[dict[str, str]]:
    """The table's alert rows: one dict of display strings per alert (``alert_id`` included).

    ``wakes`` holds when each alert snoozed now wakes (its row gets a ``snoozed`` badge);
    ``assignee`` and the ``flapping`` badge are there only when set.
    """
    rows = []
    for row in page.iter_rows(named=True):
        created: datetime = row["created_at"]
        last_seen: datetime | None = row["last_seen_at"]
        occurrences = int(row["occurrences"])
        rows.append(
            {
                "kind": "alert",
                "group": group,
                "alert_id": row["alert_id"],
                "severity": row["severity"],
                "type": f"type: {row['type']}",
                "status": row["status"],
                "created_at": format_ago(created, now),
                "created_at_utc": format_time(created),
                "age": age_level(row["status"], row["severity"], created, now),
                "symbol": row["symbol"],
                "strategy_id": row["strategy_id"],
                "rule": row["rule"],
                "title": row["title"],
                "message": row["message"],
                "occurrences": f"\u00d7{occurrences:,}",
                "occurrences_hover": f"fired {plural(occurrences, 'time')}",
                "last_seen_at": format_ago(last_seen or created, now),
                "last_seen_at_utc": format_time(last_seen or created),
                **_policy_cells(row, now, wakes or {}),
            }
        )
    return rows


def _group_label(group_by: GroupBy, row: Mapping[str, Any]) -> str:
    if group_by == "position":
        strategy = f"strategy {row['key']}" if row["key"] else "no strategy"
        symbol = row["symbol"] or ""
        more = f" +{row['symbols'] - 1}" if row["symbols"] > 1 else ""
        return f"{strategy} \u00b7 {symbol}{more}" if symbol else strategy
    return str(row["key"]) or f"(no {group_by})"


def group_rows(
    groups: pl.DataFrame, group_by: GroupBy, now: datetime, expanded: Sequence[str]
) -> list[dict[str, str]]:
    """The table's group rows: label, counts and worst severity of each group."""
    rows = []
    for row in groups.iter_rows(named=True):
        parts = [plural(int(row["alerts"]), "alert")]
        for status in OPEN_STATUSES:
            if row[status]:
                parts.append(f"{row[status]:,} {status}")
        parts.append(f"newest {format_ago(row['newest'], now)}")
        rows.append(
            {
                "kind": "group",
                "key": row["key"],
                "label": _group_label(group_by, row),
                "summary": " \u00b7 ".join(parts),
                "alerts": str(row["alerts"]),
                **{status: str(row[status]) for status in OPEN_STATUSES},
                "severity": row["severity"],
                "accent": group_accent(int(row["open_immediate"])),
                "expanded": "true" if row["key"] in expanded else "",
            }
        )
    return rows


COUNTS_SCOPE: Final = "Any status, other filters applied:"
"""What the header's status breakdown counts: every filter but the status toggles."""


def counts_html(counts: Counts, total: int) -> str:
    """The header: the status breakdown of what every filter but status selects (labelled
    so), then how many alerts match every filter, status too (what the table lists).

    The breakdown ignores the status toggles on purpose: with only "active" on it still says
    how many are acknowledged and how many were resolved today, instead of zeros that only
    repeat the toggles.
    """
    median = EMPTY if counts.median_ack_s is None else format_duration(counts.median_ack_s)
    figures = [
        ("active", "Active", f"{counts.active:,}"),
        ("acknowledged", "Acknowledged", f"{counts.acknowledged:,}"),
        ("resolved-today", "Resolved today", f"{counts.resolved_today:,}"),
        ("open-immediate", "Open immediate", f"{counts.open_immediate:,}"),
        ("median-ack", "Median time to acknowledge", median),
        ("matching", "Listed: matching all filters, status too", f"{total:,}"),
    ]
    return _counts_row(figures)


def no_counts_html() -> str:
    """The header while the filters are invalid: every figure an em dash (none is stale)."""
    labels = [
        ("active", "Active"),
        ("acknowledged", "Acknowledged"),
        ("resolved-today", "Resolved today"),
        ("open-immediate", "Open immediate"),
        ("median-ack", "Median time to acknowledge"),
        ("matching", "Listed: matching all filters, status too"),
    ]
    return _counts_row([(key, label, EMPTY) for key, label in labels])


def _counts_row(figures: Sequence[tuple[str, str, str]]) -> str:
    scope = f'<div class="alertkit-counts-scope">{escape(COUNTS_SCOPE)}</div>'
    cells = "".join(
        # data-value lets the style colour a figure by its value ("Open immediate" red only
        # above 0); it comes before the class, which tests read the figures by.
        f'<div data-value="{escape(value)}" class="alertkit-count alertkit-count-{key}">'
        f'<span class="alertkit-count-value">{escape(value)}</span>'
        f'<span class="alertkit-count-label">{escape(label)}</span></div>'
        for key, label, value in figures
    )
    note = (
        "Active to median: every filter except the status toggles (and a status: search)."
        " Listed: every filter."
    )
    return f'<div class="alertkit-counts" title="{escape(note)}">{scope}{cells}</div>'


_FUTURE_FIELDS: Final = frozenset({"snoozed_until"})
"""The alert fields that may hold an instant still to come; every other one has happened."""


def _text(value: Any, now: datetime, *, may_be_future: bool = False) -> str:
    if value is None:
        return EMPTY
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime):
        return f"{format_time(value)} ({format_ago(value, now, may_be_future=may_be_future)})"
    return str(value)


def _event_time(value: Any, now: datetime) -> str:
    """A history event's ``at`` (ISO text in the table) in the board's one format."""
    try:
        return _text(datetime.fromisoformat(str(value).replace("Z", "+00:00")), now)
    except ValueError:
        return _text(value, now)


def _table(header: Sequence[str], rows: Iterable[Sequence[str]], css: str) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(v)}</td>" for v in row) + "</tr>" for row in rows)
    return f'<table class="{css}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _field_name(alert: Alert, name: str) -> str:
    # One resolved_at column holds when an alert was closed either way: say which it was,
    # as the lifecycle module decides it for the table.
    if name == "resolved_at" and _dismissed_at(alert) is not None:
        return "dismissed_at"
    return name


def _dismissed_at(alert: Alert) -> datetime | None:
    row = pl.DataFrame(
        {"status": [alert.status.value], "resolved_at": [alert.resolved_at]},
        schema={"status": pl.String, "resolved_at": pl.Datetime("us", "UTC")},
    )
    value: datetime | None = row.select(dismissed_at()).item()
    return value


def detail_html(
    alert: Alert | None, now: datetime, *, missing: str | None = None, notifications: str = ""
) -> str:
    """The detail panel: every field of ``alert``, its metadata as JSON, its history, then
    ``notifications``: the section's HTML, already escaped
    (:func:`alertkit.widgets._notifications.notifications_section`)."""
    if alert is None:
        # Nothing focused: the panel is hidden (it takes no room); a missing alert is said.
        none = "" if missing else " alertkit-detail-none"
        text = missing or "Click a row (or move to it with j/k and press Enter) for its details."
        return f'<div class="alertkit-detail alertkit-detail-empty{none}">{escape(text)}</div>'
    fields = [
        (_field_name(alert, f.name), getattr(alert, f.name))
        for f in dataclasses.fields(alert)
        if f.name not in ("metadata", "history")
    ]
    body = "".join(
        f'<tr><th>{escape(name)}</th><td class="alertkit-field-{escape(name)}">'
        f"{escape(_text(value, now, may_be_future=name in _FUTURE_FIELDS))}</td></tr>"
        for name, value in fields
    )
    metadata = json.dumps(alert.metadata, indent=2, sort_keys=True, ensure_ascii=False)
    history = _table(
        _HISTORY_COLUMNS,
        (
            [
                _event_time(event.get(c), now) if c == "at" else _text(event.get(c), now)
                for c in _HISTORY_COLUMNS
            ]
            for event in alert.history
        ),
        "alertkit-history",
    )
    return (
        '<div class="alertkit-detail">'
        f"<h4>{escape(alert.title)}</h4>"
        f'<table class="alertkit-fields"><tbody>{body}</tbody></table>'
        f'<h5>metadata</h5><pre class="alertkit-metadata">{escape(metadata)}</pre>'
        f"<h5>history</h5>{history}{notifications}</div>"
    )


def status_html(info: Sequence[str], errors: Sequence[str] = ()) -> str:
    """The status line: what went right in plain lines, then what went wrong in red ones."""
    lines = [("info", line) for line in info] + [("error", line) for line in errors]
    text = "".join(
        f'<div class="alertkit-status-{kind}">{escape(line)}</div>' for kind, line in lines
    )
    return f'<div class="alertkit-status">{text}</div>'
