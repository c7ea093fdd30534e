"""What :func:`alertkit.backtest.scores.scores` checks and reads: its options, and the
snapshot rows it scores (only the columns it needs, sorted by position and time).

Every refusal is a :class:`~alertkit.model.errors.ValidationError` that starts with the
parameter's name, raised before any work is done.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Final

import polars as pl

from alertkit.backtest._episodes import REFERENCE
from alertkit.model.errors import ValidationError
from alertkit.model.snapshot_rows import PEAK_COLUMN
from alertkit.rules.regimes import REGIME_COLUMN, vix_regime_polars

__all__ = ["VIX", "check_adverse", "check_options", "snapshot_rows"]

VIX: Final = "vix"
"""``regime="vix"``: the VIX buckets of :mod:`alertkit.rules.regimes`."""


def check_options(
    horizon: object, lead_window: object, contracts: object, cost: object, slippage: object
) -> timedelta:
    for name, value in (("horizon", horizon), ("lead_window", lead_window)):
        if value is None and name == "lead_window":
            continue
        if not isinstance(value, timedelta) or value <= timedelta(0):
            raise ValidationError(f"{name}: expected a positive timedelta, got {value!r}")
    if isinstance(contracts, bool) or not (
        isinstance(contracts, str) or (isinstance(contracts, int) and contracts > 0)
    ):
        raise ValidationError(
            f"contracts: expected a positive int or a column name, got {contracts!r}"
        )
    for name, value in (("cost_per_contract", cost), ("slippage", slippage)):
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or value < 0
        ):
            raise ValidationError(f"{name}: expected a finite number >= 0, got {value!r}")
    assert isinstance(horizon, timedelta)
    return lead_window if isinstance(lead_window, timedelta) else horizon


def snapshot_rows(
    decisions: pl.DataFrame,
    history: pl.DataFrame | None,
    adverse: pl.Expr,
    regime: str | None,
    contracts: int | str,
) -> pl.LazyFrame:
    """The snapshot rows scoring reads, sorted by (strategy_id, as_of), indexed ``_row``."""
    if history is not None and not isinstance(history, pl.DataFrame):
        raise ValidationError(f"history: expected a polars DataFrame, got {type(history).__name__}")
    available = set(decisions.columns)
    extra = [] if history is None else [c for c in history.columns if c not in available]
    if history is not None and not {"as_of", "strategy_id"} <= set(history.columns):
        raise ValidationError("history: expected the columns as_of and strategy_id")
    known = available | set(extra)
    for name, column in (("regime", regime), ("contracts", contracts)):
        if (
            isinstance(column, str)
            and column not in known
            and not (name == "regime" and column == VIX)
        ):
            raise ValidationError(
                f"{name}: no column {column!r} in the decisions or history"
                f" (history columns: {sorted(extra)})"
            )
    wanted = {"as_of", "strategy_id", "upl_pct", "entry_price", "action", PEAK_COLUMN}
    wanted |= (set(adverse.meta.root_names()) - {REFERENCE}) & known
    wanted |= {c for c in (regime, contracts, VIX) if isinstance(c, str) and c in known}
    rows = decisions.lazy().select(sorted(wanted & available))
    if extra and history is not None:
        keep = ["as_of", "strategy_id", *sorted(wanted & set(extra))]
        if len(keep) > 2:
            rows = rows.join(history.lazy().select(keep), on=["as_of", "strategy_id"], how="left")
    if regime is None:
        label = pl.lit("all", dtype=pl.String).alias(REGIME_COLUMN)
    elif regime == VIX:
        label = vix_regime_polars(VIX)
    else:
        label = pl.col(regime).cast(pl.String).alias(REGIME_COLUMN)
    count = pl.lit(float(contracts)) if isinstance(contracts, int) else pl.col(contracts)
    return (
        rows.with_columns(label, contracts=count.cast(pl.Float64))
        .sort("strategy_id", "as_of")
        .with_row_index("_row")
    )


def check_adverse(adverse: pl.Expr, rows: pl.LazyFrame) -> None:
    try:
        probe = rows.head(0).with_columns(pl.col(PEAK_COLUMN).alias(REFERENCE))
        dtype = probe.select(adverse.alias("adverse")).collect_schema()["adverse"]
    except pl.exceptions.PolarsError as error:
        raise ValidationError(f"adverse: cannot be evaluated on the snapshots: {error}") from None
    if dtype != pl.Boolean():
        raise ValidationError(f"adverse: expected a Boolean expression, got dtype {dtype}")
