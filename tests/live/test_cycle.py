"""The monitoring cycle: a portfolio in, its alerts committed at once, exactly as a replay.

Live equals replay: running the cycle over a history one instant at a time into an empty
lake, each cycle carrying the whole book (``complete=True``), must leave the alerts
``run_backtest`` computes for that history (fingerprint, created_at, occurrences,
last_seen_at, resolved_at, status, and each history event's action, time and note), with
and without a quiet period.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import polars as pl
import pytest
from _factories import book as any_book
from _histories import QUIET, histories
from deltalake import DeltaTable
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alertkit import Alert, AlertManager, DecisionEngine, SyncAlertManager
from alertkit.backtest import run_backtest, synthetic_history

T = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
COMPARED = ["rule", "strategy_id", "symbol", "created_at", "occurrences", "last_seen_at"]
COMPARED += ["resolved_at", "status"]
book = partial(any_book, at=T)


def commits(lake: str) -> list[str]:
    return [h["operation"] for h in DeltaTable(lake).history()]


def test_a_cycle_of_200_positions_is_one_commit_then_200_repeats(lake: str) -> None:
    manager = SyncAlertManager(lake, maintain_every=0)
    manager.initialize()
    first = manager.run_cycle(book(200))
    assert (len(first.new_alerts), len(first.repeats), len(first.resolved)) == (200, 0, 0)
    assert {a.rule for a in first.new_alerts} == {"vix_level"}
    second = manager.run_cycle(book(200, at=T + timedelta(minutes=1)))
    assert (len(second.new_alerts), len(second.repeats)) == (0, 200)
    assert commits(lake) == ["MERGE", "MERGE", "CREATE TABLE"]
    board = manager.read_board()
    assert board.height == 200
    assert set(board["occurrences"]) == {2}
    assert set(board["last_seen_at"]) == {T + timedelta(minutes=1)}
    assert second.summary() == "200 snapshots: 0 new, 200 repeats, 0 resolved (version 2)"


def test_a_quiet_cycle_writes_nothing(lake: str) -> None:
    manager = SyncAlertManager(lake)
    manager.initialize()
    result = manager.run_cycle(book(30, vix=20.0))
    assert (result.new_alerts, result.version) == ((), None)
    assert result.decisions.height == 30
    assert commits(lake) == ["CREATE TABLE"]


def test_the_quiet_period_resolves_in_the_cycle_that_sees_the_position(lake: str) -> None:
    manager = SyncAlertManager(lake)
    manager.initialize()
    quiet = timedelta(hours=1)
    manager.run_cycle(book(3), quiet_period=quiet)
    still = manager.run_cycle(book(3, vix=20.0, at=T + timedelta(minutes=30)), quiet_period=quiet)
    assert still.resolved == ()
    later = T + timedelta(hours=2)
    done = manager.run_cycle(book(3, vix=20.0, at=later), quiet_period=quiet)
    assert [(a.status.value, a.resolved_at) for a in done.resolved] == [("resolved", later)] * 3
    assert done.resolved[0].history[-1]["by"] == "alertkit"
    again = manager.run_cycle(book(3, at=later + timedelta(minutes=1)), quiet_period=quiet)
    assert len(again.new_alerts) == 3  # a firing after the resolution opens a new alert
    assert manager.get_alert_count("resolved") == 3


def test_peaks_carry_from_one_cycle_to_the_next(lake: str) -> None:
    manager = SyncAlertManager(lake)
    manager.initialize()
    rising = book(1, vix=20.0).with_columns(upl_pct=pl.lit(0.45))
    assert manager.run_cycle(rising).new_alerts == ()
    falling = book(1, vix=20.0, at=T + timedelta(hours=1)).with_columns(upl_pct=pl.lit(0.1))
    [alert] = manager.run_cycle(falling).new_alerts
    assert (alert.rule, alert.metadata["peak_upl_pct"]) == ("trailing_stop", 0.45)


def test_each_new_alert_notifies_once_after_its_commit(lake: str) -> None:
    manager = SyncAlertManager(lake)
    manager.initialize()
    seen: list[tuple[str, int]] = []
    manager.notifications.add(
        lambda a: seen.append((a.alert_id, manager.version())), name="version-seen"
    )
    result = manager.run_cycle(book(6))
    assert manager.flush_notifications(30)
    manager.run_cycle(book(6, at=T + timedelta(minutes=1)))  # repeats: no notification
    assert manager.flush_notifications(30)
    # Told after the commit (version 1), before the entries are cleared (version 2).
    assert sorted(seen) == sorted((a.alert_id, 1) for a in result.new_alerts)


def test_the_async_manager_and_the_engine_run_the_same_cycle(tmp_path: Path) -> None:
    async def run() -> tuple[list[Alert], list[Alert]]:
        manager = AlertManager(str(tmp_path / "a"))
        await manager.initialize()
        handled: list[Alert] = []

        async def handler(alert: Alert) -> None:
            handled.append(alert)

        manager.add_handler(handler)
        via_manager = await manager.run_cycle(book(9))
        assert await manager.flush_notifications(30)
        engine = DecisionEngine(alert_manager=SyncAlertManager(str(tmp_path / "b")))
        engine.alert_manager.initialize()  # type: ignore[union-attr]
        via_engine = await engine.evaluate_many(book(9))
        assert engine.rule_counts["vix_exit"] == 9
        assert [a.alert_id for a in handled] == [a.alert_id for a in via_manager.new_alerts]
        return list(via_manager.new_alerts), list(via_engine.new_alerts)

    a, b = asyncio.run(run())
    assert sorted(x.fingerprint for x in a) == sorted(x.fingerprint for x in b)


def test_a_sequence_of_snapshot_dicts_is_a_cycle_too(lake: str) -> None:
    manager = SyncAlertManager(lake)
    manager.initialize()
    rows = book(3).drop("as_of").to_dicts()
    result = manager.run_cycle(rows, at=T)
    assert [a.created_at for a in result.new_alerts] == [T] * 3
    with pytest.raises(TypeError, match=r"expected an alertkit\.AlertManager, SyncAlertManager"):
        DecisionEngine(alert_manager="data/lake/alerts")


# -- live equals replay ---------------------------------------------------------------------


def events(alerts: pl.DataFrame) -> pl.DataFrame:
    """The compared columns plus each history event's (action, at, note); ``by`` differs on
    purpose (a backtest resolves by "backtest", a live cycle by "alertkit")."""
    timeline = [
        json.dumps([[e["action"], e["at"], e["note"]] for e in json.loads(h)])
        for h in alerts["history"]
    ]
    return alerts.with_columns(events=pl.Series(timeline, dtype=pl.String)).select(
        *COMPARED, "events"
    )


def live(history: pl.DataFrame, lake: str, quiet: timedelta | None) -> pl.DataFrame:
    """The history run through the live cycle, one instant at a time, into an empty lake;
    each cycle carries the whole book."""
    manager = SyncAlertManager(lake, maintain_every=0)
    manager.initialize()
    for _, instant in history.sort("as_of", maintain_order=True).group_by(
        "as_of", maintain_order=True
    ):
        manager.run_cycle(instant, quiet_period=quiet, complete=True)
    return events(manager.read_board().sort(COMPARED[:4]))


def replayed(history: pl.DataFrame, quiet: timedelta | None) -> pl.DataFrame:
    alerts = run_backtest(history, quiet_period=quiet, progress=False).alerts
    return events(alerts.sort(COMPARED[:4]))


@pytest.mark.parametrize("quiet", [None, timedelta(hours=4), timedelta(days=1)])
def test_live_equals_replay_on_the_synthetic_history(
    tmp_path: Path, quiet: timedelta | None
) -> None:
    history = synthetic_history(8, seed=11)  # 530 instants, 530 cycles
    expected = replayed(history, quiet)
    assert expected.height > 20  # a history where rules fire, repeat and (with quiet) resolve
    assert live(history, str(tmp_path / "lake"), quiet).equals(expected)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(histories(), st.sampled_from(QUIET))
def test_live_equals_replay_on_generated_histories(
    tmp_path_factory: pytest.TempPathFactory, history: pl.DataFrame, quiet: timedelta | None
) -> None:
    lake = str(tmp_path_factory.mktemp("live") / "alerts")
    assert live(history, lake, quiet).equals(replayed(history, quiet))
