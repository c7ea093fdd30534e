"""The policies on the delivery side, live (docs/policies.md): silences, inhibition, snooze and
flapping mute what is due (logged ``suppressed`` or ``inhibited`` with why), and a silence's
end, an escalation and a flap's start and stop are told once; on both managers, with a
manual clock and plain callables for handlers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import polars as pl
from _factories import T0, an_alert, book, close_now, position
from _managers import Driver, MakeDriver, ManualClock

from alertkit import Decision
from alertkit.notify import Due, Notification
from alertkit.policy import Escalation, FlapDetection, Inhibition, Policies, Silence

M = timedelta(minutes=1)
H = timedelta(hours=1)


def warn(rule: str = "stop_loss_hard") -> Decision:
    """A close at HIGH urgency: a WARNING alert (a target of the crash inhibition)."""
    return Decision("close", "Loss past the stop", rule, "high", {})


def recorder(heard: list[tuple[str, str, str]], name: str) -> Callable[[Notification], None]:
    """A handler recording (its name, reason, alert_id) of each alert it is told of."""

    def handle(n: Notification) -> None:
        heard.extend((name, n.reason, a.alert_id) for a in n.alerts)

    handle.takes_notifications = True  # type: ignore[attr-defined]
    return handle


def silence(m: Driver, matchers: dict[str, Any], starts: datetime, ends: datetime) -> Silence:
    """A silence stored as ``create_silence`` stores one (straight into the policy store)."""
    made = Silence(matchers, starts, ends, "ana", "maintenance", created_at=starts)
    return m.core.policy_store.add_silence(made)


def logged(m: Driver, *columns: str) -> list[tuple[Any, ...]]:
    return m.notification_log().sort("at", "alert_id", "handler", "reason").select(columns).rows()


def deliver_at(m: Driver, clock: ManualClock, at: datetime) -> list[tuple[Any, ...]]:
    clock.now = at
    return m.deliver_pending().select("alert_id", "handler", "reason", "outcome").rows()


# -- silences ---------------------------------------------------------------------------------


def test_an_active_silence_mutes_a_new_alert_and_names_itself(either: MakeDriver) -> None:
    clock = ManualClock(T0)
    m = either(clock=clock)
    heard: list[tuple[str, str, str]] = []
    m.add_handler(recorder(heard, "desk"), name="desk")
    silence(m, {"symbol": "SPY"}, T0 - 30 * M, T0 + H)  # covers it too, but starts later
    first = silence(m, {"rule": "catastrophe_*"}, T0 - H, T0 + H)  # the earliest start: named
    silence(m, {"symbol": "QQQ"}, T0 + M, T0 + H)  # not started yet: mutes nothing
    spy = m.create_alert(close_now(), position("SPY", 1))
    qqq = m.create_alert(warn(), position("QQQ", 2))
    assert m.core.flush_notifications(30)
    assert heard == [("desk", "new", qqq.alert_id)]
    assert logged(m, "alert_id", "outcome", "attempts", "error") == sorted(
        [
            (spy.alert_id, "suppressed", 0, f"silence: {first.silence_id}"),
            (qqq.alert_id, "sent", 1, None),
        ]
    )
    assert m.scan_alerts().filter(pl.col("notify_pending").is_not_null()).collect().height == 0
    assert m.deliver_pending().height == 0  # settled: not muted (nor sent) again


def test_the_end_of_a_silence_tells_its_open_alerts_once(either: MakeDriver) -> None:
    clock = ManualClock(T0)
    m = either(clock=clock)
    heard: list[tuple[str, str, str]] = []
    m.add_handler(recorder(heard, "desk"), name="desk")
    m.add_handler(recorder(heard, "closes"), name="closes", reasons=["resolved"])
    ends = silence(m, {"symbol": "SPY"}, T0 - H, T0 + H)
    still = silence(m, {"symbol": "QQQ"}, T0 - H, T0 + 5 * H)
    # as the commit-time marks leave them: silenced_by names the first covering silence
    open_one = an_alert(minutes=1, strategy_id=1, silenced_by=ends.silence_id)
    closed_one = an_alert(
        minutes=2, strategy_id=2, silenced_by=ends.silence_id, status="resolved", closed_after=5
    )
    never = an_alert(minutes=3, strategy_id=3)
    other = an_alert(minutes=4, symbol="QQQ", strategy_id=4, silenced_by=still.silence_id)
    m.insert_alerts([open_one, closed_one, never, other])
    assert deliver_at(m, clock, T0 + H - M) == []  # the silence has not ended
    assert deliver_at(m, clock, T0 + H) == [(open_one.alert_id, "desk", "silence_ended", "sent")]
    assert heard == [("desk", "silence_ended", open_one.alert_id)]
    assert deliver_at(m, clock, T0 + 2 * H) == []  # once
    log = m.notification_log()
    assert log.select("alert_id", "reason", "due_at", "at").rows() == [
        (open_one.alert_id, "silence_ended", T0 + H, T0 + H)
    ]


def test_a_silence_expired_early_tells_at_the_next_round(either: MakeDriver) -> None:
    clock = ManualClock(T0)
    m = either(clock=clock)
    heard: list[tuple[str, str, str]] = []
    m.add_handler(recorder(heard, "desk"), name="desk")
    window = silence(m, {"rule": "stop_loss_*"}, T0 - H, T0 + 8 * H)
    alert = an_alert(minutes=1, silenced_by=window.silence_id)
    m.insert_alerts([alert])
    assert deliver_at(m, clock, T0 + H) == []
    expired = m.core.policy_store.expire_silence(window.silence_id, T0 + 90 * M, "ana")
    assert (expired.ends_at, expired.expired_at, expired.expired_by) == (
        T0 + 90 * M,
        T0 + 90 * M,
        "ana",
    )
    clock.now = T0 + 2 * H
    m.run_cycle(book(3, vix=20.0, at=clock.now), at=clock.now)  # a cycle that fires nothing
    assert m.core.flush_notifications(30)
    assert heard == [("desk", "silence_ended", alert.alert_id)]
    assert deliver_at(m, clock, T0 + 3 * H) == []


def test_a_silence_end_passes_the_stages_and_another_silence_mutes_it(
    either: MakeDriver,
) -> None:
    clock = ManualClock(T0)
    m = either(clock=clock)
    heard: list[tuple[str, str, str]] = []
    m.add_handler(recorder(heard, "desk"), name="desk")
    short = silence(m, {"symbol": "SPY"}, T0 - H, T0 + H)
    longer = silence(m, {"strategy_id": "1"}, T0 + 30 * M, T0 + 5 * H)
    alert = an_alert(minutes=1, silenced_by=short.silence_id)
    m.insert_alerts([alert])
    assert deliver_at(m, clock, T0 + H) == [(alert.alert_id, "desk", "silence_ended", "suppressed")]
    assert logged(m, "error") == [(f"silence: {longer.silence_id}",)]
    assert deliver_at(m, clock, T0 + 6 * H) == []  # muted counts as settled
    assert heard == []


# -- inhibition -------------------------------------------------------------------------------


def test_an_open_crash_alert_inhibits_warnings_on_its_symbol_only(either: MakeDriver) -> None:
    clock = ManualClock(T0)
    m = either(clock=clock)
    heard: list[tuple[str, str, str]] = []
    m.add_handler(recorder(heard, "desk"), name="desk")
    rule = Inhibition(
        {"rule": "catastrophe_*"},
        {"type": "warning"},
        equal=("symbol",),
        created_by="risk",
        comment="a crash alert says it all",
        starts_at=T0 - H,
    )
    m.core.policy_store.add_inhibition(rule)
    source = m.create_alert(close_now(), position("SPY", 1))
    spy = m.create_alert(warn(), position("SPY", 2))
    qqq = m.create_alert(warn(), position("QQQ", 3))
    assert m.core.flush_notifications(30)
    assert heard == [("desk", "new", source.alert_id), ("desk", "new", qqq.alert_id)]
    rows = {a: (o, e) for a, o, e in logged(m, "alert_id", "outcome", "error")}
    assert rows == {
        source.alert_id: ("sent", None),  # a critical alert is no target
        spy.alert_id: ("inhibited", f"inhibition: {source.alert_id}"),
        qqq.alert_id: ("sent", None),
    }
    clock.now = T0 + M
    m.resolve_alert(source.alert_id, by="ana")
    clock.now = T0 + 2 * M
    after = m.create_alert(warn(), position("SPY", 4, minutes=2))  # the source is closed
    assert m.core.flush_notifications(30)
    assert heard[-1] == ("desk", "new", after.alert_id)
    assert m.notification_log(alert_id=after.alert_id)["outcome"].to_list() == ["sent"]


def test_the_source_must_be_open_at_the_due_instant_not_now(either: MakeDriver) -> None:
    """Dues left pending (by a killed process) are muted as of when they were due."""
    clock = ManualClock(T0 + H)
    m = either(clock=clock)
    m.add_handler(recorder([], "desk"), name="desk")
    m.core.policy_store.add_inhibition(
        Inhibition({"rule": "catastrophe_*"}, {"type": "warning"}, ("symbol",), starts_at=T0 - H)
    )
    crash = an_alert(rule="catastrophe_drop", type="critical", status="resolved", closed_after=10)
    early = an_alert(minutes=-5, strategy_id=2)  # due before the crash alert opened
    during = an_alert(minutes=5, strategy_id=3)  # due while it was open (closed since)
    after = an_alert(minutes=15, strategy_id=4)  # due after it closed
    m.insert_alerts([crash, early, during, after])
    due = [Due(a, "new", "desk", a.created_at) for a in (early, during, after)]
    assert m.core.delivery.submit(due).result(30).select("alert_id", "outcome", "error").rows() == [
        (early.alert_id, "sent", None),
        (after.alert_id, "sent", None),
        (during.alert_id, "inhibited", f"inhibition: {crash.alert_id}"),
    ]


# -- snooze -----------------------------------------------------------------------------------


def test_a_snoozed_alert_sends_nothing_until_it_wakes_then_reminders_resume(
    either: MakeDriver,
) -> None:
    clock = ManualClock(T0)
    m = either(clock=clock)
    heard: list[tuple[str, str, str]] = []
    m.add_handler(recorder(heard, "desk"), name="desk", repeat_interval=H)
    snoozed = an_alert(severity="normal", snoozed_at=T0, snoozed_until=T0 + 2 * H)
    m.insert_alerts([snoozed])
    until = "snooze: until 2026-01-05T17:00:00+00:00"
    assert deliver_at(m, clock, T0 + H) == [(snoozed.alert_id, "desk", "reminder", "suppressed")]
    # a muted reminder counts as told: the next is one interval later, not at every round
    assert deliver_at(m, clock, T0 + 90 * M) == []
    assert deliver_at(m, clock, T0 + 2 * H) == [(snoozed.alert_id, "desk", "reminder", "sent")]
    assert deliver_at(m, clock, T0 + 150 * M) == []
    assert deliver_at(m, clock, T0 + 3 * H) == [(snoozed.alert_id, "desk", "reminder", "sent")]
    assert heard == [("desk", "reminder", snoozed.alert_id)] * 2
    assert logged(m, "at", "outcome", "error") == [
        (T0 + H, "suppressed", until),
        (T0 + 2 * H, "sent", None),
        (T0 + 3 * H, "sent", None),
    ]


def test_a_more_severe_alert_on_the_position_wakes_a_snoozed_one(either: MakeDriver) -> None:
    clock = ManualClock(T0)
    m = either(clock=clock)
    heard: list[tuple[str, str, str]] = []
    m.add_handler(recorder(heard, "desk"), name="desk", repeat_interval=H)
    snoozed = an_alert(severity="normal", snoozed_at=T0, snoozed_until=T0 + 4 * H)
    m.insert_alerts([snoozed])
    assert deliver_at(m, clock, T0 + H) == [(snoozed.alert_id, "desk", "reminder", "suppressed")]
    assert logged(m, "error") == [("snooze: until 2026-01-05T19:00:00+00:00",)]
    clock.now = T0 + 90 * M
    crash = m.create_alert(close_now(), position("SPY", 1, minutes=90))  # immediate, same id
    assert m.core.flush_notifications(30)
    assert deliver_at(m, clock, T0 + 2 * H) == [(snoozed.alert_id, "desk", "reminder", "sent")]
    assert heard == [
        ("desk", "new", crash.alert_id),
        ("desk", "reminder", snoozed.alert_id),
    ]


def test_a_less_severe_alert_does_not_wake_a_snoozed_one(either: MakeDriver) -> None:
    clock = ManualClock(T0)
    m = either(clock=clock)
    m.add_handler(recorder([], "desk"), name="desk", repeat_interval=H)
    snoozed = an_alert(severity="high", snoozed_at=T0, snoozed_until=T0 + 4 * H)
    m.insert_alerts([snoozed])
    clock.now = T0 + 30 * M
    low = m.create_alert(Decision("close", "r", "dte_close", "low", {}), position("SPY", 1, 30))
    assert m.core.flush_notifications(30)
    assert sorted(deliver_at(m, clock, T0 + 2 * H)) == sorted(
        [
            (snoozed.alert_id, "desk", "reminder", "suppressed"),
            (low.alert_id, "desk", "reminder", "sent"),
        ]
    )
    assert m.notification_log(alert_id=snoozed.alert_id)["error"].to_list() == [
        "snooze: until 2026-01-05T19:00:00+00:00"
    ]


# -- escalation -------------------------------------------------------------------------------


def test_an_unacknowledged_immediate_alert_escalates_once_to_the_named_handlers(
    either: MakeDriver,
) -> None:
    clock = ManualClock(T0)
    m = either(clock=clock)
    heard: list[tuple[str, str, str]] = []
    m.add_handler(recorder(heard, "desk"), name="desk")
    m.add_handler(recorder(heard, "pager"), name="pager", severities=["immediate"])
    m.add_handler(recorder(heard, "night"), name="night", severities=["low"])
    m.core.set_policies(
        Policies(escalation=Escalation({"immediate": 5 * M}, handlers=["pager", "night", "absent"]))
    )
    late = m.create_alert(close_now(), position("SPY", 1))
    answered = m.create_alert(close_now(), position("QQQ", 2))
    high = m.create_alert(warn(), position("IWM", 3))  # no timeout for high
    assert m.core.flush_notifications(30)
    clock.now = T0 + 3 * M
    m.acknowledge_alert(answered.alert_id, by="ana")
    assert deliver_at(m, clock, T0 + 5 * M - timedelta(seconds=1)) == []
    clock.now = T0 + 5 * M
    quiet = book(3, vix=20.0, at=clock.now)  # a cycle: derived dues without any repeat
    m.run_cycle(quiet.with_columns(strategy_id=pl.col("strategy_id") + 10), at=clock.now)
    assert m.core.flush_notifications(30)
    assert deliver_at(m, clock, T0 + H) == []  # once
    by_handler = {h: [(r, a) for n, r, a in heard if n == h] for h in ("desk", "pager", "night")}
    assert by_handler == {  # each handler in order (handlers are called in parallel)
        "desk": [("new", late.alert_id), ("new", answered.alert_id), ("new", high.alert_id)],
        "pager": [
            ("new", late.alert_id),
            ("new", answered.alert_id),
            ("escalated", late.alert_id),
        ],
        "night": [],
    }
    log = m.notification_log(handler="pager")
    assert log.filter(pl.col("reason") == "escalated").select("alert_id", "due_at").rows() == [
        (late.alert_id, T0 + 5 * M)
    ]


def test_without_escalation_nothing_escalates(either: MakeDriver) -> None:
    clock = ManualClock(T0)
    m = either(clock=clock)
    heard: list[tuple[str, str, str]] = []
    m.add_handler(recorder(heard, "pager"), name="pager")
    alert = m.create_alert(close_now(), position("SPY", 1))
    assert m.core.flush_notifications(30)
    assert deliver_at(m, clock, T0 + H) == []
    assert heard == [("pager", "new", alert.alert_id)]


# -- flapping ---------------------------------------------------------------------------------


def evaluations(*steps: tuple[int, str | None]) -> pl.DataFrame:
    """Decisions of position (1, SPY): (minutes after T0, trigger or None for HOLD)."""
    return pl.DataFrame(
        {
            "as_of": [T0 + minutes * M for minutes, _ in steps],
            "trigger": [trigger for _, trigger in steps],
            "strategy_id": [1] * len(steps),
            "symbol": ["SPY"] * len(steps),
        },
        schema={
            "as_of": pl.Datetime("us", "UTC"),
            "trigger": pl.String,
            "strategy_id": pl.Int64,
            "symbol": pl.String,
        },
    )


def test_a_flapping_fingerprint_is_muted_and_its_start_and_stop_are_told_once(
    either: MakeDriver,
) -> None:
    clock = ManualClock(T0)
    m = either(clock=clock)
    heard: list[tuple[str, str, str]] = []
    m.add_handler(recorder(heard, "desk"), name="desk")
    m.add_handler(recorder(heard, "closes"), name="closes", reasons=["resolved"])
    detection = FlapDetection(changes=3, evaluations=5)
    m.core.set_policies(Policies(flapping=detection))
    crash = "catastrophe_drop"
    store = m.core.policy_store
    _, started = store.advance_flaps(evaluations((0, crash), (1, None), (2, crash)), detection)
    assert started.select("as_of", "reason").rows() == [(T0 + 2 * M, "flapping_started")]
    clock.now = T0 + 2 * M
    flapper = m.create_alert(close_now(), position("SPY", 1, minutes=2))
    steady = m.create_alert(close_now(), position("QQQ", 2, minutes=2))
    assert m.core.flush_notifications(30)
    assert heard == [("desk", "new", steady.alert_id)]
    rows = {a: (o, e) for a, o, e in logged(m, "alert_id", "outcome", "error")}
    assert rows == {
        flapper.alert_id: ("suppressed", "flapping: 3 changes in the last 5 evaluations"),
        steady.alert_id: ("sent", None),
    }
    assert deliver_at(m, clock, T0 + 2 * M) == [
        (flapper.alert_id, "desk", "flapping_started", "sent")
    ]
    assert deliver_at(m, clock, T0 + 3 * M) == []
    _, stopped = store.advance_flaps(evaluations((3, crash), (4, crash), (5, crash)), detection)
    assert stopped.select("as_of", "reason").rows() == [(T0 + 5 * M, "flapping_stopped")]
    assert deliver_at(m, clock, T0 + 5 * M) == [
        (flapper.alert_id, "desk", "flapping_stopped", "sent")
    ]
    assert deliver_at(m, clock, T0 + 6 * M) == []
    m.resolve_alert(flapper.alert_id, by="ana")  # no longer flapping: told
    assert m.core.flush_notifications(30)
    assert heard == [
        ("desk", "new", steady.alert_id),
        ("desk", "flapping_started", flapper.alert_id),
        ("desk", "flapping_stopped", flapper.alert_id),
        ("closes", "resolved", flapper.alert_id),
    ]
    flaps = m.notification_log(alert_id=flapper.alert_id).filter(
        pl.col("reason").str.starts_with("flapping")
    )
    assert flaps.select("reason", "due_at").rows() == [
        ("flapping_started", T0 + 2 * M),
        ("flapping_stopped", T0 + 5 * M),
    ]
    fresh = either(path=m.path, clock=clock)  # another process: settled by the log
    fresh.core.set_policies(Policies(flapping=detection))
    fresh.add_handler(recorder(heard, "desk"), name="desk")
    assert fresh.deliver_pending().height == 0


def test_without_flap_detection_the_flap_table_mutes_nothing(either: MakeDriver) -> None:
    clock = ManualClock(T0 + 2 * M)
    m = either(clock=clock)
    heard: list[tuple[str, str, str]] = []
    m.add_handler(recorder(heard, "desk"), name="desk")
    crash = "catastrophe_drop"
    m.core.policy_store.advance_flaps(
        evaluations((0, crash), (1, None), (2, crash)), FlapDetection(changes=3, evaluations=5)
    )
    alert = m.create_alert(close_now(), position("SPY", 1, minutes=2))
    assert m.core.flush_notifications(30)
    assert m.deliver_pending().height == 0
    assert heard == [("desk", "new", alert.alert_id)]


def test_a_due_from_before_the_flapping_started_is_not_muted(either: MakeDriver) -> None:
    clock = ManualClock(T0 + 10 * M)
    m = either(clock=clock)
    m.add_handler(recorder([], "desk"), name="desk")
    detection = FlapDetection(changes=3, evaluations=5)
    m.core.set_policies(Policies(flapping=detection))
    crash = "catastrophe_drop"
    steps = evaluations((0, crash), (1, None), (2, crash), (3, None), (4, None))
    m.core.policy_store.advance_flaps(steps, detection)  # started at T0+2m, still flapping
    before = an_alert(rule=crash, minutes=1, status="resolved", closed_after=0.5)
    since = an_alert(rule=crash, minutes=2)
    m.insert_alerts([before, since])
    due = [Due(before, "new", "desk", T0 + M), Due(since, "new", "desk", T0 + 2 * M)]
    rows = m.core.delivery.submit(due).result(30).select("alert_id", "outcome", "error").rows()
    assert rows == [
        (before.alert_id, "sent", None),
        (since.alert_id, "suppressed", "flapping: 3 changes in the last 5 evaluations"),
    ]
