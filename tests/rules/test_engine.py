"""DecisionEngine: ordering, first-wins, errors, market data, peak state, alerts.

The rules of docs/domain.md §2-6.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl
import pytest

from alertkit import (
    AlertManager,
    AlertQuery,
    AlertSeverity,
    AlertType,
    Decision,
    DecisionAction,
    PositionSnapshot,
    StoreError,
    TableNotFoundError,
    Urgency,
    ValidationError,
)
from alertkit.model.errors import AlertWriteError
from alertkit.rules import DTERoll, GammaRisk, TakeProfit, TimeExit, default_rules
from alertkit.rules.engine import DecisionEngine

T0 = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)


def snap(**values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "as_of": T0,
        "strategy_id": 1,
        "symbol": "SPY",
        "strategy_type": "iron_condor",
        "dte": 35,
    }
    row.update(values)
    return row


def evaluate(
    engine: DecisionEngine, snapshot: Any, market_data: Mapping[str, Any] | None = None
) -> Decision:
    return asyncio.run(engine.evaluate(snapshot, market_data))


def trigger(snapshot: Any, market_data: Mapping[str, Any] | None = None) -> str:
    return evaluate(DecisionEngine(), snapshot, market_data).rule


@dataclass
class StubRule:
    """A rule written against the protocol only (not a declarative Rule)."""

    name: str
    priority: float
    result: Any = None
    error: Exception | None = None
    calls: int = 0

    async def evaluate(
        self, snapshot: Any, market_data: Mapping[str, Any] | None = None
    ) -> Decision | None:
        self.calls += 1
        if self.error is not None:
            raise self.error
        return self.result  # type: ignore[no-any-return]


def close(rule: str = "stub") -> Decision:
    return Decision(DecisionAction.CLOSE, "stub fired", rule, Urgency.HIGH)


# -- docs/domain.md §4 resolution: priority and first-wins with the default rules ------------------


@pytest.mark.parametrize(
    ("snapshot", "expected"),
    [
        (snap(upl_pct=0.9, underlying_change_1h=-0.05), "catastrophe_drop"),
        (snap(upl_pct=0.9), "take_profit_full"),
        (snap(strategy_type="long_call", dte=21), "single_leg_dte"),
        (snap(strategy_type="long_call", dte=22), "dte_roll"),
        (snap(dte=1), "time_exit"),
        (snap(dte=10, net_gamma=0.15), "gamma_risk"),
        (snap(dte=10, net_gamma=-0.15), "gamma_risk"),
        (snap(dte=10, net_gamma=0.05), "dte_roll"),
        (snap(dte=23), "dte_roll"),
        (snap(dte=21), "dte_roll"),
        (snap(dte=26), "none"),
        (snap(dte=1, upl_pct=-0.6), "stop_loss_accelerated"),
        (snap(upl_pct=0.55, vix=36.0), "vix_level"),
        (snap(upl_pct=-2.0, portfolio_delta=0.9), "stop_loss_hard"),
        (
            snap(upl_pct=0.3, portfolio_delta=0.9, iv_change_since_entry=-0.4),
            "delta_risk_portfolio",
        ),
        (snap(upl_pct=0.3, iv_change_since_entry=-0.4, iv_percentile=0.1), "iv_crush"),
        (snap(upl_pct=0.3, iv_percentile=0.1, dte=20), "iv_percentile_exit"),
        (snap(strategy_type="long_put", upl_pct=0.3, dte=30, vix=40.0), "vix_level"),
        (snap(strategy_type="long_put", upl_pct=0.85, dte=30, vix=40.0), "single_leg_tp"),
    ],
)
def test_first_rule_in_priority_order_wins(snapshot: dict[str, Any], expected: str) -> None:
    assert trigger(snapshot) == expected


@pytest.mark.parametrize(("dte", "urgency"), [(23, Urgency.NORMAL), (21, Urgency.HIGH)])
def test_roll_is_normal_at_23_and_forced_at_21(dte: int, urgency: Urgency) -> None:
    decision = evaluate(DecisionEngine(), snap(dte=dte))
    assert (decision.action, decision.urgency, decision.metadata["forced"]) == (
        DecisionAction.ROLL,
        urgency,
        urgency is Urgency.HIGH,
    )


def test_nothing_fired_is_hold() -> None:
    engine = DecisionEngine()
    assert evaluate(engine, snap()) == Decision(
        DecisionAction.HOLD, "No rule triggered", "none", Urgency.NORMAL
    )
    assert set(engine.trigger_counts.values()) == {0}


def test_decision_names_the_engine_rule_and_priority() -> None:
    decision = evaluate(DecisionEngine(), snap(upl_pct=0.6))
    assert (decision.rule, decision.engine_rule, decision.priority) == (
        "take_profit_partial",
        "take_profit",
        2.0,
    )


# -- registration, order, counts ---------------------------------------------------------


def test_rules_are_listed_in_evaluation_order() -> None:
    shuffled = list(reversed(default_rules()))
    engine = DecisionEngine(shuffled)
    assert [r.name for r in engine.rules] == [r.name for r in default_rules()]
    assert DecisionEngine([]).rules == ()


def test_ties_run_in_registration_order() -> None:
    first, second = StubRule("a", 2.0, close("a")), StubRule("b", 2.0, close("b"))
    assert evaluate(DecisionEngine([first, second]), snap()).rule == "a"
    first, second = StubRule("a", 2.0, close("a")), StubRule("b", 2.0, close("b"))
    assert evaluate(DecisionEngine([second, first]), snap()).rule == "b"


def test_register_replaces_a_rule_of_the_same_name() -> None:
    engine = DecisionEngine()
    engine.register_rule(TakeProfit(full=0.7))
    assert len(engine.rules) == 12
    assert evaluate(engine, snap(upl_pct=0.7)).rule == "take_profit_full"
    assert [r.name for r in engine.rules][4] == "take_profit"


def test_dte_roll_gives_way_to_the_gamma_and_time_rules_registered_by_name() -> None:
    engine = DecisionEngine()
    gamma = {"dte": 13, "net_gamma": 0.08}
    assert evaluate(engine, snap(**gamma)).rule == "dte_roll"
    engine.register_rule(GammaRisk(max_gamma=0.05))
    assert evaluate(engine, snap(**gamma)).rule == "gamma_risk"
    engine.register_rule(TimeExit(dte=3))
    assert evaluate(engine, snap(dte=3)).rule == "time_exit"
    roll = next(r for r in engine.rules if isinstance(r, DTERoll))
    assert [r.name for r in roll.yield_to] == ["gamma_risk", "time_exit"]
    assert all(y is next(r for r in engine.rules if r.name == y.name) for y in roll.yield_to)
    # registered before the rules it names, it is bound once they arrive
    late = DecisionEngine([DTERoll()])
    late.register_rule(TimeExit(dte=3))
    assert evaluate(late, snap(dte=3)).rule == "time_exit"


def test_register_keeps_the_place_of_a_replaced_rule_among_ties() -> None:
    a, b = StubRule("a", 3.0, close("a")), StubRule("b", 3.0, close("b"))
    engine = DecisionEngine([a, b])
    engine.register_rule(StubRule("a", 3.0, close("a2")))
    assert [r.name for r in engine.rules] == ["a", "b"]
    assert evaluate(engine, snap()).rule == "a2"


@pytest.mark.parametrize("priority", [0.99, 12.01, 0, -1, float("nan"), float("inf"), True, "2"])
def test_priority_outside_1_to_12_is_refused(priority: Any) -> None:
    engine = DecisionEngine([])
    with pytest.raises(ValidationError, match=r"stub.priority: expected a number in \[1, 12\]"):
        engine.register_rule(StubRule("stub", priority))
    assert engine.rules == ()


def test_rule_without_a_name_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"rule\.name: expected a non-empty str"):
        DecisionEngine([StubRule("", 2.0)])


def test_trigger_counts_count_decisions_won_per_rule() -> None:
    engine = DecisionEngine()
    for upl in (0.9, 0.6, 0.1, 0.85):
        evaluate(engine, snap(upl_pct=upl))
    evaluate(engine, snap(dte=1))
    counts = engine.trigger_counts
    assert list(counts) == [r.name for r in engine.rules]
    # 0.1 after a 0.9 peak is a trailing stop; dte 1 with upl unknown is time_exit
    assert {name: n for name, n in counts.items() if n} == {
        "trailing_stop": 1,
        "take_profit": 3,
        "time_exit": 1,
    }


# -- rule errors are skipped and counted -------------------------------------------------


def test_a_raising_rule_is_skipped_logged_and_counted(caplog: pytest.LogCaptureFixture) -> None:
    boom = StubRule("boom", 1.0, error=RuntimeError("feed down"))
    later = StubRule("later", 5.0, close("later"))
    engine = DecisionEngine([boom, later])
    with caplog.at_level(logging.ERROR, logger="alertkit.rules.engine"):
        assert evaluate(engine, snap(strategy_id=42)).rule == "later"
        assert evaluate(engine, snap(strategy_id=42)).rule == "later"
    assert engine.error_counts == {"boom": 2, "later": 0}
    assert engine.trigger_counts == {"boom": 0, "later": 2}
    assert [r.getMessage() for r in caplog.records] == [
        "rule boom failed on strategy_id=42; skipped"
    ] * 2
    assert caplog.records[0].exc_info is not None


def test_a_rule_returning_something_else_counts_as_an_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    engine = DecisionEngine([StubRule("odd", 1.0, result="close")])
    with caplog.at_level(logging.ERROR, logger="alertkit.rules.engine"):
        assert evaluate(engine, snap()) == Decision.hold()
    assert engine.error_counts == {"odd": 1}


def test_hold_from_a_rule_passes_to_the_next() -> None:
    holder = StubRule("holder", 1.0, Decision.hold())
    engine = DecisionEngine([holder, StubRule("closer", 2.0, close("closer"))])
    assert evaluate(engine, snap()).rule == "closer"
    assert engine.trigger_counts == {"holder": 0, "closer": 1}


def test_a_protocol_rule_decision_is_stamped_with_its_engine_rule() -> None:
    decision = evaluate(DecisionEngine([StubRule("mine", 2.5, close("my_trigger"))]), snap())
    assert (decision.rule, decision.engine_rule, decision.priority) == ("my_trigger", "mine", 2.5)


# -- snapshot forms and market data ------------------------------------------------------


def test_model_dict_and_polars_row_give_the_same_decision() -> None:
    values = snap(upl_pct=0.6, expiry=date(2026, 2, 9), dte=None)
    model = PositionSnapshot(**values)
    row = pl.DataFrame([values]).row(0, named=True)
    decisions = [evaluate(DecisionEngine(), s) for s in (model, values, row)]
    assert decisions[0] == decisions[1] == decisions[2]
    assert decisions[0].rule == "take_profit_partial"


def test_upl_pct_and_dte_are_derived_when_missing() -> None:
    decision = evaluate(
        DecisionEngine(),
        snap(dte=None, expiry=date(2026, 1, 6), entry_price=200.0, unrealized_pnl=170.0),
    )
    assert decision.rule == "take_profit_full"
    assert decision.metadata["upl_pct"] == 0.85
    assert evaluate(DecisionEngine(), snap(dte=None, expiry=date(2026, 1, 6))).rule == "time_exit"


@pytest.mark.parametrize(
    ("market_data", "expected"),
    [
        ({"1h_change": -0.031}, "catastrophe_drop"),
        ({"iv_change_percent": 0.51}, "catastrophe_iv_spike"),
        ({"vix": 35.5}, "vix_level"),
        ({"vix": 30.0, "vix_entry": 24.0}, "vix_change"),
        ({"iv_percentile": 0.25}, "iv_percentile_exit"),
        ({"portfolio_delta": -0.31}, "delta_risk_portfolio"),
        ({"delta_per_symbol": {"SPY": 0.31, "QQQ": 0.0}}, "delta_risk_symbol"),
        ({"delta_per_symbol": {"QQQ": 0.9}}, "none"),
        ({"iv_change_since_entry": -0.3}, "iv_crush"),
        ({"underlying_change_1h": -0.05}, "catastrophe_drop"),
        ({"vix": None}, "none"),
        ({}, "none"),
    ],
)
def test_market_data_keys_map_onto_snapshot_columns(
    market_data: dict[str, Any], expected: str
) -> None:
    assert trigger(snap(upl_pct=0.25), market_data) == expected


def test_market_data_overrides_the_snapshot_but_none_does_not() -> None:
    assert trigger(snap(vix=36.0), {"vix": 20.0}) == "none"
    assert trigger(snap(vix=36.0), {"vix": None}) == "vix_level"


@pytest.mark.parametrize(
    ("market_data", "message"),
    [
        ({"iv_percentile": 25.0}, r"iv_percentile: expected a fraction 0-1 .* got 25.0"),
        ({"iv_percentile": 1.01}, "iv_percentile: expected a fraction 0-1"),
        ({"iv_percentile": -0.01}, "iv_percentile: expected a fraction 0-1"),
        ({"1h_change": -3.5}, r"underlying_change_1h: expected a fraction with \|x\| < 1"),
        ({"1h_change": 1.0}, "underlying_change_1h: expected a fraction"),
        ({"1h_change": -1.0}, "underlying_change_1h: expected a fraction"),
        ({"vix_level": 30.0}, r"market_data: unknown keys \['vix_level'\]"),
        ({"vix_entry": 20.0, "vix_at_entry": 21.0}, "'vix_entry' and 'vix_at_entry' both give"),
        ({"delta_per_symbol": 0.2}, "expected a {symbol: delta} dict"),
        ({"vix": "high"}, "vix: expected a number or None, got 'high'"),
        ({"vix": True}, "vix: expected a number or None, got True"),
    ],
)
def test_bad_market_data_is_a_clear_error(market_data: dict[str, Any], message: str) -> None:
    engine = DecisionEngine()
    with pytest.raises(ValidationError, match=message):
        evaluate(engine, snap(upl_pct=0.5), market_data)
    assert engine.peak(1) is None  # refused before the peak or any rule saw it


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"iv_percentile": 30.0}, "iv_percentile: expected a fraction 0-1"),
        ({"underlying_change_1h": -2.0}, "underlying_change_1h: expected a fraction"),
        ({"strategy_type": "Iron Condor"}, "strategy_type: expected one of"),
        ({"dte": 21.0}, "dte: expected an int or None, got 21.0"),
        ({"as_of": "2026-01-05"}, "as_of: expected a datetime"),
    ],
)
def test_bad_snapshot_values_are_a_clear_error(values: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        evaluate(DecisionEngine(), snap(**values))


@pytest.mark.parametrize(
    ("market_data", "expected"),
    [
        ({"iv_percentile": 1.0}, "none"),
        ({"iv_percentile": 0.0}, "iv_percentile_exit"),
        ({"1h_change": 0.99}, "none"),
        ({"1h_change": -0.99}, "catastrophe_drop"),
    ],
)
def test_unit_bounds_accept_their_edges(market_data: dict[str, Any], expected: str) -> None:
    assert trigger(snap(upl_pct=0.25), market_data) == expected


def test_missing_and_null_inputs_never_fire_and_never_raise() -> None:
    engine = DecisionEngine()
    for snapshot in (
        {},
        {"strategy_id": None},
        snap(upl_pct=None, dte=None),
        {"vix": float("nan")},
    ):
        assert evaluate(engine, snapshot) == Decision.hold()
    assert set(engine.error_counts.values()) == {0}


# -- trailing-stop peak state -------------------------------------------------------------


def test_trailing_stop_across_a_sequence_of_snapshots() -> None:
    engine = DecisionEngine()
    bars = [
        (snap(upl_pct=0.10), "none", 0.10),
        (snap(upl_pct=0.45), "none", 0.45),
        # a crash bar: catastrophe wins, and the peak still moves up to 0.55 first
        (snap(upl_pct=0.55, underlying_change_1h=-0.05), "catastrophe_drop", 0.55),
        (snap(upl_pct=None), "none", 0.55),
        (snap(upl_pct=0.30), "none", 0.55),
        (snap(upl_pct=0.23), "none", 0.55),
        (snap(upl_pct=0.22), "trailing_stop", 0.55),  # 0.4 * 0.55 = 0.22000000000000003
        (snap(upl_pct=0.35), "none", 0.55),
    ]
    seen = []
    for i, (snapshot, _, _) in enumerate(bars):
        snapshot["as_of"] = T0 + timedelta(minutes=i)
        decision = evaluate(engine, snapshot)
        seen.append((decision.rule, engine.peak(1)))
    assert seen == [(rule, peak) for _, rule, peak in bars]
    fired = evaluate(engine, snap(upl_pct=0.1))
    assert fired.metadata == {
        "upl_pct": 0.1,
        "peak_upl_pct": 0.55,
        "stop_level": 0.4 * 0.55,
        "activation": 0.4,
        "keep_ratio": 0.4,
    }


def test_peaks_are_per_strategy_and_resettable() -> None:
    engine = DecisionEngine()
    evaluate(engine, snap(strategy_id=1, upl_pct=0.6))
    evaluate(engine, snap(strategy_id=2, upl_pct=0.5))
    assert evaluate(engine, snap(strategy_id=2, upl_pct=0.1)).rule == "trailing_stop"
    assert (engine.peak(1), engine.peak(2), engine.peak(3)) == (0.6, 0.5, None)
    engine.reset_peaks(1)  # position 1 closed
    assert (engine.peak(1), engine.peak(2)) == (None, 0.5)
    assert evaluate(engine, snap(strategy_id=1, upl_pct=0.1)).rule == "none"
    assert engine.peak(1) == 0.1
    engine.reset_peaks()
    assert (engine.peak(1), engine.peak(2)) == (None, None)
    engine.reset_peaks(99)  # unknown ids are fine


def test_the_first_observed_value_starts_the_peak_even_when_negative() -> None:
    engine = DecisionEngine()
    evaluate(engine, snap(upl_pct=-0.2))
    assert engine.peak(1) == -0.2
    evaluate(engine, snap(upl_pct=-0.3))
    assert engine.peak(1) == -0.2


def test_a_close_decision_does_not_reset_the_peak() -> None:
    engine = DecisionEngine()
    evaluate(engine, snap(upl_pct=0.5))
    assert evaluate(engine, snap(upl_pct=0.1)).rule == "trailing_stop"
    # the position is still reported open a minute later: same peak, same advice
    assert evaluate(engine, snap(upl_pct=0.1)).rule == "trailing_stop"
    assert engine.peak(1) == 0.5


def test_a_snapshot_without_strategy_id_has_no_history() -> None:
    engine = DecisionEngine()
    evaluate(engine, snap(strategy_id=None, upl_pct=0.9))
    assert evaluate(engine, snap(strategy_id=None, upl_pct=0.1)).rule == "none"
    assert engine.peak(1) is None


def test_the_engine_ignores_a_peak_passed_in_the_snapshot() -> None:
    assert trigger(snap(upl_pct=0.1, peak_upl_pct=0.9)) == "none"


# -- alerts --------------------------------------------------------------------------------


def test_close_immediate_writes_a_critical_alert(manager: AlertManager) -> None:
    async def main() -> tuple[Decision, list[Any], int]:
        await manager.initialize()
        engine = DecisionEngine(alert_manager=manager)
        decision = await engine.evaluate(snap(upl_pct=-2.5, strategy_id=7, symbol="QQQ"))
        return decision, await manager.query_alerts(AlertQuery()), await manager.get_alert_count()

    decision, alerts, count = asyncio.run(main())
    assert (decision.rule, decision.urgency) == ("stop_loss_hard", Urgency.IMMEDIATE)
    assert count == 1
    (alert,) = alerts
    assert (alert.type, alert.severity) == (AlertType.CRITICAL, AlertSeverity.IMMEDIATE)
    assert (alert.rule, alert.engine_rule, alert.rule_priority) == (
        "stop_loss_hard",
        "stop_loss",
        3.0,
    )
    assert (alert.symbol, alert.strategy_id, alert.created_at) == ("QQQ", 7, T0)
    assert alert.title == "Close position: stop_loss_hard"
    assert alert.message == "Stop loss: P&L -250.0% at or below -200%"
    assert alert.metadata == {"upl_pct": -2.5, "threshold": -2.0}


def test_hold_writes_nothing(manager: AlertManager) -> None:
    async def main() -> tuple[Decision, int]:
        await manager.initialize()
        engine = DecisionEngine(alert_manager=manager)
        return await engine.evaluate(snap(upl_pct=0.1)), await manager.get_alert_count()

    assert asyncio.run(main()) == (Decision.hold(), 0)


def test_unchanged_position_every_minute_is_one_alert_with_ten_occurrences(
    manager: AlertManager,
) -> None:
    async def main() -> list[Any]:
        await manager.initialize()
        engine = DecisionEngine(alert_manager=manager)
        for minute in range(10):
            await engine.evaluate(snap(upl_pct=0.6, as_of=T0 + timedelta(minutes=minute)))
        return await manager.query_alerts(AlertQuery())

    (alert,) = asyncio.run(main())
    assert (alert.rule, alert.occurrences) == ("take_profit_partial", 10)
    assert (alert.type, alert.severity) == (AlertType.INFO, AlertSeverity.NORMAL)
    assert (alert.created_at, alert.last_seen_at) == (T0, T0 + timedelta(minutes=9))


def test_escalation_to_another_trigger_is_a_second_alert(manager: AlertManager) -> None:
    async def main() -> list[Any]:
        await manager.initialize()
        engine = DecisionEngine(alert_manager=manager)
        await engine.evaluate(snap(upl_pct=0.6))
        await engine.evaluate(snap(upl_pct=0.85, as_of=T0 + timedelta(minutes=1)))
        return await manager.query_alerts(AlertQuery())

    alerts = asyncio.run(main())
    assert sorted((a.rule, a.occurrences) for a in alerts) == [
        ("take_profit_full", 1),
        ("take_profit_partial", 1),
    ]


def test_an_alert_that_cannot_be_written_is_not_dropped_silently(manager: AlertManager) -> None:
    engine = DecisionEngine(alert_manager=manager)  # table never initialised
    with pytest.raises(AlertWriteError) as caught:
        evaluate(engine, snap(dte=1, strategy_id=5))
    err = caught.value
    assert isinstance(err.__cause__, TableNotFoundError)
    assert (err.decision.rule, err.decision.action) == ("time_exit", DecisionAction.CLOSE)
    assert err.snapshot["strategy_id"] == 5
    assert str(err) == (
        "decision time_exit (close) for strategy_id 5 was taken, but its alert could not be written"
    )
    assert engine.trigger_counts["time_exit"] == 1


def test_a_failing_sink_surfaces_for_any_error_type() -> None:
    class BrokenSink:
        async def create_alert(self, decision: Decision, snapshot: Any = None) -> None:
            raise StoreError("disk full")

    engine = DecisionEngine([TimeExit()], alert_manager=BrokenSink())
    with pytest.raises(AlertWriteError) as caught:
        evaluate(engine, snap(dte=0))
    assert str(caught.value.__cause__) == "disk full"
    assert evaluate(engine, snap(dte=5)) == Decision.hold()  # HOLD never reaches the sink
