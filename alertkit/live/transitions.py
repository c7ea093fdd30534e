"""Lifecycle transitions of many alerts in one commit, each legal one applied, each other named.

:func:`commit_transitions` reads the alerts by id from one table version, decides every
transition on it (legal move, not dated before the alert's latest event), and writes all the
legal ones in one MERGE on that version that reads only their partitions. A concurrent commit
that rewrote one of those partitions makes delta-rs refuse the MERGE, and everything is
re-decided on the new table, so a transition is never lost and an illegal one never applied.
A single ``acknowledge_alert`` is the one-id case of the same code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import polars as pl
from deltalake import DeltaTable

from alertkit.lake.layout import scan_dates
from alertkit.lake.store import AlertStore, audit
from alertkit.live.outbox import COLUMN as OUTBOX_COLUMN
from alertkit.live.outbox import Outbox, merged_text
from alertkit.model._events import history_event
from alertkit.model._ids import created_date_of
from alertkit.model.alerts import Alert, AlertStatus, Transition, next_status
from alertkit.model.errors import (
    AlertkitError,
    AlertNotFoundError,
    InvalidTransitionError,
    StoreError,
    ValidationError,
)
from alertkit.model.schema import ALERT_SCHEMA, ALERTS_TABLE, alert_from_row, alert_to_row
from alertkit.model.status import TERMINAL_STATUSES

__all__ = ["BulkResult", "commit_transitions", "rows_by_id"]


@dataclass(frozen=True, slots=True)
class BulkResult:
    """What a bulk transition did: the alerts changed (as committed) and, per alert id that
    could not take the action, the reason (``InvalidTransitionError``, ``AlertNotFoundError``
    or ``ValidationError``). Nothing in ``failed`` was written."""

    action: Transition
    changed: tuple[Alert, ...]
    failed: Mapping[str, AlertkitError] = field(default_factory=dict)
    version: int | None = None
    """The commit's table version; None when nothing was written."""
    pending: tuple[tuple[Alert, str], ...] = ()
    """The changed alerts with notifications pending after the commit, and their
    ``notify_pending`` text (what the manager hands to delivery)."""

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        """One line, e.g. ``acknowledged 3 of 4 alerts; 1 failed``."""
        total = len(self.changed) + len(self.failed)
        text = f"{self.action.past_tense} {len(self.changed)} of {total} alerts"
        return text + (f"; {len(self.failed)} failed" if self.failed else "")


def commit_transitions(
    store: AlertStore,
    alert_ids: Sequence[str],
    action: Transition,
    *,
    at: datetime,
    by: str | None,
    note: str | None,
    outbox: Outbox | None = None,
) -> BulkResult:
    """Apply ``action`` at ``at`` to every alert of ``alert_ids`` that can take it, in one
    commit (retried on conflicts); the others are reported in ``failed``. ``outbox`` marks
    the closes as due notifications (reason ``resolved``) in the same commit; what was
    pending on a row stays pending."""

    def attempt() -> BulkResult:
        table = store.table()
        found = rows_by_id(table, alert_ids)
        changed: list[Alert] = []
        rows: list[dict[str, Any]] = []
        failed: dict[str, AlertkitError] = {}
        for alert_id in dict.fromkeys(alert_ids):  # each id once, in the caller's order
            row = found.get(alert_id)
            if row is None:
                failed[alert_id] = AlertNotFoundError(alert_id)
                continue
            try:
                alert = _transitioned(row, action, at, by, note)
            except (InvalidTransitionError, ValidationError) as exc:
                failed[alert_id] = exc
                continue
            changed.append(alert)
            pending = row[OUTBOX_COLUMN]
            if outbox and alert.status in TERMINAL_STATUSES:
                pending = merged_text(pending, outbox.text_for(alert, "resolved"))
            rows.append(
                {
                    **alert_to_row(alert, row["revision"] + 1),
                    OUTBOX_COLUMN: pending,
                    "expected": row["revision"],
                }
            )
        if not rows:
            return BulkResult(action, (), failed, None)
        frame = pl.DataFrame(rows, schema={**ALERT_SCHEMA, "expected": pl.Int64()}).rename(
            {"expected": "expected_revision"}
        )
        subject = changed[0].alert_id if len(changed) == 1 else f"{len(changed)} alerts"
        outcome = store.merge_rows(
            table, frame, reads="partitions", custom_metadata=audit(action.value, subject, by)
        )
        if (outcome.inserted, outcome.updated) != (0, len(rows)):
            # Cannot happen: decided and merged on one table version whose partitions delta-rs
            # guards against concurrent rewrites. Say so loudly if it ever does.
            raise StoreError(f"{action.value} of {len(rows)} alerts did {outcome}")
        return BulkResult(action, tuple(changed), failed, outcome.version, tuple(pending_of(rows)))

    return store.retrying(attempt, f"{action.value} {len(alert_ids)} alerts")


def pending_of(rows: list[dict[str, Any]]) -> list[tuple[Alert, str]]:
    """(alert, notify_pending) of the rows with something pending."""
    return [(alert_from_row(r), r[OUTBOX_COLUMN]) for r in rows if r[OUTBOX_COLUMN]]


def _transitioned(
    row: dict[str, Any], action: Transition, at: datetime, by: str | None, note: str | None
) -> Alert:
    alert = alert_from_row(row)
    new_status = next_status(alert.alert_id, alert.status, action)
    latest = max(t for t in (alert.created_at, alert.acknowledged_at) if t is not None)
    if at < latest:
        raise ValidationError(
            f"at: {at.isoformat()} is before the latest event of alert {alert.alert_id}"
            f" ({latest.isoformat()}); a transition cannot be dated before it"
        )
    alert.history.append(history_event(at, action.value, alert.status.value, new_status, by, note))
    alert.status = new_status
    if new_status is AlertStatus.ACKNOWLEDGED:
        alert.acknowledged_at = at
    else:
        alert.resolved_at = at
    return alert


def rows_by_id(table: DeltaTable, alert_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The stored rows of ``alert_ids`` in table version ``table``, by id (absent ids left out).

    A UUIDv7 id names its creation day, so the scan opens only the partitions of those days;
    an id whose day is not its creation date (bulk-inserted from elsewhere) is looked for
    across the table, where file statistics still prune by id.
    """
    ids = list(dict.fromkeys(alert_ids))
    days: set[date] = {d for d in map(created_date_of, ids) if d is not None}
    scan = pl.scan_delta(table).select(list(ALERT_SCHEMA))
    found: dict[str, dict[str, Any]] = {}
    if days:
        rows = scan_dates(ALERTS_TABLE, table, days).filter(pl.col("alert_id").is_in(ids)).collect()
        found = {r["alert_id"]: r for r in rows.iter_rows(named=True)}
    missing = [i for i in ids if i not in found]
    if missing:
        rows = scan.filter(pl.col("alert_id").is_in(missing)).collect()
        found.update({r["alert_id"]: r for r in rows.iter_rows(named=True)})
    return found
