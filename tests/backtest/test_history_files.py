"""Issue 18 §2: a researcher's own positions file loads, in every variant tried.

The file has the columns ``as_of, strategy_id, symbol, strategy_type, expiry, dte,
entry_price, unrealized_pnl, upl_pct, net_delta, net_gamma, vix, vix_at_entry`` (no column
the unit checks cover): on main every variant raised a raw polars ``OutOfBoundsError``.
"""

from __future__ import annotations

import warnings
from datetime import UTC
from pathlib import Path

import polars as pl
import pytest

from alertkit import ValidationError
from alertkit.backtest import MissingColumnsWarning, load_history, run_backtest, synthetic_history
from alertkit.lake.snapshot_files import sniff_separator
from alertkit.model.snapshot_schema import SuspectUnitsWarning, suspect_units_message

RESEARCHER = [
    "as_of",
    "strategy_id",
    "symbol",
    "strategy_type",
    "expiry",
    "dte",
    "entry_price",
    "unrealized_pnl",
    "upl_pct",
    "net_delta",
    "net_gamma",
    "vix",
    "vix_at_entry",
]
NO_MARKET = (
    "history has no underlying_change_1h, iv_change_1h, iv_change_since_entry, iv_percentile"
    " columns: taken as unknown (null), so the rules reading them cannot fire"
)
NO_MARKET_NO_VIX = (
    "history has no underlying_change_1h, iv_change_1h, iv_change_since_entry, vix,"
    " vix_at_entry, iv_percentile columns: taken as unknown (null), so the rules reading them"
    " cannot fire"
)
HEADER = "history does not fit the snapshot schema (alertkit.SNAPSHOT_SCHEMA): "


@pytest.fixture(scope="module")
def full() -> pl.DataFrame:
    return synthetic_history(3, seed=5)


@pytest.fixture
def own(full: pl.DataFrame) -> pl.DataFrame:
    return full.select(RESEARCHER)


def loaded(source: object, message: str = NO_MARKET, **kwargs: object) -> pl.DataFrame:
    with pytest.warns(MissingColumnsWarning) as record:
        frame = load_history(source, **kwargs)  # type: ignore[arg-type]
    assert [str(w.message) for w in record] == [message]
    return frame


def expected(own: pl.DataFrame) -> pl.DataFrame:
    return loaded(own)


def test_the_researchers_csv_loads(tmp_path: Path, own: pl.DataFrame) -> None:
    path = tmp_path / "positions.csv"
    own.write_csv(path)
    frame = loaded(path)
    assert frame.equals(expected(own))
    assert frame.height == own.height
    assert frame["vix"].to_list() == own["vix"].to_list()


def test_the_researchers_parquet_loads(tmp_path: Path, own: pl.DataFrame) -> None:
    path = tmp_path / "positions.parquet"
    own.write_parquet(path)
    assert loaded(path).equals(expected(own))


def test_without_vix_columns(tmp_path: Path, own: pl.DataFrame) -> None:
    path = tmp_path / "positions.csv"
    own.drop("vix", "vix_at_entry").write_csv(path)
    frame = loaded(path, NO_MARKET_NO_VIX)
    assert frame["vix"].null_count() == frame.height


def test_with_an_extra_column(tmp_path: Path, own: pl.DataFrame) -> None:
    path = tmp_path / "positions.csv"
    own.with_columns(account=pl.lit("IRA-7")).write_csv(path)
    frame = loaded(path)
    assert frame.columns[-1] == "account"
    assert frame.drop("account").equals(expected(own))


def test_with_naive_times_read_as_local_time(
    tmp_path: Path, own: pl.DataFrame, new_york: None
) -> None:
    path = tmp_path / "positions.csv"
    # The researcher's clock: New York wall time, no zone written.
    own.with_columns(pl.col("as_of").dt.convert_time_zone("America/New_York")).with_columns(
        pl.col("as_of").dt.replace_time_zone(None)
    ).write_csv(path)
    assert "+" not in path.read_text().splitlines()[1]  # naive in the file
    assert loaded(path)["as_of"].to_list() == expected(own)["as_of"].to_list()


def test_in_percent_is_refused_where_it_cannot_be_a_fraction(
    tmp_path: Path, own: pl.DataFrame
) -> None:
    path = tmp_path / "positions.csv"
    percent = own.with_columns(pl.col("upl_pct") * 100)
    percent.write_csv(path)
    beyond = percent.sort("as_of", "strategy_id", maintain_order=True).filter(
        pl.col("upl_pct").abs() > 100
    )
    assert beyond.height > 1
    with pytest.raises(ValidationError) as info:
        load_history(path)
    assert str(info.value) == (
        HEADER + "1 problem\n  - upl_pct: expected a fraction of the premium with |x| <= 100"
        f" (0.553 = 55.3 %; divide percent sources by 100), got {beyond['upl_pct'][0]!r}"
        f" (in {beyond.height} rows)"
    )


