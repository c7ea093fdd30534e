"""Bad input: each case is a clear alertkit error that writes nothing and changes no alert."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from conftest import close_now, position
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
