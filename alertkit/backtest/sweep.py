"""Tune one rule threshold before going live: the same history under several settings.

Examples
--------
>>> from alertkit.backtest import synthetic_history
>>> table = sweep(synthetic_history(4, seed=3), "take_profit", "full", [0.6, 0.8])
>>> table.select("value", "alerts", pl.col("mean_benefit_usd").round(0)).rows()
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
from alertkit.backtest.outcomes import USD_DECIMALS
from alertkit.backtest.runner import run_backtest
from alertkit.backtest.tables import SummaryFrame, summary_frame
from alertkit.model.errors import ValidationError
from alertkit.rules import Rule, bind_by_name, default_rules

__all__ = ["SWEEP_SCHEMA", "sweep", "with_threshold"]

SWEEP_SCHEMA: Final[dict[str, pl.DataType]] = {
    "rule": pl.String(),
    "parameter": pl.String(),
    "value": pl.Float64(),
    "alerts": pl.Int64(),
    "repeats": pl.Int64(),
    "positions": pl.Int64(),
    "mean_benefit_usd": pl.Float64(),
    "median_benefit_usd": pl.Float64(),
}
"""The columns of a sweep; ``by_trigger=True`` adds a ``trigger`` column after ``value``.
Names as in :data:`~alertkit.backtest.outcomes.SUMMARY_SCHEMA` (benefit in USD per alert,
to the cent)."""
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
    by_trigger: bool = False,
) -> SummaryFrame:
    """Backtest ``history`` once per value of ``rule``'s threshold ``parameter``.

    Each run uses ``rules`` (default :func:`~alertkit.rules.default_rules`) with the rule
    named ``rule`` rebuilt with ``parameter=value`` (see :func:`with_threshold`), in
    vectorized mode. The counts and outcomes are those of ``rule``'s own alerts (all its
    triggers, or each trigger apart with ``by_trigger``: ``take_profit`` has a full and a
    partial one); the other rules run too, since an earlier rule that fires hides a later one.

    Returns
    -------
    SummaryFrame
        One row per value (per value and trigger with ``by_trigger``, the triggers in the
        engine's order), in the given order, columns :data:`SWEEP_SCHEMA`: rule, parameter,
        value, alerts, repeats (suppressed), positions, mean_benefit_usd, median_benefit_usd
        (benefit of acting: P&L at the alert minus P&L at the end of the position's history,
        see :mod:`alertkit.backtest.outcomes`). A polars DataFrame that prints every column.
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
            swept = next(r for r in result.rules if r.name == rule)
            groups = [(t.id, own.filter(pl.col("trigger") == t.id)) for t in swept.triggers]
            for trigger, alerts in groups if by_trigger else [(None, own)]:
                rows.append(_row(rule, parameter, float(value), trigger, alerts))
            bar.update()
    schema = dict(SWEEP_SCHEMA)
    if by_trigger:
        schema = {**dict(list(schema.items())[:3]), "trigger": pl.String(), **schema}
    frame = pl.DataFrame(rows, schema=schema).with_columns(
        pl.col("mean_benefit_usd", "median_benefit_usd").round(USD_DECIMALS)
    )
    return summary_frame(frame)


def _row(
    rule: str, parameter: str, value: float, trigger: str | None, own: pl.DataFrame
) -> dict[str, Any]:
    return {
        "rule": rule,
        "parameter": parameter,
        "value": value,
        **({} if trigger is None else {"trigger": trigger}),
        "alerts": own.height,
        "repeats": int((own["occurrences"] - 1).sum()),
        "positions": own["strategy_id"].n_unique(),
        "mean_benefit_usd": own["benefit_of_acting"].mean(),
        "median_benefit_usd": own["benefit_of_acting"].median(),
    }


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
