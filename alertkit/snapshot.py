"""The position snapshot: one position at one instant.

``SNAPSHOT_SCHEMA`` is the single declaration of the snapshot columns and their polars dtypes;
:class:`PositionSnapshot` mirrors one row. ``None`` means "not known": rules never fire on it.
Normalising any input into a row is :mod:`alertkit.snapshot_rows`' job, the model's included.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any, Final

import polars as pl

from alertkit._time import to_utc
from alertkit.errors import ValidationError

__all__ = [
    "FINITE",
    "FLOAT_COLUMNS",
    "SNAPSHOT_SCHEMA",
    "STRATEGY_TYPES",
    "UNIT_RANGES",
    "PositionSnapshot",
    "check_units",
]

SNAPSHOT_SCHEMA: Final[dict[str, pl.DataType]] = {
    "as_of": pl.Datetime("us", "UTC"),
    "strategy_id": pl.Int64(),
    "symbol": pl.String(),
    "strategy_type": pl.String(),
    "expiry": pl.Date(),
    "dte": pl.Int32(),
    "entry_price": pl.Float64(),
    "unrealized_pnl": pl.Float64(),
    "upl_pct": pl.Float64(),
    "net_delta": pl.Float64(),
    "net_gamma": pl.Float64(),
    "underlying_change_1h": pl.Float64(),
    "iv_change_1h": pl.Float64(),
    "iv_change_since_entry": pl.Float64(),
    "vix": pl.Float64(),
    "vix_at_entry": pl.Float64(),
    "iv_percentile": pl.Float64(),
    "portfolio_delta": pl.Float64(),
    "symbol_delta": pl.Float64(),
}

STRATEGY_TYPES: Final = frozenset(
    {
        "iron_condor",
        "vertical_spread",
        "calendar_spread",
        "butterfly",
        "strangle",
        "custom",
        "long_call",
        "long_put",
        "short_call",
        "short_put",
    }
)

FLOAT_COLUMNS: Final = tuple(
    name for name, dtype in SNAPSHOT_SCHEMA.items() if dtype == pl.Float64()
)

# Valid ranges, inclusive flags, and what a value outside them most likely means. One table
# for the model, the engine's row check and the frame check, so all refuse the same values.
UNIT_RANGES: Final = (
    ("iv_percentile", 0.0, 1.0, True, "a fraction 0-1 (divide 0-100 sources by 100)"),
    ("underlying_change_1h", -1.0, 1.0, False, "a fraction with |x| < 1 (-0.03 = -3 %)"),
)


FINITE: Final = "a finite number or None (an infinity is never a real input)"
"""What every float input must be. NaN means "unknown" and becomes None; an infinity would
fire rules at once and, kept as a trailing-stop peak, fire one on every later snapshot."""


def check_units(values: dict[str, Any]) -> None:
    """Raise ValidationError for an infinite float in ``values`` or a value in a detectably
    wrong unit (see UNIT_RANGES)."""
    for name, value in values.items():
        if isinstance(value, float) and math.isinf(value):
            raise ValidationError(f"{name}: expected {FINITE}, got {value!r}")
    for name, low, high, inclusive, meaning in UNIT_RANGES:
        value = values.get(name)
        if value is None:
            continue
        inside = low <= value <= high if inclusive else low < value < high
        if not inside:
            raise ValidationError(f"{name}: expected {meaning}, got {value!r}")


@dataclass(slots=True)
class PositionSnapshot:
    """One position at one instant; the fields are the columns of ``SNAPSHOT_SCHEMA``.

    ``upl_pct`` is derived from ``unrealized_pnl / entry_price`` when not given (and stays None
    when ``entry_price <= 0``); ``dte`` is derived from ``expiry`` and ``as_of``'s date.
    A naive ``as_of`` is taken as local time and stored as UTC.
    """

    as_of: datetime
    strategy_id: int
    symbol: str
    strategy_type: str
    expiry: date | None = None
    dte: int | None = None
    entry_price: float | None = None
    unrealized_pnl: float | None = None
    upl_pct: float | None = None
    net_delta: float | None = None
    net_gamma: float | None = None
    underlying_change_1h: float | None = None
    iv_change_1h: float | None = None
    iv_change_since_entry: float | None = None
    vix: float | None = None
    vix_at_entry: float | None = None
    iv_percentile: float | None = None
    portfolio_delta: float | None = None
    symbol_delta: float | None = None

    def __post_init__(self) -> None:
        self.as_of = to_utc(self.as_of, "as_of")
        if isinstance(self.strategy_id, bool) or not isinstance(self.strategy_id, int):
            raise ValidationError(f"strategy_id: expected an int, got {self.strategy_id!r}")
        if not isinstance(self.symbol, str) or not self.symbol:
            raise ValidationError(f"symbol: expected a non-empty str, got {self.symbol!r}")
        if self.strategy_type not in STRATEGY_TYPES:
            raise ValidationError(
                f"strategy_type: expected one of {', '.join(sorted(STRATEGY_TYPES))},"
                f" got {self.strategy_type!r}"
            )
        # The rest (types, NaN, derivations, units) is the one snapshot normaliser's, which
        # imports this module: the model and a dict row cannot come to differ.
        from alertkit.snapshot_rows import snapshot_row

        row = snapshot_row({name: getattr(self, name) for name in SNAPSHOT_SCHEMA})
        for name in SNAPSHOT_SCHEMA:
            setattr(self, name, row[name])

    def to_dict(self) -> dict[str, Any]:
        """The snapshot as a plain dict keyed by ``SNAPSHOT_SCHEMA`` column names."""
        return asdict(self)
