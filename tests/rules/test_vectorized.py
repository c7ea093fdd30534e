"""Frame evaluation agrees exactly with the engine replaying the same snapshots."""

from __future__ import annotations

import asyncio
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from alertkit import Decision, DecisionAction, Urgency, ValidationError
from alertkit.model.snapshot_frames import normalize_frame, validate_frame
from alertkit.model.snapshot_rows import ROW_SCHEMA, snapshot_row
from alertkit.model.snapshot_schema import SNAPSHOT_SCHEMA, STRATEGY_TYPES
from alertkit.rules import (
    DECISION_COLUMNS,
    DTERoll,
    Rule,
    TakeProfit,
    TimeExit,
    Trigger,
    col,
    decision_from_row,
    default_rules,
    evaluate_frame,
    first_match_expr,
    peak_upl_expr,
)
from alertkit.rules.compile_polars import to_polars
from alertkit.rules.compile_row import evaluate
from alertkit.rules.engine import DecisionEngine

T0 = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
RULES = default_rules()


def around(*values: float) -> list[float]:
    """Each value and its float neighbours: exactly at, just inside, just outside."""
    out = []
    for v in values:
        out += [v, math.nextafter(v, math.inf), math.nextafter(v, -math.inf)]
    return out


def floats(boundaries: list[float], low: float, high: float) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        st.just(math.nan),
        st.sampled_from(boundaries),
        st.floats(low, high, allow_nan=False),
    )


HUGE = sys.float_info.max
UPL = [*around(0.8, 0.5, -0.5, -2.0, 0.2, 0.4, 0.16, 0.22, 0.0), 1.0, 0.55, -0.0]

ROW = st.fixed_dictionaries(
    {
        "strategy_id": st.sampled_from([1, 2, 3, None]),
        "symbol": st.sampled_from(["SPY", "QQQ", None]),
        "strategy_type": st.sampled_from([*sorted(STRATEGY_TYPES), None]),
        "dte": st.one_of(
            st.none(),
            st.sampled_from([-1, 0, 1, 2, 6, 7, 13, 14, 20, 21, 22, 25, 26]),
            st.integers(-5, 60),
        ),
        "expiry": st.one_of(st.none(), st.dates(date(2025, 12, 1), date(2026, 3, 1))),
        # Infinities are refused at the snapshot boundary by both (issue 14); the largest
        # finite values stand in for them.
        "entry_price": st.one_of(st.none(), st.sampled_from([-100.0, 0.0, 100.0, 250.0, HUGE])),
        # 1000 / 100: the largest upl_pct that is neither refused (|x| > 100) nor suspect.
        "unrealized_pnl": floats([80.0, 50.0, -50.0, -200.0, 1000.0], -400.0, 400.0),
        "upl_pct": floats(UPL, -3.0, 3.0),
        "net_gamma": floats(around(0.1, -0.1), -0.5, 0.5),
        # narrow ranges, so the early rules do not hide the later ones most of the time
        "underlying_change_1h": floats(around(-0.03), -0.05, 0.05),
        "iv_change_1h": floats(around(0.5), -1.0, 0.6),
        "iv_change_since_entry": floats(around(-0.3), -1.0, 1.0),
        "vix": floats([*around(35.0), 30.0, 30.5, HUGE], 5.0, 40.0),
        "vix_at_entry": floats([25.0, 25.5, 24.999999999999996, HUGE], 5.0, 80.0),
        "iv_percentile": floats([*around(0.3)[:2], math.nextafter(0.3, 0), 0.0, 1.0], 0.0, 1.0),
        "portfolio_delta": floats(around(0.3, -0.3, 0.4, -0.4), -1.0, 1.0),
        "symbol_delta": floats(around(0.3, -0.3, 0.4, -0.4), -1.0, 1.0),
    }
)

FRAME_SCHEMA = dict(SNAPSHOT_SCHEMA)


def replay(rows: list[dict[str, Any]], rules: list[Rule]) -> list[tuple[Decision, Any]]:
    """The engine's decision and held peak for each row, evaluated in the given order."""

    async def main() -> list[tuple[Decision, Any]]:
        engine = DecisionEngine(rules)
        out = []
        for row in rows:
            decision = await engine.evaluate(row)
            sid = row["strategy_id"]
            peak = engine.peak(sid) if sid is not None else snapshot_row(row)["upl_pct"]
            out.append((decision, peak))
        return out

    return asyncio.run(main())


