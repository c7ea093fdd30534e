"""A hand-built history whose alerts are worked out in advance and written out literally.

Snapshots every 30 minutes from 15:00 (UTC, 2026-01-05), expiry 2026-02-20 (46 days later), so
no expiry rule fires; market columns are null unless given, so only the rules named fire.

position 1, SPY iron condor, entry 1000 (upl = pnl / 1000):
  15:00 0.10 hold | 15:30 0.55 partial | 16:00 0.60 partial | 16:30 0.30 hold (peak 0.60,
  stop 0.24) | 17:00 0.52 partial | 17:30 0.85 full | 18:00 0.20 trailing stop (peak 0.85,
  stop 0.34) | 18:30 0.55 partial
position 2, QQQ vertical spread, vix_at_entry 20, entry 500; no snapshot 16:00-16:30:
  15:00 vix 36 vix_level | 15:30 vix 30 vix_change (+10 > 5) | 17:00 vix 36 vix_level (last)
position 3, SPY iron condor (a second position on SPY), entry 1000:
  15:00 0.55 partial | 15:30 pnl null hold | 16:30 0.50 partial (inclusive) | 17:00 null hold

With a one-hour quiet period: the partial alert of position 1 is last seen at 17:00 and
resolved at 18:00 (exactly one hour: inclusive); its 18:30 firing opens a second one. The full
alert (17:30) resolves at 18:30. vix_level of position 2 fires again at 17:00, two hours after
15:00, but the position's snapshot before that is 15:30, less than an hour after 15:00: the
alert is never resolved in between, so it is one alert with two occurrences; vix_change
(15:30) resolves at 17:00, the position's next snapshot.

Positions 2 and 3 leave the history at 17:00 (its last instant is 18:30): their alerts still
open then resolve at 17:00, "position left the history"; position 1's stay open.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl
import pytest

from alertkit.backtest import run_backtest
from alertkit.backtest.runner import BacktestMode
from alertkit.model.schema import ALERT_SCHEMA
from alertkit.model.snapshot_schema import SNAPSHOT_SCHEMA

DAY = datetime(2026, 1, 5, tzinfo=UTC)
EXPIRY = date(2026, 2, 20)
HOUR = timedelta(hours=1)


def at(hhmm: str) -> datetime:
    hours, minutes = hhmm.split(":")
    return DAY.replace(hour=int(hours), minute=int(minutes))


def snap(hhmm: str, sid: int, **values: Any) -> dict[str, Any]:
    kinds = {1: ("SPY", "iron_condor"), 2: ("QQQ", "vertical_spread"), 3: ("SPY", "iron_condor")}
    symbol, kind = kinds[sid]
    return {
        "as_of": at(hhmm),
        "strategy_id": sid,
        "symbol": symbol,
        "strategy_type": kind,
        "expiry": EXPIRY,
        "entry_price": 500.0 if sid == 2 else 1000.0,
        **values,
    }


HISTORY = pl.DataFrame(
    [
        snap("15:00", 1, unrealized_pnl=100.0),
        snap("15:30", 1, unrealized_pnl=550.0),
        snap("16:00", 1, unrealized_pnl=600.0),
        snap("16:30", 1, unrealized_pnl=300.0),
        snap("17:00", 1, unrealized_pnl=520.0),
        snap("17:30", 1, unrealized_pnl=850.0),
        snap("18:00", 1, unrealized_pnl=200.0),
        snap("18:30", 1, unrealized_pnl=550.0),
        snap("15:00", 2, unrealized_pnl=-100.0, vix=36.0, vix_at_entry=20.0),
        snap("15:30", 2, unrealized_pnl=-50.0, vix=30.0, vix_at_entry=20.0),
        snap("17:00", 2, unrealized_pnl=-250.0, vix=36.0, vix_at_entry=20.0),
        snap("15:00", 3, unrealized_pnl=550.0),
        snap("15:30", 3, unrealized_pnl=None),
        snap("16:30", 3, unrealized_pnl=500.0),
        snap("17:00", 3, unrealized_pnl=None),
    ],
    schema=SNAPSHOT_SCHEMA,
)

PARTIAL = ("info", "normal", "Reduce position: take_profit_partial")
FULL = ("warning", "normal", "Close position: take_profit_full")
TRAIL = ("warning", "normal", "Close position: trailing_stop")
VIX = "warning", "high"

# (rule, strategy_id, symbol, created_at, last_seen_at, occurrences, status, resolved_at,
#  type, severity, title, message)
QUIET_HOUR = [
    ("vix_level", 2, "QQQ", "15:00", "17:00", 2, "resolved", "17:00",
     *VIX, "Close position: vix_level", "VIX 36.00 above 35.00"),
    ("take_profit_partial", 3, "SPY", "15:00", "16:30", 2, "resolved", "17:00",
     *PARTIAL, "Partial take profit: P&L 55.0% reached 50%; close 50%"),
    ("take_profit_partial", 1, "SPY", "15:30", "17:00", 3, "resolved", "18:00",
     *PARTIAL, "Partial take profit: P&L 55.0% reached 50%; close 50%"),
    ("vix_change", 2, "QQQ", "15:30", "15:30", 1, "resolved", "17:00",
     *VIX, "Close position: vix_change", "VIX rose +10.00 points since entry (above 5.00)"),
    ("take_profit_full", 1, "SPY", "17:30", "17:30", 1, "resolved", "18:30",
     *FULL, "Take profit: P&L 85.0% reached the 80% target"),
    ("trailing_stop", 1, "SPY", "18:00", "18:00", 1, "active", None,
     *TRAIL, "Trailing stop: P&L 20.0% fell to 40% of peak 85.0% (stop at 34.0%)"),
    ("take_profit_partial", 1, "SPY", "18:30", "18:30", 1, "active", None,
     *PARTIAL, "Partial take profit: P&L 55.0% reached 50%; close 50%"),
]  # fmt: skip

NO_QUIET = [
    ("vix_level", 2, "QQQ", "15:00", "17:00", 2, "resolved", "17:00",
     *VIX, "Close position: vix_level", "VIX 36.00 above 35.00"),
    ("take_profit_partial", 3, "SPY", "15:00", "16:30", 2, "resolved", "17:00",
     *PARTIAL, "Partial take profit: P&L 55.0% reached 50%; close 50%"),
    ("take_profit_partial", 1, "SPY", "15:30", "18:30", 4, "active", None,
     *PARTIAL, "Partial take profit: P&L 55.0% reached 50%; close 50%"),
    ("vix_change", 2, "QQQ", "15:30", "15:30", 1, "resolved", "17:00",
     *VIX, "Close position: vix_change", "VIX rose +10.00 points since entry (above 5.00)"),
    ("take_profit_full", 1, "SPY", "17:30", "17:30", 1, "active", None,
     *FULL, "Take profit: P&L 85.0% reached the 80% target"),
    ("trailing_stop", 1, "SPY", "18:00", "18:00", 1, "active", None,
     *TRAIL, "Trailing stop: P&L 20.0% fell to 40% of peak 85.0% (stop at 34.0%)"),
]  # fmt: skip

COLUMNS = [
    "rule",
    "strategy_id",
    "symbol",
    "created_at",
    "last_seen_at",
    "occurrences",
    "status",
    "resolved_at",
    "type",
    "severity",
    "title",
    "message",
]


def expected(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return [
        (*r[:3], at(r[3]), at(r[4]), r[5], r[6], None if r[7] is None else at(r[7]), *r[8:])
        for r in rows
    ]


def observed(alerts: pl.DataFrame) -> list[tuple[Any, ...]]:
    # Sorted by (created_at, alert_id); ties broken here by what the test can name.
    return sorted(alerts.select(COLUMNS).rows(), key=lambda r: (r[3], r[1], r[0]))


@pytest.mark.parametrize("mode", ["vectorized", "engine"])
def test_alerts_with_a_one_hour_quiet_period(mode: BacktestMode) -> None:
    result = run_backtest(HISTORY, mode=mode, quiet_period=HOUR, progress=False)
    assert observed(result.alerts) == sorted(expected(QUIET_HOUR), key=lambda r: (r[3], r[1], r[0]))


@pytest.mark.parametrize("mode", ["vectorized", "engine"])
def test_alerts_without_a_quiet_period_stay_open_while_their_position_does(
    mode: BacktestMode,
) -> None:
    result = run_backtest(HISTORY, mode=mode, progress=False)
    assert observed(result.alerts) == sorted(expected(NO_QUIET), key=lambda r: (r[3], r[1], r[0]))


def test_the_alert_rows_are_table_rows() -> None:
    alerts = run_backtest(HISTORY, quiet_period=HOUR, progress=False).alerts
    assert alerts.schema == pl.Schema(ALERT_SCHEMA)
    assert alerts["created_at"].is_sorted()
    assert alerts["revision"].to_list() == [0] * 7
    assert alerts["acknowledged_at"].null_count() == 7
    assert alerts["created_date"].to_list() == [date(2026, 1, 5)] * 7
    partial = alerts.filter(
        (pl.col("strategy_id") == 1) & (pl.col("rule") == "take_profit_partial")
    ).row(0, named=True)
    assert (partial["engine_rule"], partial["rule_priority"]) == ("take_profit", 2.0)
    assert json.loads(partial["metadata"]) == {
        "upl_pct": 0.55,
        "threshold": 0.5,
        "close_ratio": 0.5,
    }
    assert json.loads(partial["history"]) == [
        {
            "at": "2026-01-05T15:30:00.000000Z",
            "action": "create",
            "from": None,
            "to": "active",
            "by": None,
            "note": None,
        },
        {
            "at": "2026-01-05T18:00:00.000000Z",
            "action": "resolve",
            "from": "active",
            "to": "resolved",
            "by": "backtest",
            "note": "trigger quiet for 1:00:00",
        },
    ]


def test_decisions_name_the_trigger_of_every_snapshot() -> None:
    decisions = run_backtest(HISTORY, progress=False).decisions
    assert decisions.columns == [
        *SNAPSHOT_SCHEMA,
        "peak_upl_pct",
        "trigger",
        "engine_rule",
        "priority",
        "action",
        "urgency",
    ]
    # In time order: (as_of, strategy_id).
    assert decisions.select("strategy_id", "trigger").rows() == [
        (1, None),
        (2, "vix_level"),
        (3, "take_profit_partial"),
        (1, "take_profit_partial"),
        (2, "vix_change"),
        (3, None),
        (1, "take_profit_partial"),
        (1, None),
        (3, "take_profit_partial"),
        (1, "take_profit_partial"),
        (2, "vix_level"),
        (3, None),
        (1, "take_profit_full"),
        (1, "trailing_stop"),
        (1, "take_profit_partial"),
    ]
    assert decisions.filter(pl.col("strategy_id") == 1)["peak_upl_pct"].to_list() == [
        0.1,
        0.55,
        0.6,
        0.6,
        0.6,
        0.85,
        0.85,
        0.85,
    ]


def test_outcomes_per_alert() -> None:
    outcomes = run_backtest(HISTORY, quiet_period=HOUR, progress=False).outcomes
    rows = sorted(
        outcomes.select(
            "trigger",
            "strategy_id",
            "created_at",
            "lead_time_days",
            "pnl_at_alert",
            "pnl_at_end",
            "benefit_of_acting",
        ).rows(),
        key=lambda r: (r[2], r[1], r[0]),
    )
    assert rows == [
        ("vix_level", 2, at("15:00"), 46, -100.0, -250.0, 150.0),
        ("take_profit_partial", 3, at("15:00"), 46, 550.0, 500.0, 50.0),  # last non-null P&L
        ("take_profit_partial", 1, at("15:30"), 46, 550.0, 550.0, 0.0),
        ("vix_change", 2, at("15:30"), 46, -50.0, -250.0, 200.0),
        ("take_profit_full", 1, at("17:30"), 46, 850.0, 550.0, 300.0),
        ("trailing_stop", 1, at("18:00"), 46, 200.0, 550.0, -350.0),
        ("take_profit_partial", 1, at("18:30"), 46, 550.0, 550.0, 0.0),
    ]


def test_summary_per_trigger_in_engine_order() -> None:
    result = run_backtest(HISTORY, quiet_period=HOUR, progress=False)
    assert result.summary().rows() == [
        # engine_rule, trigger, alerts, suppressed, positions, lead, mean, median, per position
        ("trailing_stop", "trailing_stop", 1, 0, 1, 46.0, -350.0, -350.0, 1.0),
        ("vix_exit", "vix_level", 1, 1, 1, 46.0, 150.0, 150.0, 1.0),
        ("vix_exit", "vix_change", 1, 0, 1, 46.0, 200.0, 200.0, 1.0),
        ("take_profit", "take_profit_full", 1, 0, 1, 46.0, 300.0, 300.0, 1.0),
        ("take_profit", "take_profit_partial", 3, 3, 2, 46.0, 16.67, 0.0, 1.5),  # rounded
    ]
    no_quiet = run_backtest(HISTORY, progress=False).summary()
    assert "alerts_per_position" not in no_quiet.columns
    assert no_quiet.filter(pl.col("trigger") == "take_profit_partial").select(
        "alerts", "repeats", "positions"
    ).row(0) == (2, 4, 2)
