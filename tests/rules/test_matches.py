"""Per-rule match columns: each rule on its own, and the first match by priority on top of
them equal to the single first-match expression (the engine's order)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
from _histories import histories
from hypothesis import HealthCheck, given, settings

from alertkit.model.snapshot_rows import ROW_SCHEMA, SnapshotRow
from alertkit.model.snapshot_schema import SNAPSHOT_SCHEMA
from alertkit.rules import TakeProfit, TimeExit, default_rules, first_match_expr
from alertkit.rules.vectorized import (
    ALL_MATCHES,
    DECISION_COLUMNS,
    decide_matched,
    evaluate_frame,
    match_column,
    match_exprs,
    match_frame,
    matched_trigger_expr,
    ordered_rules,
    with_all_matches,
)

T0 = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
RULES = default_rules()


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories())
def test_match_columns_are_each_rule_on_its_own_and_decide_as_first_match(
    history: pl.DataFrame,
) -> None:
    matched = match_frame(history, RULES)
    ordered = ordered_rules(RULES)
    for named in matched.iter_rows(named=True):
        row = SnapshotRow({name: named[name] for name in ROW_SCHEMA})
        for rule in ordered:
            index = named[match_column(rule.name)]
            trigger = rule.match(row)
            assert (None if index is None else rule.triggers[index].id) == (
                None if trigger is None else trigger.id
            )
    # The first match from the columns equals the one-expression first match of before.
    decided = decide_matched(matched, RULES).select(DECISION_COLUMNS)
    reference = matched.select(first_match_expr(RULES).alias("d")).unnest("d")
    assert decided.equals(reference)
    assert evaluate_frame(history, RULES).select(DECISION_COLUMNS).equals(reference)
    only = matched.select(matched_trigger_expr(RULES, ["take_profit", "dte_roll"]))
    expected = decided.select(
        pl.when(pl.col("engine_rule").is_in(["take_profit", "dte_roll"])).then("trigger")
    )
    assert only.to_series().equals(expected.to_series(), check_names=False)


def test_one_recomputed_column_decides_as_a_full_evaluation() -> None:
    frame = pl.DataFrame(
        [
            {"as_of": T0, "strategy_id": 1, "upl_pct": 0.75, "dte": 30},
            {"as_of": T0 + timedelta(minutes=5), "strategy_id": 1, "upl_pct": 0.6, "dte": 1},
        ],
        schema=SNAPSHOT_SCHEMA,
    )
    matched = match_frame(frame, RULES)
    assert matched.select(match_column("take_profit"), match_column("time_exit")).rows() == [
        (1, None),
        (1, 0),
    ]
    rules = [TakeProfit(full=0.7) if r.name == "take_profit" else r for r in RULES]
    again = matched.with_columns(match_exprs([TakeProfit(full=0.7)]))
    assert decide_matched(again, rules)["trigger"].to_list() == [
        "take_profit_full",
        "take_profit_partial",
    ]
    assert (
        decide_matched(again, rules)
        .drop([match_column(r.name) for r in RULES])
        .equals(evaluate_frame(frame, rules))
    )


def test_all_matches_column_and_its_edges() -> None:
    frame = pl.DataFrame(
        [
            {"as_of": T0, "strategy_id": 1, "upl_pct": 0.9, "dte": 1},
            {"as_of": T0, "strategy_id": 2, "upl_pct": 0.1, "dte": 40},
        ],
        schema=SNAPSHOT_SCHEMA,
    )
    out = with_all_matches(match_frame(frame, RULES), RULES)
    # dte 1: the roll gives way to time_exit, so it does not match
    assert out[ALL_MATCHES].to_list() == [["take_profit_full", "time_exit"], []]
    lazy = with_all_matches(match_frame(frame.lazy(), [TimeExit()]), [TimeExit()])
    assert isinstance(lazy, pl.LazyFrame)
    assert lazy.collect()[ALL_MATCHES].to_list() == [["time_exit"], []]
    assert with_all_matches(frame, [])[ALL_MATCHES].to_list() == [[], []]
