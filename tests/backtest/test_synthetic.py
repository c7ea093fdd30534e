"""The synthetic position history: schema, determinism, row counts, pricing, rule coverage."""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, date, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from alertkit import SNAPSHOT_SCHEMA, ValidationError
from alertkit.backtest import synthetic_history
from alertkit.backtest.market_paths import simulate_market, smile_vol, term_structure
from alertkit.backtest.pricing import black_scholes, norm_cdf
from alertkit.rules import default_rules, evaluate_frame

RULE_NAMES = [rule.name for rule in default_rules()]


@pytest.fixture(scope="module")
def default_history() -> pl.DataFrame:
    return synthetic_history()


def digest(frame: pl.DataFrame) -> str:
    return hashlib.sha256(frame.write_ipc(None).getvalue()).hexdigest()


# --- schema and shape --------------------------------------------------------------------


def test_columns_and_dtypes_are_exactly_the_snapshot_schema(default_history: pl.DataFrame) -> None:
    assert dict(default_history.schema) == SNAPSHOT_SCHEMA
    assert default_history.columns == list(SNAPSHOT_SCHEMA)


def test_sorted_by_as_of_then_strategy_id(default_history: pl.DataFrame) -> None:
    assert default_history.equals(default_history.sort("as_of", "strategy_id"))
    assert (
        default_history.select(pl.struct("as_of", "strategy_id").is_duplicated().any()).item()
        is False
    )


def test_default_history_size(default_history: pl.DataFrame) -> None:
    assert default_history.shape == (45872, 19)
    assert default_history["strategy_id"].n_unique() == 160
    assert default_history.null_count().sum_horizontal().item() == 0


# --- determinism -------------------------------------------------------------------------


def test_same_arguments_give_a_byte_identical_frame(default_history: pl.DataFrame) -> None:
    again = synthetic_history()
    assert again.equals(default_history)
    assert digest(again) == digest(default_history)


def test_small_history_is_byte_identical_across_calls() -> None:
    first = synthetic_history(5, seed=11, bar="15m")
    second = synthetic_history(5, seed=11, bar="15m")
    assert digest(first) == digest(second)


def test_different_seeds_differ() -> None:
    a = synthetic_history(5, seed=1)
    b = synthetic_history(5, seed=2)
    assert digest(a) != digest(b)
    assert not a["upl_pct"].head(10).equals(b["upl_pct"].head(10))


# --- row counts, hand-checked ------------------------------------------------------------


def sessions_after(entry: date, expiry: date) -> int:
    """Weekdays in (entry, expiry]."""
    days = (expiry - entry).days
    return sum((entry + timedelta(days=i)).weekday() < 5 for i in range(1, days + 1))


def test_rows_held_to_expiry_are_every_bar_from_entry_to_the_expiry_close() -> None:
    frame = synthetic_history(3, seed=5, early_exits=False)
    per_position = frame.group_by("strategy_id", maintain_order=True).agg(
        pl.col("as_of").first().alias("entry"),
        pl.col("as_of").last().alias("last"),
        pl.col("expiry").first(),
        pl.len(),
    )
    assert per_position.rows() == [
        (
            1,
            datetime(2025, 1, 6, 17, 30, tzinfo=UTC),
            datetime(2025, 2, 7, 21, 0, tzinfo=UTC),
            date(2025, 2, 7),
            8 + 13 * 24,
        ),
        (
            2,
            datetime(2025, 1, 7, 15, 30, tzinfo=UTC),
            datetime(2025, 2, 7, 21, 0, tzinfo=UTC),
            date(2025, 2, 7),
            12 + 13 * 23,
        ),
        (
            3,
            datetime(2025, 1, 13, 18, 30, tzinfo=UTC),
            datetime(2025, 2, 14, 21, 0, tzinfo=UTC),
            date(2025, 2, 14),
            6 + 13 * 24,
        ),
    ]
    # The same counts from the calendar: bars left on the entry day (30-minute bars end at
    # 15:00..21:00 UTC in January), plus 13 for each later session up to the expiry.
    for sid, entry, last, expiry, rows in per_position.rows():
        bars_left = (21 * 60 - (entry.hour * 60 + entry.minute)) // 30 + 1
        assert rows == bars_left + 13 * sessions_after(entry.date(), expiry)
        assert last == datetime(expiry.year, expiry.month, expiry.day, 21, 0, tzinfo=UTC), sid
    assert frame.height == 320 + 311 + 318


