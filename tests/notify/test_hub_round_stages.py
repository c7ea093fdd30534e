"""A round's own stages (``plan(dues, stages=...)``): they run before the registered ones, in
order, and the first stage that mutes a notification has the say; the next round without
them mutes nothing they muted.
"""

from __future__ import annotations

from datetime import UTC, datetime

from _factories import an_alert

from alertkit.notify import Due, MuteStage, Notification, NotificationHub

T = datetime(2026, 1, 5, 15, tzinfo=UTC)


class SymbolMute:
    def __init__(self, symbol: str, why: str) -> None:
        self.symbol, self.why = symbol, why

    def mutes(self, notification: Notification) -> str | None:
        return self.why if notification.alert.symbol == self.symbol else None


def test_round_stages_run_first_and_the_first_that_mutes_has_the_say() -> None:
    hub = NotificationHub()
    hub.add(print, name="desk")
    hub.add_stage(MuteStage("user", SymbolMute("SPY", "user rule")))
    spy, qqq, iwm = (an_alert(symbol=s, strategy_id=i) for i, s in enumerate(["SPY", "QQQ", "IWM"]))
    dues = [Due(a, "new", "desk", T) for a in (spy, qqq, iwm)]
    stages = [
        MuteStage("silence", SymbolMute("QQQ", "sil-1")),
        MuteStage("snooze", SymbolMute("SPY", "until later")),
        MuteStage("flapping", SymbolMute("QQQ", "never asked")),
    ]
    deliveries, muted = hub.plan(dues, stages=stages)
    assert [d.notification.alert.symbol for d in deliveries] == ["IWM"]
    assert sorted((d.alert.symbol, m.stage, m.why) for d, m in muted) == [
        ("QQQ", "silence", "sil-1"),
        ("SPY", "snooze", "until later"),  # before the registered stage
    ]
    assert hub.muted == {"silence": 1, "snooze": 1}
    deliveries, muted = hub.plan(dues)  # only the registered stage now
    assert [d.notification.alert.symbol for d in deliveries] == ["QQQ", "IWM"]
    assert [(d.alert.symbol, m.stage) for d, m in muted] == [("SPY", "user")]
    assert [s.name for s in hub.stages] == ["user"]  # round stages are not kept
