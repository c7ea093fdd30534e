"""Snapshot normalisation, the one owner: every input form becomes one typed row or frame.

Rules read plain rows keyed by the ``SNAPSHOT_SCHEMA`` columns (:mod:`alertkit.snapshot`)
plus ``peak_upl_pct`` (the trailing-stop peak the engine keeps). A row can come from a
:class:`PositionSnapshot`, a dict, or a polars named row, optionally with a ``market_data``
dict folded in (the engine's ``evaluate(snapshot, market_data)``); a frame of snapshots goes
through :func:`normalize_frame`, a recorded history through
:func:`alertkit.backtest.load_history`, which uses this module's derivations and checks.
Every path applies the same rules, so the per-snapshot engine and the vectorized backtest see
identical values:

- a missing column is null; NaN is null (feeds use it for "unknown"); nulls never raise;
- ``upl_pct`` is derived as ``unrealized_pnl / entry_price`` when null and ``entry_price > 0``;
  ``dte`` is derived from ``expiry`` and the UTC date of ``as_of`` when null;
- values in a detectably wrong unit are refused with :class:`ValidationError`:
  ``iv_percentile`` outside [0, 1] (a 0-100 source not converted) and
  ``|underlying_change_1h| >= 1`` (a percent, not a fraction); so is an unknown
  ``strategy_type``, which would otherwise silently disable the type-specific rules;
- an infinite float anywhere (``upl_pct=inf`` would fire the trailing stop at once and, as
  the position's peak, on every later snapshot) is refused the same way, and so is text
  holding a lone surrogate (not UTF-8, so no alert could carry it).

``market_data`` keys (the original API's names on the left, snapshot columns on the right)::

    1h_change          -> underlying_change_1h
    iv_change_percent  -> iv_change_1h            (a fraction; the catastrophe IV spike)
    vix                -> vix
    vix_entry          -> vix_at_entry
    iv_percentile      -> iv_percentile           (a fraction 0-1)
    portfolio_delta    -> portfolio_delta
    delta_per_symbol   -> symbol_delta            ({symbol: delta}; the snapshot's symbol is used)

The snapshot's market column names are accepted as keys too. A key given a value overrides the
snapshot's column; a key given ``None`` leaves the snapshot's value in place.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from datetime import date, datetime
from numbers import Integral, Real
from types import MappingProxyType
from typing import Any, Final, TypeAlias

import polars as pl

from alertkit._text import check_unicode
from alertkit._time import to_utc
from alertkit.errors import ValidationError
from alertkit.snapshot import (
    FINITE,
    FLOAT_COLUMNS,
    SNAPSHOT_SCHEMA,
    STRATEGY_TYPES,
    UNIT_RANGES,
    PositionSnapshot,
    check_units,
)

__all__ = [
    "MARKET_COLUMNS",
    "MARKET_DATA_KEYS",
    "PEAK_COLUMN",
    "ROW_SCHEMA",
    "SnapshotLike",
    "SnapshotRow",
    "derived_dte",
    "derived_upl_pct",
    "normalize_frame",
    "snapshot_row",
    "unit_problems",
    "validate_frame",
]

PEAK_COLUMN: Final = "peak_upl_pct"
"""The trailing-stop peak: running maximum of ``upl_pct`` per ``strategy_id``."""

ROW_SCHEMA: Final[Mapping[str, pl.DataType]] = MappingProxyType(
    {**SNAPSHOT_SCHEMA, PEAK_COLUMN: pl.Float64()}
)
"""The columns a rule can read: the snapshot columns plus the trailing-stop peak."""

MARKET_COLUMNS: Final = (
    "underlying_change_1h",
    "iv_change_1h",
    "iv_change_since_entry",
    "vix",
    "vix_at_entry",
    "iv_percentile",
    "portfolio_delta",
    "symbol_delta",
)
MARKET_DATA_KEYS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "1h_change": "underlying_change_1h",
        "iv_change_percent": "iv_change_1h",
        "vix_entry": "vix_at_entry",
        "delta_per_symbol": "symbol_delta",
        **{name: name for name in MARKET_COLUMNS},
    }
)
"""``market_data`` key -> snapshot column (the original API's names and the column names)."""

SnapshotLike: TypeAlias = PositionSnapshot | Mapping[str, Any]
"""What a rule or the engine accepts as a snapshot: the model, a dict, or a polars named row."""

_FLOATS: Final = tuple(name for name, dtype in ROW_SCHEMA.items() if dtype == pl.Float64())
_INTS: Final = ("strategy_id", "dte")
_STRINGS: Final = ("symbol", "strategy_type")


class SnapshotRow(dict[str, Any]):
    """A normalised row: every ``ROW_SCHEMA`` column present, typed, units checked.

    Being its own type lets :func:`snapshot_row` return an already normalised row unchanged,
    so the engine normalises a snapshot once rather than once per rule.
    """

    __slots__ = ()


def snapshot_row(
    snapshot: SnapshotLike, market_data: Mapping[str, Any] | None = None
) -> SnapshotRow:
    """Normalise ``snapshot`` (and ``market_data``) into a :class:`SnapshotRow`.

    Parameters
    ----------
    snapshot
        A :class:`PositionSnapshot`, a dict, or a polars named row. Keys outside
        ``ROW_SCHEMA`` are ignored; missing keys are null.
    market_data
        Market values keyed as in the module docstring.

    Raises
    ------
    ValidationError
        A value of the wrong type, an unknown ``market_data`` key or ``strategy_type``, or a
        value in a detectably wrong unit.

    Examples
    --------
    >>> row = snapshot_row({"strategy_id": 7, "symbol": "SPY", "upl_pct": 0.5},
    ...                    {"vix": 31.0, "delta_per_symbol": {"SPY": 0.12}})
    >>> row["upl_pct"], row["vix"], row["symbol_delta"], row["dte"]
    (0.5, 31.0, 0.12, None)
    """
    if isinstance(snapshot, SnapshotRow) and market_data is None:
        return snapshot
    if isinstance(snapshot, PositionSnapshot):
        source: Mapping[str, Any] = {name: getattr(snapshot, name) for name in SNAPSHOT_SCHEMA}
    elif isinstance(snapshot, Mapping):
        source = snapshot
    else:
        raise ValidationError(
            "snapshot: expected a PositionSnapshot, a dict or a polars named row,"
            f" got {type(snapshot).__name__}"
        )
    row = SnapshotRow({name: _coerce(name, source.get(name)) for name in ROW_SCHEMA})
    if market_data:
        _apply_market_data(row, market_data)
    _derive(row)
    _check_row(row)
    return row


def _coerce(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name in _FLOATS:
        if isinstance(value, bool) or not isinstance(value, Real):
            raise ValidationError(f"{name}: expected a number or None, got {value!r}")
        try:
            number = float(value)
        except OverflowError:  # an int beyond float range
            raise ValidationError(f"{name}: expected {FINITE}, got {value!r}") from None
        return None if math.isnan(number) else number  # infinities: see _check_row
    if name in _INTS:
        if isinstance(value, bool) or not isinstance(value, Integral):
            raise ValidationError(f"{name}: expected an int or None, got {value!r}")
        return int(value)
    if name in _STRINGS:
        if not isinstance(value, str):
            raise ValidationError(f"{name}: expected a str or None, got {value!r}")
        return check_unicode(value, name)
    if name == "as_of":
        return to_utc(value, "as_of")
    if name == "expiry":
        if isinstance(value, datetime):
            return value.date()
        if not isinstance(value, date):
            raise ValidationError(f"expiry: expected a date or None, got {value!r}")
        return value
    raise AssertionError(f"unhandled column {name}")  # pragma: no cover


def _apply_market_data(row: SnapshotRow, market_data: Mapping[str, Any]) -> None:
    if not isinstance(market_data, Mapping):
        raise ValidationError(
            f"market_data: expected a dict or None, got {type(market_data).__name__}"
        )
    unknown = sorted(str(key) for key in market_data if key not in MARKET_DATA_KEYS)
    if unknown:
        raise ValidationError(
            f"market_data: unknown keys {unknown}; expected some of {sorted(MARKET_DATA_KEYS)}"
        )
    seen: dict[str, str] = {}
    for key, value in market_data.items():
        column = MARKET_DATA_KEYS[key]
        if column in seen:
            raise ValidationError(
                f"market_data: {seen[column]!r} and {key!r} both give {column}; pass one"
            )
        seen[column] = key
        if key == "delta_per_symbol" and value is not None:
            if not isinstance(value, Mapping):
                raise ValidationError(
                    "market_data['delta_per_symbol']: expected a {symbol: delta} dict,"
                    f" got {value!r}"
                )
            value = value.get(row["symbol"])
        value = _coerce(column, value)
        if value is not None:  # None is "not known here": keep what the snapshot knows
            row[column] = value


def _derive(row: SnapshotRow) -> None:
    if row["upl_pct"] is None:
        pnl, basis = row["unrealized_pnl"], row["entry_price"]
        if pnl is not None and basis is not None and basis > 0:
            upl = pnl / basis
            row["upl_pct"] = None if math.isnan(upl) else upl  # inf / inf
    if row["dte"] is None and row["expiry"] is not None and row["as_of"] is not None:
        row["dte"] = (row["expiry"] - row["as_of"].date()).days


def _check_row(row: SnapshotRow) -> None:
    kind = row["strategy_type"]
    if kind is not None and kind not in STRATEGY_TYPES:
        raise ValidationError(
            f"strategy_type: expected one of {', '.join(sorted(STRATEGY_TYPES))}, got {kind!r}"
        )
    check_units(row)


def normalize_frame(frame: pl.DataFrame | pl.LazyFrame) -> pl.LazyFrame:
    """The frame with every ``SNAPSHOT_SCHEMA`` column present and typed, as :func:`snapshot_row`.

    Missing columns are added as nulls, NaN becomes null, ``upl_pct`` and ``dte`` are derived
    where null. Other columns are kept. Units are not checked here: see :func:`validate_frame`.

    Raises
    ------
    ValidationError
        ``as_of`` without a time zone (a naive instant cannot be placed in UTC the way a naive
        ``datetime`` is, as local time), or a float column where an integer one belongs.
    """
    lf = frame.lazy()
    schema = lf.collect_schema()
    exprs: list[pl.Expr] = []
    for name, dtype in SNAPSHOT_SCHEMA.items():
        if name not in schema or schema[name] == pl.Null():
            exprs.append(pl.lit(None, dtype=dtype).alias(name))
            continue
        given = schema[name]
        if name == "as_of" and isinstance(given, pl.Datetime) and given.time_zone is None:
            raise ValidationError("as_of: expected a time-zone-aware Datetime column, got naive")
        if name in _INTS and not given.is_integer():
            raise ValidationError(f"{name}: expected an integer column, got {given}")
        expr = pl.col(name).cast(dtype)
        if name == "as_of":
            expr = pl.col(name).dt.convert_time_zone("UTC").cast(dtype)
        if dtype == pl.Float64():
            expr = expr.fill_nan(None)
        exprs.append(expr.alias(name))
    return lf.with_columns(exprs).with_columns(
        upl_pct=pl.coalesce(pl.col("upl_pct"), derived_upl_pct()),
        dte=pl.coalesce(pl.col("dte"), derived_dte()),
    )


def derived_upl_pct() -> pl.Expr:
    """``unrealized_pnl / entry_price`` where ``entry_price > 0`` (else null), as a row gets."""
    pnl, basis = pl.col("unrealized_pnl"), pl.col("entry_price")
    return pl.when(basis > 0).then((pnl / basis).fill_nan(None))


def derived_dte() -> pl.Expr:
    """Days from the UTC date of ``as_of`` to ``expiry``, as a row gets."""
    return (pl.col("expiry") - pl.col("as_of").dt.date()).dt.total_days().cast(pl.Int32)


def validate_frame(frame: pl.DataFrame | pl.LazyFrame) -> None:
    """Refuse a normalised frame whose values :func:`snapshot_row` would refuse.

    A ``LazyFrame`` is collected once (one aggregate row) to find out.

    Raises
    ------
    ValidationError
        Naming the column, how many rows are wrong, and the first wrong value.
    """
    kind = pl.col("strategy_type")
    # (column, rows that break the rule, what was expected), reported in this order.
    checks = [(name, pl.col(name).is_infinite(), FINITE) for name in FLOAT_COLUMNS]
    checks.append(
        (
            "strategy_type",
            kind.is_not_null() & ~kind.is_in(sorted(STRATEGY_TYPES)),
            f"one of {', '.join(sorted(STRATEGY_TYPES))}",
        )
    )
    problems = _problems(frame, [*checks, *_unit_checks()])
    if problems:
        raise ValidationError(problems[0])


def unit_problems(
    frame: pl.DataFrame | pl.LazyFrame, *, only: Collection[str] | None = None
) -> list[str]:
    """A message for each column of ``UNIT_RANGES`` holding a value in a detectably wrong unit
    (``iv_percentile`` on a 0-100 scale, ``underlying_change_1h`` in percent); ``only``
    limits the check to those columns."""
    return _problems(frame, _unit_checks(only))


def _unit_checks(only: Collection[str] | None = None) -> list[tuple[str, pl.Expr, str]]:
    checks = []
    for name, low, high, inclusive, meaning in UNIT_RANGES:
        if only is not None and name not in only:
            continue
        inside = pl.col(name).is_between(low, high, closed="both" if inclusive else "none")
        unknown = pl.col(name).is_null() | pl.col(name).is_nan()  # NaN: "unknown", as null
        checks.append((name, ~unknown & ~inside, meaning))
    return checks


def _problems(
    frame: pl.DataFrame | pl.LazyFrame, checks: list[tuple[str, pl.Expr, str]]
) -> list[str]:
    """``checks`` run in one pass: (column, rows that break the rule, what was expected)."""
    found = (
        frame.lazy()
        .select(
            *(mask.sum().alias(f"{i}.count") for i, (_, mask, _) in enumerate(checks)),
            *(
                pl.col(name).filter(mask).first().alias(f"{i}.first")
                for i, (name, mask, _) in enumerate(checks)
            ),
        )
        .collect()
        .row(0, named=True)
    )
    return [
        f"{name}: expected {meaning}, got {found[f'{i}.first']!r} (in {count} rows)"
        for i, (name, _, meaning) in enumerate(checks)
        if (count := found[f"{i}.count"])
    ]
