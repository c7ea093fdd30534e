"""A tiny condition language: declare a rule's condition once, run it per row or as polars.

This module is the language itself: the node classes are plain data (the syntax tree), built
with :func:`col`, :func:`lit`, :func:`when` and operators. Each way of running a tree is one
function in its own module, dispatching on the node classes:

- :func:`alertkit.rules.compile_row.evaluate`: the value on a plain mapping (one snapshot);
- :func:`alertkit.rules.compile_polars.to_polars`: the same computation as a ``pl.Expr``.

A new backend (SQL, narwhals) is one more such function over :data:`NODE_TYPES`; no node
class changes. The two backends agree value for value:

- SQL three-valued logic: an operation on null is null; ``&``/``|`` are Kleene (null & False is
  False, null | True is True); ``~null`` is null. A condition *fires* only when it is True,
  which :meth:`Expr.is_true` (SQL ``IS TRUE``) turns into a never-null boolean.
- Arithmetic is float64 in both paths, so ``vix - vix_at_entry > 5`` rounds identically.
- NaN is null: an arithmetic result of NaN (``inf - inf``) becomes null, because polars orders
  NaN above every number (``NaN > 5`` is True there) while Python says False. A NaN *input*
  reads as null per row; a frame must have its NaNs nulled first, which
  :func:`alertkit.model.snapshot_frames.normalize_frame` (and so ``evaluate_frame``) does.

Examples
--------
>>> from alertkit.rules.compile_polars import to_polars
>>> from alertkit.rules.compile_row import evaluate
>>> cond = (col("vix") - col("vix_at_entry") > 5.0) | (col("vix") > 35.0)
>>> str(cond)
'((vix - vix_at_entry) > 5.0 | vix > 35.0)'
>>> evaluate(cond, {"vix": 36.0, "vix_at_entry": None}), evaluate(cond, {"vix": 30.0})
(True, None)
>>> import polars as pl
>>> pl.DataFrame({"vix": [36.0, 30.0], "vix_at_entry": [None, None]}).select(
...     to_polars(cond))["vix"].to_list()
[True, None]
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any, Final, Literal, TypeAlias

if TYPE_CHECKING:
    pass

__all__ = [
    "NODE_TYPES",
    "Abs",
    "And",
    "Arith",
    "ArithOp",
    "Col",
    "Compare",
    "CompareOp",
    "Expr",
    "IsIn",
    "IsTrue",
    "Lit",
    "Lookup",
    "Not",
    "Or",
    "When",
    "all_of",
    "any_of",
    "col",
    "lit",
    "when",
]

CompareOp: TypeAlias = Literal["<", "<=", ">", ">=", "=="]
ArithOp: TypeAlias = Literal["+", "-", "*"]


class Expr:
    """A node of the condition language. Build nodes with :func:`col`, :func:`lit`, operators."""

    __slots__ = ()

    def children(self) -> Iterator[Expr]:
        """The sub-expressions of this node, in field order."""
        for field in dataclasses.fields(self):  # type: ignore[arg-type]  # every node is one
            value = getattr(self, field.name)
            if isinstance(value, Expr):
                yield value

    def columns(self) -> frozenset[str]:
        """The columns this expression reads."""
        return frozenset().union(*(child.columns() for child in self.children()))

    def is_true(self) -> Expr:
        """SQL ``IS TRUE``: True when True, False when False or null (never null)."""
        return IsTrue(self)

    def is_in(self, values: Iterable[Any]) -> Expr:
        """Membership in a fixed set of literals (null stays null)."""
        return IsIn(self, tuple(sorted(values)))

    def lookup(self, mapping: Mapping[str, float]) -> Expr:
        """The float ``mapping[value]``; null for a null value or a value not in ``mapping``."""
        return Lookup(self, tuple(sorted((k, float(v)) for k, v in mapping.items())))

    # Comparisons build nodes; == is left alone so nodes stay comparable dataclasses.
    def __lt__(self, other: object) -> Expr:
        return Compare("<", self, _wrap(other))

    def __le__(self, other: object) -> Expr:
        return Compare("<=", self, _wrap(other))

    def __gt__(self, other: object) -> Expr:
        return Compare(">", self, _wrap(other))

    def __ge__(self, other: object) -> Expr:
        return Compare(">=", self, _wrap(other))

    def eq(self, other: object) -> Expr:
        """Equality (null if either side is null)."""
        return Compare("==", self, _wrap(other))

    def __add__(self, other: object) -> Expr:
        return Arith("+", self, _wrap(other))

    def __sub__(self, other: object) -> Expr:
        return Arith("-", self, _wrap(other))

    def __rsub__(self, other: object) -> Expr:
        return Arith("-", _wrap(other), self)

    def __mul__(self, other: object) -> Expr:
        return Arith("*", self, _wrap(other))

    def __rmul__(self, other: object) -> Expr:
        return Arith("*", _wrap(other), self)

    def __abs__(self) -> Expr:
        return Abs(self)

    def __and__(self, other: Expr) -> Expr:
        return And(self, other)

    def __or__(self, other: Expr) -> Expr:
        return Or(self, other)

    def __invert__(self) -> Expr:
        return Not(self)

    def __bool__(self) -> bool:
        # `a < b < c` or `if cond:` would silently test the node object, not the condition.
        raise TypeError(
            "a condition has no truth value; use alertkit.rules.compile_row.evaluate(expr, row)"
            " or fires(expr, row)"
        )


def col(name: str) -> Expr:
    """The value of column ``name`` (null when missing from the row or NaN)."""
    return Col(name)


def lit(value: Any) -> Expr:
    """A constant. Enum members stand for their values; ints stay ints, floats stay floats."""
    return Lit(value.value if isinstance(value, Enum) else value)


def when(condition: Expr, then: Any, otherwise: Any) -> Expr:
    """``then`` where ``condition`` is True, else ``otherwise`` (null counts as not True)."""
    return When(condition, _wrap(then), _wrap(otherwise))


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


# The nodes: what each one means is written once per backend, in compile_row/compile_polars.


@dataclass(frozen=True, slots=True)
class Col(Expr):
    """The value of column ``name``."""

    name: str

    def columns(self) -> frozenset[str]:
        return frozenset({self.name})

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class Lit(Expr):
    """A constant."""

    value: Any

    def __str__(self) -> str:
        return repr(self.value) if isinstance(self.value, str) else str(self.value)


@dataclass(frozen=True, slots=True)
class Compare(Expr):
    """``left op right``, a boolean."""

    op: CompareOp
    left: Expr
    right: Expr

    def __str__(self) -> str:
        return f"{self.left} {self.op} {self.right}"


@dataclass(frozen=True, slots=True)
class Arith(Expr):
    """``left op right`` in float64."""

    op: ArithOp
    left: Expr
    right: Expr

    def __str__(self) -> str:
        return f"({self.left} {self.op} {self.right})"


@dataclass(frozen=True, slots=True)
class Abs(Expr):
    """The absolute value."""

    operand: Expr

    def __str__(self) -> str:
        return f"abs({self.operand})"


@dataclass(frozen=True, slots=True)
class And(Expr):
    """Kleene AND."""

    left: Expr
    right: Expr

    def __str__(self) -> str:
        return f"({self.left} & {self.right})"


@dataclass(frozen=True, slots=True)
class Or(Expr):
    """Kleene OR."""

    left: Expr
    right: Expr

    def __str__(self) -> str:
        return f"({self.left} | {self.right})"


@dataclass(frozen=True, slots=True)
class Not(Expr):
    """Kleene NOT."""

    operand: Expr

    def __str__(self) -> str:
        return f"~{self.operand}"


@dataclass(frozen=True, slots=True)
class IsTrue(Expr):
    """SQL ``IS TRUE`` (never null)."""

    operand: Expr

    def __str__(self) -> str:
        return f"({self.operand} is true)"


@dataclass(frozen=True, slots=True)
class IsIn(Expr):
    """Membership in ``values`` (sorted literals)."""

    operand: Expr
    values: tuple[Any, ...]

    def __str__(self) -> str:
        return f"{self.operand} in {{{', '.join(map(str, self.values))}}}"


@dataclass(frozen=True, slots=True)
class Lookup(Expr):
    """The float paired with the operand's value in ``pairs`` (sorted by key)."""

    operand: Expr
    pairs: tuple[tuple[str, float], ...]

    def __str__(self) -> str:
        return f"{{{', '.join(f'{k}: {v}' for k, v in self.pairs)}}}[{self.operand}]"


@dataclass(frozen=True, slots=True)
class When(Expr):
    """``then`` where ``condition`` is True, else ``otherwise``."""

    condition: Expr
    then: Expr
    otherwise: Expr

    def __str__(self) -> str:
        return f"({self.then} if {self.condition} else {self.otherwise})"


NODE_TYPES: Final[tuple[type[Expr], ...]] = (
    Col,
    Lit,
    Compare,
    Arith,
    Abs,
    And,
    Or,
    Not,
    IsTrue,
    IsIn,
    Lookup,
    When,
)
"""Every node class: what a backend must handle."""
