"""A tiny condition language: declare a rule's condition once, run it per row or as polars.

Every node evaluates on a plain mapping (:meth:`Expr.evaluate`) and compiles to a polars
expression (:meth:`Expr.to_polars`), and the two agree value for value:

- SQL three-valued logic: an operation on null is null; ``&``/``|`` are Kleene (null & False is
  False, null | True is True); ``~null`` is null. A condition *fires* only when it is True,
  which :meth:`Expr.is_true` (SQL ``IS TRUE``) turns into a never-null boolean.
- Arithmetic is float64 in both paths, so ``vix - vix_at_entry > 5`` rounds identically.
- NaN is null: an arithmetic result of NaN (``inf - inf``) becomes null, because polars orders
  NaN above every number (``NaN > 5`` is True there) while Python says False. A NaN *input*
  reads as null per row; a frame must have its NaNs nulled first, which
  :func:`alertkit.snapshot_rows.normalize_frame` (and so ``evaluate_frame``) does.

Examples
--------
>>> cond = (col("vix") - col("vix_at_entry") > 5.0) | (col("vix") > 35.0)
>>> str(cond)
'((vix - vix_at_entry) > 5.0 | vix > 35.0)'
>>> cond.evaluate({"vix": 36.0, "vix_at_entry": None}), cond.evaluate({"vix": 30.0})
(True, None)
>>> import polars as pl
>>> pl.DataFrame({"vix": [36.0, 30.0], "vix_at_entry": [None, None]}).select(
...     cond.to_polars())["vix"].to_list()
[True, None]
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, Final, TypeAlias

import polars as pl

__all__ = ["Expr", "all_of", "any_of", "col", "lit", "when"]

_PolarsOp: TypeAlias = Callable[[pl.Expr, Any], pl.Expr]

# Each operator once per path: Python's on row values, polars' on columns.
_COMPARE: Final[dict[str, tuple[Callable[[Any, Any], bool], _PolarsOp]]] = {
    "<": (operator.lt, pl.Expr.lt),
    "<=": (operator.le, pl.Expr.le),
    ">": (operator.gt, pl.Expr.gt),
    ">=": (operator.ge, pl.Expr.ge),
    "==": (operator.eq, pl.Expr.eq),
}
_ARITH: Final[dict[str, tuple[Callable[[float, float], float], _PolarsOp]]] = {
    "+": (operator.add, pl.Expr.add),
    "-": (operator.sub, pl.Expr.sub),
    "*": (operator.mul, pl.Expr.mul),
}


class Expr:
    """A node of the condition language. Build nodes with :func:`col`, :func:`lit`, operators."""

    __slots__ = ()

    def evaluate(self, row: Mapping[str, Any]) -> Any:
        """The value on one row (a mapping of column -> value); ``None`` is null."""
        raise NotImplementedError

    def to_polars(self) -> pl.Expr:
        """The same computation as a polars expression."""
        raise NotImplementedError

    def fires(self, row: Mapping[str, Any]) -> bool:
        """True only when the condition is definitely True on ``row`` (null never fires)."""
        return self.evaluate(row) is True

    def is_true(self) -> Expr:
        """SQL ``IS TRUE``: True when True, False when False or null (never null)."""
        return _IsTrue(self)

    def is_in(self, values: Iterable[Any]) -> Expr:
        """Membership in a fixed set of literals (null stays null)."""
        return _IsIn(self, tuple(sorted(values)))

    def lookup(self, mapping: Mapping[str, float]) -> Expr:
        """The float ``mapping[value]``; null for a null value or a value not in ``mapping``."""
        return _Lookup(self, tuple(sorted((k, float(v)) for k, v in mapping.items())))

    def columns(self) -> frozenset[str]:
        """The columns this expression reads."""
        return frozenset()

    # Comparisons build nodes; == is left alone so nodes stay comparable dataclasses.
    def __lt__(self, other: object) -> Expr:
        return _Compare("<", self, _wrap(other))

    def __le__(self, other: object) -> Expr:
        return _Compare("<=", self, _wrap(other))

    def __gt__(self, other: object) -> Expr:
        return _Compare(">", self, _wrap(other))

    def __ge__(self, other: object) -> Expr:
        return _Compare(">=", self, _wrap(other))

    def eq(self, other: object) -> Expr:
        """Equality (null if either side is null)."""
        return _Compare("==", self, _wrap(other))

    def __add__(self, other: object) -> Expr:
        return _Arith("+", self, _wrap(other))

    def __sub__(self, other: object) -> Expr:
        return _Arith("-", self, _wrap(other))

    def __rsub__(self, other: object) -> Expr:
        return _Arith("-", _wrap(other), self)

    def __mul__(self, other: object) -> Expr:
        return _Arith("*", self, _wrap(other))

    def __rmul__(self, other: object) -> Expr:
        return _Arith("*", _wrap(other), self)

    def __abs__(self) -> Expr:
        return _Abs(self)

    def __and__(self, other: Expr) -> Expr:
        return _And(self, other)

    def __or__(self, other: Expr) -> Expr:
        return _Or(self, other)

    def __invert__(self) -> Expr:
        return _Not(self)

    def __bool__(self) -> bool:
        # `a < b < c` or `if cond:` would silently test the node object, not the condition.
        raise TypeError("a condition has no truth value; use .evaluate(row) or .fires(row)")


def col(name: str) -> Expr:
    """The value of column ``name`` (null when missing from the row or NaN)."""
    return _Col(name)


def lit(value: Any) -> Expr:
    """A constant. Enum members stand for their values; ints stay ints, floats stay floats."""
    return _Lit(value.value if isinstance(value, Enum) else value)


def when(condition: Expr, then: Any, otherwise: Any) -> Expr:
    """``then`` where ``condition`` is True, else ``otherwise`` (null counts as not True)."""
    return _When(condition, _wrap(then), _wrap(otherwise))


def all_of(*conditions: Expr) -> Expr:
    """Kleene AND of one or more conditions."""
    result = conditions[0]
    for condition in conditions[1:]:
        result = result & condition
    return result


def any_of(*conditions: Expr) -> Expr:
    """Kleene OR of one or more conditions."""
    result = conditions[0]
    for condition in conditions[1:]:
        result = result | condition
    return result


def _wrap(value: object) -> Expr:
    return value if isinstance(value, Expr) else lit(value)


def _not_nan(value: float) -> float | None:
    return None if math.isnan(value) else value


@dataclass(frozen=True, slots=True, eq=True)
class _Col(Expr):
    name: str

    def evaluate(self, row: Mapping[str, Any]) -> Any:
        value = row.get(self.name)
        if isinstance(value, float) and math.isnan(value):
            return None
        return value

    def to_polars(self) -> pl.Expr:
        return pl.col(self.name)

    def columns(self) -> frozenset[str]:
        return frozenset({self.name})

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True, eq=True)
class _Lit(Expr):
    value: Any

    def evaluate(self, row: Mapping[str, Any]) -> Any:
        return self.value

    def to_polars(self) -> pl.Expr:
        if isinstance(self.value, float):
            return pl.lit(self.value, dtype=pl.Float64)
        return pl.lit(self.value)

    def __str__(self) -> str:
        return repr(self.value) if isinstance(self.value, str) else str(self.value)


@dataclass(frozen=True, slots=True, eq=True)
class _Compare(Expr):
    op: str
    left: Expr
    right: Expr

    def evaluate(self, row: Mapping[str, Any]) -> bool | None:
        left, right = self.left.evaluate(row), self.right.evaluate(row)
        if left is None or right is None:
            return None
        return _COMPARE[self.op][0](left, right)

    def to_polars(self) -> pl.Expr:
        return _COMPARE[self.op][1](self.left.to_polars(), self.right.to_polars())

    def columns(self) -> frozenset[str]:
        return self.left.columns() | self.right.columns()

    def __str__(self) -> str:
        return f"{self.left} {self.op} {self.right}"


@dataclass(frozen=True, slots=True, eq=True)
class _Arith(Expr):
    op: str
    left: Expr
    right: Expr

    def evaluate(self, row: Mapping[str, Any]) -> float | None:
        left, right = self.left.evaluate(row), self.right.evaluate(row)
        if left is None or right is None:
            return None
        return _not_nan(_ARITH[self.op][0](float(left), float(right)))

    def to_polars(self) -> pl.Expr:
        left = self.left.to_polars().cast(pl.Float64)
        right = self.right.to_polars().cast(pl.Float64)
        return _ARITH[self.op][1](left, right).fill_nan(None)

    def columns(self) -> frozenset[str]:
        return self.left.columns() | self.right.columns()

    def __str__(self) -> str:
        return f"({self.left} {self.op} {self.right})"


@dataclass(frozen=True, slots=True, eq=True)
class _Abs(Expr):
    operand: Expr

    def evaluate(self, row: Mapping[str, Any]) -> Any:
        value = self.operand.evaluate(row)
        return None if value is None else abs(value)

    def to_polars(self) -> pl.Expr:
        return self.operand.to_polars().abs()

    def columns(self) -> frozenset[str]:
        return self.operand.columns()

    def __str__(self) -> str:
        return f"abs({self.operand})"


@dataclass(frozen=True, slots=True, eq=True)
class _And(Expr):
    left: Expr
    right: Expr

    def evaluate(self, row: Mapping[str, Any]) -> bool | None:
        left = self.left.evaluate(row)
        if left is False:
            return False
        right = self.right.evaluate(row)
        if right is False:
            return False
        return None if left is None or right is None else True

    def to_polars(self) -> pl.Expr:
        return self.left.to_polars() & self.right.to_polars()

    def columns(self) -> frozenset[str]:
        return self.left.columns() | self.right.columns()

    def __str__(self) -> str:
        return f"({self.left} & {self.right})"


@dataclass(frozen=True, slots=True, eq=True)
class _Or(Expr):
    left: Expr
    right: Expr

    def evaluate(self, row: Mapping[str, Any]) -> bool | None:
        left = self.left.evaluate(row)
        if left is True:
            return True
        right = self.right.evaluate(row)
        if right is True:
            return True
        return None if left is None or right is None else False

    def to_polars(self) -> pl.Expr:
        return self.left.to_polars() | self.right.to_polars()

    def columns(self) -> frozenset[str]:
        return self.left.columns() | self.right.columns()

    def __str__(self) -> str:
        return f"({self.left} | {self.right})"


@dataclass(frozen=True, slots=True, eq=True)
class _Not(Expr):
    operand: Expr

    def evaluate(self, row: Mapping[str, Any]) -> bool | None:
        value = self.operand.evaluate(row)
        return None if value is None else not value

    def to_polars(self) -> pl.Expr:
        return ~self.operand.to_polars()

    def columns(self) -> frozenset[str]:
        return self.operand.columns()

    def __str__(self) -> str:
        return f"~{self.operand}"


@dataclass(frozen=True, slots=True, eq=True)
class _IsTrue(Expr):
    operand: Expr

    def evaluate(self, row: Mapping[str, Any]) -> bool:
        return self.operand.evaluate(row) is True

    def to_polars(self) -> pl.Expr:
        return self.operand.to_polars().fill_null(False)

    def columns(self) -> frozenset[str]:
        return self.operand.columns()

    def __str__(self) -> str:
        return f"({self.operand} is true)"


@dataclass(frozen=True, slots=True, eq=True)
class _IsIn(Expr):
    operand: Expr
    values: tuple[Any, ...]

    def evaluate(self, row: Mapping[str, Any]) -> bool | None:
        value = self.operand.evaluate(row)
        return None if value is None else value in self.values

    def to_polars(self) -> pl.Expr:
        # polars' is_in gives null for a null input, as SQL IN does; pinned by a test.
        return self.operand.to_polars().is_in(list(self.values))

    def columns(self) -> frozenset[str]:
        return self.operand.columns()

    def __str__(self) -> str:
        return f"{self.operand} in {{{', '.join(map(str, self.values))}}}"


@dataclass(frozen=True, slots=True, eq=True)
class _Lookup(Expr):
    operand: Expr
    pairs: tuple[tuple[str, float], ...]

    def evaluate(self, row: Mapping[str, Any]) -> float | None:
        value = self.operand.evaluate(row)
        return None if value is None else dict(self.pairs).get(value)

    def to_polars(self) -> pl.Expr:
        keys = [key for key, _ in self.pairs]
        values = [value for _, value in self.pairs]
        return self.operand.to_polars().replace_strict(
            keys, values, default=None, return_dtype=pl.Float64
        )

    def columns(self) -> frozenset[str]:
        return self.operand.columns()

    def __str__(self) -> str:
        return f"{{{', '.join(f'{k}: {v}' for k, v in self.pairs)}}}[{self.operand}]"


@dataclass(frozen=True, slots=True, eq=True)
class _When(Expr):
    condition: Expr
    then: Expr
    otherwise: Expr

    def evaluate(self, row: Mapping[str, Any]) -> Any:
        branch = self.then if self.condition.evaluate(row) is True else self.otherwise
        return branch.evaluate(row)

    def to_polars(self) -> pl.Expr:
        return (
            pl.when(self.condition.to_polars())
            .then(self.then.to_polars())
            .otherwise(self.otherwise.to_polars())
        )

    def columns(self) -> frozenset[str]:
        return self.condition.columns() | self.then.columns() | self.otherwise.columns()

    def __str__(self) -> str:
        return f"({self.then} if {self.condition} else {self.otherwise})"
