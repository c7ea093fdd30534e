"""The pipeline without a lake: stages mute, subscriptions group, sends retry and are cut off.

Everything here runs the hub directly (:meth:`NotificationHub.plan` and :meth:`send`); the
managers' durable delivery around it is tested in tests/live/test_delivery*.py.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest
from _factories import an_alert

from alertkit import Alert, ValidationError
from alertkit.notify import Due, MuteStage, Notification, NotificationHub

T = datetime(2026, 1, 5, 15, tzinfo=UTC)


class SymbolSilence:
    """A Muter: holds back every notification of one symbol."""

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol

    def mutes(self, notification: Notification) -> str | None:
        return "silenced" if notification.alert.symbol == self.symbol else None


def dues(alerts: list[Alert], handler: str, reason: str = "new") -> list[Due]:
    return [Due(a, reason, handler, T) for a in alerts]  # type: ignore[arg-type]


def storm(n: int) -> list[Alert]:
    return [an_alert(rule="vix_exit", symbol=f"S{i % 4}", strategy_id=i) for i in range(n)]


def test_a_grouped_handler_gets_one_notification_per_group_and_reason() -> None:
    hub = NotificationHub()
    hub.add(print, name="by-rule", group_by=("rule",))
    hub.add(print, name="by-symbol", group_by=("rule", "symbol"))
    hub.add(print, name="each")
    alerts = storm(200)
    deliveries, muted = hub.plan(
        dues(alerts, "by-rule")
        + dues(alerts, "by-symbol")
        + dues(alerts[:3], "each")
        + dues(alerts[:2], "by-rule", "resolved")
    )
    assert muted == []
    shapes = sorted(
        (
            (d.subscription.name, d.notification.reason, dict(d.notification.group), len(d.dues))
            for d in deliveries
        ),
        key=str,
    )
    assert shapes == [
        ("by-rule", "new", {"rule": "vix_exit"}, 200),
        ("by-rule", "resolved", {"rule": "vix_exit"}, 2),  # another reason: its own notification
        *[("by-symbol", "new", {"rule": "vix_exit", "symbol": f"S{i}"}, 50) for i in range(4)],
        ("each", "new", {}, 1),
        ("each", "new", {}, 1),
        ("each", "new", {}, 1),
    ]
    grouped = next(d for d in deliveries if d.subscription.name == "by-rule")
    assert grouped.notification.alerts == tuple(alerts)  # in the order they were due
    assert grouped.group_json == '{"rule":"vix_exit"}'


def test_an_ungrouped_handler_is_called_with_the_alert_a_grouped_one_with_the_notification() -> (
    None
):
    hub = NotificationHub()
    got: list[object] = []
    hub.add(got.append, name="plain")
    hub.add(got.append, name="grouped", group_by=("symbol",))
    alert = an_alert(symbol="SPY")
    deliveries, _ = hub.plan(dues([alert], "plain") + dues([alert], "grouped"))
    assert [hub.send(d).outcome for d in deliveries] == ["sent", "sent"]
    assert got[0] is alert
    assert isinstance(got[1], Notification) and got[1].alerts == (alert,)
    assert dict(got[1].group) == {"symbol": "SPY"}
    assert hub.delivered == {"plain": 1, "grouped": 1}


def test_stages_mute_per_alert_before_grouping_and_count() -> None:
    hub = NotificationHub()
    hub.add_stage(MuteStage("silences", SymbolSilence("S1")))
    hub.add(print, name="desk", group_by=("rule",))
    deliveries, muted = hub.plan(dues(storm(8), "desk"))
    assert [len(d.dues) for d in deliveries] == [6]
    assert sorted(m.notification.alert.strategy_id for _, m in muted) == [1, 5]  # type: ignore[type-var]
    assert {(m.stage, m.why) for _, m in muted} == {("silences", "silenced")}
    assert hub.muted == {"silences": 2}


def test_a_due_for_a_handler_not_registered_here_is_left_for_its_owner() -> None:
    hub = NotificationHub()
    hub.add(print, name="mine")
    deliveries, muted = hub.plan(dues(storm(2), "theirs") + dues(storm(1), "mine"))
    assert [d.subscription.name for d in deliveries] == ["mine"]
    assert muted == []


def test_a_failing_call_is_retried_with_doubling_backoff_then_recorded_failed() -> None:
    sleeps: list[float] = []
    hub = NotificationHub(sleep=sleeps.append)
    calls: list[int] = []

    def flaky(alert: Alert) -> None:
        calls.append(1)
        if len(calls) < 3:
            raise RuntimeError(f"down {len(calls)}")

    hub.add(flaky, name="flaky", max_attempts=4, backoff=0.25)
    [delivery] = hub.plan(dues(storm(1), "flaky"))[0]
    sent = hub.send(delivery)
    assert (sent.outcome, sent.attempts, sent.error, sleeps) == ("sent", 3, None, [0.25, 0.5])

    def down(alert: Alert) -> None:
        raise RuntimeError("pager down")

    hub.add(down, name="down", max_attempts=3, backoff=timedelta(seconds=1))
    [delivery] = hub.plan(dues(storm(1), "down"))[0]
    sleeps.clear()
    failed = hub.send(delivery)
    assert (failed.outcome, failed.attempts, failed.error) == (
        "failed",
        3,
        "RuntimeError: pager down",
    )
    assert sleeps == [1.0, 2.0]
    assert (hub.delivered, hub.failures) == ({"flaky": 1}, {"down": 1})


def test_a_hanging_handler_is_cut_off_at_its_timeout() -> None:
    hub = NotificationHub(sleep=lambda s: None)

    def hangs(alert: Alert) -> None:
        time.sleep(30)

    hub.add(hangs, name="hangs", timeout=0.2, max_attempts=2)
    [delivery] = hub.plan(dues(storm(1), "hangs"))[0]
    started = time.monotonic()
    sent = hub.send(delivery)
    took = time.monotonic() - started
    assert (sent.outcome, sent.attempts) == ("failed", 2)
    assert sent.error == "handler 'hangs' did not return within 0.2 s"
    assert 0.4 <= took < 1.5


def test_keyboard_interrupt_in_a_handler_is_a_failed_attempt_not_an_escape() -> None:
    hub = NotificationHub(sleep=lambda s: None)

    def interrupts(alert: Alert) -> None:
        raise KeyboardInterrupt

    hub.add(interrupts, name="ki", max_attempts=1)
    hub.add(print, name="after")
    deliveries, _ = hub.plan(dues(storm(1), "ki") + dues(storm(1), "after"))
    assert [(s.outcome, s.error) for s in map(hub.send, deliveries)] == [
        ("failed", "KeyboardInterrupt: "),
        ("sent", None),
    ]


def test_an_async_handler_runs_to_completion_on_a_loop_of_its_own() -> None:
    hub = NotificationHub()
    got: list[str] = []

    async def page(alert: Alert) -> None:
        await asyncio.sleep(0.01)
        got.append(alert.alert_id)

    hub.add(page, name="page")
    alert = an_alert()
    [delivery] = hub.plan(dues([alert], "page"))[0]
    assert hub.send(delivery).outcome == "sent"
    assert got == [alert.alert_id]


def test_stages_are_named_once_and_run_in_order() -> None:
    hub = NotificationHub()
    hub.add_stage(MuteStage("a", SymbolSilence("SPY")))
    hub.add_stage(MuteStage("b", SymbolSilence("QQQ")))
    assert [s.name for s in hub.stages] == ["a", "b"]
    with pytest.raises(ValidationError, match="a stage named 'a' is already in the pipeline"):
        hub.add_stage(MuteStage("a", SymbolSilence("IWM")))
    hub.remove_stage("a")
    assert [s.name for s in hub.stages] == ["b"]
