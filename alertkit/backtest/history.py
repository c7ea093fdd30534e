"""Load a recorded position history and check it against ``alertkit.SNAPSHOT_SCHEMA``.

:func:`load_history` reads Parquet, CSV (any common separator, see
:mod:`alertkit.lake.snapshot_files`) or a Delta table (or takes a polars or pandas frame) and
returns the columns of ``SNAPSHOT_SCHEMA`` with their exact dtypes, sorted by
``(as_of, strategy_id)``, followed by any extra columns unchanged. Problems are reported
together, in one :class:`~alertkit.model.errors.ValidationError` that names every missing column
(and how to supply it), every mistyped column (expected and actual dtype) and every bad value.

It meets a history halfway: ``dte`` is derived from ``expiry`` and ``upl_pct`` from
``unrealized_pnl / entry_price`` when absent (as :mod:`alertkit.model.snapshot_rows` derives them
for one snapshot); ``portfolio_delta`` and ``symbol_delta`` are computed from ``net_delta`` of
the positions at each ``as_of`` (:func:`alertkit.model.portfolio.portfolio_columns`); any other
missing column (a market input such as ``vix``, or ``net_gamma``) is taken as unknown: null,
so the rules reading it cannot fire, with one :class:`MissingColumnsWarning` naming them.
What cannot be made up is refused: ``as_of``, ``strategy_id``, ``symbol``,
``strategy_type``, ``dte`` (or ``expiry``) and ``upl_pct`` (or ``entry_price`` with
``unrealized_pnl``).

Accepted dtypes (cast without losing information, or checked so that the cast is exact):

=====================  =======================================================================
expected               also accepted
=====================  =======================================================================
Datetime(us, UTC)      Datetime in ms, us or ns with any time zone (converted to UTC; ns is
                       truncated to us). A naive Datetime is local time, converted to UTC as
                       a naive ``datetime`` is everywhere in alertkit.
Int64 (strategy_id)    every integer type (UInt64 only when the values fit)
Int32 (dte)            every integer type, when the values fit in Int32
Float64                Float32 and every integer type
Date (expiry)          Datetime (its date, as a row takes it; pandas gives dates so)
String                 Categorical, Enum
any                    a column that is entirely null, whatever its dtype (as CSV gives it)
=====================  =======================================================================

Value checks: ``as_of``, ``strategy_id``, ``symbol`` and ``strategy_type`` must not be null,
``strategy_type`` must be one of ``alertkit.model.snapshot_schema.STRATEGY_TYPES``, values
must be in the units of ``alertkit.model.snapshot_schema.UNIT_RANGES`` (an ``iv_percentile``
on a 0-100 scale is refused with a hint rather than silently divided; a ``upl_pct`` in
percent beyond 100, a ``vix`` as a fraction), no ``(as_of, strategy_id)`` pair may repeat,
and no column may look like a misspelt snapshot column
(:func:`alertkit.model.snapshot_rows.check_columns`).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from typing import Final, Literal

import polars as pl

from alertkit.lake.snapshot_files import read_snapshot_file
from alertkit.model.errors import ValidationError
from alertkit.model.portfolio import portfolio_columns
from alertkit.model.snapshot_frames import (
    as_polars,
    derived_dte,
    derived_upl_pct,
    local_to_utc,
    unit_problems,
)
from alertkit.model.snapshot_rows import check_columns
from alertkit.model.snapshot_schema import SNAPSHOT_SCHEMA, STRATEGY_TYPES

__all__ = ["HistorySource", "MissingColumnsWarning", "load_history", "validate_history"]

HistorySource = str | os.PathLike[str] | pl.DataFrame | pl.LazyFrame
HistoryFormat = Literal["auto", "parquet", "csv", "delta"]

_INTEGERS: Final = frozenset(
    {
        pl.Int8(),
        pl.Int16(),
        pl.Int32(),
        pl.Int64(),
        pl.UInt8(),
        pl.UInt16(),
        pl.UInt32(),
        pl.UInt64(),
    }
)
_REQUIRED: Final = ("as_of", "strategy_id", "symbol", "strategy_type")
_MAX_EXAMPLES: Final = 3
_HOW_TO_ADD: Final[Mapping[str, str]] = {
    "as_of": "add the instant of each snapshot (a time-zone-aware datetime)",
    "strategy_id": "add an integer id per position",
    "symbol": "add the underlying's ticker per position",
    "strategy_type": f"add one of {', '.join(sorted(STRATEGY_TYPES))} per position",
    "dte": "add it, or an expiry column to derive it from",
    "upl_pct": "add it, or entry_price and unrealized_pnl to derive it from",
}
_DERIVED: Final[Mapping[str, tuple[tuple[str, ...], pl.Expr]]] = {
    # column -> (the columns it is derived from, how)
    "dte": (("expiry", "as_of"), derived_dte()),
    "upl_pct": (("entry_price", "unrealized_pnl"), derived_upl_pct()),
}
_PORTFOLIO: Final = ("portfolio_delta", "symbol_delta")


class MissingColumnsWarning(UserWarning):
    """A history lacked snapshot columns that :func:`load_history` took as unknown."""


def load_history(
    source: HistorySource | object,
    *,
    format: HistoryFormat = "auto",
    separator: str | None = None,
) -> pl.DataFrame:
    """Read a position history and validate it against ``SNAPSHOT_SCHEMA``.

    Parameters
    ----------
    source : str, os.PathLike, polars.DataFrame, polars.LazyFrame or pandas.DataFrame
        A Parquet file, a CSV file, a Delta table directory, or a frame (a pandas one is
        converted with ``pl.from_pandas``).
    format : {"auto", "parquet", "csv", "delta"}, default "auto"
        How to read a path. ``"auto"``: a directory with a ``_delta_log`` is a Delta table,
        otherwise the suffix decides (``.parquet``/``.pq``, ``.csv``).
    separator : str, optional
        A CSV's field separator. By default it is detected from the header line (``,``,
        ``;``, tab or ``|``; see :mod:`alertkit.lake.snapshot_files`), and a header that still
        reads as one column is refused, naming the separator to pass.

    Returns
    -------
    polars.DataFrame
        The snapshot columns in schema order with schema dtypes, then any extra columns,
        sorted by ``(as_of, strategy_id)``.

    Raises
    ------
    ValidationError
        If the path cannot be read as the given format, or the history does not fit the
        schema (one message listing every problem).
    FileNotFoundError
        If the path does not exist.

    Examples
    --------
    A path works the same way (``load_history("history.parquet")``); a frame needs no file:

    >>> from alertkit.backtest import synthetic_history
    >>> history = synthetic_history(2, seed=3)
    >>> load_history(history.lazy()).equals(history)
    True
    """
    frame = as_polars(source)
    if frame is not None:
        return validate_history(frame.lazy().collect())
    if not isinstance(source, str | os.PathLike):
        raise ValidationError(
            "source: expected a path, a polars (or pandas) DataFrame or a LazyFrame,"
            f" got {type(source).__name__}"
        )
    if format not in ("auto", "parquet", "csv", "delta"):
        raise ValidationError(f"format: expected auto, parquet, csv or delta, got {format!r}")
    return validate_history(
        read_snapshot_file(source, format=format, separator=separator, what="history")
    )


def validate_history(frame: pl.DataFrame) -> pl.DataFrame:
    """Check and cast a frame to ``SNAPSHOT_SCHEMA`` (see the module docstring for the rules).

    Returns the snapshot columns with schema dtypes in schema order, then extra columns,
    sorted by ``(as_of, strategy_id)``. Raises :class:`~alertkit.model.errors.ValidationError`
    naming every missing column, every mistyped column and every bad value range at once.
    """
    check_columns(frame.columns)
    given = frame.schema.get("as_of")
    if isinstance(given, pl.Datetime) and given.time_zone is None:
        # Local time, as a naive datetime is everywhere else in alertkit (README, Using it).
        frame = frame.with_columns(local_to_utc(frame.lazy(), "as_of").alias("as_of"))
    missing = [name for name in SNAPSHOT_SCHEMA if name not in frame.columns]
    derived = [n for n in missing if n in _DERIVED and set(_DERIVED[n][0]) <= set(frame.columns)]
    computed = [n for n in _PORTFOLIO if n in missing and "net_delta" in frame.columns]
    refused = [n for n in missing if n in _HOW_TO_ADD and n not in derived]
    unknown = [n for n in missing if n not in (*refused, *derived, *computed)]
    mistyped: list[str] = []
    casts: dict[str, pl.Expr] = {}
    for name, expected in SNAPSHOT_SCHEMA.items():
        if name in missing:
            continue
        actual = frame.schema[name]
        expr = _cast(name, actual, expected)
        if expr is None:
            mistyped.append(f"{name}: expected {expected}, got {actual}")
        else:
            casts[name] = expr
    problems = [f"missing column {n} ({SNAPSHOT_SCHEMA[n]}): {_HOW_TO_ADD[n]}" for n in refused]
    problems += [f"mistyped column {line}" for line in mistyped]

    out = frame
    if casts:
        try:
            out = frame.with_columns(casts.values())
        except pl.exceptions.InvalidOperationError:
            # A strict integer cast failed: find which columns overflow, one at a time.
            for name, expr in list(casts.items()):
                try:
                    frame.select(expr)
                except pl.exceptions.InvalidOperationError:
                    problems.append(
                        f"mistyped column {name}: expected {SNAPSHOT_SCHEMA[name]}, got"
                        f" {frame.schema[name]} with values out of range"
                    )
                    del casts[name]
            out = frame.with_columns(casts.values())
    keys = [key for key in ("as_of", "strategy_id") if key in casts]
    out = out.sort(keys, maintain_order=True) if keys else out
    problems += _value_problems(out, present=set(casts))
    if problems:
        raise ValidationError(
            "history does not fit the snapshot schema (alertkit.SNAPSHOT_SCHEMA):"
            f" {len(problems)} problem{'s' if len(problems) != 1 else ''}\n  - "
            + "\n  - ".join(problems)
        )
    out = out.with_columns(pl.lit(None, SNAPSHOT_SCHEMA[n]).alias(n) for n in unknown)
    out = out.with_columns(_DERIVED[n][1].alias(n) for n in derived)
    if computed:
        out = portfolio_columns(out).collect()
    if unknown:
        warnings.warn(
            f"history has no {', '.join(unknown)} column{'s' if len(unknown) != 1 else ''}:"
            " taken as unknown (null), so the rules reading them cannot fire",
            MissingColumnsWarning,
            stacklevel=3,
        )
    extras = [name for name in frame.columns if name not in SNAPSHOT_SCHEMA]
    return out.select([*SNAPSHOT_SCHEMA, *extras])


def _cast(name: str, actual: pl.DataType, expected: pl.DataType) -> pl.Expr | None:
    """The expression that brings ``actual`` to ``expected`` exactly, or None if it cannot."""
    col = pl.col(name)
    if actual == expected:
        return col
    if actual == pl.Null():
        return col.cast(expected)
    if isinstance(expected, pl.Datetime):
        if isinstance(actual, pl.Datetime) and actual.time_zone is not None:
            return col.dt.convert_time_zone("UTC").dt.cast_time_unit("us")
        return None
    if expected == pl.Date() and isinstance(actual, pl.Datetime):
        return col.dt.date()  # as a row takes a datetime's date (pandas gives dates so)
    if expected in (pl.Int64(), pl.Int32()) and actual in _INTEGERS:
        return col.cast(expected, strict=True)
    if expected == pl.Float64() and (actual == pl.Float32() or actual in _INTEGERS):
        return col.cast(pl.Float64)
    if expected == pl.String() and isinstance(actual, pl.Categorical | pl.Enum):
        return col.cast(pl.String)
    return None


def _value_problems(frame: pl.DataFrame, present: set[str]) -> list[str]:
    """Nulls in key columns, unknown strategy types, 0-100 percentiles and repeated
    (as_of, strategy_id) pairs; ``frame`` is sorted by that pair."""
    problems: list[str] = []
    for name in _REQUIRED:
        if name in present:
            nulls = frame[name].null_count()
            if nulls:
                problems.append(f"{name}: {nulls} null value{'s' if nulls != 1 else ''}")
    if "strategy_type" in present:
        unknown = sorted(set(frame["strategy_type"].drop_nulls().unique()) - STRATEGY_TYPES)
        if unknown:
            problems.append(
                f"strategy_type: unknown value{'s' if len(unknown) != 1 else ''}"
                f" {', '.join(map(repr, unknown[:_MAX_EXAMPLES]))}; expected one of"
                f" {', '.join(sorted(STRATEGY_TYPES))}"
            )
    problems += unit_problems(frame, only=present)
    if {"as_of", "strategy_id"} <= present:
        # Sorted by the pair, so a repeat sits next to its twin: comparing neighbours is far
        # cheaper than hashing a million structs.
        same_as_previous = (pl.col("as_of") == pl.col("as_of").shift(1)) & (
            pl.col("strategy_id") == pl.col("strategy_id").shift(1)
        )
        same_as_next = (pl.col("as_of") == pl.col("as_of").shift(-1)) & (
            pl.col("strategy_id") == pl.col("strategy_id").shift(-1)
        )
        dupes = frame.filter((same_as_previous | same_as_next).fill_null(False))
        if dupes.height:
            first = dupes.row(0, named=True)
            problems.append(
                f"{dupes.height} rows repeat an (as_of, strategy_id) pair, e.g."
                f" ({first['as_of'].isoformat()}, {first['strategy_id']})"
            )
    return problems
