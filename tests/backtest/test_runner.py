"""run_backtest's arguments, inputs and progress bar."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from alertkit import ValidationError
from alertkit.backtest import _progress, run_backtest, synthetic_history
from alertkit.backtest._progress import Progress
from alertkit.model.schema import ALERT_SCHEMA
from alertkit.model.snapshot_schema import SNAPSHOT_SCHEMA
from alertkit.rules import TakeProfit, default_rules


@pytest.fixture(scope="module")
def history() -> pl.DataFrame:
    return synthetic_history(3, seed=4)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"mode": "fast"}, "mode: expected 'vectorized' or 'engine', got 'fast'"),
        ({"quiet_period": timedelta(0)}, "quiet_period: expected a positive timedelta"),
        ({"quiet_period": 3600}, "quiet_period: expected a positive timedelta or None, got 3600"),
        ({"lake_mode": "replace"}, "lake_mode: expected 'append' or 'overwrite'"),
        ({"lake_chunk_rows": 500_001}, r"lake_chunk_rows: expected an int in \[1, 500000\]"),
        ({"lake_chunk_rows": 0}, "lake_chunk_rows"),
        ({"rules": [TakeProfit(), TakeProfit(full=0.7)]}, "rules: expected distinct names"),
        ({"rules": ["take_profit"]}, "rules: expected alertkit.rules.Rule objects"),
    ],
)
def test_bad_options_are_refused(
    history: pl.DataFrame, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        run_backtest(history, progress=False, **options)


@pytest.mark.parametrize("mode", ["vectorized", "engine"])
def test_both_modes_refuse_the_same_bad_values(history: pl.DataFrame, mode: Any) -> None:
    bad = history.with_columns(iv_percentile=pl.col("iv_percentile") * 100)
    with pytest.raises(ValidationError, match="iv_percentile"):
        run_backtest(bad, mode=mode, progress=False)
    wrong_unit = history.with_columns(underlying_change_1h=pl.lit(-3.0))
    with pytest.raises(ValidationError, match="underlying_change_1h: expected a fraction"):
        run_backtest(wrong_unit, mode=mode, progress=False)


def test_history_from_a_file_in_any_row_order(history: pl.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "history.parquet"
    history.sample(fraction=1.0, shuffle=True, seed=1).write_parquet(path)
    assert run_backtest(path, progress=False).alerts.equals(
        run_backtest(history, progress=False).alerts
    )


def test_extra_history_columns_are_left_out(history: pl.DataFrame) -> None:
    tagged = history.with_columns(regime=pl.lit("calm"))
    result = run_backtest(tagged, progress=False)
    assert "regime" not in result.decisions.columns
    assert result.decisions.equals(run_backtest(history, progress=False).decisions)


def test_rules_subset_and_result_repr(history: pl.DataFrame) -> None:
    result = run_backtest(history, rules=[TakeProfit()], progress=False)
    assert set(result.alerts["engine_rule"]) <= {"take_profit"}
    assert result.rules == (TakeProfit(),)
    assert repr(result) == (
        f"BacktestResult(mode='vectorized': {history.height} snapshots,"
        f" {result.alerts.height} alerts)"
    )
    quiet = run_backtest(history, quiet_period=timedelta(hours=2), progress=False)
    assert "quiet_period=2:00:00" in repr(quiet)


def test_engine_mode_inside_a_running_event_loop(history: pl.DataFrame) -> None:
    """A notebook cell runs inside an event loop; engine mode must still work there."""

    async def cell() -> pl.DataFrame:
        return run_backtest(history, mode="engine", progress=False).alerts

    assert asyncio.run(cell()).equals(run_backtest(history, progress=False).alerts)


def test_no_progress_output_on_tiny_runs(
    history: pl.DataFrame, capsys: pytest.CaptureFixture[str]
) -> None:
    run_backtest(history, progress=True)
    run_backtest(history, mode="engine", progress=True)
    assert capsys.readouterr() == ("", "")


def test_progress_bar_counts_and_names_stages(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(_progress, "DELAY_SECONDS", 0)
    with Progress(True, 3, "backtest (vectorized)", "stage") as bar:
        bar.stage("rules")
        bar.update(3)
    err = capsys.readouterr().err
    assert "backtest (vectorized)" in err and "3/3" in err and "rules" in err
    with Progress(False, 3, "silent", "stage") as bar:
        bar.update()
    assert capsys.readouterr() == ("", "")


def test_default_rules_are_used_when_none_given(history: pl.DataFrame) -> None:
    assert [r.name for r in run_backtest(history, progress=False).rules] == [
        r.name for r in default_rules()
    ]


def test_an_empty_history_gives_empty_frames_in_both_modes() -> None:
    empty = pl.DataFrame(schema=SNAPSHOT_SCHEMA)
    engine = run_backtest(empty, mode="engine", progress=False)
    vectorized = run_backtest(empty, progress=False)
    assert engine.decisions.equals(vectorized.decisions)
    assert engine.alerts.equals(vectorized.alerts)
    assert engine.outcomes.equals(vectorized.outcomes)
    assert vectorized.alerts.schema == pl.Schema(ALERT_SCHEMA)
    assert vectorized.summary().height == 0
