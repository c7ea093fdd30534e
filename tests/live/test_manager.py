"""AlertManager (the original async API) on real Delta tables in temp dirs."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import polars as pl
import pytest
from deltalake import DeltaTable

from alertkit import (
    Alert,
    AlertManager,
    AlertQuery,
    AlertSeverity,
    AlertStatus,
    AlertType,
    Decision,
    SyncAlertManager,
)
from conftest import T0, StepClock, close_now, position, roll


def run(coro: Any) -> Any:
    return asyncio.run(coro)


async def started(manager: AlertManager) -> AlertManager:
    await manager.initialize()
    return manager


# -- the original nine ---------------------------------------------------------------------------


def test_create_alert_from_decision(manager: AlertManager) -> None:
    async def go() -> Alert | None:
        await manager.initialize()
        return await manager.create_alert(close_now(), position("SPY", 7))

    alert = run(go())
    assert alert is not None
    assert (alert.type, alert.severity, alert.status) == (
        AlertType.CRITICAL,
        AlertSeverity.IMMEDIATE,
        AlertStatus.ACTIVE,
    )
    assert (alert.title, alert.message, alert.rule) == (
        "Close position: catastrophe_drop",
        "Underlying fell 4% in an hour",
        "catastrophe_drop",
    )
    assert (alert.symbol, alert.strategy_id, alert.created_at) == ("SPY", 7, T0)


def test_roll_decision_creates_info_alert(manager: AlertManager) -> None:
    async def go() -> Alert | None:
        await manager.initialize()
        return await manager.create_alert(roll(), position("QQQ", 3))

    alert = run(go())
    assert alert is not None
    assert (alert.type, alert.severity, alert.title) == (
        AlertType.INFO,
        AlertSeverity.NORMAL,
        "Roll position: dte_roll",
    )


def test_hold_decision_skips_alert(manager: AlertManager, lake: str) -> None:
    async def go() -> tuple[Alert | None, int]:
        await manager.initialize()
        result = await manager.create_alert(Decision.hold(), position())
        return result, await manager.get_alert_count()

    assert run(go()) == (None, 0)
    assert DeltaTable(lake).version() == 0  # only the table creation: nothing written


def test_acknowledge_alert(manager: AlertManager, clock: StepClock) -> None:
    async def go() -> tuple[Alert, Alert]:
        await manager.initialize()
        alert = await manager.create_alert(close_now(), position())
        assert alert is not None
        acked = await manager.acknowledge_alert(alert.alert_id, by="ann", note="on it")
        return acked, await manager.get_alert(alert.alert_id)

    acked, stored = run(go())
    assert acked.status is AlertStatus.ACKNOWLEDGED
    assert acked.acknowledged_at == T0  # the clock's first reading
    assert stored.status is AlertStatus.ACKNOWLEDGED
    assert stored.acknowledged_at == T0
    assert stored.resolved_at is None
    assert [(e["action"], e["from"], e["to"], e["by"], e["note"]) for e in stored.history] == [
        ("create", None, "active", None, None),
        ("acknowledge", "active", "acknowledged", "ann", "on it"),
    ]


def test_query_alerts_by_symbol(manager: AlertManager) -> None:
    async def go() -> list[Alert]:
        await manager.initialize()
        await manager.create_alert(close_now(), position("SPY", 1))
        await manager.create_alert(close_now(), position("SPY", 2, minutes=1))
        await manager.create_alert(close_now(), position("QQQ", 3, minutes=2))
        return await manager.query_alerts(AlertQuery(symbol="SPY"))

    alerts = run(go())
    assert len(alerts) == 2
    assert [(a.symbol, a.strategy_id) for a in alerts] == [("SPY", 2), ("SPY", 1)]  # newest first


def test_query_alerts_by_status(manager: AlertManager) -> None:
    async def go() -> tuple[list[Alert], list[Alert]]:
        await manager.initialize()
        ids = []
        for sid in range(4):
            alert = await manager.create_alert(roll(), position("SPY", sid, minutes=sid))
            assert alert is not None
            ids.append(alert.alert_id)
        await manager.acknowledge_alert(ids[0])
        await manager.resolve_alert(ids[1])
        return (
            await manager.query_alerts(AlertQuery(status=AlertStatus.ACTIVE)),
            await manager.query_alerts(AlertQuery(status="resolved")),
        )

    active, resolved = run(go())
    assert [a.strategy_id for a in active] == [3, 2]
    assert [a.strategy_id for a in resolved] == [1]


def test_get_active_alerts(manager: AlertManager) -> None:
    async def go() -> list[Alert]:
        await manager.initialize()
        made = [await manager.create_alert(roll(), position("IWM", i, minutes=i)) for i in range(5)]
        ids = [a.alert_id for a in made if a is not None]
        await manager.acknowledge_alert(ids[0])
        await manager.resolve_alert(ids[1])
        await manager.dismiss_alert(ids[2])
        return await manager.get_active_alerts()

    active = run(go())
    assert [(a.strategy_id, a.status) for a in active] == [
        (4, AlertStatus.ACTIVE),
        (3, AlertStatus.ACTIVE),
    ]


def test_metadata_serialization(manager: AlertManager, lake: str) -> None:
    metadata = {
        "upl_pct": -2.5,
        "threshold": Decimal("-2.00"),
        "legs": [{"strike": 450, "expiry": date(2026, 2, 20)}],
        "greeks": {"delta": np.float64(0.31), "contracts": np.int64(2)},
        "seen": datetime(2026, 1, 5, 14, 0, tzinfo=UTC),
    }
    decision = Decision("close", "Hard stop", "stop_loss_hard", "immediate", metadata)

    async def go() -> Alert:
        await manager.initialize()
        alert = await manager.create_alert(decision, position())
        assert alert is not None
        return await manager.get_alert(alert.alert_id)

    stored = run(go())
    expected = {
        "upl_pct": -2.5,
        "threshold": "-2.00",
        "legs": [{"strike": 450, "expiry": "2026-02-20"}],
        "greeks": {"delta": 0.31, "contracts": 2},
        "seen": "2026-01-05T14:00:00+00:00",
    }
    assert stored.metadata == expected
    raw = pl.read_delta(lake)["metadata"].to_list()
    assert [json.loads(r) for r in raw] == [expected]


def test_delta_lake_persistence(manager: AlertManager, lake: str) -> None:
    async def go() -> Alert:
        await manager.initialize()
        alert = await manager.create_alert(close_now(), position("QQQ", 42))
        assert alert is not None
        return alert

    alert = run(go())
    frame = pl.read_delta(lake)
    assert frame.height == 1
    row = frame.row(0, named=True)
    assert {
        k: row[k]
        for k in (
            "alert_id",
            "type",
            "severity",
            "status",
            "title",
            "rule",
            "symbol",
            "strategy_id",
            "created_at",
            "acknowledged_at",
            "resolved_at",
        )
    } == {
        "alert_id": alert.alert_id,
        "type": "critical",
        "severity": "immediate",
        "status": "active",
        "title": "Close position: catastrophe_drop",
        "rule": "catastrophe_drop",
        "symbol": "QQQ",
        "strategy_id": 42,
        "created_at": T0,
        "acknowledged_at": None,
        "resolved_at": None,
    }
    assert frame.schema["created_at"] == pl.Datetime("us", "UTC")
    # A new manager on the same path sees the same alert.
    again = run(AlertManager(lake).get_alert(alert.alert_id))
    assert again == alert


# -- decision-to-alert mapping (docs/domain.md §5) -------------------------------------------------


@pytest.mark.parametrize(
    ("action", "urgency", "kind"),
    [
        ("close", "immediate", ("critical", "immediate")),
        ("close", "high", ("warning", "high")),
        ("close", "normal", ("warning", "normal")),
        ("close", "medium", ("warning", "normal")),
        ("close", "low", ("warning", "low")),
        ("roll", "immediate", ("info", "normal")),
        ("roll", "low", ("info", "normal")),
        ("reduce", "immediate", ("warning", "immediate")),
        ("adjust", "high", ("warning", "high")),
        ("reduce", "normal", ("info", "normal")),
        ("adjust", "medium", ("info", "normal")),
        ("reduce", "low", ("info", "low")),
    ],
)
def test_decision_to_alert_table(
    sync_manager: SyncAlertManager, action: str, urgency: str, kind: tuple[str, str]
) -> None:
    alert = sync_manager.create_alert(Decision(action, "why", "trigger_x", urgency), position())
    assert alert is not None
    assert (alert.type.value, alert.severity.value) == kind


def test_snapshot_as_model_dict_or_polars_row_gives_identity(
    sync_manager: SyncAlertManager,
) -> None:
    from alertkit import PositionSnapshot

    model = PositionSnapshot(as_of=T0, strategy_id=11, symbol="SPY", strategy_type="iron_condor")
    row = pl.DataFrame({"symbol": ["QQQ"], "strategy_id": [12], "as_of": [T0]}).row(0, named=True)
    a = sync_manager.create_alert(close_now(), model)
    b = sync_manager.create_alert(close_now(), row)
    c = sync_manager.create_alert(close_now(), None)
    assert [(x.symbol, x.strategy_id) for x in (a, b, c) if x] == [
        ("SPY", 11),
        ("QQQ", 12),
        (None, None),
    ]


# -- identity (docs/domain.md §6) ------------------------------------------------------------------


def test_repeat_firing_counts_occurrences_on_the_open_alert(sync_manager: SyncAlertManager) -> None:
    first = sync_manager.create_alert(close_now(), position(minutes=0))
    for minute in range(1, 10):
        again = sync_manager.create_alert(close_now(), position(minutes=minute))
        assert again is not None and first is not None
        assert again.alert_id == first.alert_id
        assert again.occurrences == minute + 1
    stored = sync_manager.query_alerts()
    assert [(a.occurrences, a.last_seen_at, a.created_at) for a in stored] == [
        (10, T0 + timedelta(minutes=9), T0),
    ]


def test_acknowledged_alert_still_absorbs_repeats_but_resolved_does_not(
    sync_manager: SyncAlertManager,
) -> None:
    first = sync_manager.create_alert(close_now(), position(minutes=0))
    assert first is not None
    sync_manager.acknowledge_alert(first.alert_id)
    second = sync_manager.create_alert(close_now(), position(minutes=1))
    assert second is not None and second.alert_id == first.alert_id
    sync_manager.resolve_alert(first.alert_id)
    third = sync_manager.create_alert(close_now(), position(minutes=2))
    assert third is not None and third.alert_id != first.alert_id
    assert [(a.status.value, a.occurrences) for a in sync_manager.query_alerts()] == [
        ("active", 1),
        ("resolved", 2),
    ]


def test_different_triggers_and_positions_are_different_alerts(
    sync_manager: SyncAlertManager,
) -> None:
    partial = Decision("reduce", "50% of max profit", "take_profit_partial", "normal")
    full = Decision("close", "80% of max profit", "take_profit_full", "normal")
    sync_manager.create_alert(partial, position("SPY", 1))
    sync_manager.create_alert(full, position("SPY", 1, minutes=1))  # escalation: its own alert
    sync_manager.create_alert(full, position("SPY", 2, minutes=2))
    sync_manager.create_alert(full, position("QQQ", 1, minutes=3))
    assert sync_manager.get_alert_count() == 4


def test_out_of_order_firing_never_moves_last_seen_back(sync_manager: SyncAlertManager) -> None:
    sync_manager.create_alert(close_now(), position(minutes=10))
    sync_manager.create_alert(close_now(), position(minutes=30))
    sync_manager.create_alert(close_now(), position(minutes=20))
    [alert] = sync_manager.query_alerts()
    assert (alert.occurrences, alert.last_seen_at) == (3, T0 + timedelta(minutes=30))


# -- lifecycle (docs/domain.md §6) -----------------------------------------------------------------

LEGAL = {
    ("active", "acknowledge"): "acknowledged",
    ("active", "resolve"): "resolved",
    ("active", "dismiss"): "dismissed",
    ("acknowledged", "resolve"): "resolved",
    ("acknowledged", "dismiss"): "dismissed",
}
PATHS_TO = {
    "active": [],
    "acknowledged": ["acknowledge"],
    "resolved": ["resolve"],
    "dismissed": ["dismiss"],
}


@pytest.mark.parametrize("start", ["active", "acknowledged", "resolved", "dismissed"])
@pytest.mark.parametrize("action", ["acknowledge", "resolve", "dismiss"])
def test_every_transition_is_allowed_or_refused_exactly(
    sync_manager: SyncAlertManager, lake: str, start: str, action: str
) -> None:
    from alertkit import InvalidTransitionError

    alert = sync_manager.create_alert(roll(), position())
    other = sync_manager.create_alert(roll(), position("QQQ"))
    assert alert is not None and other is not None
    for step in PATHS_TO[start]:
        sync_manager.transition(alert.alert_id, step)
    before = pl.read_delta(lake).sort("alert_id")
    version = DeltaTable(lake).version()
    expected = LEGAL.get((start, action))
    if expected is None:
        with pytest.raises(InvalidTransitionError) as info:
            sync_manager.transition(alert.alert_id, action)
        assert str(info.value).startswith(
            f"cannot {action} alert {alert.alert_id!r}: its status is {start!r}"
        )
        assert DeltaTable(lake).version() == version  # nothing written
        assert pl.read_delta(lake).sort("alert_id").equals(before)
    else:
        after = sync_manager.transition(alert.alert_id, action)
        assert after.status.value == expected
        assert (after.resolved_at is not None) == (expected in ("resolved", "dismissed"))
        other_after = sync_manager.get_alert(other.alert_id)
        assert other_after == other  # a transition never changes another alert


def test_unknown_alert_id_is_a_lookup_error(sync_manager: SyncAlertManager) -> None:
    from alertkit import AlertNotFoundError

    with pytest.raises(LookupError) as info:
        sync_manager.acknowledge_alert("019b8eac-1180-7000-8000-000000000000")
    assert isinstance(info.value, AlertNotFoundError)
    assert str(info.value) == "no alert with alert_id='019b8eac-1180-7000-8000-000000000000'"


def test_transitions_record_when_who_and_note(sync_manager: SyncAlertManager) -> None:
    alert = sync_manager.create_alert(close_now(), position())
    assert alert is not None
    sync_manager.acknowledge_alert(alert.alert_id, by="ann")
    done = sync_manager.resolve_alert(
        alert.alert_id, by="bob", note="closed at 1.05", at=datetime(2026, 1, 5, 16, 0)
    )  # naive: local time
    assert done.acknowledged_at == T0
    assert done.resolved_at == datetime(2026, 1, 5, 16, 0).astimezone(UTC)
    assert [(e["action"], e["by"], e["note"]) for e in done.history] == [
        ("create", None, None),
        ("acknowledge", "ann", None),
        ("resolve", "bob", "closed at 1.05"),
    ]
    audit = [
        (h["alertkit.operation"], h.get("alertkit.by"))
        for h in sync_manager.store.history()
        if "alertkit.operation" in h
    ]
    assert audit == [("resolve", "bob"), ("acknowledge", "ann"), ("create", None)]


# -- queries ---------------------------------------------------------------------------------


def test_query_filters_on_falsy_values_and_time_bounds(sync_manager: SyncAlertManager) -> None:
    sync_manager.create_alert(roll(), position("IWM", 0, minutes=0))
    sync_manager.create_alert(roll(), position("SPY", 0, minutes=5))
    sync_manager.create_alert(roll(), position("SPY", 1, minutes=10))
    sync_manager.create_alert(close_now(), position("SPY", 1, minutes=15))

    def ids(**kw: Any) -> list[tuple[str, int]]:
        return [
            (a.symbol or "", a.strategy_id or 0)
            for a in sync_manager.query_alerts(AlertQuery(**kw))
        ]

    assert ids(strategy_id=0) == [("SPY", 0), ("IWM", 0)]
    assert ids(symbol="") == []  # a filter, not "any": no alert has an empty symbol
    assert ids(start_time=T0 + timedelta(minutes=5), end_time=T0 + timedelta(minutes=10)) == [
        ("SPY", 1),
        ("SPY", 0),
    ]
    assert ids(type="critical") == [("SPY", 1)]
    assert ids(severity="normal", symbol="SPY", limit=1) == [("SPY", 1)]
    assert sync_manager.get_alert_count("active") == 4


def test_time_travel_reads_the_board_as_of_a_version(sync_manager: SyncAlertManager) -> None:
    alert = sync_manager.create_alert(close_now(), position())
    assert alert is not None
    version_after_create = sync_manager.store.table().version()
    sync_manager.acknowledge_alert(alert.alert_id)
    sync_manager.resolve_alert(alert.alert_id)
    assert sync_manager.read_board()["status"].to_list() == ["resolved"]
    assert sync_manager.read_board(version_after_create)["status"].to_list() == ["active"]
    old = sync_manager.get_alert(alert.alert_id, version=version_after_create)
    assert (old.status, old.acknowledged_at) == (AlertStatus.ACTIVE, None)


def test_reopening_an_existing_table_from_a_new_manager(lake: str) -> None:
    first = SyncAlertManager(lake, clock=StepClock())
    first.initialize()
    made = first.create_alert(close_now(), position())
    second = SyncAlertManager(lake, clock=StepClock())
    second.initialize()  # must not recreate or wipe
    assert made is not None
    repeat = second.create_alert(close_now(), position(minutes=1))
    assert repeat is not None and repeat.alert_id == made.alert_id
    assert second.get_alert_count() == 1
    assert second.acknowledge_alert(made.alert_id).status is AlertStatus.ACKNOWLEDGED


def test_insert_alerts_writes_one_commit_and_refuses_open_duplicates(
    sync_manager: SyncAlertManager, lake: str
) -> None:
    from alertkit import ValidationError
    from alertkit.model.mapping import decision_to_alert

    alerts = [
        decision_to_alert(roll(), position("SPY", i), T0 + timedelta(minutes=i)) for i in range(50)
    ]
    before = DeltaTable(lake).version()
    assert sync_manager.insert_alerts([a for a in alerts if a]) == 50
    assert DeltaTable(lake).version() == before + 1
    assert sync_manager.get_alert_count() == 50
    clash = decision_to_alert(roll(), position("SPY", 3), T0 + timedelta(days=1))
    assert clash is not None
    with pytest.raises(
        ValidationError, match=r"already open in the table: \[\('dte_roll', 3, 'SPY'\)\]"
    ):
        sync_manager.insert_alerts([clash])
    assert sync_manager.get_alert_count() == 50
