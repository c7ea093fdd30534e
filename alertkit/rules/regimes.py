"""Volatility regimes: the VIX buckets a rule or a score is split by.

One definition, read by the rules that take a parameter per regime (``dynamic_take_profit``)
and by the outcome scores split by regime, so a row's regime is the same in both. Buckets are
half-open, ``[lower, upper)``, in VIX points; a snapshot without a VIX has no regime (null),
and a rule keyed by regime never fires on it.

>>> import polars as pl
>>> frame = pl.DataFrame({"vix": [12.0, 15.0, 24.9, 25.0, 35.0, None, float("nan")]})
>>> frame.select(vix_regime_polars())["regime"].to_list()
['low_volatility', 'normal', 'normal', 'high_volatility', 'crash', None, None]
>>> vix_regime(34.99), vix_regime(None)
('high_volatility', None)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import polars as pl

from alertkit.model.errors import ValidationError
from alertkit.rules.compile_polars import to_polars
from alertkit.rules.conditions import Expr, col, lit, when

__all__ = [
    "REGIME_COLUMN",
    "VIX_REGIMES",
    "Regime",
    "regime_condition",
    "regime_label",
    "regime_names",
    "vix_regime",
    "vix_regime_polars",
]

REGIME_COLUMN: Final = "regime"


@dataclass(frozen=True, slots=True)
class Regime:
    """A named VIX bucket ``[lower, upper)``; ``None`` is unbounded on that side."""

    name: str
    lower: float | None
    upper: float | None

    def contains(self, vix: float) -> bool:
        return (self.lower is None or vix >= self.lower) and (
            self.upper is None or vix < self.upper
        )


# Calm, normal, stressed and crash markets. 35 is where vix_exit closes everything; 15 and 25
# sit between the synthetic history's calm, normal and stressed VIX levels (13.5, 18.5, 30).
VIX_REGIMES: Final = (
    Regime("low_volatility", None, 15.0),
    Regime("normal", 15.0, 25.0),
    Regime("high_volatility", 25.0, 35.0),
    Regime("crash", 35.0, None),
)


def regime_names() -> tuple[str, ...]:
    """The regimes in ascending VIX order."""
    return tuple(regime.name for regime in VIX_REGIMES)


def _regime(name: str) -> Regime:
    for regime in VIX_REGIMES:
        if regime.name == name:
            return regime
    raise ValidationError(f"unknown regime {name!r}; the regimes are {', '.join(regime_names())}")


def regime_condition(name: str, column: str = "vix") -> Expr:
    """The condition-language test "``column`` is in regime ``name``" (null without a VIX)."""
    regime, vix = _regime(name), col(column)
    if regime.lower is None:
        assert regime.upper is not None
        return vix < regime.upper
    if regime.upper is None:
        return vix >= regime.lower
    return (vix >= regime.lower) & (vix < regime.upper)


def vix_regime(vix: float | None) -> str | None:
    """The regime of one VIX value (``None`` for a missing or NaN VIX)."""
    if vix is None or math.isnan(vix):
        return None
    return next(regime.name for regime in VIX_REGIMES if regime.contains(vix))


def regime_label(column: str = "vix") -> Expr:
    """The condition-language expression naming ``column``'s regime (null without a VIX): the
    one a rule keyed by regime reads, and the one :func:`vix_regime_polars` runs."""
    label: Expr = lit(None)
    for name in regime_names():  # disjoint buckets: the nesting order does not matter
        label = when(regime_condition(name, column), name, label)
    return label


def vix_regime_polars(column: str = "vix") -> pl.Expr:
    """A string column ``regime``: each row's regime, null where ``column`` is null or NaN."""
    # polars orders NaN above every number (NaN >= 35 is True there): a NaN VIX has no regime.
    nan = pl.col(column).is_nan().fill_null(False)
    label = to_polars(regime_label(column)).cast(pl.String)
    return pl.when(nan).then(None).otherwise(label).alias(REGIME_COLUMN)
