"""Summaries a trader reads (rounded, units in the names, every column printed) and a
backtest written to Parquet and read back equal."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest

from alertkit import ValidationError
from alertkit.backtest import BacktestResult, read_backtest, run_backtest, sweep, synthetic_history
from alertkit.backtest.outcomes import SUMMARY_SCHEMA
from alertkit.demo import BENEFIT_LINE, run_demo

HISTORY = synthetic_history(6, seed=3)


@pytest.fixture(scope="module")
def result() -> BacktestResult:
    return run_backtest(HISTORY, quiet_period=timedelta(hours=6), progress=False)


def test_summary_has_units_in_its_names_and_rounded_values(result: BacktestResult) -> None:
    summary = result.summary()
    assert summary.columns == [*SUMMARY_SCHEMA, "alerts_per_position"]
    assert summary.columns[3:8] == [
        "repeats", "positions", "median_lead_days", "mean_benefit_usd", "median_benefit_usd"
    ]  # fmt: skip
    for column, decimals in [("mean_benefit_usd", 2), ("median_benefit_usd", 2),
                             ("median_lead_days", 1), ("alerts_per_position", 2)]:  # fmt: skip
        values = summary[column].drop_nulls()
        assert values.equals(values.round(decimals)), column
    # unrounded, the benefit of take_profit_full is -95.17666...; a reader needs cents
    assert summary.filter(pl.col("trigger") == "take_profit_full")["mean_benefit_usd"][0] == -95.18


def test_print_shows_every_column_and_derived_frames_are_plain(result: BacktestResult) -> None:
    summary = result.summary()
    with pl.Config(tbl_cols=4, tbl_width_chars=60):  # whatever the user's settings
        text = str(summary)
        assert repr(summary) == text
    assert "…" not in text
    for name in summary.columns:
        assert name in text
    assert "-95.18" in text and "-95.176" not in text
    assert isinstance(summary, pl.DataFrame)
    assert type(summary.select("trigger")) is pl.DataFrame


def test_sweep_by_trigger_splits_full_from_partial() -> None:
    whole = sweep(HISTORY, "take_profit", "full", [0.8], progress=False)
    split = sweep(HISTORY, "take_profit", "full", [0.8], progress=False, by_trigger=True)
    assert split.columns[:4] == ["rule", "parameter", "value", "trigger"]
    assert split["trigger"].to_list() == ["take_profit_full", "take_profit_partial"]
    assert split["alerts"].sum() == whole["alerts"][0] == 5
    assert split["alerts"].to_list() == [2, 3]
    assert "median_benefit_usd" in str(whole)


def test_write_reads_back_equal_with_exact_dtypes(result: BacktestResult, tmp_path: Path) -> None:
    path = tmp_path / "runs" / "a run"
    result.write(path)
    assert sorted(p.name for p in path.iterdir()) == [
        "alerts.parquet", "decisions.parquet", "manifest.json", "outcomes.parquet",
        "summary.parquet",
    ]  # fmt: skip
    back = BacktestResult.read(path)
    for name in ("decisions", "alerts", "outcomes"):
        written, read = getattr(result, name), getattr(back, name)
        assert read.schema == written.schema, name
        assert read.equals(written), name
    stored = pl.read_parquet(path / "summary.parquet")
    assert stored.schema == result.summary().schema
    assert stored.equals(result.summary()) and back.summary().equals(result.summary())
    assert (back.mode, back.quiet_period, back.lake_version) == (
        "vectorized",
        timedelta(hours=6),
        None,
    )
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["format"] == "alertkit-backtest" and manifest["format_version"] == 1
    assert manifest["quiet_period_seconds"] == 21600.0
    assert manifest["rules"][4] == (
        "TakeProfit(name='take_profit', priority=2.0, full=0.8, partial=0.5, close_ratio=0.5)"
    )
    assert manifest["rows"] == {
        "decisions": result.decisions.height, "alerts": result.alerts.height,
        "outcomes": result.outcomes.height, "summary": result.summary().height,
    }  # fmt: skip
    assert read_backtest(path).alerts.equals(result.alerts)


def test_write_refuses_to_replace_a_run_unless_told(result: BacktestResult, tmp_path: Path) -> None:
    result.write(tmp_path / "run")
    with pytest.raises(ValidationError, match="already holds a backtest; pass overwrite=True"):
        result.write(tmp_path / "run")
    other = run_backtest(HISTORY, progress=False)
    other.write(tmp_path / "run", overwrite=True)
    assert read_backtest(tmp_path / "run").quiet_period is None
    (tmp_path / "run" / "manifest.json").unlink()  # as after a write cut short
    with pytest.raises(ValidationError, match="holds no backtest"):
        read_backtest(tmp_path / "run")


def test_demo_defines_benefit_and_ends_with_what_needs_action(
    lake: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run_demo(lake)
    out = capsys.readouterr().out
    assert (
        "| engine_rule            | trigger               | alerts | repeats | positions |" in out
    )
    assert (
        "| catastrophe_protection | catastrophe_drop      | 11     | 11      | 11        |" in out
    )
    assert "-344.03" in out and "-344.026" not in out
    assert BENEFIT_LINE in out
    tail = out[out.index("needs action:") :].splitlines()
    assert tail[0] == "needs action: 1 open alert, most urgent first"
    assert len(tail) == 4 and "acknowledged" in tail[3] and "dte_roll" in tail[3]
    assert "resolved" not in "\n".join(tail[1:])
