"""Four spawned processes, 2,000 mixed operations on one table: the final state is exactly
what the operations did (no lost or duplicated alert, no lost transition, no illegal state).

Each worker runs its own seeded plan with one manager: first firings and repeats of its own
fingerprints, acknowledgements, resolutions and dismissals of its own alerts (some of them
illegal on purpose), and firings of fingerprints every worker fires at the same time. Automatic
maintenance runs every 100 commits per worker, so compaction races the other writers too.
"""

from __future__ import annotations

import fcntl
import multiprocessing
import os
from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest
from _workers import check_plans, maintain_at_once, make_plan, run_plan
from deltalake import DeltaTable

from alertkit import SyncAlertManager
from alertkit.lake.maintenance import LOCK_FILE, SMALL_FILES_PER_PARTITION, auto_maintain
from alertkit.lake.store import AlertStore
from alertkit.live.transitions import commit_transitions
from alertkit.model.alerts import Transition
from alertkit.model.errors import WriteConflictError
from conftest import T0, close_now, position

T1 = T0 + timedelta(hours=1)

WORKERS = 4
OPS_PER_WORKER = 500
SHARED = range(8)
OWN_PER_WORKER = 40


def own(worker: int) -> range:
    start = 1000 * (worker + 1)
    return range(start, start + OWN_PER_WORKER)


@pytest.mark.slow
def test_four_processes_2000_operations_end_exactly_as_planned(lake: str) -> None:
    SyncAlertManager(lake).initialize()
    plans = [
        make_plan(seed, OPS_PER_WORKER, own(seed), SHARED, shared_share=0.2)
        for seed in range(WORKERS)
    ]
    context = multiprocessing.get_context("spawn")  # deltalake's runtime panics after fork
    with context.Pool(WORKERS) as pool:
        pending = [
            pool.apply_async(run_plan, (lake, plan), {"worker": w, "maintain_every": 100})
            for w, plan in enumerate(plans)
        ]
        outcomes = [p.get(timeout=600) for p in pending]

    assert sum(len(plan) for plan in plans) == 2000
    check_plans(pl.read_delta(lake), plans, outcomes, SHARED)


# --- the races behind it, replayed deterministically in one process ------------------------


def stale_store(lake: str, stale: DeltaTable) -> AlertStore:
    """A store whose next read is ``stale`` (a table version taken earlier), then the table as
    it is."""
    store = AlertStore(lake, max_retries=0)
    fresh = store.table
    reads = iter([stale])
    store.table = lambda version=None: next(reads, None) or fresh(version)  # type: ignore[method-assign]
    return store


@pytest.mark.parametrize("later", [timedelta(days=1), timedelta(days=40)])
def test_a_transition_is_not_refused_for_a_commit_of_another_alert(
    lake: str, later: timedelta
) -> None:
    """The transition's MERGE reads only its own partition, and in it the files that can
    hold its ids: a commit adding another alert (the same month, or another month) must not
    send it round the retry loop."""
    manager = SyncAlertManager(lake, maintain_every=0)
    manager.initialize()
    alert = manager.create_alert(close_now(), position("SPY", 1))
    assert alert is not None
    stale = DeltaTable(lake)  # the transition reads here...
    other = SyncAlertManager(lake).create_alert(  # ...this lands, later
        close_now(), position("QQQ", 2), at=T0 + later
    )
    assert other is not None
    result = commit_transitions(
        stale_store(lake, stale),
        [alert.alert_id],
        Transition.ACKNOWLEDGE,
        at=T1,
        by=None,
        note=None,
    )
    assert result.version == 3
    board = pl.read_delta(lake).sort("symbol")
    assert board.select("symbol", "status", "revision").rows() == [
        ("QQQ", "active", 0),
        ("SPY", "acknowledged", 1),
    ]


def test_a_transition_whose_file_was_compacted_meanwhile_is_redone(lake: str) -> None:
    manager = SyncAlertManager(lake, maintain_every=0)
    manager.initialize()
    for strategy_id in range(3):
        manager.create_alert(close_now(), position("SPY", strategy_id))
    stale = DeltaTable(lake)
    row = pl.read_delta(lake).sort("strategy_id").row(0, named=True)
    assert SyncAlertManager(lake).maintain().files_removed_by_compaction == 3
    with pytest.raises(WriteConflictError):  # max_retries=0: the stale decision is refused
        commit_transitions(
            stale_store(lake, stale),
            [row["alert_id"]],
            Transition.ACKNOWLEDGE,
            at=T1,
            by=None,
            note=None,
        )
    done = manager.acknowledge_alert(row["alert_id"])  # re-read, redone: lands once
    board = pl.read_delta(lake)
    assert board.height == 3
    assert board.filter(pl.col("alert_id") == done.alert_id)["status"].to_list() == ["acknowledged"]


def test_deltalake_lets_overlapping_compactions_both_commit(tmp_path: Path) -> None:
    """Why compaction takes a lock: this deltalake commits both compactions planned on one
    table version, and every row is then stored twice. If this starts failing after an upgrade,
    deltalake refuses the second compaction itself."""
    path = tmp_path / "t"
    for i in range(3):
        pl.DataFrame({"id": [i]}).write_delta(path, mode="append")
    first, second = DeltaTable(path), DeltaTable(path)
    first.optimize.compact()
    second.optimize.compact()
    assert sorted(pl.read_delta(str(path))["id"]) == [0, 0, 1, 1, 2, 2]


def test_maintain_from_several_processes_at_once_duplicates_nothing(lake: str) -> None:
    manager = SyncAlertManager(lake, maintain_every=0)
    manager.initialize()
    for strategy_id in range(40):
        manager.create_alert(close_now(), position("SPY", strategy_id))
    before = pl.read_delta(lake).sort("alert_id")
    reports = maintain_at_once(lake)
    assert reports == [(0, 0), (0, 0), (40, 1)]  # one compacted; the others found one file
    assert pl.read_delta(lake).sort("alert_id").equals(before)


def test_automatic_maintenance_skips_while_another_process_compacts(lake: str) -> None:
    manager = SyncAlertManager(lake, maintain_every=0)
    manager.initialize()
    for strategy_id in range(SMALL_FILES_PER_PARTITION + 1):
        manager.create_alert(close_now(), position("SPY", strategy_id))
    version = DeltaTable(lake).version()
    fd = os.open(Path(lake) / LOCK_FILE, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # another process's maintenance, as far as flock knows
        checked, report = auto_maintain(manager.store, checked_at=0, every=200)
    finally:
        os.close(fd)
    assert checked == version and report is not None
    assert (report.compaction_skipped, report.files_after) == (
        "another process is compacting this table",
        SMALL_FILES_PER_PARTITION + 1,
    )
    assert report.describe() == (
        "skipped compaction (another process is compacting this table); vacuumed 0"
        " unreferenced files"
    )
    checked, report = auto_maintain(manager.store, checked_at=0, every=200)
    assert report is not None and (report.files_before, report.files_after) == (17, 1)
    assert auto_maintain(manager.store, checked_at=checked, every=200) == (checked, None)


def test_default_settings_keep_every_partition_compact(lake: str) -> None:
    """The check is due every SMALL_FILES_PER_PARTITION table commits, not only every
    maintain_every (200) of one manager's: no partition ever holds twice the threshold."""
    manager = SyncAlertManager(lake)
    manager.initialize()
    most = 0
    for strategy_id in range(120):
        manager.create_alert(close_now(), position("SPY", strategy_id))
        most = max(most, len(DeltaTable(lake).file_uris()))
    assert most <= 2 * SMALL_FILES_PER_PARTITION
    assert manager.get_alert_count() == 120
