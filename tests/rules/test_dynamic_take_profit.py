"""dynamic_take_profit: a take-profit target per VIX regime, alike in the engine, over frames
and in live cycles.

The boundaries are worked out by hand from the regimes (``[15, 25)`` is normal, and so on,
alertkit/rules/regimes.py) and the seed's targets (90 %, 80 %, 50 %, 40 %); the engine and
``evaluate_frame`` must both give exactly them.
"""

from __future__ import annotations

import json
import math
from dataclasses import fields
from datetime import timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from test_vectorized import FRAME_SCHEMA, ROW, T0, around, floats, replay

from alertkit import DecisionAction, SyncAlertManager, Urgency, ValidationError
from alertkit.backtest import run_backtest, synthetic_history
from alertkit.backtest.sweep import with_threshold
from alertkit.model.snapshot_frames import normalize_frame
from alertkit.rules import (
    DynamicTakeProfit,
    Rule,
    decision_from_row,
    default_rules,
    evaluate_frame,
    peak_upl_expr,
)
from alertkit.rules.compile_polars import to_polars
from alertkit.rules.compile_row import evaluate
from alertkit.rules.regimes import regime_names, vix_regime

RULE = DynamicTakeProfit()


def with_dynamic(rule: Rule = RULE) -> list[Rule]:
    """The twelve default rules with the fixed take_profit replaced by ``rule``."""
    return [rule if r.name == "take_profit" else r for r in default_rules()]


def decide_both(rows: list[dict[str, Any]], rules: list[Rule]) -> list[Any]:
    """Each row's decision from a fresh engine and from ``evaluate_frame``; asserts they agree."""
    full = [
        {**{n: row.get(n) for n in FRAME_SCHEMA}, "as_of": T0 + timedelta(minutes=i)}
        for i, row in enumerate(rows)
    ]
    frame = evaluate_frame(pl.DataFrame(full, schema=FRAME_SCHEMA), rules)
    by_frame = [decision_from_row(row, rules) for row in frame.iter_rows(named=True)]
    by_engine = [decision for decision, _ in replay(full, rules)]
    assert by_frame == by_engine
    return by_engine


# -- the declaration ----------------------------------------------------------------------


def test_one_target_field_per_regime_with_the_seeds_defaults() -> None:
    own = [f.name for f in fields(DynamicTakeProfit) if f.init]
    assert own == ["name", "priority", *regime_names()]
    assert RULE.targets == {
        "low_volatility": 0.90,
        "normal": 0.80,
        "high_volatility": 0.50,
        "crash": 0.40,
    }
    assert (RULE.name, RULE.priority, RULE.trigger_ids) == (
        "dynamic_take_profit",
        2.1,
        ("dynamic_take_profit",),
    )


def test_it_is_opt_in_and_the_default_rules_stay_the_twelve() -> None:
    names = [rule.name for rule in default_rules()]
    assert len(names) == 12
    assert "dynamic_take_profit" not in names
    swapped = [rule.name for rule in with_dynamic()]
    assert swapped == [*names[:4], "dynamic_take_profit", *names[5:]]


# -- exact boundaries, per regime ---------------------------------------------------------

# (vix, upl_pct, the regime and target it fires with, or None where it must not fire)
BOUNDARIES = [
    (10.0, 0.90, ("low_volatility", 0.90)),
    (14.999, 0.90, ("low_volatility", 0.90)),
    (14.999, 0.8999, None),  # 80 % is not enough in a calm market
    (14.999, math.nextafter(0.90, 0), None),
    (15.0, 0.80, ("normal", 0.80)),  # 15 is normal: [15, 25)
    (15.0, 0.7999, None),
    (24.999, 0.80, ("normal", 0.80)),
    (24.999, 0.7999, None),
    (24.999, math.nextafter(0.80, 0), None),
    (24.999, 0.5, None),  # the high-volatility target does not apply below 25
    (25.0, 0.50, ("high_volatility", 0.50)),  # 25 is high volatility: [25, 35)
    (25.0, 0.4999, None),
    (34.999, 0.50, ("high_volatility", 0.50)),
    (34.999, math.nextafter(0.50, 0), None),
    (34.999, 0.45, None),
    (35.0, 0.40, ("crash", 0.40)),  # 35 is a crash: [35, inf)
    (35.0, 0.3999, None),
    (80.0, 0.40, ("crash", 0.40)),
    (80.0, math.nextafter(0.40, 0), None),
    (80.0, 3.0, ("crash", 0.40)),
]


