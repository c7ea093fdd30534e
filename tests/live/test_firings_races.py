"""Identity under races and crashes: one open alert per fingerprint, no firing lost, nothing
written by a call that raised, no id returned that does not exist.

Each test here failed on the earlier design (a blind append, then a "settle" MERGE that
folded a racing duplicate into the earlier alert): the gather storm lost occurrences and
raised mid-fold, racing processes left a fingerprint open twice, and a kill between append
and settle left the duplicate for good. Now every firing is one MERGE decided on one
table version (alertkit.live.firings), so each is committed whole or not at all.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import time
from collections import Counter
from pathlib import Path

import polars as pl
import pytest
from _storm_workers import SHARED, fire, journal_loop, storm
from deltalake import DeltaTable

from alertkit import AlertManager, SyncAlertManager
from alertkit.model.errors import WriteConflictError

STORM = 50
KINDS = ["first", "repeat", "cycle", "bulk"]
KILL_ROUNDS = 4


def check_invariants(lake: str) -> pl.DataFrame:
    """One row per id, at most one open alert per fingerprint, statuses legal and consistent
    with their timestamps. Returns the table."""
    board = pl.read_delta(lake)
    assert board["alert_id"].is_duplicated().sum() == 0
    open_rows = board.filter(pl.col("status").is_in(["active", "acknowledged"]))
    assert open_rows.select("rule", "strategy_id", "symbol").is_duplicated().sum() == 0
    assert set(board["status"]) <= {"active", "acknowledged", "resolved", "dismissed"}
    terminal = pl.col("status").is_in(["resolved", "dismissed"])
    assert board.filter(terminal != pl.col("resolved_at").is_not_null()).height == 0
    acked = pl.col("status") == "acknowledged"
    assert board.filter(acked & pl.col("acknowledged_at").is_null()).height == 0
    assert board.filter(pl.col("occurrences") < 1).height == 0
    return board


def test_a_gather_storm_of_50_firings_is_one_alert_with_50_occurrences(lake: str) -> None:
    async def run() -> list[str]:
        manager = AlertManager(lake, maintain_every=0)
        await manager.initialize()
        sync = manager.sync
        alerts = await asyncio.gather(
            *(asyncio.to_thread(fire, sync, 1, "SPY", i) for i in range(STORM))
        )
        return list(alerts)

    returned = asyncio.run(run())  # no call raises
    board = check_invariants(lake)
    assert board.height == 1
    assert board["occurrences"].to_list() == [STORM]
    assert set(returned) == set(board["alert_id"])  # every call returned the stored alert


def test_four_processes_storming_shared_fingerprints(lake: str) -> None:
    SyncAlertManager(lake).initialize()
    context = multiprocessing.get_context("spawn")  # deltalake's runtime panics after fork
    with context.Pool(4) as pool:
        results = pool.starmap(storm, [(lake, w, 15) for w in range(4)])
    board = check_invariants(lake)
    assert board.height == len(SHARED)
    fired = Counter((sid, sym) for result in results for sid, sym, _ in result)
    stored = {(r["strategy_id"], r["symbol"]): r for r in board.iter_rows(named=True)}
    assert {key: row["occurrences"] for key, row in stored.items()} == dict(fired)
    for result in results:
        for sid, sym, alert_id in result:
            assert stored[(sid, sym)]["alert_id"] == alert_id


def test_a_decision_on_a_stale_table_version_is_refused_not_committed(lake: str) -> None:
    manager = SyncAlertManager(lake, maintain_every=0)
    manager.initialize()
    stale = DeltaTable(lake)  # writer B reads here, before writer A's first firing
    first = fire(manager, 1, "SPY", 0)
    b = SyncAlertManager(lake, maintain_every=0, max_retries=0)
    b.store.table = lambda version=None: stale  # type: ignore[method-assign]
    with pytest.raises(WriteConflictError):  # B would insert a second open alert: refused
        fire(b, 1, "SPY", 1)
    board = check_invariants(lake)
    assert board.select("alert_id", "occurrences").rows() == [(first, 1)]
    assert fire(SyncAlertManager(lake), 1, "SPY", 1) == first  # decided again: a repeat


def wait_for_done(journal: Path, count: int, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if journal.exists() and journal.read_text().count("done") >= count:
            return
        time.sleep(0.01)
    raise AssertionError(f"the child never finished {count} writes")


def writes_held(board: pl.DataFrame, kind: str) -> int:
    """How many of ``kind``'s writes the table holds, each whole."""
    if kind == "first":
        return board.height
    if kind == "repeat":
        assert board.height == 1
        return int(board["occurrences"][0])
    if kind == "cycle":
        assert board.height == 20
        assert board["occurrences"].n_unique() == 1  # a cycle's 20 firings land together
        return int(board["occurrences"][0])
    assert board.height % 10 == 0  # a bulk insert is whole or absent
    return board.height // 10


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
def test_sigkill_at_any_point_leaves_whole_commits_only(
    lake: str, tmp_path: Path, kind: str
) -> None:
    """A child repeats one kind of write; it is SIGKILLed at a different point each round
    (after 1, 2, 3... writes, plus a jittered delay). After every kill the table opens, holds
    the invariants, and holds every write that returned in that round, plus at most the one
    in flight. Counted per round: each kill may leave its own in-flight write committed but
    unjournaled, so over several rounds the table may hold up to one extra per round."""
    SyncAlertManager(lake).initialize()
    context = multiprocessing.get_context("spawn")
    journal = tmp_path / "journal"
    returned = held = 0
    for round_ in range(KILL_ROUNDS):
        child = context.Process(target=journal_loop, args=(lake, str(journal), kind), daemon=True)
        child.start()
        wait_for_done(journal, returned + 1)
        time.sleep(0.013 * (round_ * 7 % 5))  # land the kill at a different step each round
        os.kill(child.pid, signal.SIGKILL)  # type: ignore[arg-type]
        child.join()
        returned_now = journal.read_text().count("done")
        held_now = writes_held(check_invariants(lake), kind)
        assert returned_now - returned <= held_now - held <= returned_now - returned + 1
        returned, held = returned_now, held_now
    fire(SyncAlertManager(lake), 1, "SPY", 0)  # a new manager goes on from what was left
    check_invariants(lake)
