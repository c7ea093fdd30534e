"""A frame of snapshots normalised by the rules of :mod:`alertkit.model.snapshot_rows`.

A frame of snapshots (a cycle's book, a backtest's history) is normalised, validated and
checked for repeats here, column by column and in one pass where it can be, so a frame is held
to exactly what :func:`~alertkit.model.snapshot_rows.snapshot_row` does to one dict (the rules
are listed there): :func:`normalize_frame` types and derives, :func:`validate_frame` refuses
what a row would refuse, :func:`refuse_duplicates` two snapshots of one position at one
instant. The expressions that derive ``upl_pct`` and ``dte`` and check units are shared with
:func:`alertkit.backtest.load_history`.
"""

from __future__ import annotations

import warnings
from collections.abc import Collection

import polars as pl

from alertkit.model._time import to_utc
from alertkit.model.errors import ValidationError
from alertkit.model.snapshot_rows import check_columns, coerce_value, row_accepts
from alertkit.model.snapshot_schema import (
    FINITE,
    FLOAT_COLUMNS,
    SNAPSHOT_SCHEMA,
    STRATEGY_TYPES,
    SUSPECT_UNITS,
    UNIT_RANGES,
    SuspectUnitsWarning,
    suspect_units_message,
)

__all__ = [
    "as_polars",
    "derived_dte",
    "derived_upl_pct",
    "local_to_utc",
    "normalize_frame",
    "refuse_duplicates",
    "suspect_columns",
    "unit_problems",
    "validate_frame",
]


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
        if not row_accepts(name, given):
            first = lf.select(pl.col(name).drop_nulls().first()).collect().item()
            if first is None:  # no value at all: null, as an all-empty CSV column is
                exprs.append(pl.lit(None, dtype=dtype).alias(name))
                continue
            coerce_value(name, first)  # raises the dict path's message for this value
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
    """The columns of ``alertkit.model.snapshot_schema.SUSPECT_UNITS`` whose values look like a
    wrong unit: median ``|x|`` and largest ``|x|`` both beyond the column's bounds."""
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