@pytest.mark.parametrize(("vix", "upl", "fires"), BOUNDARIES)
def test_each_regimes_target_is_inclusive_and_its_buckets_bounds_are_exact(
    vix: float, upl: float, fires: tuple[str, float] | None
) -> None:
    row = {"strategy_id": 1, "strategy_type": "iron_condor", "upl_pct": upl, "vix": vix}
    [decision] = decide_both([row], [RULE])
    if fires is None:
        assert decision.action is DecisionAction.HOLD
        return
    regime, threshold = fires
    assert decision.action is DecisionAction.CLOSE
    assert decision.urgency is Urgency.NORMAL
    assert (decision.rule, decision.engine_rule, decision.priority) == (
        "dynamic_take_profit",
        "dynamic_take_profit",
        2.1,
    )
    assert decision.metadata == {
        "upl_pct": upl,
        "vix": vix,
        "regime": regime,
        "threshold": threshold,
    }


def test_the_reason_names_the_regime_target_and_vix() -> None:
    [decision] = decide_both([{"strategy_id": 1, "upl_pct": 0.52, "vix": 27.0}], [RULE])
    assert decision.reason == (
        "Take profit at 52.0% reached the 50% target for high_volatility (VIX 27.00)"
    )


@pytest.mark.parametrize("vix", [None, math.nan, "missing"])
def test_without_a_vix_it_never_fires(vix: Any) -> None:
    row: dict[str, Any] = {"strategy_id": 1, "upl_pct": 5.0}  # far above every target
    if vix != "missing":
        row["vix"] = vix
    assert decide_both([row], [RULE])[0].action is DecisionAction.HOLD
    assert RULE.decide(row) is None


def test_without_a_upl_pct_it_never_fires() -> None:
    rows = [{"strategy_id": 1, "vix": 40.0}, {"strategy_id": 2, "vix": 20.0, "upl_pct": None}]
    assert [d.action for d in decide_both(rows, [RULE])] == [DecisionAction.HOLD] * 2


def test_targets_are_parameters() -> None:
    rule = DynamicTakeProfit(normal=0.7, crash=0.25)
    rows = [
        {"strategy_id": 1, "upl_pct": 0.70, "vix": 20.0},
        {"strategy_id": 2, "upl_pct": 0.6999, "vix": 20.0},
        {"strategy_id": 3, "upl_pct": 0.25, "vix": 35.0},
        {"strategy_id": 4, "upl_pct": 0.50, "vix": 30.0},  # untouched default: 50 %
        {"strategy_id": 5, "upl_pct": 0.8999, "vix": 12.0},  # untouched default: 90 %
    ]
    got = [d.metadata.get("threshold") for d in decide_both(rows, [rule])]
    assert got == [0.7, None, 0.25, 0.5, None]
    assert DynamicTakeProfit.from_targets({"normal": 0.7, "crash": 0.25}) == rule
    assert DynamicTakeProfit(low_volatility=10).targets["low_volatility"] == 10.0  # (0, 10]


def test_a_target_can_be_swept_like_any_threshold() -> None:
    swept = with_threshold(with_dynamic(), "dynamic_take_profit", "normal", 0.6)
    [rule] = [r for r in swept if r.name == "dynamic_take_profit"]
    assert isinstance(rule, DynamicTakeProfit)
    assert rule.targets == {**RULE.targets, "normal": 0.6}


# -- thresholds refused ---------------------------------------------------------------------