def test_in_percent_within_100_is_warned_once_by_the_backtest(own: pl.DataFrame) -> None:
    percent = own.with_columns(pl.col("upl_pct") * 100).filter(pl.col("upl_pct").abs() <= 100)
    history = loaded(percent)  # loading only reads: the warning comes with the evaluation
    with pytest.warns(SuspectUnitsWarning) as record:
        run_backtest(history, progress=False)
    assert [str(w.message) for w in record if w.category is SuspectUnitsWarning] == [
        suspect_units_message("upl_pct")
    ]


@pytest.mark.parametrize("separator", [";", "\t", "|"], ids=["semicolon", "tab", "pipe"])
def test_another_separator_is_detected(
    tmp_path: Path, own: pl.DataFrame, separator: str, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "positions.csv"
    own.write_csv(path, separator=separator)
    with caplog.at_level("INFO", logger="alertkit.lake.snapshot_files"):
        frame = loaded(path)
    assert frame.equals(expected(own))
    assert f"as {separator!r}-separated (detected from its header)" in caplog.text
    assert loaded(path, separator=separator).equals(frame)


def test_a_wrong_separator_is_refused_naming_the_right_one(
    tmp_path: Path, own: pl.DataFrame
) -> None:
    path = tmp_path / "positions.csv"
    own.write_csv(path, separator=";")
    with pytest.raises(ValidationError) as info:
        load_history(path, separator=",")
    assert str(info.value) == (
        f"{str(path)!r}: its header reads as one column with separator=','"
        " ('as_of;strategy_id;symbol;strategy_type;expiry;dte;entry_pric'); pass separator=';'"
    )


def test_sniff_separator() -> None:
    assert sniff_separator("a;b;c") == ";"
    assert sniff_separator("a\tb") == "\t"
    assert sniff_separator("a,b;c,d") == ","
    assert sniff_separator("as_of") == ","


def test_the_backtest_runs_on_the_researchers_csv(tmp_path: Path, own: pl.DataFrame) -> None:
    path = tmp_path / "positions.csv"
    own.write_csv(path, separator=";")
    with pytest.warns(MissingColumnsWarning):
        from_file = run_backtest(path, progress=False)
    with pytest.warns(MissingColumnsWarning):
        from_frame = run_backtest(own, progress=False)
    assert from_file.alerts.equals(from_frame.alerts)
    assert from_file.alerts.height > 0


def test_duplicate_snapshots_in_a_history_are_refused(full: pl.DataFrame) -> None:
    twice = pl.concat([full, full.head(1)])
    first = full.row(0, named=True)
    with pytest.raises(ValidationError) as info:
        run_backtest(twice, progress=False)
    assert str(info.value) == (
        HEADER + "1 problem\n  - 2 rows repeat an (as_of, strategy_id) pair, e.g."
        f" ({first['as_of'].isoformat()}, {first['strategy_id']})"
    )


def test_a_misspelt_history_column_is_named(full: pl.DataFrame) -> None:
    with pytest.raises(ValidationError) as info:
        load_history(full.rename({"upl_pct": "upl"}).drop("entry_price"))
    assert str(info.value) == (
        "misspelt columns? 'upl' (upl_pct?): not snapshot columns, and those are missing;"
        " rename them (see alertkit.SNAPSHOT_SCHEMA)"
    )


def test_a_pandas_frame_loads(full: pl.DataFrame) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_history(full.to_pandas()).equals(full)
        assert run_backtest(full.to_pandas(), progress=False).alerts.height > 0


def test_a_non_frame_source_names_what_is_accepted() -> None:
    with pytest.raises(ValidationError) as info:
        load_history(42)
    assert str(info.value) == (
        "source: expected a path, a polars (or pandas) DataFrame or a LazyFrame, got int"
    )


def test_naive_times_equal_the_utc_ones_on_a_utc_machine(own: pl.DataFrame) -> None:
    """The local-time rule, on the usual zone: naive times equal the UTC ones."""
    naive = own.with_columns(pl.col("as_of").dt.replace_time_zone(None))
    local = [t.replace(tzinfo=None).astimezone(UTC) for t in own["as_of"]]
    assert loaded(naive)["as_of"].to_list() == sorted(local)


def test_a_positions_delta_table_under_an_awkward_path_reads(
    tmp_path: Path, full: pl.DataFrame
) -> None:
    """A Delta table of positions at a path with a space and '#': polars alone would look
    for the percent-encoded file names delta-rs gives it."""
    table = tmp_path / "my book #1" / "positions"
    full.head(3).write_delta(table)
    full.slice(3, 3).write_delta(table, mode="append")
    assert load_history(table).equals(full.head(6))
