"""Issue 18 §2, §4, §8: the Monitor reads files as load_history does, refuses what the
normaliser refuses (a broken feed is a failing tick, never a calm book) and survives a
failing ``on_cycle`` callback."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from alertkit import Monitor, SyncAlertManager
from alertkit.live.cycle import CycleResult

T = datetime(2026, 1, 5, 15, tzinfo=UTC)


def book(at: datetime, vix: float = 41.0, n: int = 3) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "as_of": [at] * n,
            "strategy_id": list(range(n)),
            "symbol": ["SPY"] * n,
            "strategy_type": ["iron_condor"] * n,
            "dte": [40] * n,
            "upl_pct": [0.1] * n,
            "vix": [vix] * n,
        }
    )


@pytest.fixture
def sync(lake: str) -> SyncAlertManager:
    manager = SyncAlertManager(lake, clock=lambda: T, maintain_every=0)
    manager.initialize()
    return manager


def test_a_failing_on_cycle_is_logged_counted_and_the_run_goes_on(
    sync: SyncAlertManager, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[CycleResult] = []

    def flaky(result: CycleResult) -> None:
        seen.append(result)
        if len(seen) == 1:
            raise RuntimeError("dashboard down")

    instants = iter([book(T), book(T + timedelta(minutes=1)), book(T + timedelta(minutes=2))])
    monitor = Monitor(sync, lambda: next(instants, None), every=0, on_cycle=flaky)
    with caplog.at_level(logging.ERROR, logger="alertkit.live.monitor"):
        monitor.run(cycles=3)
    assert len(seen) == 3  # main: the run ended with the callback's error after one tick
    stats = monitor.stats
    assert (stats.ticks, stats.failures, stats.new_alerts, stats.repeats) == (3, 1, 3, 6)
    assert stats.last_error == "on_cycle: RuntimeError: dashboard down"
    assert "monitor on_cycle callback failed; the cycle is committed" in caplog.text
    assert monitor.last_result is seen[-1]
    assert set(sync.read_board()["occurrences"]) == {3}  # the first cycle was committed


def test_a_misspelt_feed_is_a_failing_tick_not_a_calm_book(sync: SyncAlertManager) -> None:
    feed = pl.DataFrame({"strategyid": [1, 2, 3], "sym": ["SPY"] * 3, "upl": [0.9] * 3})
    monitor = Monitor(sync, lambda: feed, every=0)
    monitor.run(cycles=2)
    assert (monitor.stats.ticks, monitor.stats.failures) == (2, 2)
    assert monitor.stats.last_error == (
        "ValidationError: misspelt columns? 'strategyid' (strategy_id?), 'sym' (symbol?),"
        " 'upl' (upl_pct?): not snapshot columns, and those are missing; rename them (see"
        " alertkit.SNAPSHOT_SCHEMA)"
    )


def test_a_feed_without_symbols_is_a_failing_tick(sync: SyncAlertManager) -> None:
    monitor = Monitor(sync, lambda: book(T).drop("symbol"), every=0)
    monitor.run(cycles=1)
    assert monitor.stats.failures == 1
    assert monitor.stats.last_error == (
        "ValidationError: snapshots: missing required column symbol (an alert is keyed by"
        " strategy_id and symbol)"
    )


def test_a_csv_with_naive_times_is_local_time(
    sync: SyncAlertManager, tmp_path: Path, new_york: None
) -> None:
    path = tmp_path / "book.csv"
    earlier = book(T - timedelta(hours=1), vix=20.0)
    pl.concat([earlier, book(T)]).with_columns(
        pl.col("as_of").dt.convert_time_zone("America/New_York").dt.replace_time_zone(None)
    ).write_csv(path)
    monitor = Monitor(sync, path, every=0)
    monitor.run(cycles=1)  # main: SchemaError (failed to determine supertype) on every tick
    assert (monitor.stats.failures, monitor.stats.new_alerts) == (0, 3)
    assert set(sync.read_board()["created_at"]) == {T}


@pytest.mark.parametrize("separator", [";", "\t"], ids=["semicolon", "tab"])
def test_a_csv_with_another_separator_is_read_as_load_history_reads_it(
    sync: SyncAlertManager, tmp_path: Path, separator: str
) -> None:
    path = tmp_path / "book.csv"
    book(T).write_csv(path, separator=separator)
    monitor = Monitor(sync, path, every=0)
    monitor.run(cycles=1)  # main: "3 snapshots: 0 new", every column missing, no failure
    assert (monitor.stats.failures, monitor.stats.new_alerts) == (0, 3)
    assert sorted(sync.read_board()["rule"]) == ["vix_level"] * 3


def test_duplicate_snapshots_in_a_feed_are_a_failing_tick(sync: SyncAlertManager) -> None:
    twice = pl.concat([book(T), book(T).head(1)])
    monitor = Monitor(sync, lambda: twice, every=0)
    monitor.run(cycles=1)
    assert monitor.stats.last_error == (
        "ValidationError: strategy_id 0: 2 snapshots at 2026-01-05T15:00:00+00:00; expected"
        " one snapshot per position and instant (which one counts would depend on row order)"
    )
    assert sync.read_board().height == 0
