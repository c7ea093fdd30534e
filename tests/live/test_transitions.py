"""Bulk transitions: every legal one in one commit, every other named, nothing else changed;
and every consumer takes either manager, reporting only what the manager committed."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import polars as pl
import pytest
from deltalake import DeltaTable

from alertkit import (
    AlertManager,
    AlertNotFoundError,
    DecisionEngine,
    InvalidTransitionError,
    SyncAlertManager,
    ValidationError,
)
from alertkit.backtest.lake import write_alerts
from alertkit.live.manager import sync_manager_of
from conftest import T0, close_now, position


def three(manager: SyncAlertManager) -> list[str]:
    ids = []
    for sid in range(3):
        alert = manager.create_alert(close_now(), position("SPY", sid))
        assert alert is not None
        ids.append(alert.alert_id)
    return ids


def test_bulk_acknowledge_is_one_commit_and_names_each_failure(lake: str) -> None:
    manager = SyncAlertManager(lake, maintain_every=0)
    manager.initialize()
    a, b, c = three(manager)
    manager.dismiss_alert(c, at=T0 + timedelta(minutes=1))
    version = manager.version()
    missing = "0194a1b2-0000-7000-8000-000000000000"
    result = manager.acknowledge_alerts([a, b, c, missing, a], by="ann", at=T0 + timedelta(hours=1))
    assert [x.alert_id for x in result.changed] == [a, b]
    assert isinstance(result.failed[c], InvalidTransitionError)
    assert isinstance(result.failed[missing], AlertNotFoundError)
    assert (result.version, manager.version()) == (version + 1, version + 1)
    assert result.summary() == "acknowledged 2 of 4 alerts; 2 failed"
    statuses = dict(manager.read_board().select("alert_id", "status").iter_rows())
    assert statuses == {a: "acknowledged", b: "acknowledged", c: "dismissed"}
    assert DeltaTable(lake).history(1)[0]["alertkit.by"] == "ann"


def test_a_bulk_transition_with_nothing_legal_writes_nothing(lake: str) -> None:
    manager = SyncAlertManager(lake, maintain_every=0)
    manager.initialize()
    ids = three(manager)
    manager.resolve_alerts(ids, at=T0 + timedelta(hours=1))
    version = manager.version()
    result = manager.dismiss_alerts(ids, at=T0 + timedelta(hours=2))
    assert (result.changed, result.version, manager.version()) == ((), None, version)
    assert len(result.failed) == 3


def test_a_transition_dated_before_the_alerts_latest_event_is_refused(lake: str) -> None:
    manager = SyncAlertManager(lake, maintain_every=0)
    manager.initialize()
    [a, *_] = three(manager)
    version = manager.version()
    with pytest.raises(ValidationError, match="before the latest event"):
        manager.acknowledge_alert(a, at=T0 - timedelta(days=1))
    manager.acknowledge_alert(a, at=T0 + timedelta(hours=1))
    with pytest.raises(ValidationError, match="before the latest event"):
        manager.resolve_alert(a, at=T0 + timedelta(minutes=30))
    assert manager.version() == version + 1


def test_the_async_manager_offers_the_same_bulk_actions(lake: str) -> None:
    async def run() -> tuple[int, int]:
        manager = AlertManager(lake, maintain_every=0)
        await manager.initialize()
        ids = three(manager.sync)
        result = await manager.resolve_alerts(ids, at=T0 + timedelta(hours=1))
        return len(result.changed), await manager.get_alert_count("resolved")

    assert asyncio.run(run()) == (3, 3)


@pytest.mark.parametrize("kind", ["async", "sync"])
def test_every_consumer_takes_either_manager(lake: str, kind: str) -> None:
    from alertkit.widgets import TriageBoard

    sync = SyncAlertManager(lake, maintain_every=0)
    sync.initialize()
    manager = AlertManager(lake) if kind == "async" else sync
    assert sync_manager_of(manager).path == sync.path
    # the engine writes through either, and reports no failure for a committed alert
    engine = DecisionEngine(alert_manager=manager)
    snapshot = {
        "as_of": T0,
        "strategy_id": 9,
        "symbol": "SPY",
        "strategy_type": "iron_condor",
        "upl_pct": 0.85,
        "dte": 30,
    }
    decision = asyncio.run(engine.evaluate(snapshot))
    assert decision.rule == "take_profit_full"
    [alert] = sync.query_alerts()
    # the board acts through either, and says what was committed
    board = TriageBoard(manager, now=T0 + timedelta(hours=1))
    board.table.selection = [alert.alert_id]
    board.controls.acknowledge.click()
    assert sync.get_alert(alert.alert_id).status.value == "acknowledged"
    assert "acknowledged 1 of 1 selected alert<" in board.status_line.value
    board.close()
    # backtest lake writes take either, or a path
    frame = sync.read_board().with_columns(alert_id=pl.lit("bt-1"), rule=pl.lit("bt"))
    write_alerts(frame, manager)
    assert sync.get_alert("bt-1").rule == "bt"


def test_anything_else_is_a_type_error_naming_what_is_accepted(lake: str) -> None:
    from alertkit.widgets import TriageBoard

    for consumer in (sync_manager_of, TriageBoard, lambda m: write_alerts(pl.DataFrame(), m)):
        with pytest.raises(TypeError, match=r"AlertManager or alertkit\.SyncAlertManager"):
            consumer({"path": lake})
