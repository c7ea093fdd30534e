"""A backend of the condition language is one function over the node classes.

The node classes are plain data; what a node means lives in one function per backend
(:mod:`alertkit.rules.compile_row`, :mod:`alertkit.rules.compile_polars`). These tests hold
both to every node class, and write a third backend here to show that it takes one function.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import polars as pl
import pytest

from alertkit.rules import compile_polars, compile_row, default_rules
from alertkit.rules.conditions import (
    NODE_TYPES,
    Abs,
    And,
    Arith,
    Col,
    Compare,
    Expr,
    IsIn,
    IsTrue,
    Lit,
    Lookup,
    Not,
    Or,
    When,
    col,
    lit,
    when,
)

# One of each node class, each reading column x or s.
SAMPLES: dict[type[Expr], Expr] = {
    Col: col("x"),
    Lit: lit(1.5),
    Compare: col("x") > 1.0,
    Arith: col("x") - 1.0,
    Abs: abs(col("x")),
    And: (col("x") > 1.0) & (col("x") < 3.0),
    Or: (col("x") > 1.0) | (col("x") < 0.0),
    Not: ~(col("x") > 1.0),
    IsTrue: (col("x") > 1.0).is_true(),
    IsIn: col("s").is_in({"a", "b"}),
    Lookup: col("s").lookup({"a": 0.3}),
    When: when(col("x") > 1.0, "high", "normal"),
}
ROW: dict[str, Any] = {"x": 2.0, "s": "a"}


def to_text(expr: Expr) -> str:
    """A third backend, SQL-ish text: one function, no node class touched."""
    match expr:
        case Col(name):
            return f'"{name}"'
        case Lit(value):
            return f"'{value}'" if isinstance(value, str) else repr(value)
        case Compare(op, left, right) | Arith(op, left, right):
            return f"({to_text(left)} {'=' if op == '==' else op} {to_text(right)})"
        case And(left, right):
            return f"({to_text(left)} AND {to_text(right)})"
        case Or(left, right):
            return f"({to_text(left)} OR {to_text(right)})"
        case Not(operand):
            return f"(NOT {to_text(operand)})"
        case IsTrue(operand):
            return f"({to_text(operand)} IS TRUE)"
        case Abs(operand):
            return f"ABS({to_text(operand)})"
        case IsIn(operand, values):
            return f"({to_text(operand)} IN ({', '.join(repr(v) for v in values)}))"
        case Lookup(operand, pairs):
            arms = " ".join(f"WHEN {k!r} THEN {v!r}" for k, v in pairs)
            return f"(CASE {to_text(operand)} {arms} END)"
        case When(condition, then, otherwise):
            branches = f"THEN {to_text(then)} ELSE {to_text(otherwise)}"
            return f"(CASE WHEN {to_text(condition)} {branches} END)"
    raise TypeError(type(expr).__name__)


def count_nodes(expr: Expr) -> int:
    """A visitor that needs no per-node case at all: the tree through ``children``."""
    return 1 + sum(count_nodes(child) for child in expr.children())


def test_node_types_lists_every_node_class_and_each_is_plain_frozen_data() -> None:
    assert set(NODE_TYPES) == set(SAMPLES)
    # (by name: a slots dataclass replaces its class, and the replaced one lingers until collected)
    declared = {t.__name__ for t in Expr.__subclasses__() if t.__module__ == Expr.__module__}
    assert declared == {t.__name__ for t in NODE_TYPES}
    for node_type in NODE_TYPES:
        assert dataclasses.is_dataclass(node_type)
        assert not hasattr(SAMPLES[node_type], "__dict__")  # slots
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(SAMPLES[node_type], dataclasses.fields(node_type)[0].name, None)
    # What a node means is in the backends, not on the node classes.
    for name in ("evaluate", "fires", "to_polars"):
        assert all(not hasattr(node_type, name) for node_type in (Expr, *NODE_TYPES))


@pytest.mark.parametrize("node_type", NODE_TYPES, ids=lambda t: t.__name__)
def test_both_backends_handle_every_node_class_and_agree(node_type: type[Expr]) -> None:
    expr = SAMPLES[node_type]
    assert type(expr) is node_type
    frame = pl.DataFrame([ROW], schema={"x": pl.Float64, "s": pl.String})
    got = frame.select(compile_polars.to_polars(expr).alias("out"))["out"].to_list()
    assert got == [compile_row.evaluate(expr, ROW)]


def test_a_new_backend_is_one_function_covering_every_node_class() -> None:
    texts = {node_type: to_text(SAMPLES[node_type]) for node_type in NODE_TYPES}
    assert texts[Compare] == '("x" > 1.0)'
    assert texts[When] == "(CASE WHEN (\"x\" > 1.0) THEN 'high' ELSE 'normal' END)"
    assert texts[Lookup] == "(CASE \"s\" WHEN 'a' THEN 0.3 END)"
    # ... and runs on every condition the rules declare.
    for rule in default_rules():
        for trigger in rule.triggers:
            assert to_text(trigger.when).startswith("(")
            assert count_nodes(trigger.when) >= 3


def test_both_backends_refuse_what_is_not_a_node() -> None:
    class Stranger(Expr):
        __slots__ = ()

    with pytest.raises(TypeError, match="expected a condition node, got Stranger"):
        compile_row.evaluate(Stranger(), ROW)
    with pytest.raises(TypeError, match="expected a condition node, got Stranger"):
        compile_polars.to_polars(Stranger())
