"""The decision rules of docs/domain.md §4, declared once for the engine and for frames.

=====================  ========  ===============================================
rule                   priority  trigger ids, in the order they are tried
=====================  ========  ===============================================
catastrophe_protection 1         catastrophe_drop, catastrophe_iv_spike
single_leg_exit        1.3       single_leg_tp, single_leg_sl, single_leg_dte
trailing_stop          1.4       trailing_stop
vix_exit               1.5       vix_level, vix_change
take_profit            2         take_profit_full, take_profit_partial
stop_loss              3         stop_loss_hard, stop_loss_accelerated
delta_risk             4         delta_risk_portfolio, delta_risk_symbol
iv_crush               5         iv_crush
iv_percentile_exit     5.5       iv_percentile_exit
dte_roll               6         dte_roll
gamma_risk             7         gamma_risk
time_exit              8         time_exit
=====================  ========  ===============================================

Opt-in, not in :func:`default_rules`: ``dynamic_take_profit`` (2.1, trigger
``dynamic_take_profit``), a take-profit target per VIX regime (:class:`DynamicTakeProfit`).
"""

from __future__ import annotations

from alertkit.rules.base import Rule, RuleLike, Trigger, bind_by_name, in_order
from alertkit.rules.conditions import Expr, col, lit, when
from alertkit.rules.exits import (
    SINGLE_LEG_TYPES,
    DTERoll,
    DynamicTakeProfit,
    IVCrush,
    IVPercentileExit,
    SingleLegExit,
    TakeProfit,
    TimeExit,
    TrailingStop,
)
from alertkit.rules.risk import CatastropheProtection, DeltaRisk, GammaRisk, StopLoss, VIXExit
from alertkit.rules.vectorized import (
    DECISION_COLUMNS,
    decision_from_row,
    evaluate_frame,
    first_match_expr,
    peak_upl_expr,
)

__all__ = [
    "DECISION_COLUMNS",
    "SINGLE_LEG_TYPES",
    "CatastropheProtection",
    "DTERoll",
    "DeltaRisk",
    "DynamicTakeProfit",
    "Expr",
    "GammaRisk",
    "IVCrush",
    "IVPercentileExit",
    "Rule",
    "RuleLike",
    "SingleLegExit",
    "StopLoss",
    "TakeProfit",
    "TimeExit",
    "TrailingStop",
    "Trigger",
    "VIXExit",
    "bind_by_name",
    "col",
    "decision_from_row",
    "default_rules",
    "evaluate_frame",
    "first_match_expr",
    "in_order",
    "lit",
    "peak_upl_expr",
    "when",
]


def default_rules() -> list[Rule]:
    """The twelve rules of docs/domain.md §4 with their default thresholds, in evaluation order.

    ``dte_roll`` gives way to the very ``gamma_risk`` and ``time_exit`` objects in the list.
    To try a threshold, swap one rule: the engine's ``register_rule`` replaces by name, e.g.
    ``engine.register_rule(TakeProfit(full=0.7))``; ``dte_roll`` is bound to gamma_risk and
    time_exit by name, so replacing either moves where the roll gives way too.

    Examples
    --------
    >>> [(rule.name, rule.priority) for rule in default_rules()][:3]
    [('catastrophe_protection', 1.0), ('single_leg_exit', 1.3), ('trailing_stop', 1.4)]
    """
    gamma, time_exit = GammaRisk(), TimeExit()
    return [
        CatastropheProtection(),
        SingleLegExit(),
        TrailingStop(),
        VIXExit(),
        TakeProfit(),
        StopLoss(),
        DeltaRisk(),
        IVCrush(),
        IVPercentileExit(),
        DTERoll(yield_to=(gamma, time_exit)),
        gamma,
        time_exit,
    ]
