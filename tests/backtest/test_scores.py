"""Scores: independent of row order, and bad input refused naming the parameter."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alertkit.backtest import BacktestResult, run_backtest, synthetic_history
from alertkit.backtest.scores import SCORES_SCHEMA, adverse_move, scores
from alertkit.model.errors import ValidationError


@pytest.fixture(scope="module")
def result() -> BacktestResult:
    return run_backtest(
        synthetic_history(8, seed=5), quiet_period=timedelta(days=1), progress=False
    )


def shuffled(result: BacktestResult, seed: int) -> BacktestResult:
    return dataclasses.replace(
        result,
        decisions=result.decisions.sample(fraction=1.0, shuffle=True, seed=seed),
        alerts=result.alerts.sample(fraction=1.0, shuffle=True, seed=seed + 1),
        outcomes=result.outcomes.sample(fraction=1.0, shuffle=True, seed=seed + 2),
    )


OPTIONS: list[dict[str, Any]] = [
    {},
    {"regime": "vix", "cost_per_contract": 0.65, "slippage": 0.02},
    {"adverse": pl.col("upl_pct") <= -0.3, "horizon": timedelta(days=2)},
    {"adverse": adverse_move(drop=0.1), "lead_window": timedelta(hours=6)},
]


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 2**16), which=st.integers(0, len(OPTIONS) - 1))
def test_scores_do_not_depend_on_row_order(result: BacktestResult, seed: int, which: int) -> None:
    options = OPTIONS[which]
    expected = result.scores(**options)
    assert expected.height > 0 and expected["true_alerts"].sum() > 0
    assert shuffled(result, seed).scores(**options).equals(expected)


def test_the_regime_split_adds_up_to_the_unsplit_counts(result: BacktestResult) -> None:
    split, whole = result.scores(regime="vix"), result.scores()
    summed = (
        split.group_by("trigger", maintain_order=True)
        .agg(pl.col("alerts", "true_alerts", "episodes", "detected").sum())
        .sort("trigger")
    )
    assert summed.equals(
        whole.select("trigger", "alerts", "true_alerts", "episodes", "detected").sort("trigger")
    )
    assert list(split.schema.items()) == list(SCORES_SCHEMA.items())


def test_an_empty_result_gives_an_empty_table() -> None:
    history = synthetic_history(2, seed=1).head(0)
    empty = run_backtest(history, progress=False)
    table = empty.scores(regime="vix")
    assert table.height == 0
    assert list(table.schema.items()) == list(SCORES_SCHEMA.items())


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"horizon": timedelta(0)}, "horizon: expected a positive timedelta, got "),
        ({"horizon": timedelta(hours=-1)}, "horizon: expected a positive timedelta"),
        ({"horizon": 3}, "horizon: expected a positive timedelta, got 3"),
        ({"lead_window": timedelta(0)}, "lead_window: expected a positive timedelta"),
        ({"adverse": pl.col("upl_pct") - 0.5}, "adverse: expected a Boolean expression, got"),
        ({"adverse": "upl_pct < 0"}, "adverse: expected a polars expression, got str"),
        ({"adverse": pl.col("no_such") > 0}, "adverse: cannot be evaluated on the snapshots"),
        ({"regime": "my_column"}, "regime: no column 'my_column' in the decisions or history"),
        ({"contracts": 0}, "contracts: expected a positive int or a column name, got 0"),
        ({"contracts": True}, "contracts: expected a positive int or a column name"),
        ({"contracts": "size"}, "contracts: no column 'size' in the decisions or history"),
        ({"cost_per_contract": -1.0}, "cost_per_contract: expected a finite number >= 0"),
        ({"slippage": float("nan")}, "slippage: expected a finite number >= 0, got nan"),
        ({"history": {"a": 1}}, "history: expected a polars DataFrame, got dict"),
        ({"history": pl.DataFrame({"x": [1]})}, "history: expected the columns as_of and"),
    ],
)
def test_bad_input_names_the_parameter(
    result: BacktestResult, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match="^" + message.replace("(", r"\(")):
        scores(result, **options)


def test_engine_mode_and_a_result_read_back_score_the_same(
    result: BacktestResult, tmp_path: Path
) -> None:
    history = synthetic_history(8, seed=5)
    engine = run_backtest(history, mode="engine", quiet_period=timedelta(days=1), progress=False)
    result.write(tmp_path / "run")
    expected = result.scores(regime="vix")
    assert engine.scores(regime="vix").equals(expected)
    assert BacktestResult.read(tmp_path / "run").scores(regime="vix").equals(expected)
