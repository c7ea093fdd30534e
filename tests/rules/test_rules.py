"""The twelve rules of docs/domain.md §4 at their boundaries, one rule at a time."""

from __future__ import annotations

import asyncio
import math
from typing import Any

import pytest

from alertkit import Decision, DecisionAction, Urgency, ValidationError
from alertkit.rules import (
    CatastropheProtection,
    DeltaRisk,
    DTERoll,
    GammaRisk,
    IVCrush,
    IVPercentileExit,
    Rule,
    SingleLegExit,
    StopLoss,
    TakeProfit,
    TimeExit,
    TrailingStop,
    VIXExit,
    default_rules,
)


def up(x: float) -> float:
    """The next float above ``x``: just past an inclusive or strict bound."""
    return math.nextafter(x, math.inf)


def down(x: float) -> float:
    return math.nextafter(x, -math.inf)


def fired(rule: Rule, **row: Any) -> str | None:
    decision = rule.decide(row)
    return None if decision is None else decision.rule


IC = "iron_condor"

BOUNDARIES: list[tuple[Rule, dict[str, Any], str | None]] = [
    # catastrophe_protection: underlying_change_1h < -0.03, else iv_change_1h > 0.50
    (CatastropheProtection(), {"underlying_change_1h": -0.03}, None),
    (CatastropheProtection(), {"underlying_change_1h": down(-0.03)}, "catastrophe_drop"),
    (CatastropheProtection(), {"underlying_change_1h": up(-0.03)}, None),
    (CatastropheProtection(), {"underlying_change_1h": -0.5}, "catastrophe_drop"),
    (CatastropheProtection(), {"underlying_change_1h": None}, None),
    (CatastropheProtection(), {"iv_change_1h": 0.50}, None),
    (CatastropheProtection(), {"iv_change_1h": up(0.50)}, "catastrophe_iv_spike"),
    (CatastropheProtection(), {"iv_change_1h": down(0.50)}, None),
    (CatastropheProtection(), {"iv_change_1h": None}, None),
    (
        CatastropheProtection(),
        {"underlying_change_1h": -0.04, "iv_change_1h": 0.9},
        "catastrophe_drop",
    ),
    (
        CatastropheProtection(),
        {"underlying_change_1h": None, "iv_change_1h": 0.9},
        "catastrophe_iv_spike",
    ),
    # single_leg_exit: single legs only; upl >= 0.80, else upl <= -0.50, else dte <= 21
    (SingleLegExit(), {"strategy_type": "long_call", "upl_pct": 0.80, "dte": 30}, "single_leg_tp"),
    (SingleLegExit(), {"strategy_type": "long_put", "upl_pct": down(0.80), "dte": 30}, None),
    (SingleLegExit(), {"strategy_type": "short_put", "upl_pct": -0.50, "dte": 30}, "single_leg_sl"),
    (SingleLegExit(), {"strategy_type": "short_call", "upl_pct": up(-0.50), "dte": 30}, None),
    (SingleLegExit(), {"strategy_type": "long_call", "dte": 21}, "single_leg_dte"),
    (SingleLegExit(), {"strategy_type": "long_call", "dte": 22}, None),
    (SingleLegExit(), {"strategy_type": "long_call", "upl_pct": 0.9, "dte": 5}, "single_leg_tp"),
    (SingleLegExit(), {"strategy_type": "long_call", "upl_pct": -0.9, "dte": 5}, "single_leg_sl"),
    (SingleLegExit(), {"strategy_type": "long_call", "upl_pct": None, "dte": None}, None),
    (SingleLegExit(), {"strategy_type": IC, "upl_pct": 0.9, "dte": 5}, None),
    (SingleLegExit(), {"strategy_type": "strangle", "upl_pct": -0.9, "dte": 5}, None),
    (SingleLegExit(), {"strategy_type": None, "upl_pct": 0.9, "dte": 5}, None),
    # trailing_stop: peak >= 0.40 and upl <= 0.40 * peak (0.40 * 0.5 is exactly 0.2)
    (TrailingStop(), {"peak_upl_pct": 0.5, "upl_pct": 0.2}, "trailing_stop"),
    (TrailingStop(), {"peak_upl_pct": 0.5, "upl_pct": up(0.2)}, None),
    (TrailingStop(), {"peak_upl_pct": 0.5, "upl_pct": -0.3}, "trailing_stop"),
    (TrailingStop(), {"peak_upl_pct": 0.40, "upl_pct": 0.0}, "trailing_stop"),
    (TrailingStop(), {"peak_upl_pct": down(0.40), "upl_pct": 0.0}, None),
    (TrailingStop(), {"peak_upl_pct": None, "upl_pct": 0.0}, None),
    (TrailingStop(), {"peak_upl_pct": 0.5, "upl_pct": None}, None),
    (TrailingStop(), {"upl_pct": 0.0}, None),
    # vix_exit: vix > 35, else vix - vix_at_entry > 5
    (VIXExit(), {"vix": 35.0}, None),
    (VIXExit(), {"vix": up(35.0)}, "vix_level"),
    (VIXExit(), {"vix": None, "vix_at_entry": 10.0}, None),
    (VIXExit(), {"vix": 30.0, "vix_at_entry": 25.0}, None),
    (VIXExit(), {"vix": up(30.0), "vix_at_entry": 25.0}, "vix_change"),
    (VIXExit(), {"vix": 30.0, "vix_at_entry": down(25.0)}, "vix_change"),
    (VIXExit(), {"vix": 30.0, "vix_at_entry": None}, None),
    (VIXExit(), {"vix": 40.0, "vix_at_entry": 20.0}, "vix_level"),
    # take_profit: upl >= 0.80 full, else upl >= 0.50 partial
    (TakeProfit(), {"upl_pct": 0.80}, "take_profit_full"),
    (TakeProfit(), {"upl_pct": down(0.80)}, "take_profit_partial"),
    (TakeProfit(), {"upl_pct": 0.50}, "take_profit_partial"),
    (TakeProfit(), {"upl_pct": down(0.50)}, None),
    (TakeProfit(), {"upl_pct": None}, None),
    (TakeProfit(full=0.7), {"upl_pct": 0.7}, "take_profit_full"),
    (TakeProfit(full=0.7), {"upl_pct": down(0.7)}, "take_profit_partial"),
    # stop_loss: upl <= -2.00 hard, else dte < 7 and upl <= -0.50
    (StopLoss(), {"upl_pct": -2.00, "dte": 30}, "stop_loss_hard"),
    (StopLoss(), {"upl_pct": up(-2.00), "dte": 30}, None),
    (StopLoss(), {"upl_pct": -2.5, "dte": None}, "stop_loss_hard"),
    (StopLoss(), {"upl_pct": -0.50, "dte": 6}, "stop_loss_accelerated"),
    (StopLoss(), {"upl_pct": -0.50, "dte": 7}, None),
    (StopLoss(), {"upl_pct": up(-0.50), "dte": 6}, None),
    (StopLoss(), {"upl_pct": -0.9, "dte": None}, None),
    (StopLoss(), {"upl_pct": None, "dte": 0}, None),
    # delta_risk: |portfolio_delta| > limit, else |symbol_delta| > limit; limit by type
    (DeltaRisk(), {"strategy_type": IC, "portfolio_delta": 0.30}, None),
    (DeltaRisk(), {"strategy_type": IC, "portfolio_delta": up(0.30)}, "delta_risk_portfolio"),
    (DeltaRisk(), {"strategy_type": IC, "portfolio_delta": down(-0.30)}, "delta_risk_portfolio"),
    (DeltaRisk(), {"strategy_type": IC, "portfolio_delta": -0.30}, None),
    (DeltaRisk(), {"strategy_type": "vertical_spread", "portfolio_delta": 0.40}, None),
    (
        DeltaRisk(),
        {"strategy_type": "vertical_spread", "portfolio_delta": up(0.40)},
        "delta_risk_portfolio",
    ),
    (
        DeltaRisk(),
        {"strategy_type": "calendar_spread", "portfolio_delta": up(0.40)},
        "delta_risk_portfolio",
    ),
    (DeltaRisk(), {"strategy_type": "calendar_spread", "portfolio_delta": 0.35}, None),
    (DeltaRisk(), {"strategy_type": "butterfly", "portfolio_delta": 9.0}, None),
    (DeltaRisk(), {"strategy_type": "strangle", "symbol_delta": 9.0}, None),
    (DeltaRisk(), {"strategy_type": "custom", "portfolio_delta": 9.0}, None),
    (DeltaRisk(), {"strategy_type": "long_call", "portfolio_delta": 9.0}, None),
    (DeltaRisk(), {"strategy_type": None, "portfolio_delta": 9.0}, None),
    (
        DeltaRisk(),
        {"strategy_type": IC, "portfolio_delta": None, "symbol_delta": up(0.30)},
        "delta_risk_symbol",
    ),
    (
        DeltaRisk(),
        {"strategy_type": IC, "portfolio_delta": 0.1, "symbol_delta": -0.31},
        "delta_risk_symbol",
    ),
    (DeltaRisk(), {"strategy_type": IC, "portfolio_delta": 0.1, "symbol_delta": 0.30}, None),
    (DeltaRisk(), {"strategy_type": "vertical_spread", "symbol_delta": 0.35}, None),
    (
        DeltaRisk(),
        {"strategy_type": IC, "portfolio_delta": 0.5, "symbol_delta": 0.5},
        "delta_risk_portfolio",
    ),
    # iv_crush: iv_change_since_entry <= -0.30 and upl >= 0.20
    (IVCrush(), {"iv_change_since_entry": -0.30, "upl_pct": 0.20}, "iv_crush"),
    (IVCrush(), {"iv_change_since_entry": up(-0.30), "upl_pct": 0.20}, None),
    (IVCrush(), {"iv_change_since_entry": -0.30, "upl_pct": down(0.20)}, None),
    (IVCrush(), {"iv_change_since_entry": None, "upl_pct": 0.5}, None),
    (IVCrush(), {"iv_change_since_entry": -0.5, "upl_pct": None}, None),
    # iv_percentile_exit: iv_percentile < 0.30 and upl >= 0.20
    (IVPercentileExit(), {"iv_percentile": 0.30, "upl_pct": 0.20}, None),
    (IVPercentileExit(), {"iv_percentile": down(0.30), "upl_pct": 0.20}, "iv_percentile_exit"),
    (IVPercentileExit(), {"iv_percentile": 0.0, "upl_pct": down(0.20)}, None),
    (IVPercentileExit(), {"iv_percentile": None, "upl_pct": 0.5}, None),
    (IVPercentileExit(), {"iv_percentile": 0.1, "upl_pct": None}, None),
    # dte_roll: dte <= 25 unless gamma_risk or time_exit would fire
    (DTERoll(), {"dte": 26}, None),
    (DTERoll(), {"dte": 25}, "dte_roll"),
    (DTERoll(), {"dte": 2}, "dte_roll"),
    (DTERoll(), {"dte": 1}, None),
    (DTERoll(), {"dte": -2}, None),
    (DTERoll(), {"dte": 13, "net_gamma": up(0.10)}, None),
    (DTERoll(), {"dte": 13, "net_gamma": 0.10}, "dte_roll"),
    (DTERoll(), {"dte": 14, "net_gamma": 0.5}, "dte_roll"),
    (DTERoll(), {"dte": None}, None),
    (DTERoll(yield_to=()), {"dte": 1}, "dte_roll"),
    (DTERoll(yield_to=(TimeExit(dte=3),)), {"dte": 3}, None),
    (DTERoll(yield_to=(TimeExit(dte=3),)), {"dte": 4}, "dte_roll"),
    # gamma_risk: |net_gamma| > 0.10 and dte < 14
    (GammaRisk(), {"net_gamma": 0.10, "dte": 13}, None),
    (GammaRisk(), {"net_gamma": up(0.10), "dte": 13}, "gamma_risk"),
    (GammaRisk(), {"net_gamma": down(-0.10), "dte": 13}, "gamma_risk"),
    (GammaRisk(), {"net_gamma": 0.5, "dte": 14}, None),
    (GammaRisk(), {"net_gamma": None, "dte": 0}, None),
    (GammaRisk(), {"net_gamma": 0.5, "dte": None}, None),
    # time_exit: dte <= 1
    (TimeExit(), {"dte": 1}, "time_exit"),
    (TimeExit(), {"dte": 2}, None),
    (TimeExit(), {"dte": 0}, "time_exit"),
    (TimeExit(), {"dte": -3}, "time_exit"),
    (TimeExit(), {"dte": None}, None),
]


