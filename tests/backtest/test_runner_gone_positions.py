"""Positions that are gone (issue 18 section 6): an alert still open when its position has
left the history resolves at the position's last snapshot, "position left the history", in
both backtest modes; live, a cycle that carries the whole book (``complete=True``) resolves
the alerts of positions missing from it the same way, so live still equals replay.
Each test here failed on the earlier design, where such alerts stayed active forever."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from alertkit import AlertManager, DecisionEngine, Monitor, SyncAlertManager
from alertkit.backtest import run_backtest, synthetic_history
from alertkit.live.monitor import HistoryReplay
from alertkit.model.snapshot_schema import SNAPSHOT_SCHEMA

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
STEP = timedelta(minutes=30)
GONE = "position left the history"
COMPARED = ["rule", "strategy_id", "symbol", "created_at", "occurrences", "last_seen_at"]
COMPARED += ["resolved_at", "status"]


def snapshot(sid: int, k: int, *, vix: float = 40.0) -> dict[str, Any]:
    """Position ``sid`` at instant ``k``; vix 40 trips vix_level, 20 trips nothing."""
    return {
        "as_of": T0 + k * STEP,
        "strategy_id": sid,
        "symbol": "SPY" if sid == 1 else "QQQ",
        "strategy_type": "iron_condor",
        "dte": 40,
        "upl_pct": 0.1,
        "vix": vix,
    }


# Position 1 fires at instants 0 and 1, and its history ends at 1; position 2 fires at 0,
# holds at 1-3 and is there at the history's last instant (3).
HISTORY = pl.DataFrame(
    [snapshot(1, 0), snapshot(1, 1), snapshot(2, 0)]
    + [snapshot(2, k, vix=20.0) for k in (1, 2, 3)],
    schema=SNAPSHOT_SCHEMA,
).sort("as_of", "strategy_id")


def timeline(history: str) -> list[tuple[str, str, str | None, str | None]]:
    return [(e["action"], e["at"], e["by"], e["note"]) for e in json.loads(history)]


@pytest.mark.parametrize("quiet", [None, timedelta(hours=4)])
def test_an_alert_resolves_at_its_positions_last_snapshot_in_both_modes(
    quiet: timedelta | None,
) -> None:
    vectorized = run_backtest(HISTORY, quiet_period=quiet, progress=False).alerts
    engine = run_backtest(HISTORY, quiet_period=quiet, mode="engine", progress=False).alerts
    assert vectorized.equals(engine)
    rows = vectorized.sort("strategy_id").select(*COMPARED, "history").rows()
    assert [r[:-1] for r in rows] == [
        ("vix_level", 1, "SPY", T0, 2, T0 + STEP, T0 + STEP, "resolved"),
        ("vix_level", 2, "QQQ", T0, 1, T0, None, "active"),  # present at the end: open
    ]
    assert timeline(rows[0][-1]) == [
        ("create", "2026-03-02T15:00:00.000000Z", None, None),
        ("resolve", "2026-03-02T15:30:00.000000Z", "backtest", GONE),
    ]


def test_the_synthetic_history_keeps_open_only_alerts_of_positions_still_there() -> None:
    history = synthetic_history(8, seed=11)
    end = history["as_of"].max()
    last = history.group_by("strategy_id").agg(last=pl.col("as_of").max())
    for quiet in (None, timedelta(hours=4)):
        alerts = run_backtest(history, quiet_period=quiet, progress=False).alerts
        assert alerts.equals(
            run_backtest(history, quiet_period=quiet, mode="engine", progress=False).alerts
        )
        joined = alerts.join(last, on="strategy_id")
        still_open = joined.filter(pl.col("status") == "active")
        assert (still_open["last"] == end).all()
        gone = joined.filter(pl.col("history").str.contains(f'"note":"{GONE}"'))
        assert (gone["resolved_at"] == gone["last"]).all()
        counts = (alerts.height, still_open.height, gone.height)
        assert counts == ((32, 6, 26) if quiet is None else (76, 1, 7))


# -- live --------------------------------------------------------------------------------


def fresh(lake: str) -> SyncAlertManager:
    manager = SyncAlertManager(lake, maintain_every=0)
    manager.initialize()
    return manager


def test_a_complete_cycle_resolves_the_alerts_of_positions_missing_from_it(lake: str) -> None:
    manager = fresh(lake)
    first = manager.run_cycle([snapshot(1, 0), snapshot(2, 0)], complete=True)
    gone_id = next(a.alert_id for a in first.new_alerts if a.strategy_id == 1)
    manager.run_cycle([snapshot(1, 1), snapshot(2, 1)], complete=True)  # position 1 last seen
    result = manager.run_cycle([snapshot(2, 2, vix=20.0)], complete=True)
    assert [a.alert_id for a in result.resolved] == [gone_id]
    alert = manager.get_alert(gone_id)
    assert (alert.status.value, alert.resolved_at) == ("resolved", T0 + STEP)
    assert timeline(json.dumps(alert.history))[-1] == (
        "resolve",
        "2026-03-02T15:30:00.000000Z",
        "alertkit",
        GONE,
    )
    assert manager.get_alert_count("active") == 1  # position 2's, still in the book


def test_a_partial_cycle_leaves_absent_positions_alone(lake: str) -> None:
    manager = fresh(lake)
    manager.run_cycle([snapshot(1, 0), snapshot(2, 0)])
    result = manager.run_cycle([snapshot(2, 1, vix=20.0)])  # complete=False: the default
    assert (result.resolved, manager.get_alert_count("active")) == ((), 2)


def test_a_new_process_dates_the_resolution_at_the_alerts_last_sighting(lake: str) -> None:
    before = fresh(lake)
    before.run_cycle([snapshot(1, 0), snapshot(2, 0)])
    before.run_cycle([snapshot(1, 1), snapshot(2, 1)])
    after = SyncAlertManager(lake, maintain_every=0)  # knows no earlier snapshot
    result = after.run_cycle([snapshot(2, 5)], complete=True)
    (gone,) = result.resolved
    assert (gone.strategy_id, gone.last_seen_at, gone.resolved_at) == (1, T0 + STEP, T0 + STEP)


def test_a_gone_resolution_is_never_dated_before_an_acknowledgement(lake: str) -> None:
    manager = fresh(lake)
    opened = manager.run_cycle([snapshot(1, 0), snapshot(2, 0)]).new_alerts
    alert_id = next(a.alert_id for a in opened if a.strategy_id == 1)
    manager.acknowledge_alert(alert_id, at=T0 + 4 * STEP)
    result = manager.run_cycle([snapshot(2, 2)], complete=True)
    assert (result.redated, manager.get_alert(alert_id).resolved_at) == (1, T0 + 4 * STEP)


def test_the_async_manager_and_the_engine_take_complete_too(tmp_path: Path) -> None:
    async def run() -> tuple[int, int]:
        manager = AlertManager(str(tmp_path / "a"), maintain_every=0)
        await manager.initialize()
        await manager.run_cycle([snapshot(1, 0), snapshot(2, 0)])
        via_manager = await manager.run_cycle([snapshot(2, 1)], complete=True)
        engine = DecisionEngine(alert_manager=fresh(str(tmp_path / "b")))
        await engine.evaluate_many([snapshot(1, 0), snapshot(2, 0)])
        via_engine = await engine.evaluate_many([snapshot(2, 1)], complete=True)
        return len(via_manager.resolved), len(via_engine.resolved)

    assert asyncio.run(run()) == (1, 1)


def test_one_complete_cycle_over_a_whole_history_equals_the_backtest(lake: str) -> None:
    history = synthetic_history(4, seed=3)
    quiet = timedelta(days=1)
    fresh(lake).run_cycle(history, quiet_period=quiet, complete=True)
    live = SyncAlertManager(lake).read_board().sort(COMPARED[:4]).select(COMPARED)
    replayed = run_backtest(history, quiet_period=quiet, progress=False).alerts
    assert live.equals(replayed.sort(COMPARED[:4]).select(COMPARED))


def test_the_monitor_carries_the_whole_book_for_files_and_replays(
    lake: str, tmp_path: Path
) -> None:
    manager = fresh(lake)
    path = tmp_path / "book.parquet"
    HISTORY.write_parquet(path)
    assert Monitor(manager, path, every=0).complete is True
    assert Monitor(manager, str(path), every=0).complete is True
    assert Monitor(manager, HistoryReplay(HISTORY), every=0).complete is True
    assert Monitor(manager, lambda: None, every=0).complete is False
    assert Monitor(manager, path, every=0, complete=False).complete is False
    # A replayed history, one instant per tick, leaves exactly the backtest's alerts.
    Monitor(manager, HistoryReplay(HISTORY), every=0).run()
    live = manager.read_board().sort(COMPARED[:4]).select(COMPARED)
    replayed = run_backtest(HISTORY, progress=False).alerts.sort(COMPARED[:4]).select(COMPARED)
    assert live.equals(replayed)
    assert live["status"].to_list() == ["resolved", "active"]
