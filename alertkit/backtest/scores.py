"""Is a trigger worth its alerts? Precision, recall, lead and reset times, and the P&L of acting.

The Google SRE Workbook's four alert scores (ch. 5), joined to what acting on an alert would
have made, per trigger and optionally per volatility regime. ``adverse`` says which snapshot
rows are bad for the position (default :func:`adverse_move`: ``upl_pct`` falls by ``drop``
from the reference, or reaches the hard stop). How it is evaluated, for alerts and for
episodes, is in :mod:`alertkit.backtest._episodes`; the P&L in
:mod:`alertkit.backtest._acting`. Per trigger:

``alerts``, ``true_alerts``, ``precision``
    the trigger's alerts; those whose position has an adverse row in
    ``(created_at, created_at + horizon]`` (judged against ``upl_pct`` at the alert); the
    share of them.
``episodes``, ``detected``, ``recall``
    adverse episodes (maximal runs of adverse rows of one position, judged against the
    position's peak); those with an alert of the trigger on the position created in
    ``[first - lead_window, first)``, ``first`` the episode's first adverse row; the share.
    With ``lead_window = horizon`` (the default) an alert is true exactly when it detects
    an episode starting after it, for an ``adverse`` that does not read the reference.
``lead_q1_hours``, ``median_lead_hours``, ``lead_q3_hours``
    detection time of the true alerts: alert to its first adverse row (quartiles linear).
``median_reset_hours``
    of the true alerts that are resolved: from the last row of the episode their first
    adverse row is in to ``resolved_at``; negative when the alert resolved first.
``mean_act_vs_hold_usd``, ``total_act_vs_hold_usd``, ``total_costs_usd``
    acting as the decision says (close, roll, reduce by ``close_ratio``) minus holding to
    the end, per alert and summed, costs included; positive is good
    (:mod:`alertkit.backtest._acting`).

Split by ``regime``, an alert (and its times and P&L) belongs to the regime of its own row,
an episode to that of its first row; every trigger gets a row per regime seen, so a trigger
that never fired in a regime shows its recall there (0).

Examples
--------
>>> from datetime import timedelta
>>> from alertkit.backtest import run_backtest, synthetic_history
>>> result = run_backtest(synthetic_history(6, seed=3), progress=False)
>>> table = result.scores(horizon=timedelta(days=3), regime="vix")
>>> table.columns[:6]
['engine_rule', 'trigger', 'regime', 'alerts', 'true_alerts', 'precision']
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Final

import polars as pl

from alertkit.backtest._acting import act_vs_hold
from alertkit.backtest._episodes import REFERENCE, adverse_episodes, adverse_move, first_adverse
from alertkit.backtest._score_inputs import VIX, check_adverse, check_options, snapshot_rows
from alertkit.backtest.tables import SummaryFrame, summary_frame
from alertkit.model.errors import ValidationError
from alertkit.rules.regimes import REGIME_COLUMN, regime_names

if TYPE_CHECKING:
    from alertkit.backtest.runner import BacktestResult

__all__ = ["REFERENCE", "SCORES_SCHEMA", "VIX", "adverse_move", "scores"]

DEFAULT_HORIZON: Final = timedelta(days=5)
HOURS_DECIMALS: Final = 2
USD_DECIMALS: Final = 2
SCORE_DECIMALS: Final = 3

SCORES_SCHEMA: Final[dict[str, pl.DataType]] = {
    "engine_rule": pl.String(),
    "trigger": pl.String(),
    REGIME_COLUMN: pl.String(),
    "alerts": pl.Int64(),
    "true_alerts": pl.Int64(),
    "precision": pl.Float64(),
    "episodes": pl.Int64(),
    "detected": pl.Int64(),
    "recall": pl.Float64(),
    "lead_q1_hours": pl.Float64(),
    "median_lead_hours": pl.Float64(),
    "lead_q3_hours": pl.Float64(),
    "median_reset_hours": pl.Float64(),
    "mean_act_vs_hold_usd": pl.Float64(),
    "total_act_vs_hold_usd": pl.Float64(),
    "total_costs_usd": pl.Float64(),
}
""":func:`scores` columns (module docstring); ``regime`` only when split by regime."""

_US_PER_HOUR: Final = 3_600_000_000
_KEY: Final = ("engine_rule", "trigger", REGIME_COLUMN)


def scores(
    result: BacktestResult,
    *,
    adverse: pl.Expr | None = None,
    horizon: timedelta = DEFAULT_HORIZON,
    lead_window: timedelta | None = None,
    regime: str | None = None,
    history: pl.DataFrame | None = None,
    contracts: int | str = 1,
    cost_per_contract: float = 0.0,
    slippage: float = 0.0,
) -> SummaryFrame:
    """One row per trigger with alerts (per trigger and regime with ``regime``): the columns
    of :data:`SCORES_SCHEMA`, rounded (hours and USD to 0.01, ratios to 0.001).

    Parameters
    ----------
    adverse
        A Boolean polars expression over the snapshot columns of ``result.decisions`` (and
        of ``history``), which may read :data:`REFERENCE`; default :func:`adverse_move`.
    horizon
        How long after an alert an adverse row makes it true.
    lead_window
        How long before an episode's first adverse row an alert detects it; default
        ``horizon``.
    regime
        None: no split; ``"vix"``: the VIX buckets; any other name: a column of the
        decisions or of ``history`` (its values, as strings, are the regimes).
    history
        Extra per-snapshot columns (the backtest keeps only the snapshot schema), joined on
        ``(as_of, strategy_id)``, for ``adverse``, ``regime`` or ``contracts``.
    contracts
        Contracts per position, or the column holding them (the snapshot schema has none:
        ``entry_price`` is premium x 100 x contracts).
    cost_per_contract, slippage
        Commission in USD per contract traded, and slippage as a fraction of ``entry_price``
        per trade (:mod:`alertkit.backtest._acting`).

    Raises
    ------
    ValidationError
        Naming the parameter: a ``horizon`` or ``lead_window`` that is not a positive
        timedelta, an ``adverse`` that is not a Boolean expression over known columns, a
        missing ``regime`` or ``contracts`` column, negative costs.
    """
    window = check_options(horizon, lead_window, contracts, cost_per_contract, slippage)
    adverse = adverse_move() if adverse is None else adverse
    if not isinstance(adverse, pl.Expr):
        raise ValidationError(
            f"adverse: expected a polars expression, got {type(adverse).__name__}"
        )
    if regime is not None and not isinstance(regime, str):
        raise ValidationError(f"regime: expected None, 'vix' or a column name, got {regime!r}")
    rows = snapshot_rows(result.decisions, history, adverse, regime, contracts)
    check_adverse(adverse, rows)
    flags, episodes = adverse_episodes(rows, adverse)
    alerts = _alert_rows(result, flags)
    judged = first_adverse(alerts, flags, adverse, horizon)
    judged = act_vs_hold(judged, cost_per_contract=cost_per_contract, slippage=slippage)
    table = _aggregate(judged, episodes, alerts, window).collect()
    table = _ordered(table, result.trigger_order(), regime)
    return summary_frame(table if regime is not None else table.drop(REGIME_COLUMN))


def _alert_rows(result: BacktestResult, rows: pl.LazyFrame) -> pl.LazyFrame:
    """Each alert with its own row (index, ``upl_pct``, regime, action, size) and P&L."""
    at_alert = rows.select(
        "_row",
        "strategy_id",
        "action",
        "entry_price",
        "contracts",
        REGIME_COLUMN,
        created_at="as_of",
        upl_at_alert="upl_pct",
    )
    pnl = result.outcomes.lazy().select("alert_id", "pnl_at_alert", "pnl_at_end")
    return (
        result.alerts.lazy()
        .select(
            "alert_id",
            "engine_rule",
            pl.col("rule").alias("trigger"),
            "rule_priority",
            "strategy_id",
            "created_at",
            "resolved_at",
            "metadata",
        )
        .join(at_alert, on=["strategy_id", "created_at"], how="left")
        .join(pnl, on="alert_id", how="left")
    )


def _hours(expr: pl.Expr) -> pl.Expr:
    return expr.dt.total_microseconds() / _US_PER_HOUR


def _aggregate(
    judged: pl.LazyFrame, episodes: pl.LazyFrame, alerts: pl.LazyFrame, window: timedelta
) -> pl.LazyFrame:
    lead = _hours(pl.col("first_adverse_at") - pl.col("created_at"))
    reset = _hours(pl.col("resolved_at") - pl.col("_episode_last_at"))
    per_alert = judged.group_by(*_KEY).agg(
        pl.col("rule_priority").first(),
        alerts=pl.len().cast(pl.Int64),
        true_alerts=pl.col("first_adverse_at").is_not_null().sum().cast(pl.Int64),
        lead_q1_hours=lead.quantile(0.25, "linear"),
        median_lead_hours=lead.median(),
        lead_q3_hours=lead.quantile(0.75, "linear"),
        median_reset_hours=reset.median(),
        mean_act_vs_hold_usd=pl.col("act_vs_hold_usd").mean(),
        total_act_vs_hold_usd=pl.col("act_vs_hold_usd").sum(),
        total_costs_usd=pl.col("costs_usd").sum(),
    )
    detected = (
        episodes.join(
            alerts.select("strategy_id", "created_at", "engine_rule", "trigger"),
            on="strategy_id",
        )
        .filter(
            (pl.col("created_at") >= pl.col("first_at") - window)
            & (pl.col("created_at") < pl.col("first_at"))
        )
        .unique(["strategy_id", "first_at", "engine_rule", "trigger"])
        .group_by(*_KEY)
        .agg(detected=pl.len().cast(pl.Int64))
    )
    counted = episodes.group_by(REGIME_COLUMN).agg(episodes=pl.len().cast(pl.Int64))
    triggers = judged.select("engine_rule", "trigger").unique()
    regimes = pl.concat([judged.select(REGIME_COLUMN), episodes.select(REGIME_COLUMN)]).unique()
    same = {"how": "left", "nulls_equal": True}
    return (
        triggers.join(regimes, how="cross")
        .join(per_alert, on=list(_KEY), **same)  # type: ignore[arg-type]
        .join(detected, on=list(_KEY), **same)  # type: ignore[arg-type]
        .join(counted, on=REGIME_COLUMN, **same)  # type: ignore[arg-type]
        .with_columns(pl.col("alerts", "true_alerts", "detected", "episodes").fill_null(0))
        .with_columns(
            pl.col("rule_priority").max().over("engine_rule", "trigger"),
            precision=_share("true_alerts", "alerts"),
            recall=_share("detected", "episodes"),
        )
    )


def _share(part: str, whole: str) -> pl.Expr:
    return pl.when(pl.col(whole) > 0).then(pl.col(part) / pl.col(whole)).round(SCORE_DECIMALS)


def _ordered(
    table: pl.DataFrame, trigger_order: tuple[str, ...], regime: str | None
) -> pl.DataFrame:
    rank = {trigger: i for i, trigger in enumerate(trigger_order)}
    regime_rank = {name: i for i, name in enumerate(regime_names())} if regime == VIX else {}
    hours = ["lead_q1_hours", "median_lead_hours", "lead_q3_hours", "median_reset_hours"]
    usd = ["mean_act_vs_hold_usd", "total_act_vs_hold_usd", "total_costs_usd"]
    return (
        table.with_columns(
            pl.col(hours).round(HOURS_DECIMALS),
            pl.col(usd).round(USD_DECIMALS),
            _rank=pl.col("trigger").replace_strict(rank, default=None, return_dtype=pl.Int64),
            _regime_rank=pl.col(REGIME_COLUMN).replace_strict(
                regime_rank, default=None, return_dtype=pl.Int64
            ),
        )
        .sort(
            "rule_priority",
            "engine_rule",
            "_rank",
            "trigger",
            "_regime_rank",
            REGIME_COLUMN,
            nulls_last=True,
        )
        .select(list(SCORES_SCHEMA))
        .cast(SCORES_SCHEMA)  # type: ignore[arg-type]
    )