@pytest.mark.parametrize(
    ("rule", "row", "expected"),
    BOUNDARIES,
    ids=[f"{r.name}-{i}" for i, (r, _, _) in enumerate(BOUNDARIES)],
)
def test_rule_boundary(rule: Rule, row: dict[str, Any], expected: str | None) -> None:
    assert fired(rule, **row) == expected


def test_every_rule_is_silent_on_an_empty_snapshot() -> None:
    for rule in default_rules():
        assert rule.decide({}) is None


TRIGGERS = {
    "catastrophe_drop": (DecisionAction.CLOSE, Urgency.IMMEDIATE),
    "catastrophe_iv_spike": (DecisionAction.CLOSE, Urgency.IMMEDIATE),
    "single_leg_tp": (DecisionAction.CLOSE, Urgency.NORMAL),
    "single_leg_sl": (DecisionAction.CLOSE, Urgency.HIGH),
    "single_leg_dte": (DecisionAction.CLOSE, Urgency.NORMAL),
    "trailing_stop": (DecisionAction.CLOSE, Urgency.NORMAL),
    "vix_level": (DecisionAction.CLOSE, Urgency.HIGH),
    "vix_change": (DecisionAction.CLOSE, Urgency.HIGH),
    "take_profit_full": (DecisionAction.CLOSE, Urgency.NORMAL),
    "take_profit_partial": (DecisionAction.REDUCE, Urgency.NORMAL),
    "stop_loss_hard": (DecisionAction.CLOSE, Urgency.IMMEDIATE),
    "stop_loss_accelerated": (DecisionAction.CLOSE, Urgency.IMMEDIATE),
    "delta_risk_portfolio": (DecisionAction.CLOSE, Urgency.HIGH),
    "delta_risk_symbol": (DecisionAction.CLOSE, Urgency.HIGH),
    "iv_crush": (DecisionAction.CLOSE, Urgency.NORMAL),
    "iv_percentile_exit": (DecisionAction.CLOSE, Urgency.NORMAL),
    "gamma_risk": (DecisionAction.CLOSE, Urgency.HIGH),
    "time_exit": (DecisionAction.CLOSE, Urgency.IMMEDIATE),
}


