"""The protective rules of docs/domain.md §4: market shocks, volatility, losses, greeks.

Comparisons are exactly as docs/domain.md §4 writes them (strict vs inclusive); thresholds are
fields with its defaults, so ``StopLoss(hard=-1.5)`` is a different experiment, not an edit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from alertkit.model.decisions import DecisionAction, Urgency
from alertkit.model.errors import ValidationError
from alertkit.model.snapshot_schema import STRATEGY_TYPES
from alertkit.rules.base import (
    LOSS,
    Rule,
    Trigger,
    check_order,
    check_range,
)
from alertkit.rules.conditions import col

__all__ = ["CatastropheProtection", "DeltaRisk", "GammaRisk", "StopLoss", "VIXExit"]

CLOSE = DecisionAction.CLOSE


@dataclass(frozen=True, slots=True, kw_only=True)
class CatastropheProtection(Rule):
    """Close at once on a crash (``underlying_change_1h < drop``) or IV spike (``> iv_spike``)."""

    drop: float = -0.03
    iv_spike: float = 0.50
    name: str = "catastrophe_protection"
    priority: float = 1.0

    def _check_thresholds(self) -> None:
        check_range(self, "drop", -1, 0, "a fraction in (-1, 0) (-0.03 = -3 %)", closed="none")
        check_range(
            self, "iv_spike", 0, 10, "a fraction in (0, 10] (0.5 = IV up 50 %)", closed="right"
        )

    def _build_triggers(self) -> Sequence[Trigger]:
        change, iv = col("underlying_change_1h"), col("iv_change_1h")
        return (
            Trigger(
                "catastrophe_drop",
                change < self.drop,
                CLOSE,
                Urgency.IMMEDIATE,
                "Underlying moved {underlying_change_1h:+.2%} in the last hour"
                " (below {threshold:+.2%})",
                {"underlying_change_1h": change, "threshold": self.drop},
            ),
            Trigger(
                "catastrophe_iv_spike",
                iv > self.iv_spike,
                CLOSE,
                Urgency.IMMEDIATE,
                "IV rose {iv_change_1h:+.1%} in the last hour (above {threshold:+.1%})",
                {"iv_change_1h": iv, "threshold": self.iv_spike},
            ),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class VIXExit(Rule):
    """Close when VIX is above ``level`` or has risen more than ``change`` points since entry."""

    level: float = 35.0
    change: float = 5.0
    name: str = "vix_exit"
    priority: float = 1.5

    def _check_thresholds(self) -> None:
        check_range(self, "level", 1, 200, "VIX index points in [1, 200] (35, not 0.35)")
        check_range(
            self, "change", 0, 200, "VIX index points in (0, 200] (5 points)", closed="right"
        )

    def _build_triggers(self) -> Sequence[Trigger]:
        vix, at_entry = col("vix"), col("vix_at_entry")
        rise = vix - at_entry
        return (
            Trigger(
                "vix_level",
                vix > self.level,
                CLOSE,
                Urgency.HIGH,
                "VIX {vix:.2f} above {threshold:.2f}",
                {"vix": vix, "threshold": self.level},
            ),
            Trigger(
                "vix_change",
                rise > self.change,
                CLOSE,
                Urgency.HIGH,
                "VIX rose {vix_change:+.2f} points since entry (above {threshold:.2f})",
                {
                    "vix": vix,
                    "vix_at_entry": at_entry,
                    "vix_change": rise,
                    "threshold": self.change,
                },
            ),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class StopLoss(Rule):
    """Close at a hard loss, or at a smaller loss close to expiry (``dte < accelerated_dte``)."""

    hard: float = -2.00
    accelerated: float = -0.50
    accelerated_dte: int = 7
    name: str = "stop_loss"
    priority: float = 3.0

    def _check_thresholds(self) -> None:
        check_range(self, "hard", -10, 0, LOSS, closed="left")
        check_range(self, "accelerated", -10, 0, LOSS, closed="left")
        check_order(self, "hard", "accelerated", "the hard stop is the larger loss")

    def _build_triggers(self) -> Sequence[Trigger]:
        upl, dte = col("upl_pct"), col("dte")
        return (
            Trigger(
                "stop_loss_hard",
                upl <= self.hard,
                CLOSE,
                Urgency.IMMEDIATE,
                "Stop loss: P&L {upl_pct:.1%} at or below {threshold:.0%}",
                {"upl_pct": upl, "threshold": self.hard},
            ),
            Trigger(
                "stop_loss_accelerated",
                (dte < self.accelerated_dte) & (upl <= self.accelerated),
                CLOSE,
                Urgency.IMMEDIATE,
                "Accelerated stop loss: P&L {upl_pct:.1%} at or below {threshold:.0%}"
                " with {dte} DTE (under {dte_threshold})",
                {
                    "upl_pct": upl,
                    "dte": dte,
                    "threshold": self.accelerated,
                    "dte_threshold": self.accelerated_dte,
                },
            ),
        )


def _default_delta_limits() -> Mapping[str, float]:
    return {"iron_condor": 0.30, "vertical_spread": 0.40, "calendar_spread": 0.40}


@dataclass(frozen=True, slots=True, kw_only=True)
class DeltaRisk(Rule):
    """Close when |portfolio delta|, else |symbol delta|, exceeds the strategy type's limit.

    ``limits`` maps strategy types to limits; a type without a limit never fires. The symbol
    check runs even when the portfolio delta is null.
    """

    limits: Mapping[str, float] = field(default_factory=_default_delta_limits)
    name: str = "delta_risk"
    priority: float = 4.0

    def _build_triggers(self) -> Sequence[Trigger]:
        checked = {}
        for kind, value in dict(self.limits).items():
            if kind not in STRATEGY_TYPES:
                raise ValidationError(f"{self.name}.limits: unknown strategy type {kind!r}")
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
                or value < 0
            ):
                raise ValidationError(
                    f"{self.name}.limits[{kind!r}]: expected a finite number >= 0, got {value!r}"
                )
            checked[kind] = float(value)
        # Frozen, so the rule cannot drift from the conditions built from it below.
        object.__setattr__(self, "limits", MappingProxyType(checked))
        kind_col = col("strategy_type")
        limit = kind_col.lookup(checked)
        portfolio, symbol = col("portfolio_delta"), col("symbol_delta")
        return (
            Trigger(
                "delta_risk_portfolio",
                abs(portfolio) > limit,
                CLOSE,
                Urgency.HIGH,
                "Portfolio delta {portfolio_delta:+.2f} beyond ±{limit:.2f} for {strategy_type}",
                {"strategy_type": kind_col, "portfolio_delta": portfolio, "limit": limit},
            ),
            Trigger(
                "delta_risk_symbol",
                abs(symbol) > limit,
                CLOSE,
                Urgency.HIGH,
                "{symbol} delta {symbol_delta:+.2f} beyond ±{limit:.2f} for {strategy_type}",
                {
                    "strategy_type": kind_col,
                    "symbol": col("symbol"),
                    "symbol_delta": symbol,
                    "limit": limit,
                },
            ),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class GammaRisk(Rule):
    """Close when ``|net_gamma| > max_gamma`` with fewer than ``max_dte`` days left."""

    max_gamma: float = 0.10
    max_dte: int = 14
    name: str = "gamma_risk"
    priority: float = 7.0

    def _check_thresholds(self) -> None:
        check_range(self, "max_gamma", 0, math.inf, "a number >= 0 (per-contract gamma)")

    def _build_triggers(self) -> Sequence[Trigger]:
        gamma, dte = col("net_gamma"), col("dte")
        return (
            Trigger(
                "gamma_risk",
                (abs(gamma) > self.max_gamma) & (dte < self.max_dte),
                CLOSE,
                Urgency.HIGH,
                "Gamma {net_gamma:+.3f} beyond ±{threshold:.2f} with {dte} DTE"
                " (under {dte_threshold})",
                {
                    "net_gamma": gamma,
                    "dte": dte,
                    "threshold": self.max_gamma,
                    "dte_threshold": self.max_dte,
                },
            ),
        )
