"""Infinity at the snapshot boundary (issue 14, defect 2): refused alike by the engine, the cycle,
frame evaluation and the backtest, writing nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import polars as pl
import pytest
from _factories import INF, LONE, T0

from alertkit import AlertManager, AlertQuery, DecisionEngine, SyncAlertManager, ValidationError
from alertkit.backtest import run_backtest, synthetic_history
from alertkit.rules import default_rules, evaluate_frame
from conftest import RefusesBesideAnAlert

INFINITE = "expected a finite number or None (an infinity is never a real input), got "


# The manager and the id of an alert already in its lake.
Case = Callable[[SyncAlertManager, str], object]


def _evaluate(
    m: SyncAlertManager, snapshot: dict[str, Any], market_data: dict[str, Any] | None = None
) -> object:
    """The engine, with an alert manager on the same lake attached."""
    engine = DecisionEngine(alert_manager=AlertManager(m.path, maintain_every=0))
    return asyncio.run(engine.evaluate(snapshot, market_data))


def _snapshot(**values: Any) -> dict[str, Any]:
    return {
        "as_of": T0,
        "strategy_id": 7,
        "symbol": "QQQ",
        "strategy_type": "iron_condor",
        "upl_pct": 0.1,
        "dte": 30,
        **values,
    }


def _history_with(column: str, value: float, row: int = 3) -> pl.DataFrame:
    history = synthetic_history(2, seed=1)
    return history.with_columns(
        pl.when(pl.int_range(pl.len()) == row).then(value).otherwise(pl.col(column)).alias(column)
    )


def _backtest(m: SyncAlertManager, history: pl.DataFrame, mode: str = "vectorized") -> object:
    return run_backtest(history, lake=m.path, mode=mode, progress=False)  # type: ignore[arg-type]


CASES: list[tuple[str, Case, type[Exception], str]] = [
    (
        "engine upl_pct inf",
        lambda m, a: _evaluate(m, _snapshot(upl_pct=INF)),
        ValidationError,
        "upl_pct: " + INFINITE + "inf",
    ),
    (
        "engine derived upl_pct inf",
        lambda m, a: _evaluate(
            m, _snapshot(upl_pct=None, unrealized_pnl=-1e308, entry_price=1e-10)
        ),
        ValidationError,
        "upl_pct: " + INFINITE + "-inf",
    ),
    (
        "engine vix -inf in market_data",
        lambda m, a: _evaluate(m, _snapshot(), {"vix": -INF}),
        ValidationError,
        "vix: " + INFINITE + "-inf",
    ),
    (
        "engine net_gamma inf",
        lambda m, a: _evaluate(m, _snapshot(net_gamma=INF)),
        ValidationError,
        "net_gamma: " + INFINITE + "inf",
    ),
    (
        "engine an int beyond float",
        lambda m, a: _evaluate(m, _snapshot(entry_price=10**400)),
        ValidationError,
        "entry_price: " + INFINITE + "1000",
    ),
    (
        "engine surrogate symbol",
        lambda m, a: _evaluate(m, _snapshot(symbol="Q" + LONE, upl_pct=0.9)),
        ValidationError,
        "symbol: expected valid Unicode text, got a lone surrogate",
    ),
    (
        "cycle upl_pct inf",
        lambda m, a: m.run_cycle([_snapshot(upl_pct=INF)]),
        ValidationError,
        "upl_pct: " + INFINITE + "inf",
    ),
    (
        "evaluate_frame upl_pct inf",
        lambda m, a: evaluate_frame(_history_with("upl_pct", INF), default_rules()),
        ValidationError,
        "upl_pct: " + INFINITE + "inf",
    ),
    (
        "evaluate_frame iv_change_1h -inf",
        lambda m, a: evaluate_frame(_history_with("iv_change_1h", -INF).lazy(), default_rules()),
        ValidationError,
        "iv_change_1h: " + INFINITE + "-inf",
    ),
    (
        "backtest upl_pct inf",
        lambda m, a: _backtest(m, _history_with("upl_pct", INF)),
        ValidationError,
        "upl_pct: " + INFINITE + "inf",
    ),
    (
        "backtest in engine mode vix inf",
        lambda m, a: _backtest(m, _history_with("vix", INF), mode="engine"),
        ValidationError,
        "vix: " + INFINITE + "inf",
    ),
]


@pytest.mark.parametrize(("case", "call", "error", "message"), CASES, ids=[c[0] for c in CASES])
def test_infinite_inputs_are_refused_cleanly(
    refuses_beside_an_alert: RefusesBesideAnAlert,
    case: str,
    call: Case,
    error: type[Exception],
    message: str,
) -> None:
    refuses_beside_an_alert(call, error, message)


def test_infinity_never_enters_a_peak(sync_manager: SyncAlertManager, lake: str) -> None:
    """Defect 2: upl_pct=inf fired trailing_stop and stayed the peak, so every later snapshot
    was a trailing stop and real stop losses were never written."""
    engine = DecisionEngine(alert_manager=AlertManager(lake, maintain_every=0))
    with pytest.raises(ValidationError, match=r"^upl_pct: expected a finite number"):
        asyncio.run(engine.evaluate(_snapshot(upl_pct=INF)))
    assert engine.peak(7) is None
    decision = asyncio.run(engine.evaluate(_snapshot(upl_pct=-2.5, as_of=T0 + timedelta(hours=1))))
    assert (decision.rule, engine.peak(7)) == ("stop_loss_hard", -2.5)
    [alert] = sync_manager.query_alerts(AlertQuery(strategy_id=7))
    assert (alert.rule, alert.metadata["upl_pct"]) == ("stop_loss_hard", -2.5)