PROFIT = "expected a fraction of the premium in (0, 10] (0.8 = 80 %)"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: DynamicTakeProfit(normal=80),
            f"dynamic_take_profit.normal: {PROFIT}, got 80.0 (80 looks like percent: pass 0.8)",
        ),
        (lambda: DynamicTakeProfit(crash=0), f"dynamic_take_profit.crash: {PROFIT}, got 0.0"),
        (
            lambda: DynamicTakeProfit(high_volatility=-0.5),
            f"dynamic_take_profit.high_volatility: {PROFIT}, got -0.5",
        ),
        (
            lambda: DynamicTakeProfit(low_volatility=10.5),
            f"dynamic_take_profit.low_volatility: {PROFIT}, got 10.5"
            " (10.5 looks like percent: pass 0.105)",
        ),
        (
            lambda: DynamicTakeProfit(normal=True),
            "dynamic_take_profit.normal: expected a number, got True",
        ),
        (
            lambda: DynamicTakeProfit(crash=math.nan),
            "dynamic_take_profit.crash: expected a finite number, got nan",
        ),
        (
            lambda: DynamicTakeProfit.from_targets({"crash": 40}),
            f"dynamic_take_profit.crash: {PROFIT}, got 40.0 (40 looks like percent: pass 0.4)",
        ),
        (
            lambda: DynamicTakeProfit.from_targets({"panic": 0.3, "normal": 0.7, "calm": 0.9}),
            "targets: expected regimes among low_volatility, normal, high_volatility, crash,"
            " got ['calm', 'panic']",
        ),
    ],
)
def test_a_bad_target_or_regime_is_refused_naming_it(make: Any, message: str) -> None:
    with pytest.raises(ValidationError) as refused:
        make()
    assert str(refused.value) == message


# -- engine == vectorized, as a property ----------------------------------------------------

TARGET_VALUES = [0.25, 0.4, 0.5, 0.8, 0.9, 2.0]
TARGETS = st.fixed_dictionaries(
    {regime: st.sampled_from(TARGET_VALUES) for regime in regime_names()}
)
VIX = floats([*around(15.0, 25.0, 35.0), 14.999, 24.999, 34.999, 10.0], 1.0, 60.0)
UPL = floats([*around(*TARGET_VALUES), 0.7999, 0.0], -1.0, 3.0)
# The shared snapshot strategy of test_vectorized, with VIX and P&L at this rule's edges.
DYNAMIC_ROW = st.tuples(ROW, VIX, UPL).map(lambda t: {**t[0], "vix": t[1], "upl_pct": t[2]})


def agreement(rows: list[dict[str, Any]], rules: list[Rule], seed: int) -> None:
    """The engine replaying ``rows`` in order and ``evaluate_frame`` on them shuffled agree on
    every row's decision (reason and metadata included) and decision columns."""
    for i, row in enumerate(rows):
        row["as_of"] = T0 + timedelta(minutes=i)
    frame = pl.DataFrame(rows, schema=FRAME_SCHEMA)
    shuffled = frame.sample(fraction=1.0, shuffle=True, seed=seed)
    out = evaluate_frame(shuffled, rules).sort("as_of")
    for (decision, peak), got in zip(replay(rows, rules), out.iter_rows(named=True), strict=True):
        assert decision_from_row(got, rules) == decision, got
        assert got["trigger"] == (None if decision.rule == "none" else decision.rule)
        assert (got["action"], got["urgency"]) == (decision.action.value, decision.urgency.value)
        assert got["peak_upl_pct"] == peak


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(DYNAMIC_ROW, min_size=5, max_size=40), TARGETS, st.integers(0, 2**32 - 1))
@example(
    [
        {"strategy_id": 1, "upl_pct": 0.9, "vix": 14.999},
        {"strategy_id": 2, "upl_pct": 0.8, "vix": 15.0},
        {"strategy_id": 3, "upl_pct": 0.5, "vix": 25.0},
        {"strategy_id": 3, "upl_pct": 0.4, "vix": 35.0},
        {"strategy_id": 1, "upl_pct": 0.4999, "vix": math.nan},
    ],
    {"low_volatility": 0.9, "normal": 0.8, "high_volatility": 0.5, "crash": 0.4},
    3,
)
def test_the_engine_per_row_equals_it_vectorized(
    rows: list[dict[str, Any]], targets: dict[str, float], seed: int
) -> None:
    rule = DynamicTakeProfit(**targets)
    full = [{name: row.get(name) for name in FRAME_SCHEMA} for row in rows]
    agreement([dict(row) for row in full], [rule], seed)  # alone: it decides every row it can
    agreement(full, with_dynamic(rule), seed)  # among the other eleven


