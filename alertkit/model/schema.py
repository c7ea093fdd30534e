"""The alerts table: its columns declared once, and the conversion between Alert and row.

The original API's thirteen columns (docs/domain.md §7) keep their names and meaning; the
extra columns carry identity (occurrences, last_seen_at), provenance (engine_rule,
rule_priority), optimistic concurrency (revision), audit (history: the JSON list of
transitions), the creation date (created_date, the UTC date of created_at, whose month is
the table's partition, so a transition rewrites one month's files only and the id of an
alert names the partition to touch) and the notification outbox (notify_pending: what
a commit made due to handlers and is not yet delivered; :mod:`alertkit.live.outbox`).
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, Final

import polars as pl

from alertkit.model._events import (
    dumps_history,
    history_column_problems,
    history_event,
)
from alertkit.model._ids import ALERT_ID_REGEX, ID_TIME_MAX, ID_TIME_MIN
from alertkit.model._json import dumps_metadata, metadata_column_problems
from alertkit.model.alerts import (
    FINGERPRINT,
    TEXT_RULES,
    Alert,
    AlertSeverity,
    AlertStatus,
    AlertType,
)
from alertkit.model.errors import MetadataError, ValidationError
from alertkit.model.status import OPEN_STATUSES, TERMINAL_STATUSES
from alertkit.model.tables import TableSpec

__all__ = [
    "ALERTS_TABLE",
    "ALERT_COLUMNS",
    "ALERT_SCHEMA",
    "OPEN_ROWS",
    "PARTITION_COLUMN",
    "alert_from_committed_row",
    "alert_from_row",
    "alert_to_row",
    "alerts_to_frame",
    "check_alert_frame",
]

_TS: Final = pl.Datetime("us", "UTC")

ALERT_SCHEMA: Final[dict[str, pl.DataType]] = {
    # docs/domain.md §7, in its order
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
    # the outbox (alertkit.live.outbox): notifications this row's commits made due and not
    # yet delivered, a JSON list, null when none
    "notify_pending": pl.String(),
    # policies (alertkit.policy): the silence that covered a firing, the snooze (until, and
    # since when: a more severe alert opened after it wakes it), the owner, and whether the
    # fingerprint was flapping at its last evaluation
    "silenced_by": pl.String(),
    "snoozed_until": _TS,
    "snoozed_at": _TS,
    "assignee": pl.String(),
    "flapping": pl.Boolean(),
}
ALERT_COLUMNS: Final = tuple(ALERT_SCHEMA)
PARTITION_COLUMN: Final = "created_month"
"""The alerts table's partition: created_date's month (its first day), a physical column of
the Delta table that reads leave out (:class:`~alertkit.model.tables.TableSpec`)."""
OPEN_ROWS: Final[tuple[str, tuple[str, ...]]] = ("status", OPEN_STATUSES)
"""The table's open subset as (column, stored values): the rows an identity decision reads,
which a ``reads="open"`` MERGE of the lake guards. The lake takes it from here and knows
nothing of statuses itself."""


ALERTS_TABLE: Final = TableSpec(
    name="alerts",
    description="alertkit alerts (one row per alert, current state)",
    schema=ALERT_SCHEMA,
    key="alert_id",
    partition_by=PARTITION_COLUMN,
    partition_month_of="created_date",
    revision="revision",
    open_rows=OPEN_ROWS,
    # Two firings can only clash on one fingerprint, so on its rule and strategy id.
    open_guard=("rule", "strategy_id"),
    added_later=(
        "notify_pending",
        "silenced_by",
        "snoozed_until",
        "snoozed_at",
        "assignee",
        "flapping",
    ),
)
"""The alerts table: what :class:`alertkit.lake.store.AlertStore` keeps."""


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
        "history": dumps_history(alert.history),
        "created_date": alert.created_at.astimezone(UTC).date(),
        "notify_pending": None,
        "silenced_by": alert.silenced_by,
        "snoozed_until": alert.snoozed_until,
        "snoozed_at": alert.snoozed_at,
        "assignee": alert.assignee,
        "flapping": alert.flapping,
    }


def alerts_to_frame(alerts: list[Alert]) -> pl.DataFrame:
    """Rows for many alerts, typed exactly as the table.

    An alert whose history does not begin with its create event (one built by hand, with
    an empty history) gets one, at its ``created_at``, as the live manager records it.
    """
    rows = []
    for alert in alerts:
        row = alert_to_row(alert)
        if not alert.history or alert.history[0]["action"] != "create":
            create = history_event(alert.created_at, "create", None, AlertStatus.ACTIVE, None, None)
            row["history"] = dumps_history([create, *alert.history])
        rows.append(row)
    return pl.DataFrame(rows, schema=ALERT_SCHEMA)


def _aware(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _loads(row: dict[str, Any], column: str) -> Any:
    text = row[column]
    if not text:
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:  # only a row written by another tool
        raise ValidationError(
            f"{column}: the stored text of alert {row['alert_id']!r} is not readable JSON"
            f" ({type(exc).__name__}: {str(exc)[:80]})"
        ) from None


def _alert_fields(row: dict[str, Any]) -> dict[str, Any]:
    """The :class:`Alert` fields of one table row: JSON read, defaults applied, enum values
    left as text (:class:`Alert` refuses an unknown one with a ValidationError)."""
    metadata, history = _loads(row, "metadata"), _loads(row, "history")
    created_at = _aware(row["created_at"])
    return {
        **{name: row.get(name) for name in _PLAIN_FIELDS},
        "metadata": {} if metadata is None else metadata,
        "created_at": created_at,
        "acknowledged_at": _aware(row["acknowledged_at"]),
        "resolved_at": _aware(row["resolved_at"]),
        "occurrences": row["occurrences"] if row["occurrences"] is not None else 1,
        "last_seen_at": _aware(row["last_seen_at"]) or created_at,
        "history": [] if history is None else history,
        "snoozed_until": _aware(row.get("snoozed_until")),
        "snoozed_at": _aware(row.get("snoozed_at")),
        "flapping": bool(row.get("flapping")),
    }


def alert_from_row(row: dict[str, Any]) -> Alert:
    """The :class:`Alert` stored in one table row (a polars named row), every field checked."""
    return Alert(**_alert_fields(row))


def alert_from_committed_row(row: dict[str, Any]) -> Alert:
    """The :class:`Alert` of a row this process has just checked and committed, built
    without checking it again (what :func:`alert_from_row` would build from it).

    :func:`alert_from_row` checks every field, since a stored row may come from another
    tool. A cycle's new and continued rows were checked on their way in (the identity rules'
    Alert objects, and stored rows that the commit's MERGE matched and the cycle only
    bumped). Checking them again was 40 % of a 100k-position cycle (bench/RESULTS.md,
    2026-12-03), and a failure found only now, after the commit, would report a failure for
    a cycle that landed. (A stored row another tool wrote badly is still refused by every
    read: query_alerts, get_alert.) tests/model/test_committed_rows.py holds the two
    constructors equal.
    """
    alert = Alert.__new__(Alert)  # no __post_init__: the row is known good
    fields = _alert_fields(row) | {
        "type": AlertType(row["type"]),
        "severity": AlertSeverity(row["severity"]),
        "status": AlertStatus(row["status"]),
    }
    for name, value in fields.items():
        setattr(alert, name, value)
    return alert


_YEAR_ONE: Final = datetime(1, 1, 1, tzinfo=UTC)

_PLAIN_FIELDS: Final = (
    "alert_id",
    "type",
    "severity",
    "status",
    "title",
    "message",
    "rule",
    "symbol",
    "strategy_id",
    "engine_rule",
    "rule_priority",
    "silenced_by",
    "assignee",
)


def check_alert_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Validate a frame of alert rows for a bulk insert; returns it with the table's dtypes.

    Every row must be one that reads back as an :class:`Alert`, in the form alertkit writes:
    columns and dtypes, id form and uniqueness, enum values, the text rules of
    :data:`~alertkit.model.alerts.TEXT_RULES`, status/timestamp agreement, a ``created_at`` alert
    ids can encode, finite ``rule_priority``, ``occurrences`` >= 1, ``revision`` >= 0,
    metadata that :func:`~alertkit.model._json.dumps_metadata` would write for a dict, and a
    history of well-formed events that begins with the create event. Vectorised (only rare,
    suspicious JSON rows are checked one by one); raises ValidationError naming every failing
    check with its number of rows (a MetadataError when the metadata column is among them).
    """
    for column in ALERTS_TABLE.added_later:  # frames written before these columns existed
        if column not in frame.columns:
            frame = frame.with_columns(pl.lit(None, ALERT_SCHEMA[column]).alias(column))
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
    status = pl.col("status")
    checks = {
        "alert_id has an invalid form": ~pl.col("alert_id").str.contains(ALERT_ID_REGEX),
        "type is not a known AlertType": ~pl.col("type").is_in([m.value for m in AlertType]),
        "severity is not a known AlertSeverity": ~pl.col("severity").is_in(
            [m.value for m in AlertSeverity]
        ),
        "status is not a known AlertStatus": ~status.is_in([m.value for m in AlertStatus]),
        "created_at is null": pl.col("created_at").is_null(),
        f"created_at is before {ID_TIME_MIN:%Y-%m-%d} (alert ids cannot encode it)": pl.col(
            "created_at"
        )
        < ID_TIME_MIN,
        "created_date is not created_at's UTC date": pl.col("created_date")
        != pl.col("created_at").dt.date(),
        "terminal status without resolved_at": status.is_in(TERMINAL_STATUSES)
        & pl.col("resolved_at").is_null(),
        "open status with resolved_at": status.is_in(OPEN_STATUSES)
        & pl.col("resolved_at").is_not_null(),
        "acknowledged status without acknowledged_at": (status == AlertStatus.ACKNOWLEDGED.value)
        & pl.col("acknowledged_at").is_null(),
        "occurrences is null or below 1": pl.col("occurrences") < 1,
        "rule_priority is NaN or infinite": pl.col("rule_priority").is_not_null()
        & ~pl.col("rule_priority").is_finite(),
        "revision is null or negative": pl.col("revision") < 0,
        "notify_pending is not a JSON list": pl.col("notify_pending").is_not_null()
        & ~pl.col("notify_pending").str.contains(r"^\[.*\]$"),
        "snoozed_until and snoozed_at are not both set or both null": pl.col(
            "snoozed_until"
        ).is_null()
        != pl.col("snoozed_at").is_null(),
        "silenced_by is not a silence id": pl.col("silenced_by").is_not_null()
        & ~pl.col("silenced_by").str.contains(r"^sil-[0-9a-f]{12}$"),
        "assignee is blank or longer than 200 characters": pl.col("assignee").is_not_null()
        & (
            (pl.col("assignee").str.strip_chars() == "")
            | (pl.col("assignee").str.len_chars() > 200)
        ),
    }
    for column in ("acknowledged_at", "resolved_at", "last_seen_at", "created_at"):
        checks[f"{column} is after {ID_TIME_MAX:%Y-%m-%d} (Python cannot read it)"] = pl.col(
            column
        ).is_not_null() & (pl.col(column) > ID_TIME_MAX)
    for column in ("acknowledged_at", "resolved_at", "last_seen_at"):
        # A comparison with a literal, not dt.year(): 0.3 ms instead of 25 ms a million rows.
        checks[f"{column} is before year 1 (Python cannot read it)"] = pl.col(
            column
        ).is_not_null() & (pl.col(column) < _YEAR_ONE)
    for column, rule in TEXT_RULES.items():
        if column != "alert_id":  # the id pattern bounds it
            checks.update(rule.column_problems(column))
    # Independent checks, run side by side (polars releases the GIL): about 0.3 s on two
    # cores for a million rows of plain metadata.
    with ThreadPoolExecutor(3) as pool:
        metadata = pool.submit(metadata_column_problems, frame["metadata"])
        history = pool.submit(history_column_problems, frame["history"])
        duplicates = pool.submit(_duplicates, frame)
        counts: dict[str, int] = frame.select(
            [expr.fill_null(True).sum().alias(name) for name, expr in checks.items()]
        ).row(0, named=True)
        metadata_problems = metadata.result()
        counts |= metadata_problems | history.result()
        failed = [f"{n} rows: {name}" for name, n in counts.items() if n]
        failed += duplicates.result()
    if failed:
        # A MetadataError (a ValidationError) when metadata is among the problems, as the
        # dict path (dumps_metadata) raises for the same values.
        error = MetadataError if metadata_problems else ValidationError
        raise error("alerts frame: " + "; ".join(failed))
    return frame


def _duplicates(frame: pl.DataFrame) -> list[str]:
    """Repeated ids, and open fingerprints that appear more than once."""
    found = []
    ids = frame.get_column("alert_id")
    if ids.is_sorted():
        # Time-ordered ids, as alertkit makes them: a repeat sits next to itself, so one pass
        # over neighbours answers (10 ms for a million ids, where hashing takes 170 ms).
        maybe_repeats = ids.slice(1).eq_missing(ids.slice(0, max(ids.len() - 1, 0))).any()
    else:
        # Hashing first keeps the common case (no repeats) cheap; a hash collision only
        # sends us to the exact count.
        maybe_repeats = ids.hash().is_duplicated().any()
    if maybe_repeats:
        repeated = int(ids.is_duplicated().sum())
        if repeated:
            found.append(f"{repeated} rows: alert_id repeats")
    open_keys = frame.filter(pl.col("status").is_in(OPEN_STATUSES)).select(FINGERPRINT)
    repeated_open = int(open_keys.is_duplicated().sum())
    if repeated_open:
        found.append(f"{repeated_open} rows: open fingerprint ({', '.join(FINGERPRINT)}) repeats")
    return found