def check_agreement(rows: list[dict[str, Any]], shuffle_seed: int) -> None:
    for i, row in enumerate(rows):
        row["as_of"] = T0 + timedelta(minutes=i)
    frame = pl.DataFrame(rows, schema=FRAME_SCHEMA)
    shuffled = frame.sample(fraction=1.0, shuffle=True, seed=shuffle_seed)
    out = evaluate_frame(shuffled, RULES).sort("as_of")
    expected = replay(rows, RULES)
    for (decision, peak), got in zip(expected, out.iter_rows(named=True), strict=True):
        assert decision_from_row(got, RULES) == decision, got
        assert (got["engine_rule"], got["priority"]) == (decision.engine_rule, decision.priority)
        assert (got["action"], got["urgency"]) == (decision.action.value, decision.urgency.value)
        assert got["trigger"] == (None if decision.rule == "none" else decision.rule)
        assert got["peak_upl_pct"] == peak


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ROW, min_size=10, max_size=60), st.integers(0, 2**32 - 1))
@example(
    [
        {"strategy_id": 1, "strategy_type": "iron_condor", "upl_pct": 0.55},
        {"strategy_id": 1, "strategy_type": "iron_condor", "upl_pct": 0.22},
        {"strategy_id": 1, "strategy_type": "iron_condor", "upl_pct": None, "dte": 1},
        {"strategy_id": 2, "strategy_type": "long_call", "dte": 21, "vix": 35.0},
        {"strategy_id": 2, "vix": HUGE, "vix_at_entry": 1.0, "dte": 23},
        {"strategy_id": None, "upl_pct": 0.9, "underlying_change_1h": -0.03},
        {"strategy_id": 3, "entry_price": 100.0, "unrealized_pnl": 80.0, "dte": 10},
        {"strategy_id": 3, "net_gamma": -0.15, "expiry": date(2026, 1, 15)},
    ],
    7,
)
def test_frame_and_engine_agree(rows: list[dict[str, Any]], seed: int) -> None:
    full = [{name: row.get(name) for name in FRAME_SCHEMA} for row in rows]
    check_agreement(full, seed)


@settings(max_examples=60, deadline=None)
@given(st.lists(ROW, min_size=1, max_size=30))
def test_every_trigger_condition_agrees_row_by_row(rows: list[dict[str, Any]]) -> None:
    """Not only the winner: each condition's three-valued result is the same in both paths."""
    frame = pl.DataFrame(
        [{**{n: r.get(n) for n in FRAME_SCHEMA}, "as_of": T0} for r in rows], schema=FRAME_SCHEMA
    )
    normal = normalize_frame(frame).with_columns(peak_upl_expr(None)).collect()
    triggers = [t for rule in RULES for t in rule.triggers]
    conditions = normal.select(to_polars(t.when).alias(t.id) for t in triggers)
    for row, got in zip(
        normal.iter_rows(named=True), conditions.iter_rows(named=True), strict=True
    ):
        assert {t.id: evaluate(t.when, row) for t in triggers} == got


# -- the frame API itself -------------------------------------------------------------------


