"""The outbox: notifications a commit makes due, written on the alert rows by the same MERGE.

A Delta commit covers one table, so a notification recorded anywhere else could be lost
between the alerts' commit and its own. Instead each alert row carries ``notify_pending``: a
JSON list of what is due to whom and why, and since when,

    [{"handler": "desk-slack", "reason": "new", "due_at": "2026-01-05T15:00:00+00:00"}]

set in the commit that opens (``new``) or closes (``resolved``) the alert, for every
registered handler whose filters accept it (:meth:`Subscription.wants`). A kill after the
commit leaves the entries there; :mod:`alertkit.live.delivery` delivers them, logs the outcome
and only then removes them (so a kill in between delivers again: at least once).

Reminders are not written here: whether one is due is a function of the alerts, the log and
the clock (:mod:`alertkit.live.reminders`), so it cannot be lost.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

import polars as pl

from alertkit.model.alerts import Alert
from alertkit.notify import Reason, Subscription

__all__ = [
    "COLUMN",
    "Outbox",
    "PendingEntry",
    "merged_expr",
    "merged_text",
    "pending_entries",
    "without",
]

COLUMN: Final = "notify_pending"


@dataclass(frozen=True, slots=True)
class PendingEntry:
    """One notification due to one handler: which, why, since when."""

    handler: str
    reason: Reason
    due_at: datetime

    @property
    def key(self) -> tuple[str, str]:
        return (self.handler, self.reason)

    def to_json(self) -> str:
        return json.dumps(
            {"handler": self.handler, "reason": self.reason, "due_at": self.due_at.isoformat()}
        )


def pending_entries(text: str | None) -> list[PendingEntry]:
    """The entries of one row's ``notify_pending`` (none for null)."""
    if not text:
        return []
    return [
        PendingEntry(e["handler"], e["reason"], datetime.fromisoformat(e["due_at"]))
        for e in json.loads(text)
    ]


def without(text: str | None, done: Collection[tuple[str, str]]) -> str | None:
    """``text`` less the entries whose (handler, reason) is in ``done``; null when empty."""
    kept = [e for e in pending_entries(text) if e.key not in done]
    return "[" + ",".join(e.to_json() for e in kept) + "]" if kept else None


def merged_text(existing: str | None, added: str | None) -> str | None:
    """Two ``notify_pending`` values as one list."""
    if not existing:
        return added
    if not added:
        return existing
    return existing[:-1] + "," + added[1:]


def merged_expr(existing: pl.Expr, added: pl.Expr) -> pl.Expr:
    """:func:`merged_text` over columns."""
    return (
        pl.when(existing.is_null())
        .then(added)
        .when(added.is_null())
        .then(existing)
        .otherwise(pl.concat_str(existing.str.head(-1), pl.lit(","), added.str.tail(-1)))
    )


@dataclass(frozen=True, slots=True)
class Outbox:
    """The registered subscriptions at a commit, and the instant it is decided: what makes
    the commit's notifications due."""

    subscriptions: Sequence[Subscription]
    due_at: datetime

    def __bool__(self) -> bool:
        return bool(self.subscriptions)

    def entries_expr(self, reason: Reason) -> pl.Expr:
        """Per alert row, the ``notify_pending`` text of ``reason`` due to every subscription
        that wants it (null when none): :meth:`Subscription.wants` as an expression."""
        parts = []
        for sub in self.subscriptions:
            if reason not in sub.reasons:
                continue
            accepts = pl.lit(True)
            if sub.severities is not None:
                accepts &= pl.col("severity").is_in(sorted(s.value for s in sub.severities))
            if sub.types is not None:
                accepts &= pl.col("type").is_in(sorted(t.value for t in sub.types))
            entry = PendingEntry(sub.name, reason, self.due_at).to_json()
            parts.append(pl.when(accepts).then(pl.lit(entry)))
        if not parts:
            return pl.lit(None, pl.String)
        listed = pl.concat_list(parts).list.drop_nulls()
        return (
            pl.when(listed.list.len() > 0)
            .then(pl.concat_str(pl.lit("["), listed.list.join(","), pl.lit("]")))
            .otherwise(pl.lit(None, pl.String))
        )

    def mark(
        self, rows: pl.DataFrame, reason: Reason, where: pl.Expr | None = None
    ) -> pl.DataFrame:
        """``rows`` (alert rows) with ``reason`` due added to ``notify_pending`` (only on the
        rows ``where`` selects, when given)."""
        if not self.subscriptions or rows.is_empty():
            return rows
        added = self.entries_expr(reason)
        if where is not None:
            added = pl.when(where).then(added).otherwise(pl.lit(None, pl.String))
        return rows.with_columns(merged_expr(pl.col(COLUMN), added).alias(COLUMN))

    def text_for(self, alert: Alert, reason: Reason) -> str | None:
        """The entries of ``reason`` due for one alert (as :meth:`entries_expr`)."""
        entries = [
            PendingEntry(s.name, reason, self.due_at).to_json()
            for s in self.subscriptions
            if reason in s.reasons and s.wants(alert, reason)
        ]
        return "[" + ",".join(entries) + "]" if entries else None


def due_items(rows: Iterable[tuple[Alert, str | None]]) -> list[tuple[Alert, PendingEntry]]:
    """Every (alert, entry) pending on ``rows`` of (alert, notify_pending text)."""
    return [(alert, entry) for alert, text in rows for entry in pending_entries(text)]
