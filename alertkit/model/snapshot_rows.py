"""Snapshot normalisation, the one owner: every input form becomes one typed row or frame.

Rules read plain rows keyed by the ``SNAPSHOT_SCHEMA`` columns (:mod:`alertkit.model.snapshot`)
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
  ``iv_percentile`` outside [0, 1] (a 0-100 source not converted),
  ``|underlying_change_1h| >= 1`` and ``|upl_pct| > 100`` (percent, not a fraction), a
  ``vix`` or ``vix_at_entry`` below 1 (a fraction, not index points); so is an unknown
  ``strategy_type``, which would otherwise silently disable the type-specific rules;
- a frame is held to exactly the rules of a dict: a column is accepted when the values a
  polars row gives for it would be (a ``symbol`` of integers, a ``vix`` of booleans or an
  ``as_of`` of strings is refused with the message the dict gets for its first value), and a
  naive ``as_of`` is local time converted to UTC, as a naive ``datetime`` is;
- a key or column that is not a snapshot column is ignored, unless it looks like a misspelt
  snapshot column that is missing (``strategyid``, ``sym``, ``upl``): that is refused, naming
  both (:func:`check_columns`), since the misspelt column would silently read as unknown;
- two snapshots of one ``strategy_id`` at one ``as_of`` are refused in a cycle and a history
  (:func:`refuse_duplicates`: which one counts would depend on row order);
- values that are each possible but together look like percent (``upl_pct``, see
  ``alertkit.model.snapshot_schema.SUSPECT_UNITS``) raise one
  :class:`~alertkit.model.snapshot_schema.SuspectUnitsWarning` naming the column;
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

import difflib
import math
import re
import warnings
from collections.abc import Collection, Iterable, Mapping
from dataclasses import fields, is_dataclass
from datetime import date, datetime
from numbers import Integral, Real
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, TypeAlias

import polars as pl

from alertkit.model._text import check_unicode
from alertkit.model._time import to_utc
from alertkit.model.errors import ValidationError
from alertkit.model.snapshot_schema import (
    FINITE,
    FLOAT_COLUMNS,
    SNAPSHOT_SCHEMA,
    STRATEGY_TYPES,
    SUSPECT_UNITS,
    UNIT_RANGES,
    SuspectUnitsWarning,
    check_units,
    suspect_units_message,
)

if TYPE_CHECKING:  # the model is normalised here, so it imports this module
    from alertkit.model.snapshot import PositionSnapshot

__all__ = [
    "MARKET_COLUMNS",
    "MARKET_DATA_KEYS",
    "PEAK_COLUMN",
    "ROW_SCHEMA",
    "SnapshotLike",
    "SnapshotRow",
    "as_polars",
    "check_columns",
    "derived_dte",
    "derived_upl_pct",
    "local_to_utc",
    "normalize_frame",
    "refuse_duplicates",
    "snapshot_row",
    "suspect_columns",
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

SnapshotLike: TypeAlias = "PositionSnapshot | Mapping[str, Any]"
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
        ``ROW_SCHEMA`` are ignored (unless misspelt, see :func:`check_columns`); missing keys
        are null.
    market_data
        Market values keyed as in the module docstring.

    Raises
    ------
    ValidationError
        A value of the wrong type, a misspelt key, an unknown ``market_data`` key or
        ``strategy_type``, or a value in a detectably wrong unit.

    Examples
    --------
    >>> row = snapshot_row({"strategy_id": 7, "symbol": "SPY", "upl_pct": 0.5},
    ...                    {"vix": 31.0, "delta_per_symbol": {"SPY": 0.12}})
    >>> row["upl_pct"], row["vix"], row["symbol_delta"], row["dte"]
    (0.5, 31.0, 0.12, None)
    """
    if isinstance(snapshot, SnapshotRow) and market_data is None:
        return snapshot
    if _is_snapshot_model(snapshot):
        source: Mapping[str, Any] = {name: getattr(snapshot, name) for name in SNAPSHOT_SCHEMA}
    elif isinstance(snapshot, Mapping):
        source = snapshot
        check_columns(source.keys())
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


def _is_snapshot_model(value: object) -> bool:
    """A :class:`~alertkit.model.snapshot.PositionSnapshot` (or a dataclass with its fields),
    told by shape: the model module imports this one."""
    return (
        is_dataclass(value)
        and not isinstance(value, type)
        and {f.name for f in fields(value)} >= _MODEL_FIELDS
    )


_MODEL_FIELDS: Final = frozenset(SNAPSHOT_SCHEMA)

# Snapshot columns a misspelling is looked for (the peak is the engine's, never an input).
_TYPO_TARGETS: Final = tuple(SNAPSHOT_SCHEMA)
_ROW_COLUMNS: Final = frozenset(ROW_SCHEMA)