def test_default_rules_names_priorities_and_trigger_order() -> None:
    assert [(r.name, r.priority, r.trigger_ids) for r in default_rules()] == [
        ("catastrophe_protection", 1.0, ("catastrophe_drop", "catastrophe_iv_spike")),
        ("single_leg_exit", 1.3, ("single_leg_tp", "single_leg_sl", "single_leg_dte")),
        ("trailing_stop", 1.4, ("trailing_stop",)),
        ("vix_exit", 1.5, ("vix_level", "vix_change")),
        ("take_profit", 2.0, ("take_profit_full", "take_profit_partial")),
        ("stop_loss", 3.0, ("stop_loss_hard", "stop_loss_accelerated")),
        ("delta_risk", 4.0, ("delta_risk_portfolio", "delta_risk_symbol")),
        ("iv_crush", 5.0, ("iv_crush",)),
        ("iv_percentile_exit", 5.5, ("iv_percentile_exit",)),
        ("dte_roll", 6.0, ("dte_roll",)),
        ("gamma_risk", 7.0, ("gamma_risk",)),
        ("time_exit", 8.0, ("time_exit",)),
    ]


def test_default_dte_roll_yields_to_the_listed_gamma_and_time_rules() -> None:
    rules = default_rules()
    roll = rules[9]
    assert isinstance(roll, DTERoll)
    assert roll.yield_to[0] is rules[10]
    assert roll.yield_to[1] is rules[11]


