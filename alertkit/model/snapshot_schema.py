"""The snapshot columns: one declaration of what a position observation holds.

``SNAPSHOT_SCHEMA`` is the single declaration of the snapshot columns and their polars dtypes,
with the strategy types, the float columns and the unit checks every input path applies.
:class:`~alertkit.model.snapshot.PositionSnapshot` mirrors one row; normalising any input
into a row is :mod:`alertkit.model.snapshot_rows`' job.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Final

import polars as pl

from alertkit.model.errors import ValidationError

__all__ = [
    "FINITE",
    "FLOAT_COLUMNS",
    "SNAPSHOT_SCHEMA",
    "STRATEGY_TYPES",
    "SUSPECT_UNITS",
    "UNIT_RANGES",
    "SuspectUnitsWarning",
    "check_units",
    "suspect_units_message",
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
# upl_pct: a credit position can lose many times its premium (-3.0 is a -300 % loss on a
# spread, a far out-of-the-money one can reach -40) and a long option can make 10x, but no
# position moves 100x its premium: beyond that the source is in percent. VIX has never closed
# below 9 index points, so a value below 1 is a fraction (0.185 for 18.5).
UNIT_RANGES: Final = (
    ("iv_percentile", 0.0, 1.0, True, "a fraction 0-1 (divide 0-100 sources by 100)"),
    ("underlying_change_1h", -1.0, 1.0, False, "a fraction with |x| < 1 (-0.03 = -3 %)"),
    (
        "upl_pct",
        -100.0,
        100.0,
        True,
        "a fraction of the premium with |x| <= 100 (0.553 = 55.3 %; divide percent sources by 100)",
    ),
    ("vix", 1.0, math.inf, True, "index points >= 1 (18.5, not the fraction 0.185)"),
    ("vix_at_entry", 1.0, math.inf, True, "index points >= 1 (18.5, not the fraction 0.185)"),
)

# Columns whose values can be right one by one but, taken together, look like a wrong unit:
# (column, median |x| above which, largest |x| above which, the likely unit). A book in
# percent has most values beyond +-1 and some beyond +-10; a book in fractions has its median
# well below 1 even when long options have made 10x (the synthetic history's largest is 16).
# One snapshot is its own median and largest, so it is suspect beyond +-10.
SUSPECT_UNITS: Final = (("upl_pct", 1.0, 10.0, "percent"),)


class SuspectUnitsWarning(UserWarning):
    """A snapshot column's values look like a wrong unit (e.g. ``upl_pct`` in percent)."""


def suspect_units_message(name: str) -> str:
    """The one warning text for a column of :data:`SUSPECT_UNITS` (no values in it, so the
    warning registry shows it once per place, not once per snapshot)."""
    _, median, largest, unit = next(entry for entry in SUSPECT_UNITS if entry[0] == name)
    return (
        f"{name}: values look like {unit} (median |{name}| above {median:g}, largest above"
        f" {largest:g}); expected a fraction (0.553 = 55.3 %): divide percent sources by 100"
    )


FINITE: Final = "a finite number or None (an infinity is never a real input)"
"""What every float input must be. NaN means "unknown" and becomes None; an infinity would
fire rules at once and, kept as a trailing-stop peak, fire one on every later snapshot."""


def check_units(values: dict[str, Any]) -> None:
    """Raise ValidationError for an infinite float in ``values`` or a value in a detectably
    wrong unit (see UNIT_RANGES); warn (:class:`SuspectUnitsWarning`) for a value that looks
    like one (see SUSPECT_UNITS)."""
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
    for name, median, largest, _ in SUSPECT_UNITS:
        value = values.get(name)
        if value is not None and abs(value) > max(median, largest):
            warnings.warn(suspect_units_message(name), SuspectUnitsWarning, stacklevel=3)
