"""load_history: round trips through Parquet, CSV, Delta and frames; schema errors."""

from __future__ import annotations

import math
from datetime import UTC
from pathlib import Path

import polars as pl
import pytest

from alertkit import SNAPSHOT_SCHEMA, ValidationError, with_portfolio_columns
from alertkit.backtest import MissingColumnsWarning, load_history, synthetic_history
from alertkit.model.snapshot_frames import normalize_frame

HEADER = "history does not fit the snapshot schema (alertkit.SNAPSHOT_SCHEMA): "


@pytest.fixture(scope="module")
def history() -> pl.DataFrame:
    return synthetic_history(4, seed=11)


def shuffled(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sample(fraction=1.0, shuffle=True, seed=3)


def error_of(source: object) -> str:
    with pytest.raises(ValidationError) as info:
        load_history(source)  # type: ignore[arg-type]
    return str(info.value)


# --- round trips -------------------------------------------------------------------------


def test_parquet_round_trip(history: pl.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "history.parquet"
    shuffled(history).write_parquet(path)
    assert load_history(path).equals(history)
    assert load_history(str(path)).equals(history)


def test_csv_round_trip(history: pl.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "history.csv"
    history.write_csv(path)
    loaded = load_history(path)
    assert dict(loaded.schema) == SNAPSHOT_SCHEMA
    assert loaded.equals(history)


def test_delta_round_trip(history: pl.DataFrame, tmp_path: Path) -> None:
    table = tmp_path / "lake" / "history"
    shuffled(history).write_delta(table)
    assert load_history(table).equals(history)
    assert load_history(table, format="delta").equals(history)


def test_frame_and_lazy_frame_round_trip(history: pl.DataFrame) -> None:
    assert load_history(shuffled(history)).equals(history)
    assert load_history(history.lazy()).equals(history)


def test_extra_columns_are_kept_after_the_schema(history: pl.DataFrame) -> None:
    loaded = load_history(history.with_columns(pl.lit("acct-1").alias("account")))
    assert loaded.columns == [*SNAPSHOT_SCHEMA, "account"]


def test_lossless_dtypes_are_cast(history: pl.DataFrame) -> None:
    narrow = history.with_columns(
        pl.col("strategy_id").cast(pl.Int32),
        pl.col("dte").cast(pl.Int64),
        pl.col("vix", "vix_at_entry").cast(pl.Float32),
        pl.col("symbol").cast(pl.Categorical),
        pl.col("as_of").dt.convert_time_zone("America/New_York").dt.cast_time_unit("ns"),
    )
    loaded = load_history(narrow)
    assert dict(loaded.schema) == SNAPSHOT_SCHEMA
    assert loaded.drop("vix", "vix_at_entry").equals(history.drop("vix", "vix_at_entry"))


def test_an_all_null_column_takes_the_schema_dtype(history: pl.DataFrame) -> None:
    loaded = load_history(history.with_columns(pl.lit(None).alias("portfolio_delta")))
    assert loaded.schema["portfolio_delta"] == pl.Float64()
    assert loaded["portfolio_delta"].null_count() == history.height


# --- schema errors ----------------------------------------------------------------------


def test_two_missing_and_one_mistyped_column_are_all_named(
    history: pl.DataFrame, tmp_path: Path
) -> None:
    path = tmp_path / "bad.parquet"
    damaged = history.drop("symbol", "upl_pct", "unrealized_pnl")
    damaged.with_columns(pl.col("dte").cast(pl.String)).write_parquet(path)
    assert error_of(path) == (
        HEADER + "3 problems\n"
        "  - missing column symbol (String): add the underlying's ticker per position\n"
        "  - missing column upl_pct (Float64): add it, or entry_price and unrealized_pnl to"
        " derive it from\n"
        "  - mistyped column dte: expected Int32, got String"
    )


def test_csv_with_text_in_a_number_column(history: pl.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    history.with_columns(pl.lit("n/a").alias("net_gamma")).drop("symbol").write_csv(path)
    assert error_of(path) == (
        HEADER + "2 problems\n"
        "  - missing column symbol (String): add the underlying's ticker per position\n"
        "  - mistyped column net_gamma: expected Float64, got String"
    )


def test_naive_as_of_is_local_time_as_everywhere_else(history: pl.DataFrame) -> None:
    # Issue 18 changed this from a refusal: a naive instant is local time, as a naive
    # datetime is in every other alertkit API (other zones: tests/backtest/test_history_files.py).
    naive = history.with_columns(pl.col("as_of").dt.replace_time_zone(None))
    local = [t.replace(tzinfo=None).astimezone(UTC) for t in history["as_of"]]
    assert load_history(naive)["as_of"].to_list() == sorted(local)


def test_iv_percentile_on_a_0_100_scale_is_refused(history: pl.DataFrame) -> None:
    scaled = history.with_columns(pl.lit(87.5).alias("iv_percentile"))
    assert error_of(scaled) == (
        HEADER + "1 problem\n"
        "  - iv_percentile: expected a fraction 0-1 (divide 0-100 sources by 100), got 87.5"
        f" (in {history.height} rows)"
    )


def test_value_problems_are_listed_together(history: pl.DataFrame) -> None:
    bad = history.with_columns(
        pl.when(pl.col("strategy_id") == 2)
        .then(pl.lit("straddle"))
        .otherwise(pl.col("strategy_type"))
        .alias("strategy_type"),
        pl.when(pl.col("strategy_id") == 3).then(None).otherwise(pl.col("symbol")).alias("symbol"),
        pl.lit(2**40).alias("dte"),
    )
    bad = pl.concat([bad, bad.head(1)])
    first = history.row(0, named=True)
    assert error_of(bad) == (
        HEADER + "4 problems\n"
        "  - mistyped column dte: expected Int32, got Int64 with values out of range\n"
        f"  - symbol: {history.filter(pl.col('strategy_id') == 3).height} null values\n"
        "  - strategy_type: unknown value 'straddle'; expected one of butterfly,"
        " calendar_spread, custom, iron_condor, long_call, long_put, short_call, short_put,"
        " strangle, vertical_spread\n"
        f"  - 2 rows repeat an (as_of, strategy_id) pair, e.g."
        f" ({first['as_of'].isoformat()}, {first['strategy_id']})"
    )


# --- meeting a history halfway ----------------------------------------------------------

CORE = ("as_of", "strategy_id", "symbol", "strategy_type", "expiry", "entry_price")


def test_missing_market_columns_are_unknown_with_one_warning(history: pl.DataFrame) -> None:
    own = history.drop("vix", "iv_change_1h", "net_gamma")
    with pytest.warns(MissingColumnsWarning) as caught:
        loaded = load_history(own)
    assert [str(w.message) for w in caught] == [
        "history has no net_gamma, iv_change_1h, vix columns: taken as unknown (null),"
        " so the rules reading them cannot fire"
    ]
    assert loaded.columns == list(SNAPSHOT_SCHEMA)
    assert (
        loaded.select("vix", "iv_change_1h", "net_gamma").null_count().row(0)
        == (history.height,) * 3
    )
    assert loaded.drop("vix", "iv_change_1h", "net_gamma").equals(
        history.drop("vix", "iv_change_1h", "net_gamma")
    )


def test_dte_upl_pct_and_the_portfolio_deltas_are_derived_when_absent(
    history: pl.DataFrame,
) -> None:
    own = history.drop("dte", "upl_pct", "portfolio_delta", "symbol_delta")
    loaded = load_history(own)  # derived, not unknown: no warning
    expected = normalize_frame(own).collect()
    assert loaded["dte"].equals(expected["dte"])
    assert loaded["upl_pct"].equals(expected["upl_pct"])
    for as_of, rows in loaded.group_by("as_of"):
        live = with_portfolio_columns(rows.select(list(SNAPSHOT_SCHEMA)).iter_rows(named=True))
        assert rows["portfolio_delta"].to_list() == pytest.approx(
            [r["portfolio_delta"] for r in live], rel=1e-12, abs=1e-15
        ), as_of
        assert rows["symbol_delta"].to_list() == pytest.approx(
            [r["symbol_delta"] for r in live], rel=1e-12, abs=1e-15
        ), as_of


def test_a_users_own_csv_with_a_0_100_percentile_has_one_problem(
    history: pl.DataFrame, tmp_path: Path
) -> None:
    path = tmp_path / "mine.csv"
    mine = history.select(*CORE, "unrealized_pnl", "net_delta", "vix", "vix_at_entry")
    mine.with_columns(iv_percentile=pl.lit(42.0)).write_csv(path)
    assert error_of(path) == (
        HEADER + "1 problem\n"
        "  - iv_percentile: expected a fraction 0-1 (divide 0-100 sources by 100), got 42.0"
        f" (in {history.height} rows)"
    )
    mine.with_columns(iv_percentile=pl.lit(0.42)).write_csv(path)
    with pytest.warns(MissingColumnsWarning, match="no net_gamma, underlying_change_1h,"):
        loaded = load_history(path)
    assert loaded["portfolio_delta"].null_count() == 0


def test_nan_is_unknown_not_a_wrong_unit(history: pl.DataFrame) -> None:
    unknown = history.with_columns(pl.lit(math.nan).alias("iv_percentile"))
    assert load_history(unknown)["iv_percentile"].is_nan().all()


def test_what_cannot_be_made_up_is_refused_with_the_fix(history: pl.DataFrame) -> None:
    assert error_of(history.drop("expiry", "dte", "strategy_type")) == (
        HEADER + "2 problems\n"
        "  - missing column strategy_type (String): add one of butterfly, calendar_spread,"
        " custom, iron_condor, long_call, long_put, short_call, short_put, strangle,"
        " vertical_spread per position\n"
        "  - missing column dte (Int32): add it, or an expiry column to derive it from"
    )
    assert "DOMAIN" not in error_of(history.drop("as_of"))


# --- paths -------------------------------------------------------------------------------


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no history at"):
        load_history(tmp_path / "nope.parquet")


def test_unknown_suffix_and_plain_directory(history: pl.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "history.data"
    history.write_parquet(path)
    assert error_of(path) == (
        f"cannot tell the format of {str(path)!r} from its suffix; pass format='parquet',"
        " 'csv' or 'delta'"
    )
    assert load_history(path, format="parquet").equals(history)
    assert (
        error_of(tmp_path)
        == f"{str(tmp_path)!r} is a directory without a _delta_log: not a Delta table"
    )
