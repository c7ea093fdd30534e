"""The VIX regimes: exact half-open boundaries, and one answer per row and per frame."""

from __future__ import annotations

import math

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from alertkit.model.errors import ValidationError
from alertkit.rules.compile_row import evaluate
from alertkit.rules.regimes import (
    regime_condition,
    regime_names,
    vix_regime,
    vix_regime_polars,
)

BOUNDARIES = [
    (14.999, "low_volatility"),
    (15.0, "normal"),
    (24.999, "normal"),
    (25.0, "high_volatility"),
    (34.999, "high_volatility"),
    (35.0, "crash"),
    (80.0, "crash"),
    (0.0, "low_volatility"),
]


def test_the_regimes_in_ascending_vix_order() -> None:
    assert regime_names() == ("low_volatility", "normal", "high_volatility", "crash")


@pytest.mark.parametrize(("vix", "expected"), BOUNDARIES)
def test_each_bucket_includes_its_lower_bound_and_excludes_its_upper(
    vix: float, expected: str
) -> None:
    assert vix_regime(vix) == expected
    assert pl.DataFrame({"vix": [vix]}).select(vix_regime_polars())["regime"][0] == expected
    assert [evaluate(regime_condition(name), {"vix": vix}) for name in regime_names()] == [
        name == expected for name in regime_names()
    ]


def test_no_vix_no_regime() -> None:
    frame = pl.DataFrame({"vix": [None, math.nan]}, schema={"vix": pl.Float64})
    assert frame.select(vix_regime_polars())["regime"].to_list() == [None, None]
    assert vix_regime(None) is None
    assert vix_regime(math.nan) is None
    assert evaluate(regime_condition("crash"), {"vix": None}) is None


def test_an_unknown_regime_is_named_with_the_known_ones() -> None:
    with pytest.raises(
        ValidationError, match=r"'calm'.*low_volatility, normal, high_volatility, crash"
    ):
        regime_condition("calm")


@given(st.lists(st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True))))
def test_a_frame_labels_each_row_as_the_row_function_does(values: list[float | None]) -> None:
    frame = pl.DataFrame({"vix": values}, schema={"vix": pl.Float64})
    assert frame.select(vix_regime_polars())["regime"].to_list() == [vix_regime(v) for v in values]


def test_another_column_can_carry_the_vix() -> None:
    frame = pl.DataFrame({"vix_close": [40.0]})
    assert frame.select(vix_regime_polars("vix_close"))["regime"].to_list() == ["crash"]