def frame_of(*rows: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame([{n: r.get(n) for n in FRAME_SCHEMA} for r in rows], schema=FRAME_SCHEMA)


def test_evaluate_frame_adds_decision_columns_and_keeps_row_order() -> None:
    frame = frame_of(
        {"as_of": T0 + timedelta(minutes=2), "strategy_id": 1, "upl_pct": 0.1},
        {"as_of": T0, "strategy_id": 1, "upl_pct": 0.5},
        {"as_of": T0 + timedelta(minutes=1), "strategy_id": 1, "upl_pct": 0.9},
    )
    out = evaluate_frame(frame, RULES)
    assert out.columns == [*SNAPSHOT_SCHEMA, "peak_upl_pct", *DECISION_COLUMNS]
    assert out.select("upl_pct", "peak_upl_pct", *DECISION_COLUMNS).rows() == [
        (0.1, 0.9, "trailing_stop", "trailing_stop", 1.4, "close", "normal"),
        (0.5, 0.5, "take_profit_partial", "take_profit", 2.0, "reduce", "normal"),
        (0.9, 0.9, "take_profit_full", "take_profit", 2.0, "close", "normal"),
    ]


def test_hold_rows_have_null_trigger() -> None:
    out = evaluate_frame(frame_of({"as_of": T0, "strategy_id": 1, "dte": 40}), RULES)
    assert out.select(DECISION_COLUMNS).rows() == [(None, None, None, "hold", "normal")]
    assert decision_from_row(out.row(0, named=True), RULES) == Decision.hold()


def test_a_frame_binds_dte_roll_to_the_time_rule_in_the_list_by_name() -> None:
    frame = frame_of({"as_of": T0, "strategy_id": 1, "dte": 3})
    assert evaluate_frame(frame, [DTERoll()])["trigger"].to_list() == ["dte_roll"]
    rules = [DTERoll(), TimeExit(dte=3)]
    assert evaluate_frame(frame, rules)["trigger"].to_list() == ["time_exit"]


def test_peak_skips_nulls_and_ignores_strategy_ids_it_does_not_have() -> None:
    frame = frame_of(
        {"as_of": T0, "strategy_id": 1, "upl_pct": None},
        {"as_of": T0, "strategy_id": 1, "upl_pct": 0.3},
        {"as_of": T0, "strategy_id": 1, "upl_pct": None},
        {"as_of": T0, "strategy_id": 2, "upl_pct": -0.2},
        {"as_of": T0, "strategy_id": None, "upl_pct": 0.7},
        {"as_of": T0, "strategy_id": None, "upl_pct": 0.1},
        {"as_of": T0, "strategy_id": 1, "upl_pct": 0.2},
    )
    out = evaluate_frame(frame, RULES)  # equal as_of: ties keep row order
    assert out["peak_upl_pct"].to_list() == [None, 0.3, 0.3, -0.2, 0.7, 0.1, 0.3]


def test_order_by_none_uses_row_order() -> None:
    frame = frame_of(
        {"as_of": T0 + timedelta(minutes=1), "strategy_id": 1, "upl_pct": 0.5},
        {"as_of": T0, "strategy_id": 1, "upl_pct": 0.1},
    )
    assert evaluate_frame(frame, RULES, order_by=None)["trigger"].to_list() == [
        "take_profit_partial",
        "trailing_stop",
    ]
    assert evaluate_frame(frame, RULES)["trigger"].to_list() == ["take_profit_partial", None]


def test_lazy_in_lazy_out_and_old_decision_columns_replaced() -> None:
    frame = frame_of({"as_of": T0, "strategy_id": 1, "upl_pct": 0.75}).with_columns(
        action=pl.lit("stale"), priority=pl.lit(99)
    )
    out = evaluate_frame(frame.lazy(), [TakeProfit(full=0.7)])
    assert isinstance(out, pl.LazyFrame)
    assert out.select("trigger", "action", "priority").collect().rows() == [
        ("take_profit_full", "close", 2.0)
    ]


def test_missing_columns_are_null_and_values_are_derived() -> None:
    frame = pl.DataFrame(
        {
            "as_of": [T0, T0],
            "strategy_id": [1, 2],
            "expiry": [date(2026, 1, 6), date(2026, 2, 20)],
            "entry_price": [200.0, 0.0],
            "unrealized_pnl": [120.0, 50.0],
            "vix": [float("nan"), 36.0],
        }
    )
    out = evaluate_frame(frame, RULES)
    assert out.select("dte", "upl_pct", "vix", "strategy_type", "trigger").rows() == [
        (1, 0.6, None, None, "take_profit_partial"),
        (46, None, 36.0, None, "vix_level"),
    ]


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("iv_percentile", 30.0, "iv_percentile: expected a fraction 0-1 (divide 0-100"),
        ("iv_percentile", -0.5, "iv_percentile: expected a fraction 0-1"),
        ("underlying_change_1h", -1.0, "underlying_change_1h: expected a fraction with |x| < 1"),
        ("underlying_change_1h", 3.0, "underlying_change_1h: expected a fraction with |x| < 1"),
        ("strategy_type", "condor", "strategy_type: expected one of butterfly, calendar_spread"),
    ],
)
def test_frame_and_row_refuse_the_same_values(column: str, value: Any, message: str) -> None:
    row = {"as_of": T0, "strategy_id": 1, column: value}
    with pytest.raises(ValidationError) as in_frame:
        evaluate_frame(frame_of(row, {"as_of": T0, "strategy_id": 2}), RULES)
    with pytest.raises(ValidationError) as in_row:
        snapshot_row(row)
    assert str(in_frame.value).startswith(message)
    assert str(in_frame.value) == str(in_row.value)  # one row: the very same message
    assert str(in_row.value).startswith(message)
    assert str(in_row.value).endswith(f"got {value!r}")


