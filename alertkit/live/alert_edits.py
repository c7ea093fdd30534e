"""Edits of one alert that keep its status: a snooze by hand, an assignee.

:func:`commit_edit` reads the alert by id from one table version, applies the edit and its
history event (``snooze`` or ``assign``, from = to = the alert's status), and writes the row
in one MERGE on that version that reads only its partition, conditional on the row's
revision, as :mod:`alertkit.live.transitions` writes a transition. A concurrent commit that
rewrote the partition makes delta-rs refuse it, and the edit is re-decided on the new table
(the alert may have closed meanwhile: a snooze is then refused), so no edit is lost and none
is applied to a state it was not decided on. What the row holds pending for handlers stays
pending.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Final

import polars as pl

from alertkit.lake.store import AlertStore, audit
from alertkit.live.outbox import COLUMN as OUTBOX_COLUMN
from alertkit.live.transitions import rows_by_id
from alertkit.model._events import EVENT_TIME_FORMAT, history_event
from alertkit.model._text import TextRule
from alertkit.model.alerts import Alert
from alertkit.model.errors import AlertNotFoundError, InvalidTransitionError, StoreError
from alertkit.model.schema import ALERT_SCHEMA, alert_from_row, alert_to_row

__all__ = ["ASSIGNEE_RULE", "Edit", "assign", "commit_edit", "snooze"]

Edit = Callable[[Alert], str | None]
"""Changes the alert in place and returns the note of its history event (before the
user's own), or raises to refuse the edit."""

ASSIGNEE_RULE: Final = TextRule(nullable=True, blank=False, max_chars=200)
"""An assignee: a name or handle, not blank, at most 200 characters (None: nobody)."""


def snooze(at: datetime, until: datetime) -> Edit:
    """Snooze an open alert from ``at`` until ``until`` (checked after ``at`` by the caller)."""

    def edit(alert: Alert) -> str:
        if not alert.is_open:
            # Not a lifecycle move, but refused the same way: a closed alert sends nothing.
            raise InvalidTransitionError(
                alert.alert_id, alert.status.value, "snooze", terminal=True
            )
        alert.snoozed_at, alert.snoozed_until = at, until
        return "until " + until.strftime(EVENT_TIME_FORMAT)

    return edit


def assign(assignee: str | None) -> Edit:
    """Set (None: clear) the alert's assignee; any status may be assigned."""

    def edit(alert: Alert) -> str:
        alert.assignee = assignee
        return "unassigned" if assignee is None else f"assigned to {assignee}"

    return edit


def commit_edit(
    store: AlertStore,
    alert_id: str,
    action: str,
    edit: Edit,
    *,
    at: datetime,
    by: str | None,
    note: str | None,
) -> Alert:
    """Apply ``edit`` to the stored alert ``alert_id`` with a history event ``action`` at
    ``at``, in one conditional MERGE (retried on conflicts); returns the alert as stored."""

    def attempt() -> Alert:
        table = store.table()
        row = rows_by_id(table, [alert_id]).get(alert_id)
        if row is None:
            raise AlertNotFoundError(alert_id)
        alert = alert_from_row(row)
        told = edit(alert)
        text = "; ".join(t for t in (told, note) if t)
        alert.history.append(
            history_event(at, action, alert.status.value, alert.status, by, text or None)
        )
        new_row = {
            **alert_to_row(alert, row["revision"] + 1),
            OUTBOX_COLUMN: row[OUTBOX_COLUMN],
            "expected_revision": row["revision"],
        }
        frame = pl.DataFrame([new_row], schema={**ALERT_SCHEMA, "expected_revision": pl.Int64()})
        outcome = store.merge_rows(
            table, frame, reads="partitions", custom_metadata=audit(action, alert_id, by)
        )
        if (outcome.inserted, outcome.updated) != (0, 1):
            # Cannot happen: decided and merged on one table version whose partition delta-rs
            # guards against concurrent rewrites. Say so loudly if it ever does.
            raise StoreError(f"{action} of alert {alert_id} did {outcome}")
        return alert

    return store.retrying(attempt, f"{action} {alert_id}")
