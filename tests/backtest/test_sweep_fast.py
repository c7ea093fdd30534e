"""The sweep evaluates the unchanged rules once: its figures equal a full backtest per setting.

The reference here is the sweep as it was before issue 24, a full ``run_backtest`` per
setting, written out again so the two are compared on the same histories.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import polars as pl
import pytest
from _histories import QUIET, histories
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alertkit.backtest import run_backtest, sweep, synthetic_history
from alertkit.backtest.outcomes import USD_DECIMALS
from alertkit.backtest.sweep import SWEEP_SCHEMA, SweptHistory, with_threshold
from alertkit.rules import Rule, default_rules


def reference_sweep(
    history: pl.DataFrame,
    rule: str,
    parameter: str,
    values: list[float],
    *,
    quiet_period: timedelta | None = None,
    by_trigger: bool = False,
    rules: list[Rule] | None = None,
) -> pl.DataFrame:
    """A full backtest per setting, counted as the sweep counts (its code before issue 24)."""
    base = default_rules() if rules is None else rules
    rows: list[dict[str, Any]] = []
    for value in values:
        result = run_backtest(
            history,
            rules=with_threshold(base, rule, parameter, value),
            quiet_period=quiet_period,
            progress=False,
        )
        own = result.outcomes.filter(pl.col("engine_rule") == rule)
        swept = next(r for r in result.rules if r.name == rule)
        groups = [(t.id, own.filter(pl.col("trigger") == t.id)) for t in swept.triggers]
        for trigger, alerts in groups if by_trigger else [(None, own)]:
            rows.append(
                {
                    "rule": rule,
                    "parameter": parameter,
                    "value": float(value),
                    **({} if trigger is None else {"trigger": trigger}),
                    "alerts": alerts.height,
                    "repeats": int((alerts["occurrences"] - 1).sum()),
                    "positions": alerts["strategy_id"].n_unique(),
                    "mean_benefit_usd": alerts["benefit_of_acting"].mean(),
                    "median_benefit_usd": alerts["benefit_of_acting"].median(),
                }
            )
    schema = dict(SWEEP_SCHEMA)
    if by_trigger:
        schema = {**dict(list(schema.items())[:3]), "trigger": pl.String(), **schema}
    return pl.DataFrame(rows, schema=schema).with_columns(
        pl.col("mean_benefit_usd", "median_benefit_usd").round(USD_DECIMALS)
    )


SYNTHETIC = synthetic_history(40, seed=11)

CASES = [
    ("take_profit", "full", [0.55, 0.6, 0.7, 0.8, 0.9, 1.2]),
    ("take_profit", "partial", [0.3, 0.45, 0.5]),
    ("trailing_stop", "keep_ratio", [0.2, 0.4, 0.6]),
    ("time_exit", "dte", [0, 1, 3, 7]),  # moves where dte_roll gives way: two rules change
    ("gamma_risk", "max_gamma", [0.05, 0.1, 0.2]),
    ("vix_exit", "level", [25.0, 30.0, 35.0]),
]


@pytest.mark.parametrize(("rule", "parameter", "values"), CASES)
@pytest.mark.parametrize("quiet", [None, timedelta(hours=4)])
def test_sweep_equals_a_full_backtest_per_setting(
    rule: str, parameter: str, values: list[float], quiet: timedelta | None
) -> None:
    for by_trigger in (False, True):
        fast = sweep(
            SYNTHETIC,
            rule,
            parameter,
            values,
            quiet_period=quiet,
            by_trigger=by_trigger,
            progress=False,
        )
        slow = reference_sweep(
            SYNTHETIC, rule, parameter, values, quiet_period=quiet, by_trigger=by_trigger
        )
        assert fast.equals(slow), (fast, slow)
        assert fast["alerts"].sum() > 0 or rule == "gamma_risk"


def test_swept_outcomes_and_backtests_equal_run_backtest_frame_for_frame() -> None:
    swept = SweptHistory(SYNTHETIC, quiet_period=timedelta(hours=2))
    for changes in ([], [("take_profit", "full", 0.6)], [("time_exit", "dte", 3)]):
        rules = swept.with_threshold(changes)
        full = run_backtest(SYNTHETIC, rules=rules, quiet_period=timedelta(hours=2), progress=False)
        fast = swept.backtest(rules)
        assert fast.decisions.equals(full.decisions)
        assert fast.alerts.equals(full.alerts)
        assert fast.outcomes.equals(full.outcomes)
        only = ["take_profit", "dte_roll", "time_exit"]
        expected = full.outcomes.filter(pl.col("engine_rule").is_in(only))
        assert swept.outcomes(rules, only).equals(expected)
        assert expected.height > 0


def test_two_thresholds_at_once_and_a_rule_the_baseline_lacks() -> None:
    swept = SweptHistory(SYNTHETIC, default_rules()[:-1])  # no time_exit in the baseline
    rules = swept.with_threshold([("take_profit", "full", 0.7), ("stop_loss", "hard", -1.0)])
    full = run_backtest(SYNTHETIC, rules=rules, progress=False)
    assert swept.backtest(rules).alerts.equals(full.alerts)
    with_time_exit = [*rules, default_rules()[-1]]
    full = run_backtest(SYNTHETIC, rules=with_time_exit, progress=False)
    assert swept.backtest(with_time_exit).alerts.equals(full.alerts)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    histories(),
    st.sampled_from(QUIET),
    st.sampled_from(CASES),
)
def test_sweep_equals_full_backtests_on_generated_histories(
    history: pl.DataFrame,
    quiet: timedelta | None,
    case: tuple[str, str, list[float]],
) -> None:
    rule, parameter, values = case
    fast = sweep(history, rule, parameter, values, quiet_period=quiet, progress=False)
    assert fast.equals(reference_sweep(history, rule, parameter, values, quiet_period=quiet))
    swept = SweptHistory(history, quiet_period=quiet)
    rules = swept.with_threshold([(rule, parameter, values[0])])
    full = run_backtest(history, rules=rules, quiet_period=quiet, progress=False)
    assert swept.backtest(rules).alerts.equals(full.alerts)
