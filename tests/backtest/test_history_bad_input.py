"""History files that do not fit the snapshot schema: load_history refuses each with every
problem named, and writes nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from alertkit import SyncAlertManager, ValidationError
from alertkit.backtest import load_history, synthetic_history
from conftest import WritesNothing

HISTORY_HEADER = "history does not fit the snapshot schema (alertkit.SNAPSHOT_SCHEMA): "


def _write(frame: pl.DataFrame, path: Path) -> Path:
    if path.suffix == ".csv":
        frame.write_csv(path)
    elif path.suffix == ".parquet":
        frame.write_parquet(path)
    else:
        frame.write_delta(path)
    return path


HISTORY_CASES: list[tuple[str, Callable[[pl.DataFrame], pl.DataFrame], str, str]] = [
    (
        "parquet missing a column",
        lambda h: h.drop("strategy_id"),
        "history.parquet",
        HISTORY_HEADER + "1 problem\n  - missing column strategy_id (Int64): add an integer id"
        " per position",
    ),
    (
        "csv with text in a number column",
        lambda h: h.with_columns(pl.lit("n/a").alias("net_delta")),
        "history.csv",
        HISTORY_HEADER + "1 problem\n  - mistyped column net_delta: expected Float64, got String",
    ),
    (
        "delta table with a mistyped column",
        lambda h: h.with_columns(pl.col("strategy_id").cast(pl.String)),
        "history",
        HISTORY_HEADER + "1 problem\n  - mistyped column strategy_id: expected Int64, got String",
    ),
    (
        "parquet missing and mistyped columns",
        lambda h: h.drop("symbol", "strategy_type").with_columns(pl.col("dte").cast(pl.Float64)),
        "history.parquet",
        HISTORY_HEADER + "3 problems\n"
        "  - missing column symbol (String): add the underlying's ticker per position\n"
        "  - missing column strategy_type (String): add one of butterfly, calendar_spread,"
        " custom, iron_condor, long_call, long_put, short_call, short_put, strangle,"
        " vertical_spread per position\n"
        "  - mistyped column dte: expected Int32, got Float64",
    ),
]


@pytest.mark.parametrize(
    ("case", "damage", "name", "message"), HISTORY_CASES, ids=[c[0] for c in HISTORY_CASES]
)
def test_bad_history_files_are_refused_cleanly(
    sync_manager: SyncAlertManager,
    writes_nothing: WritesNothing,
    tmp_path: Path,
    case: str,
    damage: Callable[[pl.DataFrame], pl.DataFrame],
    name: str,
    message: str,
) -> None:
    path = _write(damage(synthetic_history(2, seed=1)), tmp_path / name)
    with writes_nothing(also=tmp_path), pytest.raises(ValidationError) as info:
        load_history(path)
    assert str(info.value).startswith(message), str(info.value)
