"""The fatigue frontier: how many alerts a setting costs against the P&L it saves.

A sweep over one or two thresholds (a grid of settings) is backtested setting by setting
(:class:`~alertkit.backtest.sweep.SweptHistory`: the rules the settings leave alone are
evaluated once); each setting gets its alert load, *alerts per position-day* (the counted
alerts over the history's position-days: distinct (strategy_id, UTC date) pairs with a
snapshot), and a P&L figure. A setting is *Pareto-efficient* when no other setting has at
most its alerts per position-day and at least its P&L with one of the two strictly better:
the efficient settings are the only ones worth choosing between.

The P&L figure is pluggable (``pnl=``, a function of each setting's backtest). The default,
:func:`benefit_saved`, is the sum over the counted alerts of today's benefit of acting (P&L
at the alert minus P&L at the end of the position's history, USD; positive: acting at the
alert beat holding, see :mod:`alertkit.backtest.outcomes`). :func:`pareto` marks the
frontier of any table, on any two columns.

Examples
--------
>>> from alertkit.backtest import synthetic_history
>>> table = fatigue_frontier(synthetic_history(6, seed=3), {"take_profit.full": [0.6, 0.8]})
>>> table.columns[:3]
['take_profit.full', 'alerts', 'position_days']
>>> table.columns[3:]
['alerts_per_position_day', 'pnl_saved_usd', 'pareto']
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Final, Literal

import polars as pl

from alertkit.backtest.history import HistorySource
from alertkit.backtest.outcomes import USD_DECIMALS
from alertkit.backtest.runner import BacktestResult
from alertkit.backtest.sweep import SweptHistory, with_threshold
from alertkit.model.errors import ValidationError
from alertkit.rules import Rule, default_rules

__all__ = ["FRONTIER_MEASURES", "PnlMeasure", "benefit_saved", "fatigue_frontier", "pareto"]

FRONTIER_MEASURES: Final[dict[str, pl.DataType]] = {
    "alerts": pl.Int64(),
    "position_days": pl.Int64(),
    "alerts_per_position_day": pl.Float64(),
    "pnl_saved_usd": pl.Float64(),
    "pareto": pl.Boolean(),
}
"""The columns of :func:`fatigue_frontier` after one Float64 column per swept threshold
(named ``rule.parameter``)."""

PnlMeasure = Callable[[BacktestResult], float | None]
"""A setting's P&L figure from its backtest, whose ``alerts`` and ``outcomes`` are narrowed
to the counted alerts (``decisions`` are every snapshot's)."""

_PER_DAY_DECIMALS: Final = 4


def benefit_saved(result: BacktestResult) -> float:
    """The sum of ``benefit_of_acting`` over ``result``'s outcomes, USD to the cent (0 when
    there are none; alerts without a P&L count as 0)."""
    return round(float(result.outcomes["benefit_of_acting"].sum()), USD_DECIMALS)


def pareto(
    table: pl.DataFrame,
    *,
    cost: str = "alerts_per_position_day",
    gain: str = "pnl_saved_usd",
) -> pl.DataFrame:
    """``table`` with a Boolean ``pareto`` column: True where no other row has ``cost`` <=
    and ``gain`` >= this row's with at least one strict (lower cost is better, higher gain
    is better). Rows with a null ``cost`` or ``gain`` are never efficient; equal rows are
    both efficient.

    Examples
    --------
    >>> t = pl.DataFrame({"alerts_per_position_day": [0.1, 0.2, 0.2, 0.3],
    ...                   "pnl_saved_usd": [50.0, 80.0, 40.0, 80.0]})
    >>> pareto(t)["pareto"].to_list()
    [True, True, False, False]
    """
    for name in (cost, gain):
        if name not in table.columns:
            raise ValidationError(f"{name!r}: expected a column of the table, got {table.columns}")
    points = list(zip(table[cost].to_list(), table[gain].to_list(), strict=True))

    def dominated(c: float, g: float) -> bool:
        return any(
            oc is not None and og is not None and oc <= c and og >= g and (oc < c or og > g)
            for oc, og in points
        )

    flags = [c is not None and g is not None and not dominated(c, g) for c, g in points]
    return table.with_columns(pl.Series("pareto", flags, dtype=pl.Boolean))


def _parse_grid(
    grid: Mapping[str, Sequence[float]], rules: Sequence[Rule]
) -> list[tuple[str, str]]:
    if not 1 <= len(grid) <= 2:
        raise ValidationError(
            f"grid: expected one or two thresholds ('rule.parameter'), got {list(grid)}"
        )
    keys = []
    for key, values in grid.items():
        rule, dot, parameter = key.partition(".")
        if not dot or not rule or not parameter:
            raise ValidationError(f"grid: expected keys 'rule.parameter', got {key!r}")
        if not list(values):
            raise ValidationError(f"grid[{key!r}]: expected at least one value")
        for value in values:  # refuse a bad value before the first run
            with_threshold(rules, rule, parameter, value)
        keys.append((rule, parameter))
    return keys


def fatigue_frontier(
    history: HistorySource,
    grid: Mapping[str, Sequence[float]],
    *,
    rules: Iterable[Rule] | None = None,
    quiet_period: timedelta | None = None,
    counted: Literal["swept", "all"] = "swept",
    pnl: PnlMeasure = benefit_saved,
) -> pl.DataFrame:
    """Alerts per position-day against P&L saved, per setting of one or two thresholds.

    Parameters
    ----------
    history, rules, quiet_period
        As for :func:`~alertkit.backtest.run_backtest`.
    grid
        ``{"rule.parameter": values}`` for one or two thresholds, e.g.
        ``{"take_profit.full": [0.6, 0.7, 0.8], "take_profit.partial": [0.4, 0.5]}``; every
        combination is a setting (the first key varies slowest).
    counted
        ``"swept"``: the alerts of the swept rules (as :func:`~alertkit.backtest.sweep`
        counts); ``"all"``: every alert, the desk's whole load under that setting.
    pnl
        The P&L figure of a setting (:data:`PnlMeasure`), default :func:`benefit_saved`.

    Returns
    -------
    pl.DataFrame
        One row per setting, in grid order: one column per threshold, then
        :data:`FRONTIER_MEASURES` (``pareto`` by :func:`pareto` on
        alerts_per_position_day and pnl_saved_usd).
    """
    base = default_rules() if rules is None else list(rules)
    keys = _parse_grid(grid, base)
    if counted not in ("swept", "all"):
        raise ValidationError(f"counted: expected 'swept' or 'all', got {counted!r}")
    swept = SweptHistory(history, base, quiet_period=quiet_period)
    names = {rule for rule, _ in keys}
    rows: list[dict[str, object]] = []
    position_days: int | None = None
    for values in itertools.product(*grid.values()):
        changes = [(r, p, float(v)) for (r, p), v in zip(keys, values, strict=True)]
        result = swept.backtest(swept.with_threshold(changes))
        if position_days is None:
            position_days = _position_days(result.decisions)
        if counted == "swept":
            result = dataclasses.replace(
                result,
                alerts=result.alerts.filter(pl.col("engine_rule").is_in(names)),
                outcomes=result.outcomes.filter(pl.col("engine_rule").is_in(names)),
            )
        alerts = result.alerts.height
        rows.append(
            {
                **{f"{r}.{p}": v for r, p, v in changes},
                "alerts": alerts,
                "position_days": position_days,
                "alerts_per_position_day": round(alerts / position_days, _PER_DAY_DECIMALS)
                if position_days
                else None,
                "pnl_saved_usd": pnl(result),
            }
        )
    schema: dict[str, pl.DataType] = {f"{r}.{p}": pl.Float64() for r, p in keys}
    schema.update({k: v for k, v in FRONTIER_MEASURES.items() if k != "pareto"})
    return pareto(pl.DataFrame(rows, schema=schema))


def _position_days(decisions: pl.DataFrame) -> int:
    """Distinct (strategy_id, UTC date of as_of) pairs: the days each position was held."""
    days = (
        decisions.lazy()
        .filter(pl.col("strategy_id").is_not_null())
        .select("strategy_id", day=pl.col("as_of").dt.date())
        .unique()
        .select(pl.len())
        .collect()
    )
    return int(days.item())
