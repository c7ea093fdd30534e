"""The live runner: a tick per interval from a callable, a file, a Delta table or a replayed
history; a bad tick is logged and counted and loses nothing; a notebook runs it in the
background; Ctrl-C stops it cleanly."""

from __future__ import annotations

import asyncio
import logging
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from deltalake import write_deltalake

from alertkit import AlertManager, Monitor, SyncAlertManager, ValidationError
from alertkit.backtest import run_backtest, synthetic_history
from alertkit.live.monitor import HistoryReplay

T = datetime(2026, 1, 5, 15, tzinfo=UTC)


def book(at: datetime | None, vix: float = 41.0, n: int = 3) -> pl.DataFrame:
    frame = pl.DataFrame(
        {
            "strategy_id": list(range(n)),
            "symbol": ["SPY"] * n,
            "strategy_type": ["iron_condor"] * n,
            "dte": [40] * n,
            "upl_pct": [0.1] * n,
            "vix": [vix] * n,
        }
    )
    return frame if at is None else frame.with_columns(as_of=pl.lit(at))


@pytest.fixture
def sync(lake: str) -> SyncAlertManager:
    manager = SyncAlertManager(lake, clock=lambda: T)
    manager.initialize()
    return manager


def test_each_tick_is_one_cycle_at_the_managers_clock(sync: SyncAlertManager) -> None:
    seen = []
    monitor = Monitor(sync, lambda: book(None), every=0, on_cycle=seen.append)
    monitor.run(cycles=3)
    assert (monitor.stats.ticks, monitor.stats.new_alerts, monitor.stats.repeats) == (3, 3, 6)
    assert [len(r.new_alerts) for r in seen] == [3, 0, 0]
    assert set(sync.read_board()["occurrences"]) == {3}
    assert set(sync.read_board()["created_at"]) == {T}


def test_a_bad_tick_is_counted_and_loses_nothing(
    sync: SyncAlertManager, caplog: pytest.LogCaptureFixture
) -> None:
    frames = iter([book(T), book(T).with_columns(iv_percentile=pl.lit(55.0)), book(T)])
    monitor = Monitor(sync, lambda: next(frames), every=0)
    with caplog.at_level(logging.ERROR, logger="alertkit.live.monitor"):
        monitor.run(cycles=3)
    assert (monitor.stats.ticks, monitor.stats.failures) == (3, 1)
    assert monitor.stats.last_error is not None
    assert monitor.stats.last_error.startswith("ValidationError: iv_percentile")
    assert "monitor tick failed" in caplog.text
    assert set(sync.read_board()["occurrences"]) == {2}  # ticks 1 and 3; tick 2 wrote nothing


def test_files_and_delta_tables_are_sources_read_at_their_latest_instant(
    sync: SyncAlertManager, tmp_path: Path
) -> None:
    history = pl.concat([book(T - timedelta(hours=1), vix=20.0), book(T)])
    parquet, csv, delta = tmp_path / "book.parquet", tmp_path / "book.csv", tmp_path / "book"
    history.write_parquet(parquet)
    history.write_csv(csv)
    write_deltalake(delta, history.to_arrow())
    for source in (parquet, csv, delta):
        Monitor(sync, source, every=0).run(cycles=1)
    assert sync.read_board()["occurrences"].to_list() == [3, 3, 3]
    unknown = Monitor(sync, tmp_path / "book.txt", every=0)
    assert unknown.tick() is None  # a failed tick, counted
    assert unknown.stats.last_error is not None
    assert "cannot tell the format of" in unknown.stats.last_error
    with pytest.raises(ValidationError, match="source: expected a callable"):
        Monitor(sync, 42, every=0)  # type: ignore[arg-type]


def test_a_replayed_history_equals_its_backtest(sync: SyncAlertManager) -> None:
    full = synthetic_history(4, seed=3)
    history = full.filter(pl.col("as_of") < full["as_of"].min() + timedelta(days=12))  # type: ignore[operator]
    replay = HistoryReplay(history, instants_per_tick=1)
    instants = len(replay)
    monitor = Monitor(sync, replay, every=0)
    monitor.run()  # ends when the history is exhausted
    assert (monitor.stats.ticks, monitor.stats.failures) == (instants, 0)
    assert monitor.stats.new_alerts >= 3
    compared = ["rule", "strategy_id", "created_at", "occurrences", "last_seen_at", "status"]
    expected = run_backtest(history, progress=False).alerts.sort(compared[:3]).select(compared)
    assert sync.read_board().sort(compared[:3]).select(compared).equals(expected)


def test_in_a_notebook_it_runs_in_the_background_until_stopped(lake: str) -> None:
    async def run() -> tuple[int, bool]:
        manager = AlertManager(lake)
        await manager.initialize()
        monitor = Monitor(manager, lambda: book(T), every=0.01)
        task = monitor.start()
        while monitor.stats.ticks < 3:
            await asyncio.sleep(0.01)  # the loop stays free while ticks run in a thread
        monitor.stop()
        await asyncio.wait_for(task, 10)
        return monitor.stats.ticks, monitor.running

    ticks, running = asyncio.run(run())
    assert ticks >= 3 and not running
    assert SyncAlertManager(lake).read_board()["occurrences"].min() >= 3  # type: ignore[operator]


WATCH = """
import sys, polars as pl
from datetime import UTC, datetime
sys.path.insert(0, {tests!r})
from test_monitor import book
from alertkit import Monitor, SyncAlertManager
manager = SyncAlertManager({lake!r})
manager.initialize()
monitor = Monitor(manager, lambda: book(datetime.now(UTC)), every=0.05)
print("watching", flush=True)
monitor.run()
print("stopped cleanly after", monitor.stats.ticks, "ticks", flush=True)
"""


def test_ctrl_c_stops_a_terminal_run_cleanly(lake: str) -> None:
    script = WATCH.format(tests=str(Path(__file__).parent), lake=lake)
    child = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    assert child.stdout.readline() == "watching\n"
    time.sleep(1.0)
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=30)
    assert child.returncode == 0, err
    assert out.startswith("stopped cleanly after")
    board = pl.read_delta(lake)
    assert board.height == 3 and board["occurrences"].min() >= 1  # type: ignore[operator]
