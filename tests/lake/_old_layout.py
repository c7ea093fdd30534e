"""Lakes as alertkit wrote them before the monthly layout: partitioned by day.

They are written by alertkit's own store code with the declarations of that release (the
same columns, partitioned by ``created_date`` and the log by ``date``, and that release's
table configuration), so they are what a desk's lake holds today: the commit metadata, one
file per day after the writes below. The writes use unchecked table handles
(``open_table``): the checked ones would upgrade the table to today's configuration.
Shared by the layout tests and the spawned migration children.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Final

import polars as pl
from deltalake import CommitProperties, DeltaTable, write_deltalake

from alertkit import Alert, AlertSeverity, AlertStatus, AlertType
from alertkit.lake.store import DeltaStore, audit
from alertkit.lake.table_schema import scan_declared
from alertkit.model._ids import new_alert_id
from alertkit.model.notification_log import NOTIFICATION_LOG_SCHEMA, NOTIFICATION_LOG_TABLE
from alertkit.model.schema import ALERTS_TABLE, alerts_to_frame
from alertkit.model.tables import TableSpec

START: Final = datetime(2025, 11, 20, 15, tzinfo=UTC)

DAILY_ALERTS: Final = dataclasses.replace(
    ALERTS_TABLE, partition_by="created_date", partition_month_of=None
)
DAILY_LOG: Final = dataclasses.replace(
    NOTIFICATION_LOG_TABLE, partition_by="date", partition_month_of=None
)
OLD_CONFIGURATION: Final = {"delta.checkpointInterval": "50"}
"""The table properties alertkit gave its tables before the monthly layout."""


def create_old(path: str, spec: TableSpec) -> DeltaStore:
    """An empty table at ``path`` as that release created it; its store."""
    DeltaTable.create(
        path,
        schema=spec.arrow_schema(),
        partition_by=[spec.partition_by] if spec.partition_by else None,
        name=spec.name,
        description=spec.description,
        configuration=OLD_CONFIGURATION,
    )
    return DeltaStore(path, spec)


def alerts_per_day(days: int, start: datetime = START) -> pl.DataFrame:
    """One open alert a day for ``days`` days, on positions 0 .. days-1."""
    return alerts_to_frame(
        [
            Alert(
                alert_id=new_alert_id(start + timedelta(days=day)),
                type=AlertType.WARNING,
                severity=AlertSeverity.HIGH,
                status=AlertStatus.ACTIVE,
                title="Close position: vix_level",
                message="VIX 40 above 35",
                rule="vix_level",
                symbol="SPY",
                strategy_id=day,
                metadata={"vix": 40.0},
                created_at=start + timedelta(days=day),
            )
            for day in range(days)
        ]
    )


def write_daily_lake(path: str, days: int, commits: int = 4) -> pl.DataFrame:
    """A daily-partitioned alerts table of ``days`` alerts written in ``commits`` MERGEs,
    then one more that acknowledges the first alert; returns its rows (declared columns)."""
    store = create_old(path, DAILY_ALERTS)
    rows = alerts_per_day(days)
    size = -(-days // commits)
    for first in range(0, days, size):
        chunk = rows.slice(first, size).with_columns(expected_revision=pl.lit(None, pl.Int64))
        store.merge_rows(
            store.open_table(), chunk, reads="table", custom_metadata=audit("insert", "old", None)
        )
    acked = rows.head(1).with_columns(
        status=pl.lit("acknowledged"),
        acknowledged_at=pl.col("created_at") + timedelta(hours=1),
        revision=pl.col("revision") + 1,
        expected_revision=pl.col("revision"),
    )
    store.merge_rows(
        store.open_table(),
        acked,
        reads="partitions",
        custom_metadata=audit("acknowledge", "", None),
    )
    return scan_declared(DAILY_ALERTS, store.open_table()).collect().sort("alert_id")


def write_daily_log(path: str, alert_ids: list[str]) -> pl.DataFrame:
    """A daily-partitioned notification log with one ``sent`` row per alert id, a day apart."""
    at = [START + timedelta(days=i, minutes=1) for i in range(len(alert_ids))]
    rows = pl.DataFrame(
        {
            "entry_id": [f"e{i}" for i in range(len(alert_ids))],
            "at": at,
            "alert_id": alert_ids,
            "handler": ["desk"] * len(alert_ids),
            "reason": ["new"] * len(alert_ids),
            "outcome": ["sent"] * len(alert_ids),
            "attempts": [1] * len(alert_ids),
            "error": [None] * len(alert_ids),
            "notification_id": [f"n{i}" for i in range(len(alert_ids))],
            "group": [None] * len(alert_ids),
            "due_at": at,
            "date": [a.date() for a in at],
        },
        schema=NOTIFICATION_LOG_SCHEMA,
    )
    create_old(path, DAILY_LOG)
    write_deltalake(
        path,
        rows.to_arrow(),
        mode="append",
        partition_by=["date"],
        commit_properties=CommitProperties(audit("notify", "old", None)),
    )
    return rows
