"""Priority shadowing: every rule that matched a decision, counted per rule and per pair."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
import pytest
from _histories import QUIET, histories
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alertkit import ValidationError
from alertkit.backtest import run_backtest, summarize_changes
from alertkit.backtest.shadowing import (
    PAIRS_SCHEMA,
    PER_RULE_SCHEMA,
    all_matches,
    shadowing,
    with_priorities,
)
from alertkit.model.snapshot_rows import ROW_SCHEMA, SnapshotRow
from alertkit.model.snapshot_schema import SNAPSHOT_SCHEMA
from alertkit.rules import bind_by_name, default_rules, in_order

T0 = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
HALF_HOUR = timedelta(minutes=30)


def snapshots(rows: list[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=SNAPSHOT_SCHEMA)


# Position 1, an iron condor at 30 DTE (no roll), then 1 DTE:
#   r1 upl 0.85, VIX 36: vix_exit (vix_level) and take_profit (full); vix_exit decides.
#   r2 upl 0.55: take_profit (partial) alone (peak 0.85, trailing stop at 0.34).
#   r3 upl 0.30, IV percentile 0.1: trailing_stop (0.30 <= 0.34) and iv_percentile_exit.
#   r4 upl 0.25, 1 DTE, IV percentile 0.1: trailing_stop, iv_percentile_exit and time_exit
#      (dte_roll gives way to time_exit, so it does not match).
# Position 2, a vertical spread at 20 DTE:
#   r5 portfolio delta 0.5 (> 0.40): delta_risk and dte_roll (forced); delta_risk decides.
#   r6 dte_roll alone.
P1 = {"strategy_id": 1, "symbol": "SPY", "strategy_type": "iron_condor", "vix": 20.0}
P2 = {"strategy_id": 2, "symbol": "QQQ", "strategy_type": "vertical_spread", "upl_pct": 0.1}
HISTORY = snapshots(
    [
        {**P1, "as_of": T0, "dte": 30, "upl_pct": 0.85, "vix": 36.0},
        {**P1, "as_of": T0 + HALF_HOUR, "dte": 30, "upl_pct": 0.55},
        {**P1, "as_of": T0 + 2 * HALF_HOUR, "dte": 30, "upl_pct": 0.30, "iv_percentile": 0.1},
        {**P1, "as_of": T0 + 3 * HALF_HOUR, "dte": 1, "upl_pct": 0.25, "iv_percentile": 0.1},
        {**P2, "as_of": T0, "dte": 20, "portfolio_delta": 0.5},
        {**P2, "as_of": T0 + HALF_HOUR, "dte": 20},
    ]
)


def test_all_matches_lists_every_rule_that_matched_in_engine_order() -> None:
    matches = all_matches(run_backtest(HISTORY, progress=False))
    # decisions are in (as_of, strategy_id) order: r1, r5, r2, r6, r3, r4
    assert matches.select("strategy_id", "trigger", "matched", "also_matched").rows() == [
        (1, "vix_level", ["vix_level", "take_profit_full"], ["take_profit_full"]),
        (2, "delta_risk_portfolio", ["delta_risk_portfolio", "dte_roll"], ["dte_roll"]),
        (1, "take_profit_partial", ["take_profit_partial"], []),
        (2, "dte_roll", ["dte_roll"], []),
        (1, "trailing_stop", ["trailing_stop", "iv_percentile_exit"], ["iv_percentile_exit"]),
        (
            1,
            "trailing_stop",
            ["trailing_stop", "iv_percentile_exit", "time_exit"],
            ["iv_percentile_exit", "time_exit"],
        ),
    ]


def test_shadowing_counts_by_hand() -> None:
    report = run_backtest(HISTORY, progress=False).shadowing()
    assert report.per_rule.schema == pl.Schema(PER_RULE_SCHEMA)
    assert report.per_rule.rows() == [
        ("catastrophe_protection", 1.0, 0, 0, 0, None),
        ("single_leg_exit", 1.3, 0, 0, 0, None),
        ("trailing_stop", 1.4, 2, 2, 0, 0.0),  # r3, r4
        ("vix_exit", 1.5, 1, 1, 0, 0.0),  # r1
        ("take_profit", 2.0, 2, 1, 1, 0.5),  # r1 (lost to vix_exit), r2
        ("stop_loss", 3.0, 0, 0, 0, None),
        ("delta_risk", 4.0, 1, 1, 0, 0.0),  # r5
        ("iv_crush", 5.0, 0, 0, 0, None),
        ("iv_percentile_exit", 5.5, 2, 0, 2, 1.0),  # r3, r4, both to trailing_stop
        ("dte_roll", 6.0, 2, 1, 1, 0.5),  # r5 (lost to delta_risk), r6
        ("gamma_risk", 7.0, 0, 0, 0, None),
        ("time_exit", 8.0, 1, 0, 1, 1.0),  # r4, to trailing_stop
    ]
    assert report.pairs.schema == pl.Schema(PAIRS_SCHEMA)
    assert report.pairs.rows() == [
        ("take_profit", "vix_exit", 1, 0.5),
        ("iv_percentile_exit", "trailing_stop", 2, 1.0),
        ("dte_roll", "delta_risk", 1, 0.5),
        ("time_exit", "trailing_stop", 1, 1.0),
    ]


def test_a_priority_change_adds_and_removes_alerts_by_the_alert_diff() -> None:
    result = run_backtest(HISTORY, progress=False)
    # iv_percentile_exit before trailing_stop (1.4): it decides r3 and r4 instead.
    changes = result.priority_change({"iv_percentile_exit": 1.35})
    assert changes.select("rule", "strategy_id", "change").rows() == [
        ("delta_risk_portfolio", 2, "same"),
        ("dte_roll", 2, "same"),
        ("iv_percentile_exit", 1, "added"),
        ("take_profit_partial", 1, "same"),
        ("trailing_stop", 1, "removed"),
        ("vix_level", 1, "same"),
    ]
    assert changes.filter(pl.col("change") == "added")["created_at_candidate"].to_list() == [
        T0 + 2 * HALF_HOUR
    ]
    counts = summarize_changes(changes)
    assert counts.filter(pl.col("rule") == "trailing_stop").row(0)[1:] == (0, 0, 0, 1, 0)
    assert result.priority_change({})["change"].unique().to_list() == ["same"]


def test_bad_priorities_and_results_without_rules_are_refused() -> None:
    result = run_backtest(HISTORY, progress=False)
    with pytest.raises(ValidationError, match=r"priorities: expected rule names among"):
        result.priority_change({"take_profits": 2.5})
    with pytest.raises(ValidationError, match=r"take_profit.priority: expected a number in"):
        with_priorities(default_rules(), {"take_profit": 13})
    bare = type(result)(
        decisions=result.decisions,
        alerts=result.alerts,
        outcomes=result.outcomes,
        mode="vectorized",
        quiet_period=None,
        rules=(),
    )
    with pytest.raises(ValidationError, match="rules: this result carries no rules"):
        bare.shadowing()
    assert shadowing(bare, rules=default_rules()).pairs.equals(result.shadowing().pairs)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories(), st.sampled_from(QUIET), st.booleans())
def test_shadowing_agrees_with_each_rule_evaluated_on_its_own(
    history: pl.DataFrame, quiet: timedelta | None, engine: bool
) -> None:
    result = run_backtest(
        history, quiet_period=quiet, mode="engine" if engine else "vectorized", progress=False
    )
    rules = in_order(bind_by_name(default_rules()))
    names = [rule.name for rule in rules]
    expected_lists = []
    matched = dict.fromkeys(names, 0)
    decided = dict.fromkeys(names, 0)
    pairs: dict[tuple[str, str], int] = {}
    for named in result.decisions.select(list(ROW_SCHEMA)).iter_rows(named=True):
        row = SnapshotRow(named)
        hits = [(rule.name, t.id) for rule in rules if (t := rule.match(row)) is not None]
        expected_lists.append([trigger for _, trigger in hits])
        for name, _ in hits:
            matched[name] += 1
        if hits:
            decided[hits[0][0]] += 1
            for name, _ in hits[1:]:
                pairs[(name, hits[0][0])] = pairs.get((name, hits[0][0]), 0) + 1
    got = all_matches(result)
    assert got["matched"].to_list() == expected_lists
    assert got["trigger"].to_list() == [lst[0] if lst else None for lst in expected_lists]
    report = shadowing(result)
    assert report.per_rule.select("engine_rule", "matched", "decided").rows() == [
        (name, matched[name], decided[name]) for name in names
    ]
    assert {(r, w): n for r, w, n, _ in report.pairs.rows()} == pairs