def test_validate_frame_accepts_edges() -> None:
    frame = frame_of(
        {"iv_percentile": 0.0, "underlying_change_1h": -0.999},
        {"iv_percentile": 1.0, "underlying_change_1h": 0.999},
    )
    validate_frame(normalize_frame(frame))


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        # As a row refuses them (issue 18: frames are held to the dict path's rules; a naive
        # as_of is now local time, as a naive datetime is: tests/model/test_snapshot_rows_paths.py).
        (pl.DataFrame({"as_of": [date(2026, 1, 5)]}), "as_of: expected a datetime, got date"),
        (pl.DataFrame({"dte": [21.0]}), "dte: expected an int or None, got 21.0"),
    ],
)
def test_normalize_frame_refuses_ambiguous_columns(frame: pl.DataFrame, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        normalize_frame(frame)


def test_normalize_frame_converts_other_time_zones_to_utc() -> None:
    local = pl.DataFrame({"as_of": [T0]}).with_columns(
        pl.col("as_of").dt.convert_time_zone("America/New_York")
    )
    out = normalize_frame(local).collect()
    assert out.schema["as_of"] == pl.Datetime("us", "UTC")
    assert out["as_of"].to_list() == [T0]


def test_first_match_expr_refuses_duplicate_rule_names() -> None:
    with pytest.raises(ValidationError, match="expected distinct names"):
        first_match_expr([TakeProfit(), TakeProfit(full=0.7)])


def test_decision_from_row_needs_the_rule_that_fired() -> None:
    row = {"trigger": "take_profit_full", "engine_rule": "take_profit", "upl_pct": 0.9}
    assert decision_from_row(row, RULES).rule == "take_profit_full"
    with pytest.raises(ValidationError, match="no rule named 'take_profit'"):
        decision_from_row(row, [])


def test_row_schema_is_the_snapshot_plus_the_peak() -> None:
    assert list(ROW_SCHEMA) == [*SNAPSHOT_SCHEMA, "peak_upl_pct"]


@dataclass(frozen=True, slots=True, kw_only=True)
class DeepLoss(Rule):
    """A researcher's own rule, declared with the same condition language."""

    floor: float = -1.0
    name: str = "deep_loss"
    priority: float = 2.5

    def _build_triggers(self) -> Sequence[Trigger]:
        upl = col("upl_pct")
        return (
            Trigger(
                "deep_loss",
                upl < self.floor,
                DecisionAction.CLOSE,
                Urgency.HIGH,
                "P&L {upl_pct:.0%} below {threshold:.0%}",
                {"upl_pct": upl, "threshold": self.floor},
            ),
        )


def test_a_custom_rule_runs_in_the_engine_and_over_frames_alike() -> None:
    rules = [*default_rules(), DeepLoss(floor=-1.5, priority=3.5)]  # after stop_loss
    rows = [
        {"as_of": T0, "strategy_id": 1, "upl_pct": -1.6, "dte": 30},
        {"as_of": T0 + timedelta(minutes=1), "strategy_id": 1, "upl_pct": -2.0, "dte": 30},
        {"as_of": T0 + timedelta(minutes=2), "strategy_id": 1, "upl_pct": -1.5, "dte": 30},
    ]
    out = evaluate_frame(frame_of(*rows), rules)
    assert out["trigger"].to_list() == ["deep_loss", "stop_loss_hard", None]
    expected = [decision for decision, _ in replay([dict(r) for r in rows], rules)]
    assert [decision_from_row(r, rules) for r in out.iter_rows(named=True)] == expected
    assert expected[0].reason == "P&L -160% below -150%"