@settings(max_examples=60, deadline=None)
@given(st.lists(DYNAMIC_ROW, min_size=1, max_size=30), TARGETS)
def test_its_condition_and_metadata_agree_row_by_row(
    rows: list[dict[str, Any]], targets: dict[str, float]
) -> None:
    """Not only where it wins: the condition, the regime and the target are the same per row
    and as polars on every row, and the regime is the one regimes.vix_regime gives."""
    [trigger] = DynamicTakeProfit(**targets).triggers
    exprs = {"fires": trigger.when, **trigger.metadata}
    frame = pl.DataFrame(
        [{**{n: r.get(n) for n in FRAME_SCHEMA}, "as_of": T0} for r in rows], schema=FRAME_SCHEMA
    )
    normal = normalize_frame(frame).with_columns(peak_upl_expr(None)).collect()
    by_frame = normal.select(to_polars(e).alias(name) for name, e in exprs.items())
    for row, got in zip(normal.iter_rows(named=True), by_frame.iter_rows(named=True), strict=True):
        assert {name: evaluate(e, row) for name, e in exprs.items()} == got
        regime = vix_regime(row["vix"])
        assert got["regime"] == regime
        assert got["threshold"] == (None if regime is None else targets[regime])


# -- in a backtest and in live cycles -------------------------------------------------------

COMPARED = ["rule", "strategy_id", "symbol", "created_at", "occurrences", "last_seen_at"]
COMPARED += ["resolved_at", "status", "severity", "title", "message", "metadata"]


def test_a_backtest_with_it_instead_of_take_profit_runs_alike_in_both_modes() -> None:
    rules = with_dynamic()
    history = synthetic_history(8, seed=1)
    vectorized = run_backtest(history, rules=rules, progress=False).alerts
    engine = run_backtest(history, rules=rules, mode="engine", progress=False).alerts
    assert vectorized.equals(engine)
    assert not vectorized["rule"].str.starts_with("take_profit").any()
    ours = vectorized.filter(pl.col("rule") == "dynamic_take_profit")
    assert ours.height == 3
    for metadata in ours["metadata"]:
        meta = json.loads(metadata)
        assert meta["regime"] == vix_regime(meta["vix"])
        assert meta["threshold"] == RULE.targets[meta["regime"]]
        assert meta["upl_pct"] >= meta["threshold"]
    # Two took profit at the 50 % target in the history's stressed stretch (VIX 25-35), at
    # 51.9 % and 68.7 %, where the fixed target waits for 80 %.
    assert sorted(json.loads(m)["regime"] for m in ours["metadata"]) == [
        "high_volatility",
        "high_volatility",
        "normal",
    ]


@pytest.mark.parametrize("quiet", [None, timedelta(hours=4)])
def test_live_cycles_raise_the_alerts_the_backtest_does(
    tmp_path: Path, quiet: timedelta | None
) -> None:
    """The monitoring cycle over a history, one instant at a time into an empty lake, leaves
    the alerts run_backtest computes for it, as tests/live/test_cycle.py holds for the
    default rules."""
    rules = with_dynamic()
    history = synthetic_history(8, seed=1)
    fired = run_backtest(history, rules=rules, progress=False).alerts.filter(
        pl.col("rule") == "dynamic_take_profit"
    )
    # The positions it fired on, from 12 hours before to a day after: 29 instants (cycles)
    # where it fires, repeats and resolves.
    window = pl.col("as_of").is_between(
        pl.col("created_at") - timedelta(hours=12), pl.col("created_at") + timedelta(days=1)
    )
    history = (
        history.join(fired.select("strategy_id", "created_at"), on="strategy_id")
        .filter(window)
        .drop("created_at")
    )
    expected = run_backtest(history, rules=rules, quiet_period=quiet, progress=False).alerts
    ours = expected.filter(pl.col("rule") == "dynamic_take_profit")
    assert ours.select("strategy_id", "occurrences", "status").rows() == [
        (3, 2, "resolved"),
        (2, 13, "resolved"),
        (5, 1, "active"),
    ]

    manager = SyncAlertManager(str(tmp_path / "lake"), maintain_every=0)
    manager.initialize()
    for _, instant in history.sort("as_of").group_by("as_of", maintain_order=True):
        manager.run_cycle(instant, rules=rules, quiet_period=quiet, complete=True)
    live = manager.read_board().sort(COMPARED[:4]).select(COMPARED)
    assert live.equals(expected.sort(COMPARED[:4]).select(COMPARED))
