"""The polars backend of the condition language: a condition as one ``pl.Expr``.

One function, :func:`to_polars`, says what every node of :mod:`alertkit.rules.conditions`
computes over columns, agreeing value for value with :func:`alertkit.rules.compile_row.evaluate`
on a frame whose NaNs are nulled (:func:`alertkit.model.snapshot_frames.normalize_frame`).

Examples
--------
>>> import polars as pl
>>> from alertkit.rules.conditions import col
>>> frame = pl.DataFrame({"dte": [20, 30], "upl_pct": [None, 0.6]})
>>> frame.select(to_polars((col("dte") <= 21) & (col("upl_pct") > 0.5)))["dte"].to_list()
[None, False]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, TypeAlias

import polars as pl

from alertkit.rules.conditions import (
    Abs,
    And,
    Arith,
    ArithOp,
    Col,
    Compare,
    CompareOp,
    Expr,
    IsIn,
    IsTrue,
    Lit,
    Lookup,
    Not,
    Or,
    When,
)

__all__ = ["to_polars"]

_PolarsOp: TypeAlias = Callable[[pl.Expr, Any], pl.Expr]

_COMPARE: Final[dict[CompareOp, _PolarsOp]] = {
    "<": pl.Expr.lt,
    "<=": pl.Expr.le,
    ">": pl.Expr.gt,
    ">=": pl.Expr.ge,
    "==": pl.Expr.eq,
}
_ARITH: Final[dict[ArithOp, _PolarsOp]] = {
    "+": pl.Expr.add,
    "-": pl.Expr.sub,
    "*": pl.Expr.mul,
}


def to_polars(expr: Expr) -> pl.Expr:
    """``expr`` as a polars expression over the columns it reads."""
    match expr:
        case Col(name):
            return pl.col(name)
        case Lit(value):
            return pl.lit(value, dtype=pl.Float64) if isinstance(value, float) else pl.lit(value)
        case Compare(op, left, right):
            return _COMPARE[op](to_polars(left), to_polars(right))
        case Arith(op, left, right):
            a, b = to_polars(left).cast(pl.Float64), to_polars(right).cast(pl.Float64)
            return _ARITH[op](a, b).fill_nan(None)
        case And(left, right):
            return to_polars(left) & to_polars(right)
        case Or(left, right):
            return to_polars(left) | to_polars(right)
        case Not(operand):
            return ~to_polars(operand)
        case IsTrue(operand):
            return to_polars(operand).fill_null(False)
        case Abs(operand):
            return to_polars(operand).abs()
        case IsIn(operand, values):
            # polars' is_in gives null for a null input, as SQL IN does; pinned by a test.
            return to_polars(operand).is_in(list(values))
        case Lookup(operand, pairs):
            keys = [key for key, _ in pairs]
            floats = [value for _, value in pairs]
            return to_polars(operand).replace_strict(
                keys, floats, default=None, return_dtype=pl.Float64
            )
        case When(condition, then, otherwise):
            branch = pl.when(to_polars(condition)).then(to_polars(then))
            return branch.otherwise(to_polars(otherwise))
    raise TypeError(f"expr: expected a condition node, got {type(expr).__name__}")
