"""Two hand-built histories for the policy replay tests, their alerts worked out in advance.

Cycles every 30 minutes from 15:00 UTC on 2026-01-05: cycle k is ``c(k)`` (c(2) = 16:00).
Expiry 2026-02-20, so no expiry rule fires; market columns are null unless given.

BOOK (cycles 0-9, quiet period 1 h: an alert resolves 1 h after it last fired):

- position 1, SPY iron condor, entry 1000: upl 0.55 at cycles 1-3 (take_profit_partial), else
  0.30 (nothing: the peak 0.55 puts the trailing stop at 0.22);
  **tp1** take_profit_partial, normal/info, created c(1), last seen c(3), resolved c(5);
- position 2, SPY vertical spread, entry 1000: underlying -4 % at cycle 2, iv percentile 0.1
  and upl 0.25 from cycle 5, vix 36 at cycle 7;
  **cat2** catastrophe_drop, immediate/critical, created c(2), resolved c(4);
  **ivp2** iv_percentile_exit, normal/warning, created c(5), fires at 5, 6, 8, 9, still open;
  **vix2** vix_level, high/warning, created c(7), resolved c(9);
- position 3, QQQ vertical spread, entry 500, vix at entry 20: vix 36 at cycles 2-4, else 22;
  **vix3** vix_level, high/warning, created c(2), last seen c(4), resolved c(6).

FLAPPY (cycles 0-13, quiet period 30 min), position 1 alone: take_profit_partial fires at
cycles 1, 3 and 6 only. **a1** created c(1), resolved c(2); **a2** c(3), resolved c(4);
**a3** c(6), resolved c(7). Its changes (from the first firing on): cycles 1, 2, 3, 4, 6, 7;
with FlapDetection(4, 10) it is flapping from cycle 4 (4 changes in cycles 1-4) to cycle 13
(cycles 4-13 hold 3 changes).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl

from alertkit.backtest import BacktestResult
from alertkit.model.snapshot_schema import SNAPSHOT_SCHEMA

START = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
STEP = timedelta(minutes=30)
BOOK_QUIET = timedelta(hours=1)
FLAPPY_QUIET = timedelta(minutes=30)

_POSITIONS = {
    1: ("SPY", "iron_condor", 1000.0),
    2: ("SPY", "vertical_spread", 1000.0),
    3: ("QQQ", "vertical_spread", 500.0),
}


def c(k: float) -> datetime:
    """Cycle ``k``'s instant (a fraction is between cycles)."""
    return START + k * STEP


def snap(k: int, sid: int, **values: Any) -> dict[str, Any]:
    symbol, kind, entry = _POSITIONS[sid]
    return {
        "as_of": c(k),
        "strategy_id": sid,
        "symbol": symbol,
        "strategy_type": kind,
        "expiry": date(2026, 2, 20),
        "entry_price": entry,
        "vix_at_entry": 20.0,
        "vix": 22.0,
        **values,
    }


def _position_2(k: int) -> dict[str, Any]:
    if k < 5:
        return {"unrealized_pnl": 100.0, "underlying_change_1h": -0.04 if k == 2 else None}
    return {"unrealized_pnl": 250.0, "iv_percentile": 0.1, "vix": 36.0 if k == 7 else 22.0}


BOOK = pl.DataFrame(
    [
        row
        for k in range(10)
        for row in (
            snap(k, 1, unrealized_pnl=550.0 if k in (1, 2, 3) else 300.0),
            snap(k, 2, **_position_2(k)),
            snap(k, 3, unrealized_pnl=50.0, vix=36.0 if k in (2, 3, 4) else 22.0),
        )
    ],
    schema=SNAPSHOT_SCHEMA,
)

FLAPPY = pl.DataFrame(
    [snap(k, 1, unrealized_pnl=550.0 if k in (1, 3, 6) else 300.0) for k in range(14)],
    schema=SNAPSHOT_SCHEMA,
)

_SHORT = {
    "take_profit_partial": "tp",
    "catastrophe_drop": "cat",
    "iv_percentile_exit": "ivp",
    "vix_level": "vix",
}


def names(result: BacktestResult) -> dict[str, str]:
    """Alert id -> the short name above (``tp1``, ``cat2``, ...; FLAPPY's ``a1``-``a3``)."""
    alerts = result.alerts.sort("created_at", "alert_id")
    if alerts["strategy_id"].n_unique() == 1 and alerts["rule"].n_unique() == 1:
        return {aid: f"a{i + 1}" for i, aid in enumerate(alerts["alert_id"])}
    return {
        r["alert_id"]: f"{_SHORT[r['rule']]}{r['strategy_id']}"
        for r in alerts.iter_rows(named=True)
    }


def ids(result: BacktestResult) -> dict[str, str]:
    """Short name -> alert id."""
    return {name: aid for aid, name in names(result).items()}


def told(dry: Any, result: BacktestResult) -> list[tuple[str, str, float, list[str]]]:
    """(handler, reason, cycle, alert names) of each notification, in order."""
    short = names(result)
    return [
        (handler, reason, (at - START) / STEP, [short[i] for i in alert_ids])
        for handler, reason, at, alert_ids in dry.notifications.select(
            "handler", "reason", "at", "alert_ids"
        ).iter_rows()
    ]


def muted(dry: Any, result: BacktestResult) -> list[tuple[str, str, float, str, str, str]]:
    """(handler, reason, cycle, alert name, outcome, why) of each suppressed due, in order."""
    short = names(result)
    return [
        (handler, reason, (at - START) / STEP, short[alert_id], outcome, why)
        for handler, reason, at, alert_id, outcome, why in dry.suppressed.select(
            "handler", "reason", "at", "alert_id", "outcome", "why"
        ).iter_rows()
    ]
