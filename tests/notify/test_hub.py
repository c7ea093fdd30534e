"""One notification seam: every delivery of both managers goes through the hub's stages.

A stage plugged into the pipeline (here a Muter that mutes one symbol, standing in for a
silence) mutes the deliveries of create_alert and run_cycle, on both managers, and counts
what it held back; a failing handler never stops the others.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from alertkit import AlertManager, Decision, SyncAlertManager
from alertkit.notify import MuteStage, Notification, NotificationHub

T = datetime(2026, 1, 5, 15, tzinfo=UTC)
STOP = Decision("close", "Stop loss hit", "stop_loss_hard", "immediate")
BOOK = [
    {"strategy_id": 1, "symbol": "SPY", "strategy_type": "iron_condor", "upl_pct": -2.5},
    {"strategy_id": 2, "symbol": "QQQ", "strategy_type": "iron_condor", "upl_pct": -2.5},
    {"strategy_id": 3, "symbol": "IWM", "strategy_type": "iron_condor", "upl_pct": 0.1},
]


class SymbolSilence:
    """A Muter: holds back every notification of one symbol."""

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol

    def mutes(self, notification: Notification) -> str | None:
        return "silenced" if notification.alert.symbol == self.symbol else None


def fresh(path: str) -> SyncAlertManager:
    manager = SyncAlertManager(path, maintain_every=0)
    manager.initialize()
    manager.notifications.add_stage(MuteStage("silences", SymbolSilence("QQQ")))
    return manager


def test_a_stage_mutes_the_deliveries_of_a_cycle_and_of_create_alert(lake: str) -> None:
    manager = fresh(lake)
    seen: list[tuple[str, str | None]] = []
    manager.add_handler(lambda a: seen.append((a.rule, a.symbol)), name="desk")
    manager.run_cycle(BOOK, at=T)
    manager.create_alert(STOP, {"strategy_id": 9, "symbol": "QQQ", "as_of": T})
    manager.create_alert(STOP, {"strategy_id": 8, "symbol": "SPY", "as_of": T})
    assert seen == [("stop_loss_hard", "SPY"), ("stop_loss_hard", "SPY")]
    assert manager.notifications.muted == {"silences": 2}
    assert manager.notifications.delivered == {"desk": 2}
    assert manager.get_alert_count() == 4  # muted is not lost: every alert is recorded


def test_the_async_manager_goes_through_the_same_stages(lake: str) -> None:
    core = fresh(lake)
    manager = AlertManager.around(core)
    seen: list[str | None] = []

    async def handler(alert: object) -> None:
        seen.append(getattr(alert, "symbol", None))

    manager.add_handler(handler, name="desk")

    async def main() -> None:
        await manager.run_cycle(BOOK, at=T)
        await manager.create_alert(STOP, {"strategy_id": 9, "symbol": "QQQ", "as_of": T})

    asyncio.run(main())
    assert seen == ["SPY"]
    assert core.notifications.muted == {"silences": 2}


def test_a_failing_handler_is_counted_and_the_next_still_runs(lake: str) -> None:
    manager = fresh(lake)
    seen: list[str] = []

    def boom(alert: object) -> None:
        raise RuntimeError("down")

    manager.add_handler(boom)
    manager.add_handler(lambda a: seen.append(a.alert_id), name="after")
    result = manager.run_cycle(BOOK[:1], at=T)
    assert seen == [result.new_alerts[0].alert_id]
    assert manager.handler_failures == {"boom": 1}


def test_stages_are_named_once_and_run_in_order() -> None:
    hub = NotificationHub()
    hub.add_stage(MuteStage("a", SymbolSilence("SPY")))
    hub.add_stage(MuteStage("b", SymbolSilence("QQQ")))
    assert [s.name for s in hub.stages] == ["a", "b"]
    with pytest.raises(ValueError, match="a stage named 'a' is already in the pipeline"):
        hub.add_stage(MuteStage("a", SymbolSilence("IWM")))
    hub.remove_stage("a")
    assert [s.name for s in hub.stages] == ["b"]
