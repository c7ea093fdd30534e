"""What each backtest alert was worth, and a per-trigger summary.

For an alert on a position:

- ``pnl_at_alert``: the position's ``unrealized_pnl`` at the alert's ``created_at`` (USD);
- ``pnl_at_end``: its last non-null ``unrealized_pnl`` in the history, i.e. what holding to
  the end of the history (expiry, or the trader's own exit) gave;
- ``benefit_of_acting = pnl_at_alert - pnl_at_end``: what closing the *whole* position at
  the alert's snapshot, at its mark and free of costs, would have made over holding to the
  end; positive when closing at once would have done better. It is the same number for every
  action: it ignores a reduce's ``close_ratio`` (it counts the whole position), a roll's
  second trade and every cost. The P&L of acting as the decision says, with commissions and
  slippage, is ``act_vs_hold_usd`` in :mod:`alertkit.backtest.scores`
  (``BacktestResult.scores``); the two agree for a close without costs;
- ``lead_time_days``: days from the UTC date of ``created_at`` to the position's ``expiry``.

:func:`summarize` aggregates per engine rule and trigger, rounded to what a reader uses (days
to a tenth, USD to the cent, ratios to a hundredth: the last bits of prices depend on the CPU)
and with the unit in each column's name.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import polars as pl

from alertkit.backtest.tables import SummaryFrame, summary_frame

__all__ = ["OUTCOME_SCHEMA", "SUMMARY_SCHEMA", "alert_outcomes", "summarize"]

_TS: Final = pl.Datetime("us", "UTC")
OUTCOME_SCHEMA: Final[dict[str, pl.DataType]] = {
    "alert_id": pl.String(),
    "engine_rule": pl.String(),
    "trigger": pl.String(),
    "rule_priority": pl.Float64(),
    "strategy_id": pl.Int64(),
    "symbol": pl.String(),
    "created_at": _TS,
    "resolved_at": _TS,
    "occurrences": pl.Int64(),
    "expiry": pl.Date(),
    "lead_time_days": pl.Int64(),
    "pnl_at_alert": pl.Float64(),
    "pnl_at_end": pl.Float64(),
    "benefit_of_acting": pl.Float64(),
}
SUMMARY_SCHEMA: Final[dict[str, pl.DataType]] = {
    "engine_rule": pl.String(),
    "trigger": pl.String(),
    "alerts": pl.Int64(),
    "repeats": pl.Int64(),
    "positions": pl.Int64(),
    "median_lead_days": pl.Float64(),
    "mean_benefit_usd": pl.Float64(),
    "median_benefit_usd": pl.Float64(),
}
"""``summarize`` columns; quiet-period runs add ``alerts_per_position`` (Float64).

``repeats``
    suppressed repeats: firings folded into an open alert (occurrences beyond the first);
``positions``
    positions with at least one such alert;
``median_lead_days``
    median days from the alert's UTC date to the position's expiry;
``mean_benefit_usd``, ``median_benefit_usd``
    the benefit of acting, per alert, in USD: P&L at the alert minus P&L at the end of the
    position's history; positive when closing the whole position at the alert, free of
    costs, would have beaten holding (whatever the action: see ``benefit_of_acting`` in the
    module docstring; ``BacktestResult.scores`` acts as the decision says, with costs).
"""
LEAD_DECIMALS: Final = 1
USD_DECIMALS: Final = 2
RATIO_DECIMALS: Final = 2


def alert_outcomes(alerts: pl.DataFrame, decisions: pl.DataFrame) -> pl.DataFrame:
    """One row per alert (:data:`OUTCOME_SCHEMA`), in the order of ``alerts``.

    ``decisions`` is the backtest's decisions frame (time order, one row per position per
    instant); an alert's own row is found by (strategy_id, created_at = as_of).
    """
    # Only the rows at some alert's instant can match: filter before joining a million rows.
    instants = alerts["created_at"].unique().implode()
    at_alert = (
        decisions.lazy()
        .filter(pl.col("as_of").is_in(instants))
        .select(
            "strategy_id",
            pl.col("as_of").alias("created_at"),
            "expiry",
            pl.col("unrealized_pnl").alias("pnl_at_alert"),
        )
    )
    at_end = (
        decisions.lazy()
        .group_by("strategy_id")
        .agg(pnl_at_end=pl.col("unrealized_pnl").drop_nulls().last())
    )
    return (
        alerts.lazy()
        .select(
            "alert_id",
            "engine_rule",
            pl.col("rule").alias("trigger"),
            "rule_priority",
            "strategy_id",
            "symbol",
            "created_at",
            "resolved_at",
            "occurrences",
        )
        .join(at_alert, on=["strategy_id", "created_at"], how="left", maintain_order="left")
        .join(at_end, on="strategy_id", how="left", maintain_order="left")
        .with_columns(
            lead_time_days=(pl.col("expiry") - pl.col("created_at").dt.date())
            .dt.total_days()
            .cast(pl.Int64),
            benefit_of_acting=pl.col("pnl_at_alert") - pl.col("pnl_at_end"),
        )
        .select(list(OUTCOME_SCHEMA))
        .collect()
    )


def summarize(
    outcomes: pl.DataFrame,
    *,
    trigger_order: Sequence[str] = (),
    per_position: bool = False,
) -> SummaryFrame:
    """Per (engine_rule, trigger), the columns of :data:`SUMMARY_SCHEMA`: alerts, suppressed
    repeats, positions, median lead time to expiry in days, mean and median benefit of acting
    in USD; with ``per_position`` also alerts per position (how often a trigger re-opened on
    the same position: flapping, in a quiet-period run). Rounded (days to 0.1, USD to the
    cent, alerts per position to 0.01); a :class:`~alertkit.backtest.tables.SummaryFrame`, so
    ``print()`` shows every column.

    Rows are in rule priority order, the triggers of a rule in ``trigger_order`` (the order
    the engine tries them), then any others by name.
    """
    rank = {trigger: i for i, trigger in enumerate(trigger_order)}
    summary = (
        outcomes.lazy()
        .group_by("engine_rule", "trigger")
        .agg(
            pl.col("rule_priority").first(),
            alerts=pl.len().cast(pl.Int64),
            repeats=(pl.col("occurrences") - 1).sum().cast(pl.Int64),
            positions=pl.col("strategy_id").n_unique().cast(pl.Int64),
            median_lead_days=pl.col("lead_time_days")
            .median()
            .cast(pl.Float64)
            .round(LEAD_DECIMALS),
            mean_benefit_usd=pl.col("benefit_of_acting").mean().round(USD_DECIMALS),
            median_benefit_usd=pl.col("benefit_of_acting").median().round(USD_DECIMALS),
        )
        .with_columns(
            _rank=pl.col("trigger").replace_strict(rank, default=None, return_dtype=pl.Int64)
        )
        .sort("rule_priority", "engine_rule", "_rank", "trigger", nulls_last=True)
        .select(list(SUMMARY_SCHEMA))
    )
    if per_position:
        summary = summary.with_columns(
            alerts_per_position=(pl.col("alerts") / pl.col("positions")).round(RATIO_DECIMALS)
        )
    return summary_frame(summary.collect())
