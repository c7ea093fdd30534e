"""The condition language: one declaration, the same three-valued answer per row and in polars."""

from __future__ import annotations

import itertools
import math
from typing import Any

import polars as pl
import pytest

from alertkit.rules.compile_polars import to_polars
from alertkit.rules.compile_row import evaluate, fires
from alertkit.rules.conditions import Expr, all_of, any_of, col, lit, when

TRUTH = (True, False, None)


def polars_values(expr: Expr, rows: list[dict[str, Any]], schema: dict[str, Any]) -> list[Any]:
    frame = pl.DataFrame(rows, schema=schema, orient="row")
    # Frames reach conditions with NaN already nulled (normalize_frame); rows null it on read.
    frame = frame.with_columns(pl.col(pl.Float64).fill_nan(None))
    return frame.select(to_polars(expr).alias("out"))["out"].to_list()


def row_values(expr: Expr, rows: list[dict[str, Any]]) -> list[Any]:
    return [evaluate(expr, row) for row in rows]


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        # Kleene logic: rows are (a, b) over TRUTH x TRUTH in itertools.product order.
        (lambda a, b: a & b, [True, False, None, False, False, False, None, False, None]),
        (lambda a, b: a | b, [True, True, True, True, False, None, True, None, None]),
        (lambda a, b: ~a, [False, False, False, True, True, True, None, None, None]),
        (lambda a, b: a.is_true(), [True, True, True, False, False, False, False, False, False]),
        (lambda a, b: ~(a.is_true()), [False, False, False, True, True, True, True, True, True]),
    ],
    ids=["and", "or", "not", "is_true", "not_is_true"],
)
def test_three_valued_logic_matches_polars(build: Any, expected: list[Any]) -> None:
    rows = [{"a": a, "b": b} for a, b in itertools.product(TRUTH, TRUTH)]
    expr = build(col("a"), col("b"))
    assert row_values(expr, rows) == expected
    assert polars_values(expr, rows, {"a": pl.Boolean, "b": pl.Boolean}) == expected


@pytest.mark.parametrize(
    ("expr", "row", "expected"),
    [
        (col("x") < 1.0, {"x": 1.0}, False),
        (col("x") <= 1.0, {"x": 1.0}, True),
        (col("x") > 1.0, {"x": 1.0}, False),
        (col("x") >= 1.0, {"x": 1.0}, True),
        (col("x").eq(1.0), {"x": 1.0}, True),
        (col("x") >= 1.0, {"x": None}, None),
        (col("x") >= 1.0, {}, None),
        (col("x") >= 1.0, {"x": math.nan}, None),
        (col("x") - col("y") > 5.0, {"x": 30.5, "y": 25.5}, False),
        (col("x") - col("y") > 5.0, {"x": 30.5, "y": 25.4}, True),
        (col("x") - col("y"), {"x": math.inf, "y": math.inf}, None),
        (col("x") - col("y") > 5.0, {"x": math.inf, "y": math.inf}, None),
        (col("x") - col("y"), {"x": 1.0, "y": None}, None),
        (col("x") + 1.0, {"x": 1.5}, 2.5),
        (0.4 * col("x"), {"x": 0.5}, 0.2),
        (1.0 - col("x"), {"x": 0.25}, 0.75),
        (abs(col("x")), {"x": -0.3}, 0.3),
        (abs(col("x")), {"x": None}, None),
        (col("s").is_in({"a", "b"}), {"s": "a"}, True),
        (col("s").is_in({"a", "b"}), {"s": "c"}, False),
        (col("s").is_in({"a", "b"}), {"s": None}, None),
        (~col("s").is_in({"a", "b"}), {"s": None}, None),
        (col("s").lookup({"a": 0.3}), {"s": "a"}, 0.3),
        (col("s").lookup({"a": 0.3}), {"s": "b"}, None),
        (col("s").lookup({"a": 0.3}), {"s": None}, None),
        (when(col("x") > 1.0, "high", "normal"), {"x": 2.0}, "high"),
        (when(col("x") > 1.0, "high", "normal"), {"x": None}, "normal"),
        (all_of(col("x") > 0.0, col("y") > 0.0, col("x") < 1.0), {"x": 0.5, "y": 2.0}, True),
        (any_of(col("x") > 1.0, col("y") > 1.0), {"x": None, "y": 2.0}, True),
        (any_of(col("x") > 1.0, col("y") > 1.0), {"x": None, "y": 0.0}, None),
    ],
)
def test_row_and_polars_agree(expr: Expr, row: dict[str, Any], expected: Any) -> None:
    schema = {"x": pl.Float64, "y": pl.Float64, "s": pl.String}
    full = {name: row.get(name) for name in schema}
    assert evaluate(expr, row) == expected
    assert fires(expr, row) is (expected is True)
    got = polars_values(expr, [full], schema)[0]
    assert got == expected
    assert type(got) is type(expected)


def test_integer_comparison_keeps_the_column_type() -> None:
    expr = col("dte") <= 21
    frame = pl.DataFrame({"dte": [20, 21, 22, None]}, schema={"dte": pl.Int32})
    assert frame.select(to_polars(expr))["dte"].to_list() == [True, True, False, None]
    assert [evaluate(expr, {"dte": d}) for d in (20, 21, 22, None)] == [True, True, False, None]


def test_a_condition_has_no_truth_value() -> None:
    with pytest.raises(TypeError, match="no truth value"):
        bool(col("x") > 1.0)


def test_nodes_print_as_the_condition_they_are() -> None:
    expr = (col("peak") >= 0.4) & (col("upl") <= 0.4 * col("peak"))
    assert str(expr) == "(peak >= 0.4 & upl <= (0.4 * peak))"
    assert str(col("t").is_in({"b", "a"})) == "t in {a, b}"
    assert str(abs(col("g")) > 0.1) == "abs(g) > 0.1"
    assert str(col("t").lookup({"x": 0.3})) == "{x: 0.3}[t]"
    assert str(col("s").eq("a")) == "s == 'a'"
    assert str(when(col("d") <= 21, "high", "normal")) == "('high' if d <= 21 else 'normal')"
    assert str(~(col("d") <= 1).is_true()) == "~(d <= 1 is true)"


def test_columns_lists_what_a_condition_reads() -> None:
    expr = (col("vix") - col("vix_at_entry") > 5.0) | when(col("dte") < 3, lit(1.0), col("x")).eq(1)
    assert expr.columns() == frozenset({"vix", "vix_at_entry", "dte", "x"})


def test_nodes_compare_structurally() -> None:
    assert (col("x") >= 0.8) == (col("x") >= 0.8)
    assert (col("x") >= 0.8) != (col("x") > 0.8)
    assert lit(0.5) != lit(0.6)
