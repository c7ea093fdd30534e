"""Tune one rule threshold before going live: the same history under several settings.

Examples
--------
>>> from alertkit.backtest import synthetic_history
>>> table = sweep(synthetic_history(4, seed=3), "take_profit", "full", [0.6, 0.8])
>>> table.select("value", "alerts", pl.col("mean_benefit").round(0)).rows()
[(0.6, 4, -1561.0), (0.8, 4, -1408.0)]
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from datetime import timedelta
from numbers import Real
from typing import Any, Final

import polars as pl

from alertkit.backtest._progress import Progress
from alertkit.backtest.history import HistorySource, load_history
from alertkit.backtest.runner import run_backtest
from alertkit.model.errors import ValidationError
from alertkit.rules import Rule, bind_by_name, default_rules

__all__ = ["SWEEP_SCHEMA", "sweep", "with_threshold"]

SWEEP_SCHEMA: Final[dict[str, pl.DataType]] = {
    "rule": pl.String(),
    "parameter": pl.String(),
    "value": pl.Float64(),
    "alerts": pl.Int64(),
    "suppressed_repeats": pl.Int64(),
    "positions_affected": pl.Int64(),
    "mean_benefit": pl.Float64(),
    "median_benefit": pl.Float64(),
}
_SWEEP_PROGRESS_MIN_ROWS: Final = 200_000  # snapshots x settings


def sweep(
    history: HistorySource,
    rule: str,
    parameter: str,
    values: Sequence[float],
    *,
    rules: Iterable[Rule] | None = None,
    quiet_period: timedelta | None = None,
    progress: bool = True,
) -> pl.DataFrame:
    """Backtest ``history`` once per value of ``rule``'s threshold ``parameter``.

    Each run uses ``rules`` (default :func:`~alertkit.rules.default_rules`) with the rule
    named ``rule`` rebuilt with ``parameter=value`` (see :func:`with_threshold`), in
    vectorized mode. The counts and outcomes are those of ``rule``'s own alerts (all its
    triggers); the other rules run too, since an earlier rule that fires hides a later one.

    Returns
    -------
    polars.DataFrame
        One row per value, in the given order, columns :data:`SWEEP_SCHEMA`: rule,
        parameter, value, alerts, suppressed_repeats, positions_affected, mean_benefit,
        median_benefit (benefit of acting in USD, see :mod:`alertkit.backtest.outcomes`).
    """
    base = default_rules() if rules is None else list(rules)
    snapshots = load_history(history)
    settings = list(values)
    for value in settings:  # refuse a bad value before the first run, not after several
        with_threshold(base, rule, parameter, value)
    rows: list[dict[str, Any]] = []
    enabled = progress and snapshots.height * len(settings) >= _SWEEP_PROGRESS_MIN_ROWS
    with Progress(enabled, len(settings), f"sweep {rule}.{parameter}", "run") as bar:
        for value in settings:
            result = run_backtest(
                snapshots,
                rules=with_threshold(base, rule, parameter, value),
                quiet_period=quiet_period,
                progress=False,
            )
            own = result.outcomes.filter(pl.col("engine_rule") == rule)
            rows.append(
                {
                    "rule": rule,
                    "parameter": parameter,
                    "value": float(value),
                    "alerts": own.height,
                    "suppressed_repeats": int((own["occurrences"] - 1).sum()),
                    "positions_affected": own["strategy_id"].n_unique(),
                    "mean_benefit": own["benefit_of_acting"].mean(),
                    "median_benefit": own["benefit_of_acting"].median(),
                }
            )
            bar.update()
    return pl.DataFrame(rows, schema=SWEEP_SCHEMA)


def with_threshold(rules: Sequence[Rule], rule: str, parameter: str, value: float) -> list[Rule]:
    """``rules`` with the rule named ``rule`` rebuilt with ``parameter=value``.

    A rule that gives way to the replaced one (``dte_roll`` to ``gamma_risk`` and
    ``time_exit``) is re-bound by name (:func:`alertkit.rules.bind_by_name`) to the new one. An int
    threshold (``dte``) takes a whole number.

    Examples
    --------
    >>> swept = with_threshold(default_rules(), "time_exit", "dte", 2)
    >>> roll = next(r for r in swept if r.name == "dte_roll")
    >>> [r.dte for r in roll.yield_to if r.name == "time_exit"]
    [2]
    """
    old = next((r for r in rules if r.name == rule), None)
    if old is None:
        raise ValidationError(f"rule: expected one of {[r.name for r in rules]}, got {rule!r}")
    thresholds = [
        f.name
        for f in dataclasses.fields(old)
        if f.init
        and f.name not in ("name", "priority")
        and isinstance(getattr(old, f.name), Real)
        and not isinstance(getattr(old, f.name), bool)
    ]
    if parameter not in thresholds:
        raise ValidationError(
            f"parameter: expected a numeric threshold of {rule} ({', '.join(thresholds)}),"
            f" got {parameter!r}"
        )
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValidationError(f"{rule}.{parameter}: expected a number, got {value!r}")
    if isinstance(getattr(old, parameter), int):
        if not float(value).is_integer():
            raise ValidationError(f"{rule}.{parameter}: expected a whole number, got {value!r}")
        value = int(value)
    new = dataclasses.replace(old, **{parameter: value})
    return bind_by_name(new if r is old else r for r in rules)
