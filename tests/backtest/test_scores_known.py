"""Scores of a hand-built history, worked out by hand below and written out literally.

Hourly snapshots on 2026-01-05 (UTC), 10:00-15:00; rules vix_exit, take_profit and dte_roll
only; a one-hour quiet period; ``upl_pct = unrealized_pnl / entry_price``; dte 30 unless
given (no roll), vix 20 unless given, vix_at_entry null (vix_change never fires).
Default adverse (drop 0.25, stop -2.00), horizon = lead_window = 2 h; contracts 2,
cost 1 USD per contract, slippage 1 % of entry_price per trade.

position 1, entry 1000 (vix_level, true alert, detects E1):
  10:00 0.10 | 11:00 0.20 vix 36: A1 opens | 12:00 0.10 vix 36 | 13:00 -0.10 vix 36
  | 14:00 -0.20 vix 36 | 15:00 0.05
  A1 (crash regime): adverse against 0.20 means upl <= -0.05: first at 13:00, exactly
  created_at + 2 h (inclusive): true, lead 2 h. Against the peak (0.20): 13:00 and 14:00
  are adverse: episode E1 13:00-14:00 (crash). A1 at 11:00 is in [11:00, 13:00): detects E1.
  A1 last fires 14:00, resolves 15:00 (quiet hour): reset 15:00 - 14:00 = 1 h.
  P&L: close, costs 1 x (2 x 1 + 0.01 x 1000) = 12; act 200 - 12 = 188; hold 50;
  act - hold = 138.
position 2, entry 500 (take_profit_partial, false alert, E2 undetected):
  10:00 0.30 | 11:00 0.55: A2 opens (reduce, close_ratio 0.5) | 12:00 0.45 | 13:00 0.40
  | 14:00 0.25 | 15:00 0.35
  A2 (normal): adverse against 0.55 is upl <= 0.30: first at 14:00, after 13:00: false.
  Peak 0.55: only 14:00 adverse: E2 (normal), first 14:00; no alert in [12:00, 14:00).
  A2 resolves 12:00 (not true: no reset). P&L: costs 0.5 x (2 + 0.01 x 500) = 3.5;
  act 0.5 x 275 + 0.5 x 175 - 3.5 = 221.5; hold 175; act - hold = 46.5.
position 3, entry 1000 (dte_roll, true alert, detects E3, never resolved):
  10:00 0.00 | 11:00 0.00 | 12:00 -0.10 dte 25: A3 opens (roll) | 13:00 -0.30 dte 25
  | 14:00 -0.40 dte 25 | 15:00 -0.50 dte 25
  A3 (normal): adverse against -0.10 is upl <= -0.35: first 14:00 = 12:00 + 2 h: true, lead
  2 h. Peak 0.00: 13:00-15:00 adverse: E3 (normal), first 13:00; A3 (12:00) detects it.
  A3 still open at the end: no reset. P&L: a roll is two trades: costs 2 x (2 + 10) = 24;
  act -100 - 24 = -124; hold -500; act - hold = 376.
position 4, entry 1000 (vix_level again, lead 1 h, reset 0):
  10:00 0.00 vix 36: A4 opens | 11:00 -0.30 | 12:00 0.00 (the position's last row)
  A4 (crash): adverse against 0.00 is upl <= -0.25: 11:00: true, lead 1 h. Peak 0.00:
  E4 = 11:00 (normal: vix 20 there), detected by A4 (10:00 in [09:00, 11:00)). A4 resolves
  at 11:00 (quiet hour): reset 11:00 - 11:00 = 0. P&L: 0 - 12 = -12; hold 0; -12.

Episodes: E1..E4 = 4. Per trigger, unsplit:
  vix_level: A1, A4 both true (1.0); detects E1, E4 (2/4 = 0.5); leads [2, 1]: linear
    quartiles 1.25, 1.5, 1.75; resets [1, 0]: median 0.5; act - hold [138, -12]:
    mean 63, total 126; costs 24.
  take_profit_partial: 0/1 true (0.0); detects 0/4; no leads or resets; 46.5; costs 3.5.
  dte_roll: 1/1 (1.0); detects E3: 1/4 = 0.25; lead 2; no reset; 376; costs 24.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl
import pytest

from alertkit.backtest import BacktestResult, run_backtest
from alertkit.backtest.scores import REFERENCE, SCORES_SCHEMA, adverse_move
from alertkit.model.snapshot_schema import SNAPSHOT_SCHEMA
from alertkit.rules import DTERoll, TakeProfit, VIXExit

DAY = datetime(2026, 1, 5, tzinfo=UTC)
HOUR = timedelta(hours=1)
ENTRY = {1: 1000.0, 2: 500.0, 3: 1000.0, 4: 1000.0}
UNSPLIT = [c for c in SCORES_SCHEMA if c != "regime"]


def snap(hour: int, sid: int, upl: float, **values: Any) -> dict[str, Any]:
    return {
        "as_of": DAY.replace(hour=hour),
        "strategy_id": sid,
        "symbol": "SPY",
        "strategy_type": "iron_condor",
        "expiry": date(2026, 2, 20),
        "dte": 30,
        "entry_price": ENTRY[sid],
        "unrealized_pnl": upl * ENTRY[sid],
        "vix": 20.0,
        **values,
    }


HISTORY = pl.DataFrame(
    [
        snap(10, 1, 0.10),
        snap(11, 1, 0.20, vix=36.0),
        snap(12, 1, 0.10, vix=36.0),
        snap(13, 1, -0.10, vix=36.0),
        snap(14, 1, -0.20, vix=36.0),
        snap(15, 1, 0.05),
        snap(10, 2, 0.30),
        snap(11, 2, 0.55),
        snap(12, 2, 0.45),
        snap(13, 2, 0.40),
        snap(14, 2, 0.25),
        snap(15, 2, 0.35),
        snap(10, 3, 0.00),
        snap(11, 3, 0.00),
        snap(12, 3, -0.10, dte=25),
        snap(13, 3, -0.30, dte=25),
        snap(14, 3, -0.40, dte=25),
        snap(15, 3, -0.50, dte=25),
        snap(10, 4, 0.00, vix=36.0),
        snap(11, 4, -0.30),
        snap(12, 4, 0.00),
    ],
    schema=SNAPSHOT_SCHEMA,
)
COSTS = {"horizon": 2 * HOUR, "contracts": 2, "cost_per_contract": 1.0, "slippage": 0.01}

# engine_rule, trigger, alerts, true, precision, episodes, detected, recall,
# lead q1, median, q3 (h), median reset (h), mean / total act - hold, costs (USD)
EXPECTED = [
    ("vix_exit", "vix_level", 2, 2, 1.0, 4, 2, 0.5,
     1.25, 1.5, 1.75, 0.5, 63.0, 126.0, 24.0),
    ("take_profit", "take_profit_partial", 1, 0, 0.0, 4, 0, 0.0,
     None, None, None, None, 46.5, 46.5, 3.5),
    ("dte_roll", "dte_roll", 1, 1, 1.0, 4, 1, 0.25,
     2.0, 2.0, 2.0, None, 376.0, 376.0, 24.0),
]  # fmt: skip


@pytest.fixture(scope="module")
def result() -> BacktestResult:
    rules = [VIXExit(), TakeProfit(), DTERoll()]
    return run_backtest(HISTORY, rules=rules, quiet_period=HOUR, progress=False)


def test_the_alerts_are_the_ones_worked_out(result: BacktestResult) -> None:
    alerts = result.alerts.sort("strategy_id").select("rule", "strategy_id", "resolved_at")
    assert alerts.rows() == [
        ("vix_level", 1, DAY.replace(hour=15)),
        ("take_profit_partial", 2, DAY.replace(hour=12)),
        ("dte_roll", 3, None),
        ("vix_level", 4, DAY.replace(hour=11)),
    ]


def test_scores_per_trigger(result: BacktestResult) -> None:
    table = result.scores(**COSTS)
    assert table.columns == UNSPLIT
    assert table.rows() == EXPECTED


def test_scores_by_vix_regime(result: BacktestResult) -> None:
    # Alerts: A1, A4 crash; A2, A3 normal. Episodes: E1 crash; E2, E3, E4 normal.
    table = result.scores(regime="vix", **COSTS)
    assert table.rows() == [
        ("vix_exit", "vix_level", "normal", 0, 0, None, 3, 1, 0.333,
         None, None, None, None, None, None, None),
        ("vix_exit", "vix_level", "crash", 2, 2, 1.0, 1, 1, 1.0,
         1.25, 1.5, 1.75, 0.5, 63.0, 126.0, 24.0),
        ("take_profit", "take_profit_partial", "normal", 1, 0, 0.0, 3, 0, 0.0,
         None, None, None, None, 46.5, 46.5, 3.5),
        ("take_profit", "take_profit_partial", "crash", 0, 0, None, 1, 0, 0.0,
         None, None, None, None, None, None, None),
        ("dte_roll", "dte_roll", "normal", 1, 1, 1.0, 3, 1, 0.333,
         2.0, 2.0, 2.0, None, 376.0, 376.0, 24.0),
        ("dte_roll", "dte_roll", "crash", 0, 0, None, 1, 0, 0.0,
         None, None, None, None, None, None, None),
    ]  # fmt: skip


def test_a_user_regime_column_from_the_history(result: BacktestResult) -> None:
    # Positions 1 and 2 in book "a", 3 and 4 in "b". Alerts: A1, A2 in a; A3, A4 in b.
    # Episodes: E1, E2 in a; E3, E4 in b. vix_level: a: A1 true, detects E1 (1/2);
    # b: A4 true, detects E4 (1/2). dte_roll in a: no alert, E1 and E2 undetected.
    books = HISTORY.select(
        "as_of", "strategy_id", book=pl.when(pl.col("strategy_id") <= 2).then(pl.lit("a"))
    ).with_columns(pl.col("book").fill_null("b"))
    table = result.scores(regime="book", history=books, **COSTS)
    got = table.select("trigger", "regime", "alerts", "true_alerts", "episodes", "detected")
    assert got.rows() == [
        ("vix_level", "a", 1, 1, 2, 1),
        ("vix_level", "b", 1, 1, 2, 1),
        ("take_profit_partial", "a", 1, 0, 2, 0),
        ("take_profit_partial", "b", 0, 0, 2, 0),
        ("dte_roll", "a", 0, 0, 2, 0),
        ("dte_roll", "b", 1, 1, 2, 1),
    ]


def test_a_user_expression_without_the_reference(result: BacktestResult) -> None:
    # upl <= -0.20 (inclusive) on rows: P1 14:00; P3 13:00-15:00; P4 11:00: three episodes.
    # A1 (11:00): 12:00, 13:00 not adverse, 14:00 beyond the horizon: false; E1' (14:00)
    # has no alert in [12:00, 14:00). A4 true at 11:00 (lead 1, reset 0), detects E4.
    # A3 (12:00) true at 13:00 (lead 1), detects E3 (first 13:00). A2 false.
    table = result.scores(adverse=pl.col("upl_pct") <= -0.20, **COSTS)
    got = table.select(
        "trigger", "true_alerts", "precision", "episodes", "detected", "recall",
        "median_lead_hours", "median_reset_hours",
    )  # fmt: skip
    assert got.rows() == [
        ("vix_level", 1, 0.5, 3, 1, 0.333, 1.0, 0.0),
        ("take_profit_partial", 0, 0.0, 3, 0, 0.0, None, None),
        ("dte_roll", 1, 1.0, 3, 1, 0.333, 1.0, None),
    ]


def test_a_larger_drop_and_a_wider_horizon(result: BacktestResult) -> None:
    # drop 0.35: A1 needs upl <= -0.15: 14:00 (-0.20), 3 h after: true with a 4 h horizon,
    # lead 3. A2 needs <= 0.20: never. A3 needs <= -0.45: 15:00, lead 3. A4 needs <= -0.35:
    # never. Episodes against the peak: P1 <= -0.15: 14:00; P2 <= 0.20: none; P3 <= -0.35:
    # 14:00-15:00; P4 <= -0.35: none. A1 (11:00) is in [10:00, 14:00): detects P1's;
    # A3 (12:00) detects P3's.
    table = result.scores(adverse=adverse_move(drop=0.35), horizon=4 * HOUR)
    got = table.select("trigger", "true_alerts", "episodes", "detected", "median_lead_hours")
    assert got.rows() == [
        ("vix_level", 1, 2, 1, 3.0),
        ("take_profit_partial", 0, 2, 0, None),
        ("dte_roll", 1, 2, 1, 3.0),
    ]


def test_the_stop_loss_level_alone(result: BacktestResult) -> None:
    # A fall of 10 (never) or upl <= -0.40: P3 14:00-15:00 only. A3 (12:00, needs <= -0.40
    # too): 14:00, lead 2 h; it detects the episode (first 14:00, window [12:00, 14:00)).
    table = result.scores(adverse=adverse_move(drop=10.0, stop_loss=-0.40), **COSTS)
    got = table.select("trigger", "true_alerts", "episodes", "detected", "median_lead_hours")
    assert got.rows() == [
        ("vix_level", 0, 1, 0, None),
        ("take_profit_partial", 0, 1, 0, None),
        ("dte_roll", 1, 1, 1, 2.0),
    ]


def test_contracts_from_a_column(result: BacktestResult) -> None:
    # Position 1 holds 4 contracts, the others 1: A1 costs 4 + 10 = 14, A4 1 + 10 = 11,
    # A2 0.5 x (1 + 5) = 3, A3 2 x (1 + 10) = 22.
    sizes = HISTORY.select(
        "as_of", "strategy_id", n=pl.when(pl.col("strategy_id") == 1).then(4).otherwise(1)
    )
    options = {**COSTS, "contracts": "n"}
    table = result.scores(history=sizes, **options)  # type: ignore[arg-type]
    assert table.select("trigger", "total_costs_usd").rows() == [
        ("vix_level", 25.0),
        ("take_profit_partial", 3.0),
        ("dte_roll", 22.0),
    ]


def test_no_costs_by_default_close_is_the_old_benefit(result: BacktestResult) -> None:
    # Without costs a close scores pnl_at_alert - pnl_at_end, the summary's benefit:
    # A1 200 - 50 = 150, A4 0 - 0 = 0; mean 75. The reduce scores half its benefit:
    # 0.5 x (275 - 175) = 50, the summary's 100.
    table = result.scores(horizon=2 * HOUR)
    summary = result.summary()
    assert table.select("trigger", "mean_act_vs_hold_usd").rows()[:2] == [
        ("vix_level", 75.0),
        ("take_profit_partial", 50.0),
    ]
    assert summary.select("trigger", "mean_benefit_usd").rows()[:2] == [
        ("vix_level", 75.0),
        ("take_profit_partial", 100.0),
    ]


def test_reference_column_is_the_alert_value(result: BacktestResult) -> None:
    # "upl_pct below the reference at all": against each alert's value; against the peak
    # for episodes. A1 (0.20): 12:00 0.10 below: true, lead 1. A2 (0.55): 12:00: lead 1.
    # A3 (-0.10): 13:00: lead 1. A4 (0.00): 11:00: lead 1.
    table = result.scores(adverse=pl.col("upl_pct") < pl.col(REFERENCE), **COSTS)
    assert table.select("trigger", "true_alerts", "median_lead_hours").rows() == [
        ("vix_level", 2, 1.0),
        ("take_profit_partial", 1, 1.0),
        ("dte_roll", 1, 1.0),
    ]