def test_bars_are_session_times_in_utc_across_daylight_saving() -> None:
    frame = synthetic_history(2, seed=5, start=date(2025, 3, 3), bar="30m", early_exits=False)
    minutes = frame.select(
        pl.col("as_of").dt.date().alias("day"),
        (pl.col("as_of").dt.hour().cast(pl.Int32) * 60 + pl.col("as_of").dt.minute()).alias("m"),
    )
    # Before 2025-03-09 New York is UTC-5 (10:00-16:00 ET = 15:00-21:00 UTC), after it UTC-4.
    winter = minutes.filter(pl.col("day") < date(2025, 3, 9))["m"]
    summer = minutes.filter(pl.col("day") > date(2025, 3, 9))["m"]
    assert (winter.min(), winter.max()) == (15 * 60, 21 * 60)
    assert (summer.min(), summer.max()) == (14 * 60, 20 * 60)
    assert frame["as_of"].dt.weekday().max() == 5


def test_five_minute_bars_give_78_a_day() -> None:
    frame = synthetic_history(1, seed=5, bar="5m", early_exits=False)
    per_day = frame.group_by(pl.col("as_of").dt.date()).len()["len"]
    assert per_day.max() == 78
    assert per_day.unique().len() == 2  # the (partial) entry day and full sessions


# --- column semantics --------------------------------------------------------------------


def test_columns_follow_their_definitions(default_history: pl.DataFrame) -> None:
    df = default_history
    c = pl.col
    checks = df.select(
        (c("upl_pct") == c("unrealized_pnl") / c("entry_price")).all().alias("upl"),
        (c("dte") == (c("expiry") - c("as_of").dt.date()).dt.total_days()).all().alias("dte"),
        (c("entry_price") > 0).all().alias("entry_price"),
        c("iv_percentile").is_between(0.0, 1.0).all().alias("iv_percentile"),
        (c("expiry").dt.weekday() == 5).all().alias("friday"),
    ).row(0, named=True)
    assert checks == dict.fromkeys(checks, True)
    first = df.group_by("strategy_id").first()
    assert first["unrealized_pnl"].abs().max() == 0.0
    assert first["iv_change_since_entry"].abs().max() == 0.0
    assert (first["vix"] == first["vix_at_entry"]).all()
    assert (first["dte"].min(), first["dte"].max()) == (30, 60)


def test_portfolio_and_symbol_delta_sum_the_open_positions(default_history: pl.DataFrame) -> None:
    sums = default_history.with_columns(
        pl.col("net_delta").sum().over("as_of").alias("portfolio"),
        pl.col("net_delta").sum().over("as_of", "symbol").alias("by_symbol"),
    )
    assert sums.select(
        (pl.col("portfolio") - pl.col("portfolio_delta")).abs().max(),
        (pl.col("by_symbol") - pl.col("symbol_delta")).abs().max(),
    ).row(0) == pytest.approx((0.0, 0.0), abs=1e-12)


def test_debit_positions_never_lose_more_than_the_premium(default_history: pl.DataFrame) -> None:
    # Long options and calendars are debits: an arbitrage-free surface keeps them >= 0.
    debit = default_history.filter(
        pl.col("strategy_type").is_in(["long_call", "long_put", "calendar_spread"])
    )
    assert debit.select(pl.col("upl_pct").min()).item() >= -1.0 - 1e-9


def test_strategy_mix_and_symbols_are_honoured() -> None:
    frame = synthetic_history(6, seed=3, symbols=("IWM",), strategy_mix={"iron_condor": 1.0})
    assert frame["symbol"].unique().to_list() == ["IWM"]
    assert frame["strategy_type"].unique().to_list() == ["iron_condor"]
    assert (frame["symbol_delta"] == frame["portfolio_delta"]).all()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"bar": "7m"},
            "bar: expected '<n>m' with n one of 1, 2, 3, 5, 6, 10, 15, 30 (whole bars per hour"
            " and per 390-minute session), got '7m'",
        ),
        ({"n_positions": 0}, "n_positions: expected an int >= 1, got 0"),
        (
            {"symbols": ("SPY", "TSLA")},
            "symbols: expected distinct symbols from SPY, QQQ, IWM, got ('SPY', 'TSLA')",
        ),
        (
            {"strategy_mix": {"butterfly": 1.0}},
            "strategy_mix: expected non-negative weights, not all zero, for iron_condor,"
            " vertical_spread, calendar_spread, long_call, long_put, short_call, short_put;"
            " got {'butterfly': 1.0}",
        ),
        (
            {"start": datetime(2025, 1, 2, tzinfo=UTC)},
            "start: expected a date (not a datetime), got"
            " datetime.datetime(2025, 1, 2, 0, 0, tzinfo=datetime.timezone.utc)",
        ),
    ],
)
def test_bad_arguments_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError) as info:
        synthetic_history(**kwargs)  # type: ignore[arg-type]
    assert str(info.value) == message