@pytest.mark.parametrize(("trigger_id", "expected"), sorted(TRIGGERS.items()))
def test_trigger_action_and_urgency(
    trigger_id: str, expected: tuple[DecisionAction, Urgency]
) -> None:
    (trigger,) = [t for r in default_rules() for t in r.triggers if t.id == trigger_id]
    assert (trigger.action, trigger.urgency) == expected


@pytest.mark.parametrize(
    ("dte", "urgency", "forced"),
    [(25, Urgency.NORMAL, False), (22, Urgency.NORMAL, False), (21, Urgency.HIGH, True)],
)
def test_dte_roll_is_forced_at_21(dte: int, urgency: Urgency, forced: bool) -> None:
    decision = DTERoll().decide({"dte": dte})
    assert decision == Decision(
        DecisionAction.ROLL,
        f"Roll to 45 DTE: {dte} DTE at or below 25 (forced at 21)",
        "dte_roll",
        urgency,
        {
            "dte": dte,
            "threshold": 25,
            "force_threshold": 21,
            "forced": forced,
            "roll_to_dte": 45,
        },
        engine_rule="dte_roll",
        priority=6.0,
    )


@pytest.mark.parametrize(
    ("rule", "row", "reason", "metadata"),
    [
        (
            TakeProfit(),
            {"upl_pct": 0.6},
            "Partial take profit: P&L 60.0% reached 50%; close 50%",
            {"upl_pct": 0.6, "threshold": 0.5, "close_ratio": 0.5},
        ),
        (
            CatastropheProtection(),
            {"underlying_change_1h": -0.04},
            "Underlying moved -4.00% in the last hour (below -3.00%)",
            {"underlying_change_1h": -0.04, "threshold": -0.03},
        ),
        (
            VIXExit(),
            {"vix": 31.5, "vix_at_entry": 25.0},
            "VIX rose +6.50 points since entry (above 5.00)",
            {"vix": 31.5, "vix_at_entry": 25.0, "vix_change": 6.5, "threshold": 5.0},
        ),
        (
            TrailingStop(),
            {"peak_upl_pct": 0.5, "upl_pct": 0.15},
            "Trailing stop: P&L 15.0% fell to 40% of peak 50.0% (stop at 20.0%)",
            {
                "upl_pct": 0.15,
                "peak_upl_pct": 0.5,
                "stop_level": 0.2,
                "activation": 0.4,
                "keep_ratio": 0.4,
            },
        ),
        (
            DeltaRisk(),
            {"strategy_type": "vertical_spread", "symbol": "QQQ", "symbol_delta": -0.5},
            "QQQ delta -0.50 beyond ±0.40 for vertical_spread",
            {
                "strategy_type": "vertical_spread",
                "symbol": "QQQ",
                "symbol_delta": -0.5,
                "limit": 0.4,
            },
        ),
        (
            StopLoss(),
            {"upl_pct": -0.75, "dte": 3},
            "Accelerated stop loss: P&L -75.0% at or below -50% with 3 DTE (under 7)",
            {"upl_pct": -0.75, "dte": 3, "threshold": -0.5, "dte_threshold": 7},
        ),
        (
            GammaRisk(),
            {"net_gamma": -0.15, "dte": 10},
            "Gamma -0.150 beyond ±0.10 with 10 DTE (under 14)",
            {"net_gamma": -0.15, "dte": 10, "threshold": 0.1, "dte_threshold": 14},
        ),
    ],
)
def test_reason_and_metadata_name_inputs_and_thresholds(
    rule: Rule, row: dict[str, Any], reason: str, metadata: dict[str, Any]
) -> None:
    decision = rule.decide(row)
    assert decision is not None
    assert (decision.reason, decision.metadata) == (reason, metadata)
    assert (decision.engine_rule, decision.priority) == (rule.name, rule.priority)


