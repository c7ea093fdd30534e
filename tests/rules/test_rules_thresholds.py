"""Issue 18 §7: rule thresholds that cannot be meant are refused, naming the likely unit.

``TakeProfit(full=70)``, ``sweep(..., [60, 70])`` and ``TakeProfit(partial=0.9, full=0.8)``
were accepted on main (and silently never fired, or fired in the wrong order).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from alertkit import ValidationError
from alertkit.backtest import synthetic_history
from alertkit.backtest.sweep import sweep, with_threshold
from alertkit.rules import (
    CatastropheProtection,
    GammaRisk,
    IVCrush,
    IVPercentileExit,
    SingleLegExit,
    StopLoss,
    TakeProfit,
    TrailingStop,
    VIXExit,
    default_rules,
)

PROFIT = "a fraction of the premium in (0, 10] (0.8 = 80 %)"
LOSS = "a fraction of the premium in [-10, 0) (-0.5 = -50 %)"
UPL = "a fraction of the premium in [-10, 10] (0.2 = 20 %)"

REFUSED: list[tuple[str, Callable[[], object], str]] = [
    (
        "take profit in percent",
        lambda: TakeProfit(full=70),
        f"take_profit.full: expected {PROFIT}, got 70.0 (70 looks like percent: pass 0.7)",
    ),
    (
        "partial target in percent",
        lambda: TakeProfit(partial=50, full=80),
        f"take_profit.full: expected {PROFIT}, got 80.0 (80 looks like percent: pass 0.8)",
    ),
    (
        "zero take profit",
        lambda: TakeProfit(full=0),
        f"take_profit.full: expected {PROFIT}, got 0.0",
    ),
    (
        "inverted partial and full",
        lambda: TakeProfit(partial=0.9, full=0.8),
        "take_profit: expected partial <= full (the partial target comes first), got"
        " partial=0.9 and full=0.8",
    ),
    (
        "close ratio in percent",
        lambda: TakeProfit(close_ratio=50),
        "take_profit.close_ratio: expected a ratio in (0, 1] (of the position to close), got"
        " 50.0 (50 looks like percent: pass 0.5)",
    ),
    (
        "hard stop in percent",
        lambda: StopLoss(hard=-200),
        f"stop_loss.hard: expected {LOSS}, got -200.0 (-200 looks like percent: pass -2)",
    ),
    (
        "positive stop",
        lambda: StopLoss(accelerated=0.5),
        f"stop_loss.accelerated: expected {LOSS}, got 0.5",
    ),
    (
        "inverted stops",
        lambda: StopLoss(hard=-0.3, accelerated=-0.5),
        "stop_loss: expected hard <= accelerated (the hard stop is the larger loss), got"
        " hard=-0.3 and accelerated=-0.5",
    ),
    (
        "single-leg take profit in percent",
        lambda: SingleLegExit(take_profit=80),
        f"single_leg_exit.take_profit: expected {PROFIT}, got 80.0 (80 looks like percent:"
        " pass 0.8)",
    ),
    (
        "single-leg stop in percent",
        lambda: SingleLegExit(stop_loss=-50),
        f"single_leg_exit.stop_loss: expected {LOSS}, got -50.0 (-50 looks like percent:"
        " pass -0.5)",
    ),
    (
        "trailing activation in percent",
        lambda: TrailingStop(activation=40),
        f"trailing_stop.activation: expected {PROFIT}, got 40.0 (40 looks like percent: pass 0.4)",
    ),
    (
        "trailing keep ratio in percent",
        lambda: TrailingStop(keep_ratio=40),
        "trailing_stop.keep_ratio: expected a ratio in [0, 1] (of the peak P&L), got 40.0"
        " (40 looks like percent: pass 0.4)",
    ),
    (
        "IV crush in percent",
        lambda: IVCrush(iv_drop=-30),
        "iv_crush.iv_drop: expected a fraction in (-1, 0) (-0.3 = IV down 30 %), got -30.0"
        " (-30 looks like percent: pass -0.3)",
    ),
    (
        "IV crush as a rise",
        lambda: IVCrush(iv_drop=0.3),
        "iv_crush.iv_drop: expected a fraction in (-1, 0) (-0.3 = IV down 30 %), got 0.3",
    ),
    (
        "IV crush minimum profit in percent",
        lambda: IVCrush(min_profit=20),
        f"iv_crush.min_profit: expected {UPL}, got 20.0 (20 looks like percent: pass 0.2)",
    ),
    (
        "IV percentile on a 0-100 scale",
        lambda: IVPercentileExit(max_percentile=30),
        "iv_percentile_exit.max_percentile: expected a fraction 0-1 (0.3 = the 30th"
        " percentile), got 30.0 (30 looks like percent: pass 0.3)",
    ),
    (
        "catastrophe drop in percent",
        lambda: CatastropheProtection(drop=-3),
        "catastrophe_protection.drop: expected a fraction in (-1, 0) (-0.03 = -3 %), got -3.0"
        " (-3 looks like percent: pass -0.03)",
    ),
    (
        "catastrophe IV spike in percent",
        lambda: CatastropheProtection(iv_spike=50),
        "catastrophe_protection.iv_spike: expected a fraction in (0, 10] (0.5 = IV up 50 %),"
        " got 50.0 (50 looks like percent: pass 0.5)",
    ),
    (
        "VIX level as a fraction",
        lambda: VIXExit(level=0.35),
        "vix_exit.level: expected VIX index points in [1, 200] (35, not 0.35), got 0.35"
        " (0.35 looks like a fraction: pass 35)",
    ),
    (
        "VIX change not a rise",
        lambda: VIXExit(change=0),
        "vix_exit.change: expected VIX index points in (0, 200] (5 points), got 0.0",
    ),
    (
        "negative gamma limit",
        lambda: GammaRisk(max_gamma=-0.1),
        "gamma_risk.max_gamma: expected a number >= 0 (per-contract gamma), got -0.1",
    ),
    (
        "with_threshold in percent",
        lambda: with_threshold(default_rules(), "take_profit", "full", 70),
        f"take_profit.full: expected {PROFIT}, got 70.0 (70 looks like percent: pass 0.7)",
    ),
    (
        "with_threshold inverting the pair",
        lambda: with_threshold(default_rules(), "take_profit", "full", 0.4),
        "take_profit: expected partial <= full (the partial target comes first), got"
        " partial=0.5 and full=0.4",
    ),
]


@pytest.mark.parametrize(("case", "build", "message"), REFUSED, ids=[c[0] for c in REFUSED])
def test_impossible_thresholds_are_refused(
    case: str, build: Callable[[], object], message: str
) -> None:
    with pytest.raises(ValidationError) as info:
        build()
    assert str(info.value) == message


def test_a_sweep_in_percent_is_refused_before_any_run() -> None:
    history = synthetic_history(2, seed=3)
    with pytest.raises(ValidationError) as info:
        sweep(history, "take_profit", "full", [60, 70], progress=False)
    assert str(info.value) == (
        f"take_profit.full: expected {PROFIT}, got 60.0 (60 looks like percent: pass 0.6)"
    )


def test_sensible_thresholds_at_the_ends_are_accepted() -> None:
    assert TakeProfit(full=10, partial=10).full == 10.0  # a long option's 10x target
    assert TakeProfit(partial=0.8, full=0.8).partial == 0.8  # equal: partial never fires
    assert StopLoss(hard=-10, accelerated=-0.1).hard == -10.0
    assert TrailingStop(keep_ratio=0, activation=2.5).keep_ratio == 0.0
    assert IVPercentileExit(max_percentile=1, min_profit=-0.5).max_percentile == 1.0
    assert VIXExit(level=1, change=200).level == 1.0
    assert GammaRisk(max_gamma=0).max_gamma == 0.0
    assert CatastropheProtection(drop=-0.99, iv_spike=10).iv_spike == 10.0
    assert len(default_rules()) == 12  # the defaults are all inside
