"""Vectorized mode == engine mode, exactly: decisions, alerts (ids included) and outcomes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
import pytest
from _histories import QUIET, histories
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alertkit import Decision, DecisionAction, Urgency
from alertkit.backtest import BacktestResult, run_backtest, synthetic_history
from alertkit.backtest.replay import BacktestAlertSink
from alertkit.model._ids import (
    ALERT_ID_PATTERN,
    created_date_of,
    deterministic_alert_id,
    deterministic_alert_ids,
)
from alertkit.model.schema import check_alert_frame
from alertkit.rules import TakeProfit, default_rules

T0 = datetime(2026, 1, 5, 14, 30, tzinfo=UTC)
UUID7 = r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"


def assert_same(vectorized: BacktestResult, engine: BacktestResult) -> None:
    assert vectorized.decisions.equals(engine.decisions)
    assert vectorized.alerts.equals(engine.alerts)
    assert vectorized.outcomes.equals(engine.outcomes)
    assert vectorized.summary().equals(engine.summary())


def both(history: pl.DataFrame, **options: Any) -> tuple[BacktestResult, BacktestResult]:
    return (
        run_backtest(history, mode="vectorized", progress=False, **options),
        run_backtest(history, mode="engine", progress=False, **options),
    )


# -- the synthetic history ------------------------------------------------------------------


@pytest.fixture(scope="module")
def history() -> pl.DataFrame:
    return synthetic_history(60, seed=11)


@pytest.mark.parametrize("quiet", [None, timedelta(hours=4), timedelta(days=1)])
def test_modes_agree_on_the_synthetic_history(
    history: pl.DataFrame, quiet: timedelta | None
) -> None:
    vectorized, engine = both(history, quiet_period=quiet)
    assert_same(vectorized, engine)
    alerts = vectorized.alerts
    assert alerts.height > 100
    assert alerts["alert_id"].str.contains(UUID7).all()
    resolved = alerts.filter(pl.col("status") == "resolved")
    assert resolved.height > 0
    gone = resolved["history"].str.contains('"note":"position left the history"')
    # Without a quiet period, only positions that left the history resolve their alerts.
    assert gone.all() if quiet is None else not gone.all()
    # Every firing is an occurrence of exactly one alert.
    firings = vectorized.decisions["trigger"].is_not_null().sum()
    assert alerts["occurrences"].sum() == firings


def test_a_shorter_quiet_period_opens_more_alerts(history: pl.DataFrame) -> None:
    counts = [
        run_backtest(history, quiet_period=q, progress=False).alerts.height
        for q in (None, timedelta(days=2), timedelta(hours=2))
    ]
    assert counts[0] < counts[1] < counts[2]


def test_modes_agree_with_changed_thresholds(history: pl.DataFrame) -> None:
    rules = [TakeProfit(full=0.6, partial=0.3) if r.name == "take_profit" else r
             for r in default_rules()]  # fmt: skip
    assert_same(*both(history, rules=rules, quiet_period=timedelta(hours=6)))


def test_repeated_runs_are_byte_identical(history: pl.DataFrame) -> None:
    first = run_backtest(history, quiet_period=timedelta(hours=4), progress=False)
    again = run_backtest(history, quiet_period=timedelta(hours=4), progress=False)
    assert first.alerts.equals(again.alerts)
    assert first.alerts.rows() == again.alerts.rows()


def test_alert_ids_are_uuid7_named_by_their_creation_instant(history: pl.DataFrame) -> None:
    alerts = run_backtest(history, progress=False).alerts
    check_alert_frame(alerts)
    for row in alerts.head(50).iter_rows(named=True):
        assert ALERT_ID_PATTERN.match(row["alert_id"])
        assert created_date_of(row["alert_id"]) == row["created_date"]
        assert row["alert_id"] == deterministic_alert_id(
            row["created_at"], row["rule"], row["strategy_id"], row["symbol"]
        )
        millis = int(row["alert_id"][:8] + row["alert_id"][9:13], 16)
        assert millis == int(row["created_at"].timestamp() * 1000)


# -- ids --------------------------------------------------------------------------------------


def test_deterministic_ids_scalar_and_vectorised_agree() -> None:
    created = [T0 + timedelta(microseconds=7919 * i) for i in range(200)]
    triggers = ["take_profit_full", None, "7"] * 66 + ["dte_roll", "x"]
    sids = [None if i % 7 == 0 else i for i in range(200)]
    symbols = ["SPY", "QQQ"] * 100
    ids = deterministic_alert_ids(
        pl.Series(created, dtype=pl.Datetime("us", "UTC")),
        [pl.Series(triggers), pl.Series(sids, dtype=pl.Int64), pl.Series(symbols)],
    )
    assert ids.to_list() == [
        deterministic_alert_id(*row) for row in zip(created, triggers, sids, symbols, strict=True)
    ]
    assert ids.n_unique() == 200


def test_deterministic_ids_depend_on_every_key_and_its_type() -> None:
    base = deterministic_alert_id(T0, "dte_roll", 7, "SPY")
    assert base == deterministic_alert_id(T0, "dte_roll", 7, "SPY")
    others = {
        deterministic_alert_id(T0, "dte_roll", 8, "SPY"),
        deterministic_alert_id(T0, "dte_roll", "7", "SPY"),
        deterministic_alert_id(T0, "dte_roll", None, "SPY"),
        deterministic_alert_id(T0, "time_exit", 7, "SPY"),
        deterministic_alert_id(T0 + timedelta(microseconds=1), "dte_roll", 7, "SPY"),
    }
    assert base not in others and len(others) == 5
    # Same millisecond, so the same 48-bit prefix; the hash decides the rest.
    assert all(other[:13] == base[:13] for other in others)


def test_deterministic_ids_refuse_naive_instants_and_unhashable_keys() -> None:
    with pytest.raises(ValueError, match="aware"):
        deterministic_alert_id(datetime(2026, 1, 5), "dte_roll")
    with pytest.raises(ValueError, match="str, int or None"):
        deterministic_alert_id(T0, 1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="aware Datetime"):
        deterministic_alert_ids(pl.Series([datetime(2026, 1, 5)]), [])


# -- hypothesis: small histories with nulls, boundaries, early exits ---------------------------


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories(), st.sampled_from(QUIET))
def test_modes_agree_on_generated_histories(history: pl.DataFrame, quiet: timedelta | None) -> None:
    vectorized, engine = both(history, quiet_period=quiet)
    assert_same(vectorized, engine)


# -- the sink on its own ----------------------------------------------------------------------


def test_sink_holds_no_alert_for_hold_and_counts_repeats() -> None:
    sink = BacktestAlertSink(timedelta(hours=1))
    hold = Decision.hold()
    close = Decision(DecisionAction.CLOSE, "VIX above 35", "vix_level", Urgency.HIGH)
    snap = {"as_of": T0, "strategy_id": 1, "symbol": "SPY"}
    assert asyncio.run(sink.create_alert(hold, snap)) is None
    first = asyncio.run(sink.create_alert(close, snap))
    again = asyncio.run(sink.create_alert(close, {**snap, "as_of": T0 + timedelta(minutes=30)}))
    assert first is again and first is not None
    assert (first.occurrences, first.last_seen_at) == (2, T0 + timedelta(minutes=30))
    sink.resolve_quiet(1, T0 + timedelta(minutes=89))
    assert first.status.value == "active"
    sink.resolve_quiet(2, T0 + timedelta(hours=5))  # another position: untouched
    assert first.status.value == "active"
    sink.resolve_quiet(1, T0 + timedelta(minutes=90))
    assert (first.status.value, first.resolved_at) == ("resolved", T0 + timedelta(minutes=90))
    assert sink.frame().height == 1