# --- every rule wins somewhere ------------------------------------------------------------


def test_every_rule_fires_in_default_history(default_history: pl.DataFrame) -> None:
    decided = evaluate_frame(default_history, default_rules())
    counts = dict(decided.group_by("engine_rule").len().rows())
    assert counts == {
        "catastrophe_protection": 57,
        "single_leg_exit": 4791,
        "trailing_stop": 3943,
        "vix_exit": 7008,
        "take_profit": 5111,
        "stop_loss": 1000,
        "delta_risk": 9696,
        "iv_crush": 99,
        "iv_percentile_exit": 1348,
        "dte_roll": 3071,
        "gamma_risk": 3,
        "time_exit": 8,
        None: 9737,
    }
    assert set(RULE_NAMES) <= set(counts)


# --- Black-Scholes -----------------------------------------------------------------------


def test_black_scholes_matches_textbook_values() -> None:
    g = black_scholes([True, False], 100.0, 100.0, 1.0, 0.2, 0.05)
    assert np.round(g.price, 4).tolist() == [10.4506, 5.5735]
    assert np.round(g.delta, 4).tolist() == [0.6368, -0.3632]
    assert round(float(g.gamma), 4) == 0.0188
    # Hull, Options, Futures and Other Derivatives, example 15.6: 4.76 and 0.81.
    hull = black_scholes([True, False], 42.0, 40.0, 0.5, 0.2, 0.1)
    assert np.round(hull.price, 2).tolist() == [4.76, 0.81]


def test_put_call_parity_holds_across_a_grid() -> None:
    spot, strike, t, vol = np.meshgrid(
        [50.0, 100.0, 590.0], [40.0, 100.0, 600.0], [1 / 365, 0.25, 2.0], [0.05, 0.2, 0.8]
    )
    calls = black_scholes(True, spot, strike, t, vol, 0.04)
    puts = black_scholes(False, spot, strike, t, vol, 0.04)
    parity = calls.price - puts.price - (spot - strike * np.exp(-0.04 * t))
    assert np.abs(parity).max() <= 1e-10 * spot.max()
    assert np.abs(calls.delta - puts.delta - 1.0).max() <= 1e-15
    assert np.array_equal(calls.gamma, puts.gamma)


def test_greeks_match_finite_differences() -> None:
    s, h = 222.0, 0.01
    up, mid, down = (black_scholes(True, x, 225.0, 10 / 365, 0.25, 0.0) for x in (s + h, s, s - h))
    assert float(mid.delta) == pytest.approx(float(up.price - down.price) / (2 * h), rel=1e-7)
    assert float(mid.gamma) == pytest.approx(
        float(up.price - 2 * mid.price + down.price) / h**2, rel=1e-5
    )


def test_norm_cdf_matches_erfc() -> None:
    x = np.linspace(-38.0, 38.0, 76_001)
    exact = np.array([0.5 * math.erfc(-v / math.sqrt(2.0)) for v in x])
    assert np.abs(norm_cdf(x) - exact).max() <= 1e-15


# --- the market underneath ----------------------------------------------------------------


def test_vix_rises_when_the_market_falls() -> None:
    market = simulate_market(
        np.random.default_rng(0),
        start=date(2025, 1, 2),
        live_days=500,
        bars_per_day=13,
        symbols=("SPY", "QQQ", "IWM"),
    )
    returns = np.diff(np.log(market.spot[0]))
    vix_moves = np.diff(np.log(market.vix))
    assert round(float(np.corrcoef(returns, vix_moves)[0, 1]), 2) == -0.84
    assert market.spot[:, market.first_live_bar - 1].round(2).tolist() == [590.0, 515.0, 222.0]


def test_smile_and_term_structure_shapes() -> None:
    t = np.array(45 / 365)
    sd = 0.15 * np.sqrt(t)
    skewed = smile_vol(np.array(0.15), np.array([-0.7 * sd, 0.0, 0.7 * sd]), t, -0.7, 0.8) / 0.15
    assert skewed.round(3).tolist() == [1.192, 1.0, 0.817]
    # Contango at a VIX of 15, inverted at 40.
    curve = term_structure(
        np.array(0.15), np.array([7 / 365, 90 / 365]), np.array([[15.0], [40.0]])
    )
    assert (curve / 0.15).round(3).tolist() == [[0.89, 1.092], [1.191, 0.876]]