def _squashed(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", name.lower())


def _resembles(unknown: str, known: str) -> bool:
    """``unknown`` reads as ``known`` misspelt: the same letters (``strategyid``, ``Symbol``),
    a prefix or extension of at least three letters (``sym``, ``upl``, ``symbols``), or a
    typo (``straetgy_id``)."""
    a, b = _squashed(unknown), _squashed(known)
    if not a:
        return False
    if a == b or (len(a) >= 3 and (b.startswith(a) or a.startswith(b))):
        return True
    return _closeness(unknown, known) >= 0.8


def _closeness(unknown: str, known: str) -> float:
    return difflib.SequenceMatcher(None, _squashed(unknown), _squashed(known)).ratio()


def check_columns(names: Iterable[object]) -> None:
    """Refuse keys or columns that look like misspelt snapshot columns.

    A name outside ``ROW_SCHEMA`` is ignored (a feed may carry its own columns), unless it
    resembles a snapshot column that is *missing* (``strategyid`` without ``strategy_id``):
    read as given, the snapshot column would be null, every rule reading it would stay silent
    and a broken feed would look like a calm book. The same check runs on a dict's keys and a
    frame's columns.

    Raises
    ------
    ValidationError
        Naming each such name and the column it resembles.

    Examples
    --------
    >>> check_columns(["strategy_id", "symbol", "account"])  # an unrelated extra: ignored
    >>> try:
    ...     check_columns(["strategyid", "sym", "upl"])
    ... except ValidationError as error:
    ...     print(str(error).split(":")[0])
    misspelt columns? 'strategyid' (strategy_id?), 'sym' (symbol?), 'upl' (upl_pct?)
    """
    given = [name for name in names if isinstance(name, str)]
    extras = [name for name in given if name not in _ROW_COLUMNS]
    if not extras:  # the usual case, once per snapshot in the engine: keep it cheap
        return
    present = set(given)
    missing = [known for known in _TYPO_TARGETS if known not in present]
    found: list[tuple[str, str]] = []
    for name in extras:
        like = [known for known in missing if _resembles(name, known)]
        if like:  # the closest ones: "sym" is symbol misspelt, not symbol_delta
            best = max(_closeness(name, known) for known in like)
            found.append((name, " or ".join(k for k in like if _closeness(name, k) == best)))
    if found:
        raise ValidationError(
            "misspelt columns? "
            + ", ".join(f"{name!r} ({like}?)" for name, like in found)
            + ": not snapshot columns, and those are missing; rename them"
            " (see alertkit.SNAPSHOT_SCHEMA)"
        )


def as_polars(frame: object) -> pl.DataFrame | pl.LazyFrame | None:
    """``frame`` as a polars frame if it is one, or a pandas DataFrame (converted with
    ``pl.from_pandas``); None for anything else. pandas is never imported here: a pandas
    frame is recognised by its type's module, so alertkit works where pandas is absent."""
    if isinstance(frame, pl.DataFrame | pl.LazyFrame):
        return frame
    kind = type(frame)
    if kind.__name__ == "DataFrame" and kind.__module__.split(".")[0] == "pandas":
        try:
            return pl.from_pandas(frame)
        except Exception as exc:  # a column polars cannot hold (objects of mixed types)
            raise ValidationError(
                f"snapshots: a pandas DataFrame that pl.from_pandas(df) could not convert: {exc}"
            ) from exc
    return None


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

    A column is accepted exactly when :func:`snapshot_row` accepts the values a polars row
    gives for it: floats from any numeric column but Boolean or Decimal, ints from integer
    columns, strings from String, Categorical or Enum, ``expiry`` from Date or Datetime,
    ``as_of`` from Datetime (a naive one is local time, converted to UTC as a naive
    ``datetime`` is), and any column with no value at all. A ``LazyFrame`` is collected for
    the first value of a refused column, and for the distinct instants of a naive ``as_of``.

    Raises
    ------
    ValidationError
        A misspelt column (:func:`check_columns`), or a column of a type a row would refuse,
        with the row's message for its first value.
    """
    lf = frame.lazy()
    schema = lf.collect_schema()
    check_columns(schema.names())
    exprs: list[pl.Expr] = []
    for name, dtype in SNAPSHOT_SCHEMA.items():
        if name not in schema or schema[name] == pl.Null():
            exprs.append(pl.lit(None, dtype=dtype).alias(name))
            continue
        given = schema[name]
        if not _row_accepts(name, given):
            first = lf.select(pl.col(name).drop_nulls().first()).collect().item()
            if first is None:  # no value at all: null, as an all-empty CSV column is
                exprs.append(pl.lit(None, dtype=dtype).alias(name))
                continue
            _coerce(name, first)  # raises the dict path's message for this value
            raise ValidationError(f"{name}: expected {dtype}, got a {given} column")
        expr = pl.col(name).cast(dtype)
        if name == "as_of":
            if isinstance(given, pl.Datetime) and given.time_zone is None:
                expr = local_to_utc(lf, name)
            else:
                expr = pl.col(name).dt.convert_time_zone("UTC").cast(dtype)
        elif name == "expiry" and isinstance(given, pl.Datetime):
            expr = pl.col(name).dt.date()
        if dtype == pl.Float64():
            expr = expr.fill_nan(None)
        exprs.append(expr.alias(name))
    return lf.with_columns(exprs).with_columns(
        upl_pct=pl.coalesce(pl.col("upl_pct"), derived_upl_pct()),
        dte=pl.coalesce(pl.col("dte"), derived_dte()),
    )


def _row_accepts(name: str, dtype: pl.DataType) -> bool:
    """Whether :func:`_coerce` accepts every value a polars row gives from a ``dtype`` column."""
    if name in _FLOATS:
        return dtype.is_float() or dtype.is_integer()
    if name in _INTS:
        return dtype.is_integer()
    if name in _STRINGS:
        return dtype == pl.String() or isinstance(dtype, pl.Categorical | pl.Enum)
    if name == "as_of":
        return isinstance(dtype, pl.Datetime)
    if name == "expiry":
        return dtype == pl.Date() or isinstance(dtype, pl.Datetime)
    raise AssertionError(f"unhandled column {name}")  # pragma: no cover


def local_to_utc(lf: pl.LazyFrame, name: str) -> pl.Expr:
    """A naive Datetime column's values as UTC instants, each converted as :func:`to_utc`
    converts a naive ``datetime`` (local time), so a frame and a dict of the same wall-clock
    times give the same instants. Converted once per distinct instant (a book has one per
    cycle), which is far cheaper than per row and exactly the dict path's arithmetic."""
    naive = lf.select(pl.col(name).unique().drop_nulls()).collect().to_series()
    aware = pl.Series([to_utc(value, name) for value in naive], dtype=SNAPSHOT_SCHEMA[name])
    return pl.col(name).replace_strict(naive, aware, return_dtype=SNAPSHOT_SCHEMA[name])


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
        Naming the column and the first wrong value (and how many rows are wrong).

    Warns
    -----
    SuspectUnitsWarning
        Once per column whose values look like a wrong unit (see :func:`suspect_columns`).
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
    for name in suspect_columns(frame):
        warnings.warn(suspect_units_message(name), SuspectUnitsWarning, stacklevel=3)


def suspect_columns(frame: pl.DataFrame | pl.LazyFrame) -> list[str]:
    """The columns of ``alertkit.model.snapshot.SUSPECT_UNITS`` whose values look like a wrong unit:
    median ``|x|`` and largest ``|x|`` both beyond the column's bounds."""
    if not SUSPECT_UNITS:  # pragma: no cover
        return []
    found = (
        frame.lazy()
        .select(
            *(
                (
                    (pl.col(name).abs().median() > median) & (pl.col(name).abs().max() > largest)
                ).alias(name)
                for name, median, largest, _ in SUSPECT_UNITS
            )
        )
        .collect()
        .row(0, named=True)
    )
    return [name for name, suspect in found.items() if suspect]


def refuse_duplicates(frame: pl.DataFrame | pl.LazyFrame) -> None:
    """Refuse two snapshots of one ``strategy_id`` at one ``as_of``: which one would count
    depends on row order (the first sets the peak, the last the decision), so neither is
    taken. A null ``as_of`` is one instant (a cycle dates those snapshots ``at``).

    Raises
    ------
    ValidationError
        Naming the first such ``strategy_id`` and instant, and how many pairs repeat.
    """
    keys = ["strategy_id", "as_of"]
    repeated = (
        frame.lazy()
        .select(keys)
        .filter(pl.col("strategy_id").is_not_null())
        .group_by(keys)
        .agg(pl.len().alias("n"))
        .filter(pl.col("n") > 1)
        .sort(keys, nulls_last=False)
        .collect()
    )
    if repeated.height:
        sid, when, n = repeated.row(0)
        instant = "the cycle's instant (no as_of)" if when is None else when.isoformat()
        more = f" ({repeated.height - 1} more such pairs)" if repeated.height > 1 else ""
        raise ValidationError(
            f"strategy_id {sid}: {n} snapshots at {instant}{more}; expected one snapshot per"
            " position and instant (which one counts would depend on row order)"
        )


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
        # An infinity is no unit mistake: the FINITE check names it, as check_units does first.
        checks.append((name, ~unknown & ~inside & ~pl.col(name).is_infinite(), meaning))
    return checks


def _problems(
    frame: pl.DataFrame | pl.LazyFrame, checks: list[tuple[str, pl.Expr, str]]
) -> list[str]:
    """``checks`` run in one pass: (column, rows that break the rule, what was expected).

    A problem of one row reads exactly as :func:`snapshot_row`'s message for it."""
    if not checks:
        return []
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
        f"{name}: expected {meaning}, got {found[f'{i}.first']!r}"
        + (f" (in {count} rows)" if count > 1 else "")
        for i, (name, _, meaning) in enumerate(checks)
        if (count := found[f"{i}.count"])
    ]
