"""The notification log's store: outcomes appended, and read back with the outbox's pending.

The log table is declared in :mod:`alertkit.model.notification_log`; it lives beside the
alerts table, at ``<alerts table>_notifications`` unless the manager is told otherwise, and is
created by its first append. Reading it (:meth:`NotificationLog.read`) adds what is still
pending on the alert rows, as ``pending`` rows, so one frame answers "what was told, what
failed, what was suppressed and what is still to go".
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from alertkit.lake.store import AlertStore, DeltaStore, audit
from alertkit.live.outbox import COLUMN as OUTBOX_COLUMN
from alertkit.live.outbox import pending_entries
from alertkit.model.notification_log import (
    INHIBITED_STAGE,
    NOTIFICATION_LOG_SCHEMA,
    NOTIFICATION_LOG_TABLE,
)
from alertkit.notify import Due, Muted, Sent

__all__ = ["NotificationLog", "default_log_path", "log_rows"]


def default_log_path(alerts_uri: str) -> str:
    """Where the log of the alerts table at ``alerts_uri`` lives by default."""
    return alerts_uri.rstrip("/") + "_notifications"


def _row(
    due: Due,
    *,
    at: datetime,
    outcome: str,
    attempts: int,
    error: str | None,
    notification_id: str,
    group: str | None,
) -> dict[str, Any]:
    return {
        "entry_id": str(uuid.uuid4()),
        "at": at,
        "alert_id": due.alert.alert_id,
        "handler": due.handler,
        "reason": due.reason,
        "outcome": outcome,
        "attempts": attempts,
        "error": error,
        "notification_id": notification_id,
        "group": group,
        "due_at": due.due_at,
        "date": at.astimezone(UTC).date(),
    }


def log_rows(
    sent: Iterable[Sent], muted: Iterable[tuple[Due, Muted]], at: datetime
) -> pl.DataFrame:
    """The log rows of what a round of delivery did: one per alert of each notification
    (sharing its ``notification_id``), and one per muted due (``suppressed``, or
    ``inhibited`` for the inhibition stage's; ``error`` is ``"<stage>: <why>"``)."""
    rows = []
    for outcome in sent:
        notification_id = str(uuid.uuid4())
        group = outcome.delivery.group_json
        for due in outcome.delivery.dues:
            rows.append(
                _row(
                    due,
                    at=at,
                    outcome=outcome.outcome,
                    attempts=outcome.attempts,
                    error=outcome.error,
                    notification_id=notification_id,
                    group=group,
                )
            )
    for due, why in muted:
        rows.append(
            _row(
                due,
                at=at,
                outcome="inhibited" if why.stage == INHIBITED_STAGE else "suppressed",
                attempts=0,
                error=f"{why.stage}: {why.why}",
                notification_id=str(uuid.uuid4()),
                group=None,
            )
        )
    return pl.DataFrame(rows, schema=NOTIFICATION_LOG_SCHEMA)


@dataclass
class NotificationLog:
    """The log table of one alerts table."""

    store: DeltaStore
    alerts: AlertStore

    @classmethod
    def beside(
        cls,
        alerts: AlertStore,
        uri: str | Path | None = None,
        storage_options: Mapping[str, str] | None = None,
    ) -> NotificationLog:
        where = default_log_path(alerts.uri) if uri is None else uri
        return cls(DeltaStore(where, NOTIFICATION_LOG_TABLE, storage_options), alerts)

    def append(self, rows: pl.DataFrame) -> None:
        if not rows.is_empty():
            self.store.append(rows, audit("notify", f"{rows.height} outcomes", None))

    def scan(self) -> pl.LazyFrame:
        """The stored outcomes (none before the first append)."""
        if not self.store.exists():
            return pl.LazyFrame(schema=NOTIFICATION_LOG_SCHEMA)
        return self.store.scan()

    def pending(self, alert_id: str | None = None) -> pl.DataFrame:
        """What the outbox still holds (of one alert, when given), as log rows with outcome
        ``pending``."""
        held = self.alerts.scan().filter(pl.col(OUTBOX_COLUMN).is_not_null())
        if alert_id is not None:
            held = held.filter(pl.col("alert_id") == alert_id)
        rows = [
            {
                "entry_id": None,
                "at": entry.due_at,
                "alert_id": held_id,
                "handler": entry.handler,
                "reason": entry.reason,
                "outcome": "pending",
                "attempts": 0,
                "error": None,
                "notification_id": None,
                "group": None,
                "due_at": entry.due_at,
                "date": entry.due_at.astimezone(UTC).date(),
            }
            for held_id, text in held.select("alert_id", OUTBOX_COLUMN).collect().iter_rows()
            for entry in pending_entries(text)
        ]
        return pl.DataFrame(rows, schema=NOTIFICATION_LOG_SCHEMA)

    def read(
        self,
        *,
        since: datetime | None = None,
        handler: str | None = None,
        alert_id: str | None = None,
    ) -> pl.DataFrame:
        """Outcomes and pending notifications, oldest first, filtered as asked (the filters
        reach the scans, so one alert's notifications are read without the whole log)."""
        wanted = pl.lit(True)
        if since is not None:
            wanted &= pl.col("at") >= since
        if handler is not None:
            wanted &= pl.col("handler") == handler
        if alert_id is not None:
            wanted &= pl.col("alert_id") == alert_id
        stored = self.scan().filter(wanted).collect()
        frame = pl.concat([stored, self.pending(alert_id).filter(wanted)])
        return frame.sort("at", "alert_id", "handler", nulls_last=True)

    def logged(self, handlers: Iterable[str], reasons: Iterable[str]) -> pl.DataFrame:
        """``alert_id``, ``handler``, ``reason`` and ``due_at`` of every stored outcome (any)
        of ``reasons`` to ``handlers``: what a derived due is settled by."""
        return (
            self.scan()
            .filter(pl.col("handler").is_in(list(handlers)) & pl.col("reason").is_in(list(reasons)))
            .select("alert_id", "handler", "reason", "due_at")
            .unique()
            .collect()
        )

    def last_told(self, handlers: Iterable[str]) -> pl.DataFrame:
        """Per (alert_id, handler): the latest ``new`` or ``reminder`` outcome, the base of
        the next reminder. A muted one counts (``suppressed``, ``inhibited``): a muted alert
        is logged once per interval, not at every round."""
        return (
            self.scan()
            .filter(
                pl.col("handler").is_in(list(handlers))
                & pl.col("reason").is_in(["new", "reminder"])
                & pl.col("outcome").is_in(["sent", "failed", "suppressed", "inhibited"])
            )
            .group_by("alert_id", "handler")
            .agg(told=pl.col("at").max())
            .collect()
        )
