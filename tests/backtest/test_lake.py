"""Backtest alerts in a real Delta table: few commits, readable and triageable like live ones."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from deltalake import DeltaTable

from alertkit import SyncAlertManager, ValidationError
from alertkit.backtest import run_backtest, synthetic_history
from alertkit.backtest.lake import write_alerts
from alertkit.model.schema import ALERT_SCHEMA
from alertkit.model.snapshot_schema import SNAPSHOT_SCHEMA
from alertkit.rules import decision_from_row, default_rules

QUIET = timedelta(hours=6)
LATER = datetime(2027, 1, 4, 15, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def history() -> pl.DataFrame:
    return synthetic_history(12, seed=5)


@pytest.fixture(scope="module")
def held(history: pl.DataFrame) -> pl.DataFrame:
    """The history up to the first instant a position leaves it: every position is still
    there at its end, so no alert resolves because its position left."""
    end = history.group_by("strategy_id").agg(pl.col("as_of").max())["as_of"].min()
    return history.filter(pl.col("as_of") <= end)


def table_rows(path: str | Path) -> pl.DataFrame:
    return pl.read_delta(str(path)).select(list(ALERT_SCHEMA)).sort("created_at", "alert_id")


def operations(path: str | Path) -> list[tuple[str, str | None]]:
    """(operation, alertkit.operation) of every commit, oldest first."""
    return [
        (entry["operation"], entry.get("alertkit.operation"))
        for entry in reversed(DeltaTable(str(path)).history())
    ]


def test_alerts_go_in_one_commit_per_chunk(history: pl.DataFrame, lake: str) -> None:
    result = run_backtest(
        history, quiet_period=QUIET, lake=lake, lake_chunk_rows=40, progress=False
    )
    n = result.alerts.height
    assert n > 80  # at least three chunks
    chunks = -(-n // 40)
    assert operations(lake) == [("CREATE TABLE", None)] + [("WRITE", "insert")] * chunks
    assert result.lake_version == chunks
    assert table_rows(lake).equals(result.alerts)


def test_default_chunk_is_one_commit(history: pl.DataFrame, lake: str) -> None:
    run_backtest(history, lake=lake, progress=False)
    assert operations(lake) == [("CREATE TABLE", None), ("WRITE", "insert")]


def test_manager_reads_and_transitions_backtest_alerts(held: pl.DataFrame, lake: str) -> None:
    result = run_backtest(held, quiet_period=QUIET, lake=lake, progress=False)
    manager = SyncAlertManager(lake)
    active = result.alerts.filter(pl.col("status") == "active")
    assert manager.get_alert_count() == result.alerts.height
    assert manager.get_alert_count("active") == active.height
    assert [a.alert_id for a in manager.get_active_alerts()] == (
        active.sort("created_at", "alert_id", descending=True)["alert_id"].to_list()
    )
    first, second, third = active["alert_id"].to_list()[:3]
    stored = manager.get_alert(first)
    assert stored.occurrences == active.row(0, named=True)["occurrences"]

    acked = manager.acknowledge_alert(first, by="quant", at=LATER)
    resolved = manager.resolve_alert(second, by="quant", note="closed", at=LATER)
    dismissed = manager.dismiss_alert(third, at=LATER)
    assert (acked.status.value, resolved.status.value, dismissed.status.value) == (
        "acknowledged",
        "resolved",
        "dismissed",
    )
    again = manager.get_alert(second)
    assert [e["action"] for e in again.history] == ["create", "resolve"]
    assert again.history[-1]["note"] == "closed"
    # A transition rewrites only its row: every other alert is unchanged.
    others = table_rows(lake).filter(~pl.col("alert_id").is_in([first, second, third]))
    assert others.equals(result.alerts.filter(~pl.col("alert_id").is_in([first, second, third])))


def test_backtest_alert_is_the_live_alert_for_the_same_firing(
    history: pl.DataFrame, sync_manager: SyncAlertManager
) -> None:
    """The live manager, given the opening decision, stores the same row but the id; a later
    live firing of an open backtest fingerprint counts as an occurrence of it."""
    result = run_backtest(history, lake=sync_manager.path, progress=False)
    row = result.alerts.filter(pl.col("status") == "active").row(0, named=True)
    opening = result.decisions.filter(
        (pl.col("strategy_id") == row["strategy_id"]) & (pl.col("as_of") == row["created_at"])
    ).row(0, named=True)
    decision = decision_from_row(opening, default_rules())

    elsewhere = SyncAlertManager(Path(sync_manager.path).parent / "live")
    elsewhere.initialize()
    live = elsewhere.create_alert(decision, opening)
    assert live is not None
    live_row = elsewhere.read_board().row(0, named=True)
    assert live_row["alert_id"] != row["alert_id"]
    same = [k for k in ALERT_SCHEMA if k not in ("alert_id", "occurrences", "last_seen_at")]
    assert {k: live_row[k] for k in same} == {k: row[k] for k in same}

    repeat = sync_manager.create_alert(decision, {**opening, "as_of": LATER})
    assert repeat is not None
    assert (repeat.alert_id, repeat.occurrences) == (row["alert_id"], row["occurrences"] + 1)
    assert sync_manager.get_alert_count() == result.alerts.height


def test_append_twice_is_refused_without_writing(history: pl.DataFrame, lake: str) -> None:
    result = run_backtest(history, lake=lake, progress=False)
    version = DeltaTable(lake).version()
    with pytest.raises(ValidationError, match="lake_mode='overwrite'") as caught:
        run_backtest(history, lake=lake, lake_chunk_rows=5, progress=False)
    still_open = result.alerts.filter(pl.col("status") == "active").height
    assert f"{still_open} open alerts" in str(caught.value)
    assert DeltaTable(lake).version() == version


def test_overwrite_replaces_the_contents_in_one_commit(history: pl.DataFrame, lake: str) -> None:
    first = run_backtest(history, lake=lake, progress=False)
    manager = SyncAlertManager(lake)
    active = first.alerts.filter(pl.col("status") == "active")
    manager.acknowledge_alert(active["alert_id"][0], at=LATER)
    second = run_backtest(
        history, quiet_period=QUIET, lake=lake, lake_mode="overwrite", progress=False
    )
    assert operations(lake)[-1] == ("WRITE", "backtest-overwrite")
    assert second.lake_version == 3  # create, insert, acknowledge, overwrite
    assert table_rows(lake).equals(second.alerts)
    # The replaced contents stay readable by time travel.
    before = manager.read_board(version=2)
    assert before.height == first.alerts.height
    assert before.filter(pl.col("status") == "acknowledged").height == 1


def test_the_public_manager_methods_the_lake_writes_with(history: pl.DataFrame, lake: str) -> None:
    first = run_backtest(history, lake=lake, progress=False)
    manager = SyncAlertManager(lake)
    with pytest.raises(ValidationError, match="already open in the table"):
        manager.check_insert(first.alerts)
    version = manager.overwrite_alerts(first.alerts.head(3))
    assert version == manager.version() == 2
    assert manager.read_board().height == 3
    history_rows = manager.commit_history()
    assert [(e["operation"], e.get("alertkit.operation")) for e in history_rows] == list(
        reversed(operations(lake))
    )
    assert history_rows[0]["alertkit.operation"] == "backtest-overwrite"
    assert len(manager.commit_history(1)) == 1


def test_overwrite_in_chunks_replaces_then_appends(history: pl.DataFrame, lake: str) -> None:
    run_backtest(history, lake=lake, progress=False)
    result = run_backtest(
        history, lake=lake, lake_mode="overwrite", lake_chunk_rows=20, progress=False
    )
    chunks = -(-result.alerts.height // 20)
    assert operations(lake)[2:] == [("WRITE", "backtest-overwrite")] + [("WRITE", "insert")] * (
        chunks - 1
    )
    assert table_rows(lake).equals(result.alerts)


def test_a_backtest_without_alerts_writes_nothing_or_empties(lake: str) -> None:
    frame = pl.DataFrame(
        [
            {
                "as_of": datetime(2026, 1, 5, 15, tzinfo=UTC),
                "strategy_id": 1,
                "symbol": "SPY",
                "strategy_type": "iron_condor",
                "expiry": date(2026, 2, 20),
                "upl_pct": 0.1,
            }
        ],
        schema=SNAPSHOT_SCHEMA,
    )
    result = run_backtest(frame, lake=lake, progress=False)
    assert result.alerts.is_empty()
    assert operations(lake) == [("CREATE TABLE", None)]
    write_alerts(run_backtest(synthetic_history(2, seed=1), progress=False).alerts, lake)
    run_backtest(frame, lake=lake, lake_mode="overwrite", progress=False)
    assert pl.read_delta(lake).is_empty()


def test_history_json_reads_as_transitions(history: pl.DataFrame, lake: str) -> None:
    from alertkit import scan_transitions

    result = run_backtest(history, quiet_period=QUIET, lake=lake, progress=False)
    events = scan_transitions(SyncAlertManager(lake).scan_alerts()).collect()
    resolved = result.alerts.filter(pl.col("status") == "resolved")
    assert events.height == result.alerts.height + resolved.height
    resolves = events.filter(pl.col("action") == "resolve")
    assert set(resolves["by"]) == {"backtest"}
    assert resolves.sort("alert_id")["at"].to_list() == (
        resolved.sort("alert_id")["resolved_at"].to_list()
    )
    assert json.loads(resolved["history"][0])[1]["note"] == "trigger quiet for 6:00:00"
