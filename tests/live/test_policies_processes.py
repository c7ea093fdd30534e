"""Silences shared through the lake by real processes (spawn: deltalake panics in a fork).

A silence created while two other processes run monitoring cycles marks every alert of a
cycle decided after it was committed (its snapshot instant is after the commit) inside its
window; two processes expiring one silence at once: one expires it, the other is refused.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from _policy_workers import FRESH, expire, monitor
from deltalake import DeltaTable

from alertkit import SyncAlertManager

WORKERS = 2


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


@pytest.mark.slow
def test_a_silence_marks_every_later_cycle_of_other_processes(lake: str, tmp_path: Path) -> None:
    manager = SyncAlertManager(lake, maintain_every=0)
    manager.initialize()
    stop = tmp_path / "stop"
    context = multiprocessing.get_context("spawn")
    with context.Pool(WORKERS) as pool:
        running = pool.starmap_async(monitor, [(lake, w, str(stop)) for w in range(WORKERS)])

        def each_opened(after: datetime, count: int) -> bool:
            """Whether every worker opened ``count`` alerts dated after ``after``."""
            board = manager.read_board().filter(
                (pl.col("created_at") > after) & (pl.col("strategy_id") >= FRESH)
            )
            per_worker = board.group_by(pl.col("strategy_id") // FRESH).len()
            return per_worker.height == WORKERS and per_worker["len"].min() >= count  # type: ignore[operator]

        start = datetime(1970, 1, 1, tzinfo=UTC)
        wait_for(lambda: each_opened(start, 10), "cycles before the silence")
        silence = manager.create_silence(
            {"symbol": "SPY"},
            duration=timedelta(hours=1),
            created_by="desk",
            comment="maintenance",
            confirm=True,  # most open alerts are on SPY
        )
        committed = datetime.now(UTC)
        wait_for(lambda: each_opened(committed, 10), "cycles after the silence")
        stop.touch()
        cycles = running.get(timeout=120)
    assert all(c >= 10 for c in cycles)

    board = manager.read_board()
    fresh = board.filter(pl.col("strategy_id") >= FRESH)
    after = fresh.filter(pl.col("created_at") > committed)
    before = fresh.filter(pl.col("created_at") < silence.starts_at)
    spy = pl.col("symbol") == "SPY"
    assert after.filter(spy).height >= 5 * WORKERS and before.filter(spy).height >= 5 * WORKERS
    # every SPY alert of a cycle after the commit names the silence; none before its start
    assert set(after.filter(spy)["silenced_by"]) == {silence.silence_id}
    assert set(before["silenced_by"]) == {None}
    assert set(fresh.filter(~spy)["silenced_by"]) == {None}
    # in between (a cycle deciding while the silence was committed): either, nothing else
    assert set(fresh.filter(spy)["silenced_by"]) <= {silence.silence_id, None}
    # the steady positions opened before the silence and repeated after it
    steady = board.filter(pl.col("strategy_id") < FRESH)
    assert steady.height == WORKERS
    assert (steady["created_at"] < silence.starts_at).all()
    assert set(steady["silenced_by"]) == {silence.silence_id}
    counts = manager.list_silences()
    assert counts["suppressed_alerts"].to_list() == [
        board.filter(pl.col("silenced_by") == silence.silence_id).height
    ]


@pytest.mark.slow
def test_two_processes_expiring_one_silence(lake: str) -> None:
    manager = SyncAlertManager(lake, maintain_every=0)
    manager.initialize()
    silence = manager.create_silence(
        {"rule": "vix_level"}, duration=timedelta(hours=1), created_by="desk", comment="c"
    )
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(2), context.Queue()
    workers = [
        context.Process(target=expire, args=(lake, silence.silence_id, barrier, results))
        for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    outcomes = sorted(results.get(timeout=120) for _ in workers)
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    [(expired, none), (refused, message)] = outcomes
    assert (expired, none, refused) == ("expired", None, "refused")
    assert message.startswith(f"silence_id: silence {silence.silence_id} already ended at ")
    [stored] = manager.policy_store.silences()
    assert stored.expired_at is not None and stored.ends_at == stored.expired_at
    assert stored.expired_by is not None and stored.expired_by.startswith("worker ")
    history = DeltaTable(manager.policy_store.silence_table.uri).history()
    assert [h.get("alertkit.operation") for h in reversed(history)] == [None, "add", "expire"]
