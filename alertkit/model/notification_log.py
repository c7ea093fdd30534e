"""The notification log: one row per delivery attempt's outcome or per decision not to send.

It answers "what was the desk told, and what was not sent?" (PagerDuty's and Opsgenie's
notification log). Rows are only ever appended, so concurrent writers never conflict; the log
is a Delta table beside the alerts (``<lake>/notifications`` next to ``<lake>/alerts``),
readable by DuckDB and polars like the alerts table.

=================  ==================================================================
column             meaning
=================  ==================================================================
entry_id           the row's id (time-ordered)
at                 when the outcome was recorded (the manager's clock)
alert_id           the alert told of
handler            the handler's name (its destination)
reason             why it was due (:data:`alertkit.notify.REASONS`)
outcome            ``sent``, ``failed`` (after every attempt), ``suppressed`` (a stage
                   muted it: ``error`` says which and why, e.g. ``silence: sil-...``),
                   ``inhibited`` (an open alert's inhibition muted it: ``error`` is
                   ``inhibition: <its alert_id>``); ``pending`` rows are not stored here
                   but read from the alerts' outbox
attempts           handler calls made for this outcome
error              the last attempt's error, or the suppression's reason
notification_id    shared by the rows of one (grouped) notification
group              the ``group_by`` values, as JSON (null when ungrouped)
due_at             when the commit that made it due was decided
date               ``at``'s UTC date (its month, ``month``, is the partition)
=================  ==================================================================
"""

from __future__ import annotations

from typing import Final, Literal, get_args

import polars as pl

from alertkit.model.tables import TableSpec

__all__ = [
    "INHIBITED_STAGE",
    "NOTIFICATION_LOG_SCHEMA",
    "NOTIFICATION_LOG_TABLE",
    "OUTCOMES",
    "Outcome",
]

_TS: Final = pl.Datetime("us", "UTC")

Outcome = Literal["sent", "failed", "pending", "suppressed", "inhibited"]
OUTCOMES: Final[tuple[Outcome, ...]] = get_args(Outcome)

INHIBITED_STAGE: Final = "inhibition"
"""The stage whose mutes are logged ``inhibited``; every other stage's are ``suppressed``
(docs/policies.md)."""

NOTIFICATION_LOG_SCHEMA: Final[dict[str, pl.DataType]] = {
    "entry_id": pl.String(),
    "at": _TS,
    "alert_id": pl.String(),
    "handler": pl.String(),
    "reason": pl.String(),
    "outcome": pl.String(),
    "attempts": pl.Int64(),
    "error": pl.String(),
    "notification_id": pl.String(),
    "group": pl.String(),
    "due_at": _TS,
    "date": pl.Date(),
}

NOTIFICATION_LOG_TABLE: Final = TableSpec(
    name="notifications",
    description="alertkit notification log (one row per delivery outcome or suppression)",
    schema=NOTIFICATION_LOG_SCHEMA,
    key="entry_id",
    partition_by="month",
    partition_month_of="date",
)
