"""The per-row backend of the condition language: a condition's value on one snapshot.

One function, :func:`evaluate`, says what every node of :mod:`alertkit.rules.conditions` means
on a plain mapping of column -> value, ``None`` being null (SQL three-valued logic; the
module docstring of :mod:`~alertkit.rules.conditions` has the rules both backends keep).

Examples
--------
>>> from alertkit.rules.conditions import col
>>> cond = (col("dte") <= 21) & (col("upl_pct") > 0.5)
>>> evaluate(cond, {"dte": 20, "upl_pct": None}), evaluate(cond, {"dte": 30})
(None, False)
>>> fires(cond, {"dte": 20, "upl_pct": 0.6})
True
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping
from typing import Any, Final

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

__all__ = ["evaluate", "fires"]

_COMPARE: Final[dict[CompareOp, Callable[[Any, Any], bool]]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
}
_ARITH: Final[dict[ArithOp, Callable[[float, float], float]]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
}


def evaluate(expr: Expr, row: Mapping[str, Any]) -> Any:
    """The value of ``expr`` on ``row`` (a mapping of column -> value); ``None`` is null."""
    try:
        rule = _RULES[type(expr)]
    except KeyError:
        raise TypeError(f"expr: expected a condition node, got {type(expr).__name__}") from None
    return rule(expr, row)


def fires(expr: Expr, row: Mapping[str, Any]) -> bool:
    """True only when ``expr`` is definitely True on ``row`` (null never fires)."""
    return evaluate(expr, row) is True


# One rule per node class. A table rather than a match statement: rules run for every node of
# every trigger of every snapshot, and a lookup by type is a fraction of a class-pattern chain.


def _col(expr: Col, row: Mapping[str, Any]) -> Any:
    value = row.get(expr.name)
    return None if isinstance(value, float) and math.isnan(value) else value


def _lit(expr: Lit, row: Mapping[str, Any]) -> Any:
    return expr.value


def _compare(expr: Compare, row: Mapping[str, Any]) -> bool | None:
    left, right = evaluate(expr.left, row), evaluate(expr.right, row)
    return None if left is None or right is None else _COMPARE[expr.op](left, right)


def _arith(expr: Arith, row: Mapping[str, Any]) -> float | None:
    left, right = evaluate(expr.left, row), evaluate(expr.right, row)
    if left is None or right is None:
        return None
    result = _ARITH[expr.op](float(left), float(right))
    return None if math.isnan(result) else result


def _abs(expr: Abs, row: Mapping[str, Any]) -> Any:
    value = evaluate(expr.operand, row)
    return None if value is None else abs(value)


def _and(expr: And, row: Mapping[str, Any]) -> bool | None:
    left = evaluate(expr.left, row)
    if left is False:
        return False
    right = evaluate(expr.right, row)
    if right is False:
        return False
    return None if left is None or right is None else True


def _or(expr: Or, row: Mapping[str, Any]) -> bool | None:
    left = evaluate(expr.left, row)
    if left is True:
        return True
    right = evaluate(expr.right, row)
    if right is True:
        return True
    return None if left is None or right is None else False


def _not(expr: Not, row: Mapping[str, Any]) -> bool | None:
    value = evaluate(expr.operand, row)
    return None if value is None else not value


def _is_true(expr: IsTrue, row: Mapping[str, Any]) -> bool:
    return evaluate(expr.operand, row) is True


def _is_in(expr: IsIn, row: Mapping[str, Any]) -> bool | None:
    value = evaluate(expr.operand, row)
    return None if value is None else value in expr.values


def _lookup(expr: Lookup, row: Mapping[str, Any]) -> float | None:
    value = evaluate(expr.operand, row)
    return None if value is None else dict(expr.pairs).get(value)


def _when(expr: When, row: Mapping[str, Any]) -> Any:
    branch = expr.then if evaluate(expr.condition, row) is True else expr.otherwise
    return evaluate(branch, row)


_RULES: Final[dict[type[Expr], Callable[[Any, Mapping[str, Any]], Any]]] = {
    Col: _col,
    Lit: _lit,
    Compare: _compare,
    Arith: _arith,
    Abs: _abs,
    And: _and,
    Or: _or,
    Not: _not,
    IsTrue: _is_true,
    IsIn: _is_in,
    Lookup: _lookup,
    When: _when,
}
