"""The parameter sweep: one rule threshold, several settings, counts and outcomes per setting."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import polars as pl
import pytest
from _factories import condor_history

from alertkit import ValidationError
from alertkit.backtest import run_backtest, sweep, synthetic_history
from alertkit.backtest.sweep import SWEEP_SCHEMA, with_threshold
from alertkit.rules import DTERoll, GammaRisk, TakeProfit, TimeExit, default_rules

# upl_pct: position 1 0.10 0.60 0.75 0.70 0.30 | position 2 0.20 0.65 0.40 0.30 |
# position 3 0.90 0.85 0.30. All end at 300 USD.
PROFITS = condor_history(
    [{"unrealized_pnl": p} for p in (100.0, 600.0, 750.0, 700.0, 300.0)],
    [{"unrealized_pnl": p} for p in (200.0, 650.0, 400.0, 300.0)],
    [{"unrealized_pnl": p} for p in (900.0, 850.0, 300.0)],
)


def test_take_profit_targets() -> None:
    table = sweep(PROFITS, "take_profit", "full", [0.6, 0.7, 0.8, 0.95], progress=False)
    assert table.schema == pl.Schema(SWEEP_SCHEMA)
    assert table.rows() == [
        # full=0.6: full at 600, 750, 700 (p1), 650 (p2), 900, 850 (p3): three alerts, three
        # repeats; acting on each first firing instead of ending at 300: +300, +350, +600.
        ("take_profit", "full", 0.6, 3, 3, 3, 416.67, 350.0),  # 1250 / 3, to the cent
        # full=0.7: p1 partial at 600 then full at 750; p2 partial at 650; p3 full at 900.
        ("take_profit", "full", 0.7, 4, 2, 3, (300.0 + 450.0 + 350.0 + 600.0) / 4, 400.0),
        # full=0.8: p1 partial only (600, 750, 700); p2 partial; p3 full (900, 850).
        ("take_profit", "full", 0.8, 3, 3, 3, 416.67, 350.0),  # (300 + 350 + 600) / 3
        # full=0.95: partial everywhere, p3's partial at 900 and 850.
        ("take_profit", "full", 0.95, 3, 3, 3, 416.67, 350.0),  # (300 + 350 + 600) / 3
    ]


def test_counts_only_the_swept_rules_alerts_but_runs_every_rule() -> None:
    # Default trailing stop (40 % of the peak): p1 at 0.30 (peak 0.75) and p3 at 0.30 (peak
    # 0.90); p2 (peak 0.65, stop 0.26) never falls that far.
    alerts = run_backtest(PROFITS, progress=False).alerts
    assert alerts.filter(pl.col("rule") == "trailing_stop")["strategy_id"].to_list() == [3, 1]
    table = sweep(PROFITS, "trailing_stop", "keep_ratio", [0.3, 0.5], progress=False)
    # keep 0.3: stop levels 22.5 %, 19.5 %, 27 %: nothing at 30 %, 40 % or 30 %
    # keep 0.5: stop levels 37.5 % (p1 at 30 %), 32.5 % (p2 at 30 %), 45 % (p3 at 30 %).
    assert table.select("value", "alerts", "positions", "mean_benefit_usd").rows() == [
        (0.3, 0, 0, None),
        (0.5, 3, 3, 0.0),
    ]


def test_sweeping_time_exit_moves_where_the_roll_gives_way() -> None:
    # dte 2: with time_exit at dte <= 1 the roll fires; at dte <= 2, time_exit wins (the roll
    # gives way to the *new* time_exit object, though the roll runs first).
    history = condor_history([{"dte": 2, "unrealized_pnl": 0.0}])
    table = sweep(history, "time_exit", "dte", [1, 2], progress=False)
    assert table.select("value", "alerts").rows() == [(1.0, 0), (2.0, 1)]
    rolls = sweep(history, "dte_roll", "roll_dte", [1, 2], progress=False)
    assert rolls.select("value", "alerts").rows() == [(1.0, 0), (2.0, 1)]


def test_with_threshold_rebuilds_the_rules_that_yield_to_the_changed_one() -> None:
    rules = default_rules()
    swept = with_threshold(rules, "gamma_risk", "max_gamma", 0.05)
    gamma = next(r for r in swept if r.name == "gamma_risk")
    roll = next(r for r in swept if r.name == "dte_roll")
    assert isinstance(gamma, GammaRisk) and gamma.max_gamma == 0.05
    assert isinstance(roll, DTERoll)
    assert roll.yield_to[0] is gamma
    assert isinstance(roll.yield_to[1], TimeExit) and roll.yield_to[1] is rules[-1]
    assert [r.name for r in swept] == [r.name for r in rules]
    untouched = [a is b for a, b in zip(rules, swept, strict=True)]
    assert untouched.count(False) == 2  # gamma_risk and dte_roll
    full = with_threshold(rules, "take_profit", "full", 0.7)
    assert next(r for r in full if r.name == "take_profit") == TakeProfit(full=0.7)


@pytest.mark.parametrize(
    ("rule", "parameter", "value", "message"),
    [
        ("take_proft", "full", 0.7, "rule: expected one of"),
        ("take_profit", "fulll", 0.7, r"parameter: expected a numeric threshold of take_profit"),
        ("take_profit", "name", 0.7, "parameter: expected a numeric threshold"),
        ("delta_risk", "limits", 0.7, r"numeric threshold of delta_risk \(\)"),
        ("time_exit", "dte", 1.5, "time_exit.dte: expected a whole number, got 1.5"),
        ("take_profit", "full", True, "take_profit.full: expected a number, got True"),
    ],
)
def test_bad_sweeps_are_refused_before_running(
    rule: str, parameter: str, value: Any, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        sweep(PROFITS, rule, parameter, [value], progress=False)


def test_sweep_agrees_with_single_backtests() -> None:
    history = synthetic_history(20, seed=2)
    quiet = timedelta(hours=12)
    table = sweep(history, "iv_percentile_exit", "max_percentile", [0.2, 0.4],
                  quiet_period=quiet, progress=False)  # fmt: skip
    for row in table.iter_rows(named=True):
        rules = with_threshold(
            default_rules(), "iv_percentile_exit", "max_percentile", row["value"]
        )
        own = (
            run_backtest(history, rules=rules, quiet_period=quiet, progress=False)
            .summary()
            .filter(pl.col("engine_rule") == "iv_percentile_exit")
        )
        assert row["alerts"] == own["alerts"].sum()
        assert row["repeats"] == own["repeats"].sum()
    assert table["alerts"].to_list()[0] < table["alerts"].to_list()[1]
