"""Portfolio risk from open positions, and the portfolio columns it fills (docs/domain.md §3)."""

from __future__ import annotations

import asyncio
import itertools
import math
from datetime import UTC, datetime
from typing import Any

import pytest

from alertkit import PositionSnapshot, ValidationError
from alertkit.model.portfolio import Leg, OpenPosition, portfolio_risk, with_portfolio_columns
from alertkit.rules.engine import DecisionEngine

T0 = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)

POSITIONS = [
    OpenPosition(
        1,
        "SPY",
        net_delta=0.12,
        net_gamma=0.02,
        net_theta=-3.0,
        net_vega=-10.0,
        legs=(Leg(-1, 500.0), Leg(1, 495.0), Leg(-1, 520.0), Leg(1, 525.0)),
    ),
    OpenPosition(
        2,
        "SPY",
        net_delta=0.10,
        net_gamma=-0.01,
        net_theta=-1.0,
        net_vega=-4.0,
        legs=(Leg(-2, 480.0), Leg(2, 475.0)),
    ),
    OpenPosition(
        3,
        "QQQ",
        net_delta=-0.25,
        net_gamma=0.03,
        net_theta=-2.0,
        net_vega=-6.0,
        legs=(Leg(3, 400.0),),
    ),
]


def test_portfolio_greeks_exposure_and_concentration() -> None:
    risk = portfolio_risk(POSITIONS)
    assert risk.positions == 3
    assert risk.delta == math.fsum([0.12, 0.10, -0.25])
    assert risk.gamma == math.fsum([0.02, -0.01, 0.03])
    assert (risk.theta, risk.vega) == (-6.0, -20.0)
    assert dict(risk.delta_by_symbol) == {"QQQ": -0.25, "SPY": math.fsum([0.12, 0.10])}
    assert dict(risk.gamma_by_symbol) == {"QQQ": 0.03, "SPY": math.fsum([0.02, -0.01])}
    # |quantity| x strike x 100 per leg
    spy = (500 + 495 + 520 + 525) * 100 + (2 * 480 + 2 * 475) * 100
    qqq = 3 * 400 * 100
    assert dict(risk.exposure_by_symbol) == {"QQQ": float(qqq), "SPY": float(spy)}
    assert risk.exposure == float(spy + qqq)
    assert dict(risk.concentration) == {"QQQ": qqq / (spy + qqq), "SPY": spy / (spy + qqq)}


def test_result_does_not_depend_on_position_order() -> None:
    results = {
        (risk.delta, risk.gamma, tuple(risk.delta_by_symbol.items()), risk.exposure)
        for risk in map(portfolio_risk, itertools.permutations(POSITIONS))
    }
    assert len(results) == 1


def test_an_unknown_greek_makes_its_sums_unknown() -> None:
    unknown = OpenPosition(4, "IWM", net_delta=None, net_gamma=0.01)
    risk = portfolio_risk([*POSITIONS, unknown])
    assert risk.delta is None
    assert risk.delta_by_symbol["IWM"] is None
    assert risk.delta_by_symbol["QQQ"] == -0.25  # other symbols are still known
    assert risk.gamma == math.fsum([0.02, -0.01, 0.03, 0.01])
    assert risk.theta is None  # the new position's theta was not given


def test_empty_portfolio() -> None:
    risk = portfolio_risk([])
    assert (risk.delta, risk.gamma, risk.exposure, risk.positions) == (0.0, 0.0, 0.0, 0)
    assert dict(risk.concentration) == {}
    assert risk.symbol_delta("SPY") == 0.0
    assert risk.symbol_delta(None) is None


def test_a_position_counted_twice_is_refused() -> None:
    with pytest.raises(ValidationError, match="strategy_id 2 appears twice"):
        portfolio_risk([*POSITIONS, POSITIONS[1]])


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Leg(1, -5.0), "strike: expected a number >= 0"),
        (lambda: Leg(float("nan"), 5.0), "quantity: expected a finite number"),
        (lambda: OpenPosition(True, "SPY", 0.1, 0.1), "strategy_id: expected an int"),
        (lambda: OpenPosition(1, "", 0.1, 0.1), "symbol: expected a non-empty str"),
        (lambda: OpenPosition(1, "SPY", "0.1", 0.1), "net_delta: expected a finite number"),
        (lambda: OpenPosition(1, "SPY", 0.1, 0.1, legs=((1, 5.0),)), "legs: expected Leg"),
        (lambda: portfolio_risk([{"symbol": "SPY", "net_delta": 0.1}]), "strategy_id"),
    ],
)
def test_bad_positions_are_refused(build: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        build()


def snapshot(strategy_id: int, symbol: str, delta: float | None, kind: str = "iron_condor") -> Any:
    return PositionSnapshot(
        as_of=T0,
        strategy_id=strategy_id,
        symbol=symbol,
        strategy_type=kind,
        dte=40,
        net_delta=delta,
        net_gamma=0.01,
    )


def test_with_portfolio_columns_fills_portfolio_and_symbol_delta() -> None:
    snapshots = [snapshot(1, "SPY", 0.2), snapshot(2, "SPY", 0.15), snapshot(3, "QQQ", -0.05)]
    rows = with_portfolio_columns(snapshots)
    assert [(r["strategy_id"], r["portfolio_delta"], r["symbol_delta"]) for r in rows] == [
        (1, math.fsum([0.2, 0.15, -0.05]), math.fsum([0.2, 0.15])),
        (2, math.fsum([0.2, 0.15, -0.05]), math.fsum([0.2, 0.15])),
        (3, math.fsum([0.2, 0.15, -0.05]), -0.05),
    ]
    assert snapshots[0].portfolio_delta is None  # inputs untouched


def test_with_portfolio_columns_from_a_separate_open_set() -> None:
    rows = with_portfolio_columns([snapshot(9, "IWM", 0.1)], positions=POSITIONS)
    assert (rows[0]["portfolio_delta"], rows[0]["symbol_delta"]) == (
        math.fsum([0.12, 0.10, -0.25]),
        0.0,
    )


def test_filled_rows_drive_the_delta_rules() -> None:
    snapshots = [snapshot(1, "SPY", 0.2), snapshot(2, "SPY", 0.15), snapshot(3, "QQQ", -0.05)]

    async def main() -> list[str]:
        engine = DecisionEngine()
        return [(await engine.evaluate(r)).rule for r in with_portfolio_columns(snapshots)]

    # portfolio 0.30 is not beyond the iron-condor limit; SPY's 0.35 is
    assert asyncio.run(main()) == ["delta_risk_symbol", "delta_risk_symbol", "none"]
