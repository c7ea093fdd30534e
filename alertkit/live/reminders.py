"""Reminders: open, unacknowledged alerts told again every ``repeat_interval``.

Whether a reminder is due is derived, not stored: an alert is reminded to a handler with a
``repeat_interval`` when it is ACTIVE (acknowledging stops reminders, closing ends them), is
not waiting for its first notification to that handler (still in the outbox), and the last
time that handler was told of it (``new`` or ``reminder``, sent, failed or muted, from the log;
else the alert's creation) is at least one interval ago. Derived state cannot be lost by a
kill: the next round finds the same reminder due. Alertmanager's ``repeat_interval`` (4 h by
default) is the model.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import polars as pl

from alertkit.lake.store import AlertStore
from alertkit.live.notification_log import NotificationLog
from alertkit.live.outbox import COLUMN, pending_entries
from alertkit.model.alerts import AlertStatus
from alertkit.model.schema import alert_from_row
from alertkit.notify import Due, Subscription

__all__ = ["reminder_dues"]


def reminder_dues(
    store: AlertStore, log: NotificationLog, subscriptions: Sequence[Subscription], now: datetime
) -> list[Due]:
    """The reminders due at ``now`` for ``subscriptions`` (those with a repeat interval)."""
    reminding = [s for s in subscriptions if s.repeat_interval is not None]
    if not reminding:
        return []
    active = store.scan().filter(pl.col("status") == AlertStatus.ACTIVE.value).collect()
    if active.is_empty():
        return []
    told = {
        (alert_id, handler): at
        for alert_id, handler, at in log.last_told([s.name for s in reminding]).iter_rows()
    }
    dues = []
    for row in active.iter_rows(named=True):
        alert = alert_from_row(row)
        waiting = {e.handler for e in pending_entries(row[COLUMN]) if e.reason == "new"}
        for sub in reminding:
            if sub.name in waiting or not sub.wants(alert, "reminder"):
                continue
            last = told.get((alert.alert_id, sub.name), alert.created_at)
            assert sub.repeat_interval is not None
            if now - last >= sub.repeat_interval:
                dues.append(Due(alert, "reminder", sub.name, now, from_outbox=False))
    return dues
