"""The P&L of acting on an alert as its decision says, against holding to the end.

Per alert, with ``pnl_at_alert`` and ``pnl_at_end`` as in :mod:`alertkit.backtest.outcomes`
(``unrealized_pnl`` at the alert's snapshot; the last one in the position's history, i.e.
what holding to expiry or the trader's own exit gave), all in USD:

``share``
    of the position the decision trades: 1 for ``close`` and ``roll``, the alert's
    ``close_ratio`` (its metadata) for ``reduce``; null for ``adjust`` (the history does not
    say what an adjustment is), which leaves the alert's P&L unscored.
``costs_usd``
    ``trades * share * (contracts * cost_per_contract + slippage * entry_price)``: one trade
    for a close or a reduce, two for a roll (closing this position and opening the next);
    ``slippage`` is a fraction of the position's premium basis ``entry_price`` per trade.
``act_pnl_usd``
    ``share * pnl_at_alert + (1 - share) * pnl_at_end - costs_usd``: the part traded is
    realised at the alert's mark, the rest held to the end. A roll is scored as the close
    of this position: the position rolled into is not in the history.
``act_vs_hold_usd``
    ``act_pnl_usd - pnl_at_end``: positive when acting beat holding. Holding is charged
    nothing (its end is an expiry or an exit the trader made either way), so costs count
    against acting in full.
"""

from __future__ import annotations

from typing import Final

import polars as pl

__all__ = ["ACT_COLUMNS", "act_vs_hold"]

ACT_COLUMNS: Final = ("share", "costs_usd", "act_pnl_usd", "act_vs_hold_usd")

_SHARES: Final = {"close": 1.0, "roll": 1.0}


def act_vs_hold(alerts: pl.LazyFrame, *, cost_per_contract: float, slippage: float) -> pl.LazyFrame:
    """``alerts`` (with ``action``, ``metadata``, ``contracts``, ``entry_price``,
    ``pnl_at_alert``, ``pnl_at_end``) plus :data:`ACT_COLUMNS`."""
    action = pl.col("action")
    ratio = pl.col("metadata").str.json_path_match("$.close_ratio").cast(pl.Float64)
    share = (
        pl.when(action == "reduce")
        .then(ratio)
        .otherwise(action.replace_strict(_SHARES, default=None, return_dtype=pl.Float64))
    )
    trades = pl.when(action == "roll").then(2.0).otherwise(1.0)
    per_trade = pl.col("contracts") * cost_per_contract + pl.col("entry_price") * slippage
    return (
        alerts.with_columns(share=share)
        .with_columns(costs_usd=trades * pl.col("share") * per_trade)
        .with_columns(
            act_pnl_usd=pl.col("share") * pl.col("pnl_at_alert")
            + (1.0 - pl.col("share")) * pl.col("pnl_at_end")
            - pl.col("costs_usd")
        )
        .with_columns(act_vs_hold_usd=pl.col("act_pnl_usd") - pl.col("pnl_at_end"))
    )
