"""The alerts table: its columns declared once, and the conversion between Alert and row.

DOMAIN 7's thirteen columns keep their names and meaning; the extra columns carry identity
(occurrences, last_seen_at), provenance (engine_rule, rule_priority), optimistic concurrency
(revision), audit (history: the JSON list of transitions) and the partition key
(created_date, the UTC date of created_at, so a transition rewrites one day's files only).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Final

import polars as pl
import pyarrow as pa

from alertkit._ids import ALERT_ID_PATTERN
from alertkit._json import dumps_metadata
from alertkit.alerts import Alert, AlertSeverity, AlertStatus, AlertType
from alertkit.errors import ValidationError

__all__ = [
    "ALERT_COLUMNS",
    "ALERT_SCHEMA",
    "EVENT_TIME_FORMAT",
    "OPEN_STATUSES",
    "PARTITION_COLUMN",
    "alert_from_row",
    "alert_to_row",
    "alerts_to_frame",
    "history_event",
]

_TS: Final = pl.Datetime("us", "UTC")

ALERT_SCHEMA: Final[dict[str, pl.DataType]] = {
    # DOMAIN 7, in its order
    "alert_id": pl.String(),
    "type": pl.String(),
    "severity": pl.String(),
    "status": pl.String(),
    "title": pl.String(),
    "message": pl.String(),
    "rule": pl.String(),
    "symbol": pl.String(),
    "strategy_id": pl.Int64(),
    "metadata": pl.String(),
    "created_at": _TS,
    "acknowledged_at": _TS,
    "resolved_at": _TS,
    # alertkit's extra columns
    "occurrences": pl.Int64(),
    "last_seen_at": _TS,
    "engine_rule": pl.String(),
    "rule_priority": pl.Float64(),
    "revision": pl.Int64(),
    "history": pl.String(),
    "created_date": pl.Date(),
}
ALERT_COLUMNS: Final = tuple(ALERT_SCHEMA)
PARTITION_COLUMN: Final = "created_date"
OPEN_STATUSES: Final = ("active", "acknowledged")

EVENT_TIME_FORMAT: Final = "%Y-%m-%dT%H:%M:%S.%fZ"
"""How transition times are written in the history JSON: fixed width, always UTC."""


def history_event(
    at: datetime,
    action: str,
    from_status: str | None,
    to_status: AlertStatus,
    by: str | None,
    note: str | None,
) -> dict[str, Any]:
    """One entry of an alert's ``history`` column: a lifecycle event (create, acknowledge,
    resolve, dismiss), when, from which status to which, by whom and why."""
    return {
        "at": at.astimezone(UTC).strftime(EVENT_TIME_FORMAT),
        "action": action,
        "from": from_status,
        "to": to_status.value,
        "by": by,
        "note": note,
    }


def arrow_schema() -> pa.Schema:
    """The table schema as pyarrow, for creating the Delta table."""
    return pl.DataFrame(schema=ALERT_SCHEMA).to_arrow().schema


def alert_to_row(alert: Alert, revision: int = 0) -> dict[str, Any]:
    """One table row for ``alert`` (metadata and history encoded as JSON)."""
    return {
        "alert_id": alert.alert_id,
        "type": alert.type.value,
        "severity": alert.severity.value,
        "status": alert.status.value,
        "title": alert.title,
        "message": alert.message,
        "rule": alert.rule,
        "symbol": alert.symbol,
        "strategy_id": alert.strategy_id,
        "metadata": dumps_metadata(alert.metadata),
        "created_at": alert.created_at,
        "acknowledged_at": alert.acknowledged_at,
        "resolved_at": alert.resolved_at,
        "occurrences": alert.occurrences,
        "last_seen_at": alert.last_seen_at,
        "engine_rule": alert.engine_rule,
        "rule_priority": alert.rule_priority,
        "revision": revision,
        "history": json.dumps(alert.history, separators=(",", ":")),
        "created_date": alert.created_at.astimezone(UTC).date(),
    }


def alerts_to_frame(alerts: list[Alert]) -> pl.DataFrame:
    """Rows for many alerts, typed exactly as the table."""
    return pl.DataFrame([alert_to_row(a) for a in alerts], schema=ALERT_SCHEMA)


def _aware(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def alert_from_row(row: dict[str, Any]) -> Alert:
    """The :class:`Alert` stored in one table row (a polars named row)."""
    return Alert(
        alert_id=row["alert_id"],
        type=row["type"],
        severity=row["severity"],
        status=row["status"],
        title=row["title"],
        message=row["message"],
        rule=row["rule"],
        symbol=row["symbol"],
        strategy_id=row["strategy_id"],
        metadata=json.loads(row["metadata"]) if row["metadata"] else {},
        created_at=_aware(row["created_at"]),  # type: ignore[arg-type]
        acknowledged_at=_aware(row["acknowledged_at"]),
        resolved_at=_aware(row["resolved_at"]),
        occurrences=row["occurrences"] if row["occurrences"] is not None else 1,
        last_seen_at=_aware(row["last_seen_at"]),
        engine_rule=row["engine_rule"],
        rule_priority=row["rule_priority"],
        history=json.loads(row["history"]) if row["history"] else [],
    )


def check_alert_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Validate a frame of alert rows for a bulk insert; returns it with the table's dtypes.

    Checks columns and dtypes, enum values, required text, status/timestamp agreement and id
    form and uniqueness, vectorised, and raises ValidationError naming every failing check.
    """
    missing = [c for c in ALERT_SCHEMA if c not in frame.columns]
    wrong = [
        f"{c} is {frame.schema[c]}, expected {t}"
        for c, t in ALERT_SCHEMA.items()
        if c in frame.columns and frame.schema[c] != t
    ]
    if missing or wrong:
        raise ValidationError(
            "alerts frame: " + "; ".join([f"missing column {c!r}" for c in missing] + wrong)
        )
    frame = frame.select(list(ALERT_SCHEMA))
    id_pattern = ALERT_ID_PATTERN.pattern
    checks = {
        "alert_id has an invalid form": ~pl.col("alert_id").str.contains(id_pattern),
        "type is not a known AlertType": ~pl.col("type").is_in([m.value for m in AlertType]),
        "severity is not a known AlertSeverity": ~pl.col("severity").is_in(
            [m.value for m in AlertSeverity]
        ),
        "status is not a known AlertStatus": ~pl.col("status").is_in(
            [m.value for m in AlertStatus]
        ),
        "title is empty": pl.col("title").str.strip_chars().str.len_chars() == 0,
        "rule is empty": pl.col("rule").str.strip_chars().str.len_chars() == 0,
        "created_at is null": pl.col("created_at").is_null(),
        "created_date is not created_at's UTC date": pl.col("created_date")
        != pl.col("created_at").dt.date(),
        "terminal status without resolved_at": pl.col("status").is_in(["resolved", "dismissed"])
        & pl.col("resolved_at").is_null(),
        "open status with resolved_at": pl.col("status").is_in(OPEN_STATUSES)
        & pl.col("resolved_at").is_not_null(),
        "occurrences below 1": pl.col("occurrences") < 1,
    }
    counts = frame.select(
        [expr.fill_null(True).sum().alias(name) for name, expr in checks.items()]
    ).row(0, named=True)
    failed = [f"{n} rows: {name}" for name, n in counts.items() if n]
    failed += _duplicates(frame)
    if failed:
        raise ValidationError("alerts frame: " + "; ".join(failed))
    return frame


def _duplicates(frame: pl.DataFrame) -> list[str]:
    """Repeated ids, and open fingerprints that appear more than once."""
    found = []
    # Hashing first keeps the common case (no repeats) cheap on a million ids; a hash
    # collision only sends us to the exact check.
    if frame.select(pl.col("alert_id").hash().is_duplicated().any()).item():
        repeated = frame.select(pl.col("alert_id").is_duplicated().sum()).item()
        if repeated:
            found.append(f"{repeated} rows: alert_id repeats")
    open_keys = frame.filter(pl.col("status").is_in(OPEN_STATUSES)).select(
        "rule", "strategy_id", "symbol"
    )
    repeated_open = int(open_keys.is_duplicated().sum())
    if repeated_open:
        found.append(f"{repeated_open} rows: open fingerprint (rule, strategy_id, symbol) repeats")
    return found
