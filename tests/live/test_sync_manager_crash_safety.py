"""A writer killed with SIGKILL at random points leaves a table that opens, holds exactly the
operations that completed (plus, possibly, the one in flight), and that a new manager
continues on.

Each round spawns a child that runs a seeded plan of fires, acknowledgements, resolutions
and dismissals, with automatic maintenance every 5 commits so kills also land inside
compaction and checkpointing. The child journals "start i" / "done i" around each operation,
which tells the parent what must be in the table.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time
from pathlib import Path

import polars as pl
import pytest
from _workers import (
    check_invariants,
    make_plan,
    plan_decision,
    run_plan,
    simulate,
    table_rows,
)
from deltalake import DeltaTable

from alertkit import AlertQuery, SyncAlertManager, TableNotFoundError

ROUNDS = 5
OPS_PER_ROUND = 3000  # more than a child can do before it is killed
KILL_WINDOW_SECONDS = (0.0, 1.5)


def wait_for(journal: Path, line: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if journal.exists() and line in journal.read_text().splitlines():
            return
        time.sleep(0.005)
    raise AssertionError(f"the child never wrote {line!r} to {journal}")


def kill_during_plan(
    lake: str, ops: list[tuple[str, int, int]], journal: Path, delay: float
) -> None:
    context = multiprocessing.get_context("spawn")  # deltalake's runtime panics after fork
    child = context.Process(
        target=run_plan,
        args=(lake, ops),
        kwargs={"journal": str(journal), "maintain_every": 5},
        daemon=True,
    )
    child.start()
    try:
        wait_for(journal, "done 0")
        time.sleep(delay)
    finally:
        os.kill(child.pid, signal.SIGKILL)  # type: ignore[arg-type]
        child.join(timeout=30)
    assert child.exitcode == -signal.SIGKILL, "the child finished its plan before the kill"


def completed(journal: Path) -> tuple[int, bool]:
    """How many operations finished, and whether the next one had started."""
    lines = journal.read_text().splitlines()
    done = sum(1 for line in lines if line.startswith("done "))
    return done, f"start {done}" in lines


def continue_with_fresh_manager(lake: str, strategy_ids: range) -> None:
    """Fire every fingerprint the child left open (it must count as a repeat), then resolve."""
    manager = SyncAlertManager(lake)
    manager.initialize()
    left_open = [
        alert
        for status in ("active", "acknowledged")
        for alert in manager.query_alerts(AlertQuery(status=status, limit=10_000))
        if alert.strategy_id in strategy_ids
    ]
    for alert in left_open:
        snapshot = {"symbol": "SPY", "strategy_id": alert.strategy_id}
        repeated, is_new = manager.create_or_repeat(plan_decision(), snapshot)
        assert repeated is not None
        assert (repeated.alert_id, is_new, repeated.occurrences) == (
            alert.alert_id,
            False,
            alert.occurrences + 1,
        )
        resolved = manager.resolve_alert(alert.alert_id, by="after the crash")
        assert resolved.status.value == "resolved"
    mine = manager.read_board().filter(pl.col("strategy_id").is_in(list(strategy_ids)))
    assert set(mine["status"]) <= {"resolved", "dismissed"}


@pytest.mark.slow
def test_sigkilled_writers_leave_a_consistent_table(lake: str, tmp_path: Path) -> None:
    SyncAlertManager(lake).initialize()
    rng = random.Random(20260105)
    earlier: pl.DataFrame | None = None
    for round_ in range(ROUNDS):
        strategy_ids = range(1000 * (round_ + 1), 1000 * (round_ + 1) + 12)
        ops = make_plan(round_, OPS_PER_ROUND, strategy_ids, first_second=OPS_PER_ROUND * round_)
        journal = tmp_path / f"journal-{round_}"
        kill_during_plan(lake, ops, journal, rng.uniform(*KILL_WINDOW_SECONDS))

        # The table opens, for a fresh reader and for a fresh manager (which leaves out the
        # partition column, created_month).
        board = pl.read_delta(lake)
        assert (
            SyncAlertManager(lake)
            .read_board()
            .equals(board.drop("created_month").sort(["created_at", "alert_id"], descending=True))
        )
        check_invariants(board)

        # Exactly the completed operations, plus possibly the one in flight.
        done, in_flight = completed(journal)
        allowed = [simulate(ops[:done])[0].rows()]
        if in_flight:
            allowed.append(simulate(ops[: done + 1])[0].rows())
        assert table_rows(board, strategy_ids) in allowed, f"round {round_}: {done} ops done"

        # Earlier rounds' alerts are untouched by this round's writer and its crash.
        if earlier is not None:
            before_ids = earlier["alert_id"]
            again = board.filter(pl.col("alert_id").is_in(before_ids.implode()))
            assert again.sort("alert_id").equals(earlier.sort("alert_id"))

        # Every file the log references exists (files a killed commit left behind, staged
        # but never committed, are not in the log and break nothing).
        assert all(Path(u.removeprefix("file://")).exists() for u in DeltaTable(lake).file_uris())

        continue_with_fresh_manager(lake, strategy_ids)
        earlier = pl.read_delta(lake)
        check_invariants(earlier)


@pytest.mark.parametrize("debris", [[], ["_commit_3f1c9a.json.tmp"]], ids=["empty", "tmp-commit"])
def test_a_creation_killed_before_its_first_commit(lake: str, debris: list[str]) -> None:
    """DeltaTable.create makes _delta_log, writes a temporary commit, then renames it to
    version 0; a kill in between left a lake that initialize() refused for ever ("no Delta
    table ...; call initialize() first")."""
    log_dir = Path(lake) / "_delta_log"
    log_dir.mkdir(parents=True)
    for name in debris:
        (log_dir / name).write_text('{"commitInfo":{}}\n')
    manager = SyncAlertManager(lake)
    manager.initialize()
    assert DeltaTable(lake).version() == 0
    assert manager.create_alert(plan_decision(), {"symbol": "SPY", "strategy_id": 1}) is not None
    assert manager.get_alert_count() == 1


def test_a_directory_with_data_but_no_commit_is_still_refused(lake: str) -> None:
    (Path(lake) / "_delta_log").mkdir(parents=True)
    (Path(lake) / "part-0.parquet").write_bytes(b"PAR1")
    with pytest.raises(TableNotFoundError, match="is a non-empty directory but not a Delta table"):
        SyncAlertManager(lake).initialize()
