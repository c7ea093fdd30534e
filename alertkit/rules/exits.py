"""The exit and lifecycle rules of docs/domain.md §4: profit targets, trailing stop, IV, expiry.

Also the opt-in :class:`DynamicTakeProfit` (not one of the twelve defaults): a take-profit
target per VIX regime of :mod:`alertkit.rules.regimes`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Final

from alertkit.model.decisions import DecisionAction, Urgency
from alertkit.model.errors import ValidationError
from alertkit.model.snapshot_rows import PEAK_COLUMN
from alertkit.rules.base import (
    LOSS,
    PROFIT,
    RATIO,
    UPL,
    Rule,
    Trigger,
    check_order,
    check_range,
)
from alertkit.rules.conditions import all_of, col, when
from alertkit.rules.regimes import regime_label, regime_names
from alertkit.rules.risk import GammaRisk

__all__ = [
    "SINGLE_LEG_TYPES",
    "DTERoll",
    "DynamicTakeProfit",
    "IVCrush",
    "IVPercentileExit",
    "SingleLegExit",
    "TakeProfit",
    "TimeExit",
    "TrailingStop",
]

SINGLE_LEG_TYPES: Final = frozenset({"long_call", "long_put", "short_call", "short_put"})

CLOSE = DecisionAction.CLOSE


@dataclass(frozen=True, slots=True, kw_only=True)
class SingleLegExit(Rule):
    """Single-leg positions only: take profit, stop loss, or close at ``dte`` days or fewer."""

    take_profit: float = 0.80
    stop_loss: float = -0.50
    dte: int = 21
    name: str = "single_leg_exit"
    priority: float = 1.3

    def _check_thresholds(self) -> None:
        check_range(self, "take_profit", 0, 10, PROFIT, closed="right")
        check_range(self, "stop_loss", -10, 0, LOSS, closed="left")

    def _build_triggers(self) -> Sequence[Trigger]:
        kind, upl, dte = col("strategy_type"), col("upl_pct"), col("dte")
        single = kind.is_in(SINGLE_LEG_TYPES)
        return (
            Trigger(
                "single_leg_tp",
                single & (upl >= self.take_profit),
                CLOSE,
                Urgency.NORMAL,
                "Single-leg {strategy_type} at {upl_pct:.1%} profit (target {threshold:.0%})",
                {"strategy_type": kind, "upl_pct": upl, "threshold": self.take_profit},
            ),
            Trigger(
                "single_leg_sl",
                single & (upl <= self.stop_loss),
                CLOSE,
                Urgency.HIGH,
                "Single-leg {strategy_type} at {upl_pct:.1%} (stop {threshold:.0%})",
                {"strategy_type": kind, "upl_pct": upl, "threshold": self.stop_loss},
            ),
            Trigger(
                "single_leg_dte",
                single & (dte <= self.dte),
                CLOSE,
                Urgency.NORMAL,
                "Single-leg {strategy_type} at {dte} DTE (close at {threshold} or fewer)",
                {"strategy_type": kind, "dte": dte, "threshold": self.dte},
            ),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class TrailingStop(Rule):
    """Close when the peak reached ``activation`` and P&L fell to ``keep_ratio`` x peak.

    The peak (``peak_upl_pct``) is state the engine keeps per position, or a column the frame
    evaluation computes; a snapshot without it never fires this rule.
    """

    activation: float = 0.40
    keep_ratio: float = 0.40
    name: str = "trailing_stop"
    priority: float = 1.4

    def _check_thresholds(self) -> None:
        check_range(self, "activation", 0, 10, PROFIT, closed="right")
        check_range(self, "keep_ratio", 0, 1, f"{RATIO} (of the peak P&L)")

    def _build_triggers(self) -> Sequence[Trigger]:
        upl, peak = col("upl_pct"), col(PEAK_COLUMN)
        stop_level = self.keep_ratio * peak
        return (
            Trigger(
                "trailing_stop",
                (peak >= self.activation) & (upl <= stop_level),
                CLOSE,
                Urgency.NORMAL,
                "Trailing stop: P&L {upl_pct:.1%} fell to {keep_ratio:.0%} of peak"
                " {peak_upl_pct:.1%} (stop at {stop_level:.1%})",
                {
                    "upl_pct": upl,
                    PEAK_COLUMN: peak,
                    "stop_level": stop_level,
                    "activation": self.activation,
                    "keep_ratio": self.keep_ratio,
                },
            ),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class TakeProfit(Rule):
    """Close at ``full`` profit; reduce by ``close_ratio`` at ``partial`` profit."""

    full: float = 0.80
    partial: float = 0.50
    close_ratio: float = 0.5
    name: str = "take_profit"
    priority: float = 2.0

    def _check_thresholds(self) -> None:
        check_range(self, "full", 0, 10, PROFIT, closed="right")
        check_range(self, "partial", 0, 10, PROFIT, closed="right")
        check_range(
            self,
            "close_ratio",
            0,
            1,
            "a ratio in (0, 1] (of the position to close)",
            closed="right",
        )
        check_order(self, "partial", "full", "the partial target comes first")

    def _build_triggers(self) -> Sequence[Trigger]:
        upl = col("upl_pct")
        return (
            Trigger(
                "take_profit_full",
                upl >= self.full,
                CLOSE,
                Urgency.NORMAL,
                "Take profit: P&L {upl_pct:.1%} reached the {threshold:.0%} target",
                {"upl_pct": upl, "threshold": self.full},
            ),
            Trigger(
                "take_profit_partial",
                upl >= self.partial,
                DecisionAction.REDUCE,
                Urgency.NORMAL,
                "Partial take profit: P&L {upl_pct:.1%} reached {threshold:.0%};"
                " close {close_ratio:.0%}",
                {"upl_pct": upl, "threshold": self.partial, "close_ratio": self.close_ratio},
            ),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class DynamicTakeProfit(Rule):
    """Close at the take-profit target of the VIX regime: ``upl_pct >= target[regime]``.

    One target per regime of :data:`~alertkit.rules.regimes.VIX_REGIMES`, each a field named
    after its regime, the defaults the seed system's: 90 % when VIX is low, 80 % (the fixed
    ``take_profit`` target) when normal, 50 % in high volatility, 40 % in a crash. Each target
    is a threshold like any other: ``sweep(history, "dynamic_take_profit", "normal", ...)``.
    A snapshot without a VIX has no regime, so no target, and never fires this rule.

    Opt-in, not one of the twelve :func:`~alertkit.rules.default_rules`. At priority 2.1 it
    runs just after ``take_profit`` (whose 50 % partial target would hide it below 80 %), so
    try it *instead of* the fixed target::

        [DynamicTakeProfit() if r.name == "take_profit" else r for r in default_rules()]

    One trigger, ``dynamic_take_profit``, whatever the regime: reaching the target is one
    condition of the position, so an alert stays one alert when VIX crosses into another
    regime while it is open. The regime it fired in is in the metadata (``regime``, ``vix``,
    ``threshold``), and scores split by regime read it from the snapshot's VIX anyway.

    Examples
    --------
    >>> rule = DynamicTakeProfit(normal=0.7)
    >>> rule.targets
    {'low_volatility': 0.9, 'normal': 0.7, 'high_volatility': 0.5, 'crash': 0.4}
    >>> rule.decide({"upl_pct": 0.52, "vix": 27.0}).reason
    'Take profit at 52.0% reached the 50% target for high_volatility (VIX 27.00)'
    >>> rule.decide({"upl_pct": 0.52, "vix": 20.0}) is None
    True
    """

    low_volatility: float = 0.90
    normal: float = 0.80
    high_volatility: float = 0.50
    crash: float = 0.40
    name: str = "dynamic_take_profit"
    priority: float = 2.1

    @classmethod
    def from_targets(cls, targets: Mapping[str, float], **options: object) -> DynamicTakeProfit:
        """The rule with ``targets`` (regime -> target); a regime left out keeps its default.

        >>> DynamicTakeProfit.from_targets({"crash": 0.3}).crash
        0.3
        """
        unknown = sorted(set(targets) - set(regime_names()))
        if unknown:
            raise ValidationError(
                f"targets: expected regimes among {', '.join(regime_names())}, got {unknown}"
            )
        return cls(**targets, **options)  # type: ignore[arg-type]  # checked in __post_init__

    @property
    def targets(self) -> dict[str, float]:
        """The target of each regime, in ascending VIX order."""
        return {regime: getattr(self, regime) for regime in regime_names()}

    def _check_thresholds(self) -> None:
        for regime in regime_names():
            check_range(self, regime, 0, 10, PROFIT, closed="right")

    def _build_triggers(self) -> Sequence[Trigger]:
        upl, vix, regime = col("upl_pct"), col("vix"), regime_label()
        threshold = regime.lookup(self.targets)
        return (
            Trigger(
                "dynamic_take_profit",
                upl >= threshold,
                CLOSE,
                Urgency.NORMAL,
                "Take profit at {upl_pct:.1%} reached the {threshold:.0%} target for {regime}"
                " (VIX {vix:.2f})",
                {"upl_pct": upl, "vix": vix, "regime": regime, "threshold": threshold},
            ),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class IVCrush(Rule):
    """Close when IV fell by ``iv_drop`` or more since entry and P&L is at least ``min_profit``."""

    iv_drop: float = -0.30
    min_profit: float = 0.20
    name: str = "iv_crush"
    priority: float = 5.0

    def _check_thresholds(self) -> None:
        check_range(
            self, "iv_drop", -1, 0, "a fraction in (-1, 0) (-0.3 = IV down 30 %)", closed="none"
        )
        check_range(self, "min_profit", -10, 10, UPL)

    def _build_triggers(self) -> Sequence[Trigger]:
        iv, upl = col("iv_change_since_entry"), col("upl_pct")
        return (
            Trigger(
                "iv_crush",
                (iv <= self.iv_drop) & (upl >= self.min_profit),
                CLOSE,
                Urgency.NORMAL,
                "IV crush: IV {iv_change_since_entry:+.1%} since entry (at or below"
                " {threshold:+.0%}) with P&L {upl_pct:.1%}",
                {
                    "iv_change_since_entry": iv,
                    "upl_pct": upl,
                    "threshold": self.iv_drop,
                    "min_profit": self.min_profit,
                },
            ),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class IVPercentileExit(Rule):
    """Close when the IV percentile is below ``max_percentile`` and P&L is >= ``min_profit``."""

    max_percentile: float = 0.30
    min_profit: float = 0.20
    name: str = "iv_percentile_exit"
    priority: float = 5.5

    def _check_thresholds(self) -> None:
        check_range(self, "max_percentile", 0, 1, "a fraction 0-1 (0.3 = the 30th percentile)")
        check_range(self, "min_profit", -10, 10, UPL)

    def _build_triggers(self) -> Sequence[Trigger]:
        pct, upl = col("iv_percentile"), col("upl_pct")
        return (
            Trigger(
                "iv_percentile_exit",
                (pct < self.max_percentile) & (upl >= self.min_profit),
                CLOSE,
                Urgency.NORMAL,
                "IV percentile {iv_percentile:.0%} below {threshold:.0%} with P&L {upl_pct:.1%}",
                {
                    "iv_percentile": pct,
                    "upl_pct": upl,
                    "threshold": self.max_percentile,
                    "min_profit": self.min_profit,
                },
            ),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class TimeExit(Rule):
    """Close at ``dte`` days to expiry or fewer."""

    dte: int = 1
    name: str = "time_exit"
    priority: float = 8.0

    def _build_triggers(self) -> Sequence[Trigger]:
        dte = col("dte")
        return (
            Trigger(
                "time_exit",
                dte <= self.dte,
                CLOSE,
                Urgency.IMMEDIATE,
                "Time exit: {dte} DTE, at or below {threshold}",
                {"dte": dte, "threshold": self.dte},
            ),
        )


def _default_yield_to() -> tuple[Rule, ...]:
    return (GammaRisk(), TimeExit())


@dataclass(frozen=True, slots=True, kw_only=True)
class DTERoll(Rule):
    """Roll to ``roll_to_dte`` at ``roll_dte`` days or fewer; forced (HIGH) at ``force_dte``.

    The roll gives way where a rule in ``yield_to`` (gamma_risk and time_exit) would fire,
    although those run later: a position about to expire or with gamma risk is closed, not
    rolled. ``yield_to`` is bound by rule name: the engine, and every frame evaluation, swap
    each entry for the rule registered under that name (:meth:`bound`), so
    ``engine.register_rule(GammaRisk(max_gamma=0.05))`` moves where the roll gives way too.
    """

    roll_dte: int = 25
    force_dte: int = 21
    roll_to_dte: int = 45
    yield_to: tuple[Rule, ...] = field(default_factory=_default_yield_to)
    name: str = "dte_roll"
    priority: float = 6.0

    def bound(self, by_name: Mapping[str, Rule]) -> DTERoll:
        yield_to = tuple(by_name.get(rule.name, rule) for rule in self.yield_to)
        if all(new is old for new, old in zip(yield_to, self.yield_to, strict=True)):
            return self
        return replace(self, yield_to=yield_to)

    def _build_triggers(self) -> Sequence[Trigger]:
        yield_to = tuple(self.yield_to)
        if not all(isinstance(rule, Rule) for rule in yield_to):
            raise ValidationError(f"{self.name}.yield_to: expected Rule objects, got {yield_to!r}")
        object.__setattr__(self, "yield_to", yield_to)
        dte = col("dte")
        forced = dte <= self.force_dte
        return (
            Trigger(
                "dte_roll",
                all_of(dte <= self.roll_dte, *(~rule.condition() for rule in yield_to)),
                DecisionAction.ROLL,
                when(forced, Urgency.HIGH, Urgency.NORMAL),
                "Roll to {roll_to_dte} DTE: {dte} DTE at or below {threshold}"
                " (forced at {force_threshold})",
                {
                    "dte": dte,
                    "threshold": self.roll_dte,
                    "force_threshold": self.force_dte,
                    "forced": forced,
                    "roll_to_dte": self.roll_to_dte,
                },
            ),
        )