def test_decision_for_builds_the_same_decision_as_decide() -> None:
    rule = TakeProfit()
    row = {"upl_pct": 0.9}
    assert rule.decision_for("take_profit_full", row) == rule.decide(row)
    with pytest.raises(ValidationError, match="take_profit_full, take_profit_partial"):
        rule.decision_for("take_profit_half", row)


def test_decision_for_prints_unknown_inputs_as_na() -> None:
    decision = TakeProfit().decision_for("take_profit_full", {})
    assert decision.reason == "Take profit: P&L n/a reached the 80% target"
    assert decision.metadata == {"upl_pct": None, "threshold": 0.8}


def test_evaluate_is_the_async_decide_with_market_data() -> None:
    rule = VIXExit()
    decision = asyncio.run(rule.evaluate({"vix": 20.0}, {"vix": 36.0}))
    assert decision is not None
    assert (decision.rule, decision.metadata["vix"]) == ("vix_level", 36.0)
    assert asyncio.run(rule.evaluate({"vix": 20.0})) is None


def test_thresholds_are_fields_with_a_readable_repr() -> None:
    assert repr(TakeProfit(full=0.7)) == (
        "TakeProfit(name='take_profit', priority=2.0, full=0.7, partial=0.5, close_ratio=0.5)"
    )
    assert TakeProfit(full=0.7) == TakeProfit(full=0.7)
    assert TakeProfit(full=0.7) != TakeProfit()
    assert TakeProfit(full=1).full == 1.0
    assert type(TakeProfit(full=1).full) is float
    assert DeltaRisk(limits={IC: 0.2}).limits == {IC: 0.2}
    assert (
        fired(DeltaRisk(limits={IC: 0.2}), strategy_type="vertical_spread", symbol_delta=9.0)
        is None
    )


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: TakeProfit(full=math.nan), "take_profit.full: expected a finite number"),
        (lambda: TakeProfit(full=True), "take_profit.full: expected a number, got True"),
        (lambda: TakeProfit(full="0.8"), "take_profit.full: expected a number, got '0.8'"),
        (lambda: TimeExit(dte=1.5), "time_exit.dte: expected an int, got 1.5"),
        (
            lambda: TakeProfit(priority=12.5),
            r"take_profit.priority: expected a number in \[1, 12\]",
        ),
        (lambda: TakeProfit(priority=0), r"take_profit.priority: expected a number in \[1, 12\]"),
        (lambda: TakeProfit(priority=math.nan), "priority: expected a number in"),
        (lambda: TakeProfit(name=""), "name: expected a non-empty str"),
        (lambda: DeltaRisk(limits={"condor": 0.3}), "unknown strategy type 'condor'"),
        (lambda: DeltaRisk(limits={IC: -0.3}), "expected a finite number >= 0, got -0.3"),
        (lambda: DTERoll(yield_to=("time_exit",)), "dte_roll.yield_to: expected Rule objects"),
    ],
)
def test_bad_thresholds_are_refused(build: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        build()


def test_priority_bounds_are_inclusive() -> None:
    assert TakeProfit(priority=1).priority == 1.0
    assert TakeProfit(priority=12).priority == 12.0


def test_a_renamed_rule_is_another_rule() -> None:
    aggressive = TakeProfit(name="take_profit_fast", priority=2.5, full=0.6)
    decision = aggressive.decide({"upl_pct": 0.6})
    assert decision is not None
    assert (decision.rule, decision.engine_rule, decision.priority) == (
        "take_profit_full",
        "take_profit_fast",
        2.5,
    )
