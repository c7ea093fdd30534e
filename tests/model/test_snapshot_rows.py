"""alertkit.model.snapshot_rows: one normaliser for the model, a dict, market data and a frame."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime

import polars as pl
import pytest

from alertkit import PositionSnapshot, ValidationError
from alertkit.model.snapshot_frames import normalize_frame, unit_problems
from alertkit.model.snapshot_rows import snapshot_row
from alertkit.model.snapshot_schema import SNAPSHOT_SCHEMA

T0 = datetime(2026, 1, 5, 15, tzinfo=UTC)
RAW = {
    "as_of": T0,
    "strategy_id": 7,
    "symbol": "SPY",
    "strategy_type": "iron_condor",
    "expiry": date(2026, 1, 30),
    "entry_price": 1000.0,
    "unrealized_pnl": 550.0,
    "vix": math.nan,
}


def test_a_dict_a_model_and_a_frame_normalise_alike() -> None:
    row = snapshot_row(RAW)
    assert (row["upl_pct"], row["dte"], row["vix"]) == (0.55, 25, None)
    assert snapshot_row(PositionSnapshot(**RAW)) == row  # type: ignore[arg-type]
    frame = normalize_frame(pl.DataFrame([RAW])).collect()
    assert {k: frame.row(0, named=True)[k] for k in SNAPSHOT_SCHEMA} == {
        k: row[k] for k in SNAPSHOT_SCHEMA
    }


def test_market_data_fills_the_market_columns_by_either_name() -> None:
    row = snapshot_row(
        RAW, {"1h_change": -0.04, "vix_entry": 20.0, "delta_per_symbol": {"SPY": 0.3}}
    )
    assert (row["underlying_change_1h"], row["vix_at_entry"], row["symbol_delta"]) == (
        -0.04,
        20.0,
        0.3,
    )
    with pytest.raises(ValidationError, match="'vix_entry' and 'vix_at_entry' both give"):
        snapshot_row(RAW, {"vix_entry": 20.0, "vix_at_entry": 21.0})


def test_wrong_units_are_named_by_the_row_and_the_frame_check_alike() -> None:
    with pytest.raises(ValidationError, match=r"iv_percentile: expected a fraction 0-1"):
        snapshot_row({**RAW, "iv_percentile": 42.0})
    frame = pl.DataFrame([{**RAW, "iv_percentile": 42.0, "underlying_change_1h": 3.0}])
    assert unit_problems(normalize_frame(frame)) == [
        "iv_percentile: expected a fraction 0-1 (divide 0-100 sources by 100), got 42.0",
        "underlying_change_1h: expected a fraction with |x| < 1 (-0.03 = -3 %), got 3.0",
    ]
