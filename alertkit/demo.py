"""The main job run by ``alertkit demo``: example positions -> decisions -> alerts -> board."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from alertkit.decisions import Decision, DecisionAction, Urgency
from alertkit.manager import AlertManager

__all__ = ["run_demo"]

START = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)

# (minutes after START, symbol, strategy_id, decision). Until the engine lands these are the
# decisions its rules would take on these positions.
_EXAMPLES = [
    (
        0,
        "SPY",
        101,
        Decision(
            DecisionAction.CLOSE,
            "SPY fell 3.4% in the last hour",
            "catastrophe_drop",
            Urgency.IMMEDIATE,
            {"underlying_change_1h": -0.034, "threshold": -0.03},
        ),
    ),
    (
        5,
        "QQQ",
        202,
        Decision(
            DecisionAction.REDUCE,
            "Up 55% of max profit: take half off",
            "take_profit_partial",
            Urgency.NORMAL,
            {"upl_pct": 0.55, "close_ratio": 0.5},
        ),
    ),
    (
        10,
        "IWM",
        303,
        Decision(
            DecisionAction.ROLL,
            "23 DTE <= 25: roll to 45 DTE",
            "dte_roll",
            Urgency.NORMAL,
            {"dte": 23, "roll_to_dte": 45},
        ),
    ),
    (
        15,
        "SPY",
        104,
        Decision(
            DecisionAction.CLOSE,
            "Portfolio delta 0.34 beyond 0.30",
            "delta_risk_portfolio",
            Urgency.HIGH,
            {"portfolio_delta": 0.34, "limit": 0.30},
        ),
    ),
    (
        20,
        "QQQ",
        202,
        Decision(
            DecisionAction.REDUCE,
            "Up 57% of max profit: take half off",
            "take_profit_partial",
            Urgency.NORMAL,
            {"upl_pct": 0.57, "close_ratio": 0.5},
        ),
    ),
    (
        25,
        "QQQ",
        202,
        Decision(
            DecisionAction.CLOSE,
            "Up 82% of max profit",
            "take_profit_full",
            Urgency.NORMAL,
            {"upl_pct": 0.82, "threshold": 0.8},
        ),
    ),
]


async def _demo(lake: str) -> None:
    from alertkit.cli import print_board

    manager = AlertManager(lake)
    await manager.initialize()
    created = []
    for minutes, symbol, strategy_id, decision in _EXAMPLES:
        as_of = START + timedelta(minutes=minutes)
        alert = await manager.create_alert(
            decision, {"symbol": symbol, "strategy_id": strategy_id, "as_of": as_of}
        )
        assert alert is not None
        created.append(alert)
    crash, roll, delta, partial_again = created[0], created[2], created[3], created[4]
    later = START + timedelta(hours=1)
    if crash.status.value == "active":  # a re-run finds the lake already triaged
        await manager.acknowledge_alert(crash.alert_id, by="demo", at=later)
        await manager.resolve_alert(
            crash.alert_id, by="demo", note="closed at market", at=later + timedelta(minutes=3)
        )
        await manager.dismiss_alert(
            roll.alert_id, by="demo", note="rolling next week", at=later + timedelta(minutes=4)
        )
        await manager.acknowledge_alert(delta.alert_id, by="demo", at=later + timedelta(minutes=5))
    print(f"alert lake: {manager.path}")
    print(
        f"alerts: {await manager.get_alert_count()} "
        f"(active {await manager.get_alert_count('active')}, "
        f"acknowledged {await manager.get_alert_count('acknowledged')}); "
        f"take_profit_partial on QQQ 202 fired {partial_again.occurrences} times"
    )
    print_board(await manager.board())


def run_demo(lake: str) -> None:
    asyncio.run(_demo(lake))
