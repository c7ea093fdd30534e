"""Snapshot normalisation, the one owner: every input form becomes one typed row or frame.

This module holds the rules and the row path; :mod:`alertkit.model.snapshot_frames` applies the
same rules to a frame, column by column, with this module's per-value checks.

Rules read plain rows keyed by the ``SNAPSHOT_SCHEMA`` columns (:mod:`alertkit.model.snapshot`)
plus ``peak_upl_pct`` (the trailing-stop peak the engine keeps). A row can come from a
:class:`PositionSnapshot`, a dict, or a polars named row, optionally with a ``market_data``
dict folded in (the engine's ``evaluate(snapshot, market_data)``); a frame of snapshots goes
through :func:`~alertkit.model.snapshot_frames.normalize_frame`, a recorded history through
:func:`alertkit.backtest.load_history`, which uses the same derivations and checks.
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
  (:func:`~alertkit.model.snapshot_frames.refuse_duplicates`: which one counts would depend on
  row order);
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
from collections.abc import Iterable, Mapping
from dataclasses import fields, is_dataclass
from datetime import date, datetime
from numbers import Integral, Real
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, TypeAlias

import polars as pl

from alertkit.model._text import check_unicode
from alertkit.model._time import to_utc
from alertkit.model.errors import ValidationError
from alertkit.model.snapshot_schema import FINITE, SNAPSHOT_SCHEMA, STRATEGY_TYPES, check_units

if TYPE_CHECKING:  # the model is normalised here, so it imports this module
    from alertkit.model.snapshot import PositionSnapshot

__all__ = [
    "MARKET_COLUMNS",
    "MARKET_DATA_KEYS",
    "PEAK_COLUMN",
    "ROW_SCHEMA",
    "SnapshotLike",
    "SnapshotRow",
    "check_columns",
    "coerce_value",
    "row_accepts",
    "snapshot_row",
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
    row = SnapshotRow({name: coerce_value(name, source.get(name)) for name in ROW_SCHEMA})
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


def coerce_value(name: str, value: Any) -> Any:
    """``value`` as column ``name`` of a row holds it (NaN as None), or the refusal that says
    which column, what was expected and what arrived."""
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


def row_accepts(name: str, dtype: pl.DataType) -> bool:
    """Whether :func:`coerce_value` accepts every value a polars row gives from a ``dtype``
    column: the frame path holds a column to exactly what a row accepts."""
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
        value = coerce_value(column, value)
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
