"""HTML and row text for the triage board. Every value from an alert is escaped here.

Alert text (title, message, symbol, metadata, notes) comes from rules and people and may hold
anything, including markup: it is passed through :func:`html.escape` before it meets any HTML,
and the table receives plain strings that its front end sets as text, never as markup.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from enum import Enum
from html import escape
from typing import Any, Final

import polars as pl

from alertkit.alerts import Alert
from alertkit.widgets._query import Counts

__all__ = [
    "counts_html",
    "detail_html",
    "format_duration",
    "format_time",
    "page_rows",
    "status_html",
]

EMPTY: Final = "\u2014"  # an em dash for "no value"
_HISTORY_COLUMNS: Final = ("at", "action", "from", "to", "by", "note")


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


def format_time(value: datetime | None) -> str:
    """``2026-01-05 15:00:00Z`` (UTC, to the second), or an em dash for None."""
    if value is None:
        return EMPTY
    return value.strftime("%Y-%m-%d %H:%M:%SZ")


def page_rows(page: pl.DataFrame, now: datetime) -> list[dict[str, str]]:
    """The table's rows: one dict of display strings per alert (``alert_id`` included)."""
    rows = []
    for row in page.iter_rows(named=True):
        created: datetime = row["created_at"]
        cells = {
            "alert_id": row["alert_id"],
            "created_at": format_time(created),
            "age": format_duration((now - created).total_seconds()),
        }
        cells.update((k, str(v)) for k, v in row.items() if k not in cells)
        rows.append(cells)
    return rows


def counts_html(counts: Counts, total: int) -> str:
    """The header: status counts over every filter but status, and how many rows match."""
    median = EMPTY if counts.median_ack_s is None else format_duration(counts.median_ack_s)
    figures = [
        ("active", "Active", f"{counts.active:,}"),
        ("acknowledged", "Acknowledged", f"{counts.acknowledged:,}"),
        ("resolved-today", "Resolved today", f"{counts.resolved_today:,}"),
        ("open-critical", "Open critical", f"{counts.open_critical:,}"),
        ("median-ack", "Median time to acknowledge", median),
        ("matching", "Matching all filters", f"{total:,}"),
    ]
    cells = "".join(
        f'<div class="alertkit-count alertkit-count-{key}">'
        f'<span class="alertkit-count-value">{escape(value)}</span>'
        f'<span class="alertkit-count-label">{escape(label)}</span></div>'
        for key, label, value in figures
    )
    note = "Counts apply every filter except status."
    return f'<div class="alertkit-counts" title="{escape(note)}">{cells}</div>'


def _text(value: Any) -> str:
    if value is None:
        return EMPTY
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _table(header: Sequence[str], rows: Iterable[Sequence[Any]], css: str) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(_text(v))}</td>" for v in row) + "</tr>" for row in rows
    )
    return f'<table class="{css}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def detail_html(alert: Alert | None, *, missing: str | None = None) -> str:
    """The detail panel: every field of ``alert``, its metadata as JSON, its history."""
    if alert is None:
        text = missing or "Click a row to see the alert's details."
        return f'<div class="alertkit-detail alertkit-detail-empty">{escape(text)}</div>'
    fields = [
        (f.name, getattr(alert, f.name))
        for f in dataclasses.fields(alert)
        if f.name not in ("metadata", "history")
    ]
    body = "".join(
        f'<tr><th>{escape(name)}</th><td class="alertkit-field-{escape(name)}">'
        f"{escape(_text(value))}</td></tr>"
        for name, value in fields
    )
    metadata = json.dumps(alert.metadata, indent=2, sort_keys=True, ensure_ascii=False)
    history = _table(
        _HISTORY_COLUMNS,
        ([event.get(c) for c in _HISTORY_COLUMNS] for event in alert.history),
        "alertkit-history",
    )
    return (
        '<div class="alertkit-detail">'
        f"<h4>{escape(alert.title)}</h4>"
        f'<table class="alertkit-fields"><tbody>{body}</tbody></table>'
        f'<h5>metadata</h5><pre class="alertkit-metadata">{escape(metadata)}</pre>'
        f"<h5>history</h5>{history}</div>"
    )


def status_html(lines: Sequence[str], *, error: bool = False) -> str:
    """The status line: what just happened, one escaped line each."""
    kind = "error" if error else "info"
    text = "<br>".join(escape(line) for line in lines)
    return f'<div class="alertkit-status alertkit-status-{kind}">{text}</div>'
