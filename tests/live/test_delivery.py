"""Delivery after the commit: recorded in the commit, sent off the committing thread, logged,
then cleared; grouped, filtered and retried; on both managers.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import polars as pl
import pytest
from _factories import T0, book, close_now, position
from _managers import MakeDriver, ManualClock
from deltalake import DeltaTable

from alertkit import Alert, ValidationError
from alertkit.notify import MuteStage, Notification, webhook_handler


def pending_at(lake: str, version: int) -> dict[str, str | None]:
    rows = pl.read_delta(lake, version=version).select("strategy_id", "notify_pending")
    return {str(k): v for k, v in rows.iter_rows()}


def test_the_commit_holds_what_it_made_due_and_never_waits_for_the_handler(
    either: MakeDriver,
) -> None:
    m = either()
    release = threading.Event()
    got: list[Alert] = []

    def slow(alert: Alert) -> None:
        release.wait(30)
        got.append(alert)

    m.add_handler(slow, name="desk")
    due_at = T0 + timedelta(hours=1)
    m.core.clock = m.core.delivery.clock = ManualClock(due_at)
    started = time.monotonic()
    result = m.run_cycle(book(3))
    assert time.monotonic() - started < 5  # the handler is still blocked
    assert got == []
    # The cycle's own commit carries the outbox: one entry per new alert for "desk".
    entries = pending_at(m.path, result.version)
    assert sorted(entries) == ["0", "1", "2"]
    assert all(
        e is not None and '"handler": "desk", "reason": "new"' in e for e in entries.values()
    )
    log = m.notification_log()
    assert (
        log.select("handler", "reason", "outcome", "attempts").rows()
        == [("desk", "new", "pending", 0)] * 3
    )
    release.set()
    assert m.core.flush_notifications(30)
    assert sorted(a.strategy_id for a in got) == [0, 1, 2]  # type: ignore[type-var]
    log = m.notification_log()
    assert (
        log.select("handler", "reason", "outcome", "attempts", "error").rows()
        == [("desk", "new", "sent", 1, None)] * 3
    )
    assert sorted(log["alert_id"]) == sorted(a.alert_id for a in result.new_alerts)
    # Settled entries leave the rows, and a later manager has nothing to deliver.
    assert m.scan_alerts().filter(pl.col("notify_pending").is_not_null()).collect().height == 0
    assert m.deliver_pending().height == 0


def test_a_200_position_storm_is_one_grouped_notification(either: MakeDriver) -> None:
    m = either()
    got: list[Notification] = []
    m.add_handler(got.append, name="desk", group_by=("rule",))
    result = m.run_cycle(book(200))
    assert m.core.flush_notifications(30)
    assert [(n.reason, dict(n.group), len(n.alerts)) for n in got] == [
        ("new", {"rule": "vix_level"}, 200)
    ]
    assert {a.alert_id for a in got[0].alerts} == {a.alert_id for a in result.new_alerts}
    log = m.notification_log()
    assert log.height == 200 and log["notification_id"].n_unique() == 1
    assert set(log["group"]) == {'{"rule":"vix_level"}'}
    m.run_cycle(book(200, at=T0 + timedelta(minutes=1)))  # repeats make nothing due
    assert m.core.flush_notifications(30) and len(got) == 1


def test_filters_choose_what_each_handler_hears(either: MakeDriver) -> None:
    m = either()
    critical: list[str] = []
    normal: list[str] = []
    m.add_handler(lambda a: critical.append(a.rule), name="pager", severities=["immediate"])
    m.add_handler(lambda a: normal.append(a.rule), name="info", types=["info"])
    m.create_alert(close_now(), position("SPY", 1))
    m.create_alert(
        close_now("dte_roll").__class__("roll", "r", "dte_roll", "normal"), position("SPY", 2)
    )
    assert m.core.flush_notifications(30)
    assert (critical, normal) == (["catastrophe_drop"], ["dte_roll"])


def test_closing_is_told_to_handlers_that_ask_for_it(either: MakeDriver) -> None:
    m = either()
    heard: list[tuple[str, str]] = []

    def both(n: Notification) -> None:
        heard.append((n.reason, n.alert.status.value))

    both.takes_notifications = True  # type: ignore[attr-defined]
    m.add_handler(both, name="am", reasons=["new", "resolved"])
    m.add_handler(lambda a: None, name="new-only")
    alert = m.create_alert(close_now(), position())
    assert m.core.flush_notifications(30)
    m.resolve_alert(alert.alert_id, by="ana")
    assert m.core.flush_notifications(30)
    assert heard == [("new", "active"), ("resolved", "resolved")]
    assert m.notification_log(alert_id=alert.alert_id).select("handler", "reason").rows() == [
        ("am", "new"),
        ("new-only", "new"),
        ("am", "resolved"),
    ]


def test_a_hanging_handler_is_cut_off_and_recorded_failed_and_others_are_not_held(
    either: MakeDriver,
) -> None:
    m = either()
    fast: list[str] = []
    m.add_handler(lambda a: time.sleep(30), name="hangs", timeout=0.3, max_attempts=1)
    m.add_handler(lambda a: fast.append(a.alert_id), name="fast")
    started = time.monotonic()
    alert = m.create_alert(close_now(), position())
    assert time.monotonic() - started < 5
    assert m.core.flush_notifications(30)
    assert time.monotonic() - started < 10
    assert fast == [alert.alert_id]
    failed = m.notification_log(handler="hangs")
    assert failed.select("outcome", "attempts", "error").rows() == [
        ("failed", 1, "handler 'hangs' did not return within 0.3 s")
    ]


def test_failures_are_in_the_log_and_a_new_manager_sees_them(either: MakeDriver) -> None:
    m = either()

    def down(alert: Alert) -> None:
        raise RuntimeError("pager down")

    m.add_handler(down, name="pager", max_attempts=2, backoff=0.01)
    m.create_alert(close_now(), position())
    m.create_alert(close_now(), position("QQQ", 2))
    assert m.core.flush_notifications(30)
    assert m.handler_failures == {"pager": 2}
    assert either(path=m.path).handler_failures == {"pager": 2}
    rows = m.notification_log().select("outcome", "attempts", "error").rows()
    assert rows == [("failed", 2, "RuntimeError: pager down")] * 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"group_by": ("rule", "colour")},
            r"group_by: expected fields among .* got \('rule', 'colour'\)",
        ),
        ({"group_by": "rule"}, "group_by: expected a tuple of fields, got one str 'rule'"),
        ({"repeat_interval": timedelta(hours=-4)}, "repeat_interval: expected a positive interval"),
        ({"repeat_interval": 0}, "repeat_interval: expected a positive interval"),
        ({"timeout": -1}, "timeout: expected a positive interval"),
        ({"max_attempts": 0}, "max_attempts: expected an int >= 1, got 0"),
        ({"reasons": ["new", "paged"]}, r"reasons: expected some of"),
        ({"severities": ["urgent"]}, "severities"),
    ],
)
def test_bad_handler_settings_are_refused_and_register_nothing(
    either: MakeDriver, kwargs: dict[str, object], message: str
) -> None:
    m = either()
    with pytest.raises(ValidationError, match=message):
        m.add_handler(print, name="desk", **kwargs)
    assert m.core.notifications.subscriptions == ()


def test_a_handler_needs_a_name_that_says_where_it_delivers(either: MakeDriver) -> None:
    m = either()
    with pytest.raises(ValidationError, match="has no name that says where it delivers"):
        m.add_handler(lambda a: None)
    with pytest.raises(ValidationError, match=r"url: expected an http\(s\) URL"):
        m.add_handler(webhook_handler("ftp://127.0.0.1/x"))
    assert m.add_handler(print) == "builtins.print"
    with pytest.raises(ValidationError, match=r"a handler named 'builtins\.print' is already"):
        m.add_handler(print)
    assert [s.name for s in m.core.notifications.subscriptions] == ["builtins.print"]


def test_a_cycle_without_handlers_records_nothing(either: MakeDriver) -> None:
    m = either()
    result = m.run_cycle(book(3))
    assert set(pending_at(m.path, result.version).values()) == {None}
    assert m.notification_log().height == 0
    assert not DeltaTable.is_deltatable(m.path + "_notifications")


class Everything:
    """A Muter that mutes every notification (a silence over the whole book)."""

    def mutes(self, notification: Notification) -> str | None:
        return "maintenance window"


def test_a_round_whose_every_due_is_muted_logs_them_suppressed_and_clears_them(
    either: MakeDriver,
) -> None:
    m = either()
    m.core.notifications.add_stage(MuteStage("silences", Everything()))
    got: list[Alert] = []
    m.add_handler(got.append, name="desk")
    alert = m.create_alert(close_now(), position())
    assert m.core.flush_notifications(30)
    assert got == []
    assert m.notification_log().select("alert_id", "outcome", "attempts", "error").rows() == [
        (alert.alert_id, "suppressed", 0, "silences: maintenance window")
    ]
    assert m.scan_alerts().filter(pl.col("notify_pending").is_not_null()).collect().height == 0
    assert m.deliver_pending().height == 0


def test_a_due_handed_over_twice_is_sent_once(either: MakeDriver) -> None:
    """The outbox scanned after a commit that also hands its dues over (a Monitor tick)."""
    m = either()
    release = threading.Event()
    got: list[str] = []
    m.add_handler(lambda a: release.wait(30), name="blocker", max_attempts=1)
    m.create_alert(close_now(), position("IWM", 9))  # holds the worker
    m.add_handler(lambda a: got.append(a.alert_id), name="desk")
    m.core.delivery.submit(scan_outbox=True)  # round 2 (a tick): scans after the commit below
    alert = m.create_alert(close_now(), position())  # round 3: this commit's own dues
    release.set()
    assert m.core.flush_notifications(30)
    assert got == [alert.alert_id]
    assert m.notification_log(handler="desk")["outcome"].to_list() == ["sent"]
