"""Bad input: each case is a clear alertkit error that writes nothing and changes no alert."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from deltalake import DeltaTable

from alertkit import (
    AlertkitError,
    AlertNotFoundError,
    AlertQuery,
    Decision,
    MetadataError,
    SchemaMismatchError,
    StoreError,
    SyncAlertManager,
    TableNotFoundError,
    ValidationError,
)
from alertkit.mapping import decision_to_alert
from alertkit.schema import alerts_to_frame
from conftest import close_now, position

NOW = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)


def _frame_without(column: str) -> pl.DataFrame:
    alert = decision_to_alert(close_now(), position("IWM", 99), NOW)
    assert alert is not None
    return alerts_to_frame([alert]).drop(column)


def _frame_with(**values: Any) -> pl.DataFrame:
    alert = decision_to_alert(close_now(), position("IWM", 99), NOW)
    assert alert is not None
    return alerts_to_frame([alert]).with_columns(**{k: pl.lit(v) for k, v in values.items()})


Case = Callable[[SyncAlertManager, str], object]

CASES: list[tuple[str, Case, type[Exception], str]] = [
    (
        "decision is a dict",
        lambda m, a: m.create_alert({"action": "close"}, position()),  # type: ignore[arg-type]
        ValidationError,
        "decision: expected a Decision, got dict",
    ),
    (
        "metadata NaN",
        lambda m, a: m.create_alert(
            Decision("close", "x", "stop_loss_hard", "high", {"upl": float("nan")}), position("QQQ")
        ),
        MetadataError,
        "metadata['upl']: expected a finite number, got nan",
    ),
    (
        "metadata inf nested",
        lambda m, a: m.create_alert(
            Decision("close", "x", "stop_loss_hard", "high", {"g": {"d": [float("-inf")]}}),
            position("QQQ"),
        ),
        MetadataError,
        "metadata['g']['d'][0]: expected a finite number, got -inf",
    ),
    (
        "metadata oversized",
        lambda m, a: m.create_alert(
            Decision("close", "x", "stop_loss_hard", "high", {"blob": "x" * 70_000}),
            position("QQQ"),
        ),
        MetadataError,
        "metadata: expected at most 65536 bytes of JSON",
    ),
    (
        "metadata set",
        lambda m, a: m.create_alert(
            Decision("close", "x", "stop_loss_hard", "high", {"s": {1}}), position("QQQ")
        ),
        MetadataError,
        "metadata['s']: expected a JSON-compatible value, got set",
    ),
    (
        "strategy_id a string",
        lambda m, a: m.create_alert(close_now(), {"symbol": "SPY", "strategy_id": "7"}),
        ValidationError,
        "strategy_id: expected an int or None, got str '7'",
    ),
    (
        "strategy_id beyond int64",
        lambda m, a: m.create_alert(close_now(), {"symbol": "SPY", "strategy_id": 2**63}),
        ValidationError,
        "strategy_id: expected a value within int64",
    ),
    (
        "symbol empty",
        lambda m, a: m.create_alert(close_now(), {"symbol": " ", "strategy_id": 1}),
        ValidationError,
        "symbol: expected a non-empty string",
    ),
    (
        "as_of not a datetime",
        lambda m, a: m.create_alert(
            close_now(), {"symbol": "SPY", "strategy_id": 1, "as_of": "2026-01-05"}
        ),
        ValidationError,
        "snapshot.as_of: expected a datetime, got str",
    ),
    (
        "unknown action",
        lambda m, a: m.transition(a, "snooze"),
        ValidationError,
        "action: expected one of acknowledge, resolve, dismiss (any case), got 'snooze'",
    ),
    (
        "id with quotes",
        lambda m, a: m.acknowledge_alert("abc' OR '1'='1"),
        AlertNotFoundError,
        "no alert with alert_id=\"abc' OR '1'='1\"",
    ),
    (
        "id predicate text",
        lambda m, a: m.resolve_alert("1 = 1 OR alert_id IS NOT NULL"),
        AlertNotFoundError,
        "no alert with alert_id='1 = 1 OR alert_id IS NOT NULL'",
    ),
    (
        "id with comment",
        lambda m, a: m.dismiss_alert(a + "'--"),
        AlertNotFoundError,
        "no alert with alert_id=",
    ),
    (
        "id not a string",
        lambda m, a: m.acknowledge_alert(42),  # type: ignore[arg-type]
        ValidationError,
        "alert_id: expected a str, got int 42",
    ),
    (
        "by not a string",
        lambda m, a: m.acknowledge_alert(a, by=7),  # type: ignore[arg-type]
        ValidationError,
        "by: expected a str or None, got 7",
    ),
    (
        "at not a datetime",
        lambda m, a: m.acknowledge_alert(a, at="now"),  # type: ignore[arg-type]
        ValidationError,
        "at: expected a datetime, got str 'now'",
    ),
    (
        "limit zero",
        lambda m, a: m.query_alerts(AlertQuery(limit=0)),
        ValidationError,
        "limit: expected a positive int, got 0",
    ),
    (
        "start after end",
        lambda m, a: m.query_alerts(
            AlertQuery(
                start_time=datetime(2026, 2, 1, tzinfo=UTC),
                end_time=datetime(2026, 1, 1, tzinfo=UTC),
            )
        ),
        ValidationError,
        "start_time: expected <= end_time",
    ),
    (
        "naive and aware mixed",
        lambda m, a: m.query_alerts(
            AlertQuery(start_time=datetime(2026, 1, 1), end_time=datetime(2026, 2, 1, tzinfo=UTC))
        ),
        ValidationError,
        "start_time/end_time: expected both naive (local time) or both timezone-aware",
    ),
    (
        "unknown status in count",
        lambda m, a: m.get_alert_count("open"),
        ValidationError,
        "status: expected one of active, acknowledged, resolved, dismissed (any case), got 'open'",
    ),
    (
        "query of the wrong type",
        lambda m, a: m.query_alerts({"symbol": "SPY"}),  # type: ignore[arg-type]
        ValidationError,
        "query: expected an AlertQuery, got dict",
    ),
    (
        "bulk frame missing a column",
        lambda m, a: m.insert_alerts(_frame_without("severity")),
        ValidationError,
        "alerts frame: missing column 'severity'",
    ),
    (
        "bulk frame unknown enum",
        lambda m, a: m.insert_alerts(_frame_with(status="snoozed")),
        ValidationError,
        "alerts frame: 1 rows: status is not a known AlertStatus",
    ),
    (
        "bulk frame hostile id",
        lambda m, a: m.insert_alerts(_frame_with(alert_id="x'; DROP")),
        ValidationError,
        "alerts frame: 1 rows: alert_id has an invalid form",
    ),
    (
        "bulk frame repeated id",
        lambda m, a: m.insert_alerts(pl.concat([_frame_with()] * 2)),
        ValidationError,
        "alerts frame: 2 rows: alert_id repeats; 2 rows: open fingerprint",
    ),
    (
        "bulk frame open fingerprint twice",
        lambda m, a: m.insert_alerts(pl.concat([_frame_with(), _frame_with()])),
        ValidationError,
        "alerts frame: 2 rows: open fingerprint (rule, strategy_id, symbol) repeats",
    ),
    (
        "bulk frame mistyped column",
        lambda m, a: m.insert_alerts(
            _frame_with().with_columns(pl.col("strategy_id").cast(pl.String))
        ),
        ValidationError,
        "alerts frame: strategy_id is String, expected Int64",
    ),
    (
        "decision with empty rule",
        lambda m, a: m.create_alert(Decision("close", "x", " "), position()),
        ValidationError,
        "rule: expected a non-empty str",
    ),
    (
        "bulk frame empty title",
        lambda m, a: m.insert_alerts(_frame_with(title="  ")),
        ValidationError,
        "alerts frame: 1 rows: title is empty",
    ),
    (
        "unknown decision action",
        lambda m, a: m.create_alert(Decision("snooze", "x", "vix_level"), position()),
        ValidationError,
        "action: expected one of hold, close, roll, adjust, reduce (any case), got 'snooze'",
    ),
    (
        "unknown severity in a query",
        lambda m, a: m.query_alerts(AlertQuery(severity="urgent")),
        ValidationError,
        "severity: expected one of immediate, high, normal, low (any case), got 'urgent'",
    ),
    (
        "strategy_id a bool",
        lambda m, a: m.create_alert(close_now(), {"symbol": "SPY", "strategy_id": True}),
        ValidationError,
        "strategy_id: expected an int or None, got bool True",
    ),
    (
        "strategy_id below int64",
        lambda m, a: m.query_alerts(AlertQuery(strategy_id=-(2**63) - 1)),
        ValidationError,
        "strategy_id: expected a value within int64",
    ),
    (
        "note not a string",
        lambda m, a: m.resolve_alert(a, note=b"bytes"),  # type: ignore[arg-type]
        ValidationError,
        "note: expected a str or None, got b'bytes'",
    ),
    (
        "bulk frame naive timestamps",
        lambda m, a: m.insert_alerts(
            _frame_with().with_columns(pl.col("created_at").dt.replace_time_zone(None))
        ),
        ValidationError,
        "alerts frame: created_at is Datetime(time_unit='us', time_zone=None), expected"
        " Datetime(time_unit='us', time_zone='UTC')",
    ),
    (
        "bulk frame resolved without resolved_at",
        lambda m, a: m.insert_alerts(_frame_with(status="resolved")),
        ValidationError,
        "alerts frame: 1 rows: terminal status without resolved_at",
    ),
]


@pytest.mark.parametrize(("case", "call", "error", "message"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_refused_cleanly(
    sync_manager: SyncAlertManager,
    lake: str,
    case: str,
    call: Case,
    error: type[Exception],
    message: str,
) -> None:
    existing = sync_manager.create_alert(close_now(), position("SPY", 1))
    assert existing is not None
    version = DeltaTable(lake).version()
    before = pl.read_delta(lake)
    with pytest.raises(error) as info:
        call(sync_manager, existing.alert_id)
    assert isinstance(info.value, AlertkitError)
    assert str(info.value).startswith(message), str(info.value)
    assert DeltaTable(lake).version() == version
    assert pl.read_delta(lake).equals(before)


def test_hostile_notes_and_names_round_trip_exactly(sync_manager: SyncAlertManager) -> None:
    alert = sync_manager.create_alert(close_now(), position())
    other = sync_manager.create_alert(close_now(), position("QQQ"))
    assert alert is not None and other is not None
    note = "it's done'; DELETE FROM alerts; -- \\' \n <script>alert(1)</script> ünï 🚀"
    by = "o'brien\\"
    done = sync_manager.resolve_alert(alert.alert_id, by=by, note=note)
    assert (done.history[-1]["by"], done.history[-1]["note"]) == (by, note)
    stored = sync_manager.get_alert(alert.alert_id)
    assert (stored.history[-1]["by"], stored.history[-1]["note"]) == (by, note)
    assert sync_manager.get_alert(other.alert_id) == other


def test_directory_that_is_not_a_delta_table(tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "readme.txt").write_text("not a table")
    with pytest.raises(TableNotFoundError, match=r"is a non-empty directory but not a Delta table"):
        SyncAlertManager(folder).initialize()
    assert sorted(p.name for p in folder.iterdir()) == ["readme.txt"]


def test_file_instead_of_a_table(tmp_path: Path) -> None:
    path = tmp_path / "alerts"
    path.write_text("x")
    with pytest.raises(TableNotFoundError, match=r"is a file, not a Delta table directory"):
        SyncAlertManager(path).initialize()


def test_table_with_an_incompatible_schema(tmp_path: Path) -> None:
    path = tmp_path / "alerts"
    pl.DataFrame({"alert_id": ["a"], "status": [1]}).write_delta(path)
    with pytest.raises(SchemaMismatchError) as info:
        SyncAlertManager(path).initialize()
    message = str(info.value)
    assert "column 'status' is Int64, expected String" in message
    assert "missing column 'severity' (String)" in message


def test_corrupted_commit_file(sync_manager: SyncAlertManager, lake: str) -> None:
    sync_manager.create_alert(close_now(), position())
    (Path(lake) / "_delta_log" / "00000000000000000001.json").write_text("{not json")
    with pytest.raises(StoreError, match=r"^cannot open the alerts table at "):
        SyncAlertManager(lake).initialize()


def test_operations_before_initialize_say_so(tmp_path: Path) -> None:
    manager = SyncAlertManager(tmp_path / "never")
    with pytest.raises(TableNotFoundError, match=r"call initialize\(\) first"):
        manager.get_alert_count()


def test_a_table_with_naive_timestamps_is_refused(tmp_path: Path) -> None:
    """timestamp_ntz columns (a table written from naive datetimes) do not fit the schema."""
    path = tmp_path / "alerts"
    frame = _frame_with().with_columns(
        pl.col("created_at", "last_seen_at").dt.replace_time_zone(None)
    )
    frame.write_delta(path)
    with pytest.raises(SchemaMismatchError) as info:
        SyncAlertManager(path).initialize()
    assert str(info.value) == (
        f"the table at {path} is not an alertkit alerts table: column 'created_at' is"
        " Datetime(time_unit='us', time_zone=None), expected Datetime(time_unit='us',"
        " time_zone='UTC'); column 'last_seen_at' is Datetime(time_unit='us', time_zone=None),"
        " expected Datetime(time_unit='us', time_zone='UTC')"
    )


# --- history files (alertkit.backtest.load_history) --------------------------------------

HISTORY_HEADER = "history does not fit the snapshot schema (DOMAIN 3): "


def _history() -> pl.DataFrame:
    from alertkit.backtest import synthetic_history

    return synthetic_history(2, seed=1)


def _write(frame: pl.DataFrame, path: Path) -> Path:
    if path.suffix == ".csv":
        frame.write_csv(path)
    elif path.suffix == ".parquet":
        frame.write_parquet(path)
    else:
        frame.write_delta(path)
    return path


HISTORY_CASES: list[tuple[str, Callable[[pl.DataFrame], pl.DataFrame], str, str]] = [
    (
        "parquet missing a column",
        lambda h: h.drop("vix"),
        "history.parquet",
        HISTORY_HEADER + "1 problem\n  - missing column vix (Float64)",
    ),
    (
        "csv with text in a number column",
        lambda h: h.with_columns(pl.lit("n/a").alias("net_delta")),
        "history.csv",
        HISTORY_HEADER + "1 problem\n  - mistyped column net_delta: expected Float64, got String",
    ),
    (
        "delta table with a mistyped column",
        lambda h: h.with_columns(pl.col("strategy_id").cast(pl.String)),
        "history",
        HISTORY_HEADER + "1 problem\n  - mistyped column strategy_id: expected Int64, got String",
    ),
    (
        "parquet missing and mistyped columns",
        lambda h: h.drop("symbol", "strategy_type").with_columns(pl.col("dte").cast(pl.Float64)),
        "history.parquet",
        HISTORY_HEADER + "3 problems\n"
        "  - missing column symbol (String)\n"
        "  - missing column strategy_type (String)\n"
        "  - mistyped column dte: expected Int32, got Float64",
    ),
    (
        "parquet with naive as_of",
        lambda h: h.with_columns(pl.col("as_of").dt.replace_time_zone(None)),
        "history.parquet",
        HISTORY_HEADER + "1 problem\n  - mistyped column as_of: expected Datetime(time_unit='us',"
        " time_zone='UTC'), got Datetime(time_unit='us', time_zone=None)",
    ),
]


@pytest.mark.parametrize(
    ("case", "damage", "name", "message"), HISTORY_CASES, ids=[c[0] for c in HISTORY_CASES]
)
def test_bad_history_files_are_refused_cleanly(
    sync_manager: SyncAlertManager,
    lake: str,
    tmp_path: Path,
    case: str,
    damage: Callable[[pl.DataFrame], pl.DataFrame],
    name: str,
    message: str,
) -> None:
    from alertkit.backtest import load_history

    path = _write(damage(_history()), tmp_path / name)
    files_before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    version = DeltaTable(lake).version()
    with pytest.raises(ValidationError) as info:
        load_history(path)
    assert str(info.value).startswith(message), str(info.value)
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == files_before
    assert DeltaTable(lake).version() == version
