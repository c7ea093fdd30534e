"""Bulk writes of whole alerts: inserts guarded against the whole table, and overwrites.

For backfills and backtests. An insert is refused as a whole, writing nothing, if any row is
invalid (:func:`~alertkit.model.schema.check_alert_frame`), an id is already in the batch or
the table, or an open alert's fingerprint is already open in the batch or in the table
(:func:`~alertkit.live.firings.refuse_clashes`). The check and the write happen on one table
version: the append commits only if nothing else committed since, else it decides again.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from alertkit.lake.store import AlertStore, audit
from alertkit.live.firings import refuse_clashes
from alertkit.model.alerts import Alert
from alertkit.model.schema import alerts_to_frame, check_alert_frame

__all__ = ["check_insert", "insert_alerts", "overwrite_alerts"]


def insert_alerts(store: AlertStore, alerts: Iterable[Alert] | pl.DataFrame) -> int:
    """Write ``alerts`` in one commit; returns how many (0 writes nothing)."""
    frame = alerts if isinstance(alerts, pl.DataFrame) else alerts_to_frame(list(alerts))
    frame = check_alert_frame(frame)
    if frame.is_empty():
        return 0
    if not frame.get_column("alert_id").is_sorted():
        # Time-ordered ids in id order give each written file a narrow id range, so a later
        # transition's MERGE skips every file but its own (alertkit.lake.layout).
        frame = frame.sort("alert_id")

    def attempt() -> int:
        table = store.table()
        refuse_clashes(table, frame)
        # Committed only on the version just checked: a concurrent write means check again.
        return store.append_unless_changed(
            table, frame, audit("insert", f"{frame.height} alerts", None)
        )

    store.retrying(attempt, f"insert {frame.height} alerts")
    return frame.height


def check_insert(store: AlertStore, alerts: pl.DataFrame) -> pl.DataFrame:
    """Refuse what :func:`insert_alerts` would refuse on the table as it is now, writing
    nothing; returns the checked frame."""
    frame = check_alert_frame(alerts)
    refuse_clashes(store.table(), frame)
    return frame


def overwrite_alerts(store: AlertStore, alerts: pl.DataFrame) -> int:
    """Replace every alert in the table with ``alerts`` in one commit; returns its version.
    The rows are checked as :func:`insert_alerts` checks them, not against those replaced."""
    frame = check_alert_frame(alerts)
    meta = audit("backtest-overwrite", f"{frame.height} alerts", None)
    return store.retrying(lambda: store.overwrite(frame, meta), f"overwrite {store.uri}")
