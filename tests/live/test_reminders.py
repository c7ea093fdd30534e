"""Reminders with an injected clock: open, unacknowledged alerts are told again at the first
cycle at least ``repeat_interval`` after the handler was last told; acknowledged and closed
alerts are not; on both managers.
"""

from __future__ import annotations

from datetime import timedelta

from _factories import T0, book, close_now, position
from _managers import MakeDriver, ManualClock

from alertkit.notify import Notification

H = timedelta(hours=1)


def test_reminders_come_at_the_first_cycle_after_each_interval(either: MakeDriver) -> None:
    clock = ManualClock(T0)
    m = either(clock=clock)
    heard: list[tuple[str, str, int]] = []

    def desk(n: Notification) -> None:
        heard.append((str(clock.now - T0), n.reason, len(n.alerts)))

    m.add_handler(desk, name="desk", group_by=("rule",), repeat_interval=4 * H)
    alert = m.create_alert(close_now(), position("SPY", 1))
    m.create_alert(close_now(), position("QQQ", 2))
    assert m.core.flush_notifications(30)
    quiet = book(3, vix=20.0)  # positions 0-2 fire nothing at vix 20: a cycle that only reminds
    for hours in (1, 3, 4, 5, 7.5, 8, 8.5):
        clock.now = T0 + hours * H
        m.run_cycle(quiet.with_columns(as_of=clock.now), at=clock.now)
        assert m.core.flush_notifications(30)
    assert heard == [
        ("0:00:00", "new", 1),
        ("0:00:00", "new", 1),
        ("4:00:00", "reminder", 2),  # both alerts of the group, one notification
        ("8:00:00", "reminder", 2),
    ]
    clock.now = T0 + 9 * H
    m.acknowledge_alert(alert.alert_id, by="ana")
    clock.now = T0 + 12 * H
    assert m.deliver_pending().select("reason", "outcome").rows() == [("reminder", "sent")]
    assert heard[-1] == ("12:00:00", "reminder", 1)  # the acknowledged one is not reminded
    log = m.notification_log(alert_id=alert.alert_id)
    assert log.select("reason", "at").rows() == [
        ("new", T0),
        ("reminder", T0 + 4 * H),
        ("reminder", T0 + 8 * H),
    ]


def test_a_closed_alert_is_not_reminded_and_without_an_interval_nothing_is(
    either: MakeDriver,
) -> None:
    clock = ManualClock(T0)
    m = either(clock=clock)
    reminded: list[str] = []
    plain: list[str] = []
    m.add_handler(lambda a: reminded.append(a.alert_id), name="remind", repeat_interval=H)
    m.add_handler(lambda a: plain.append(a.alert_id), name="plain")
    first = m.create_alert(close_now(), position("SPY", 1))
    second = m.create_alert(close_now(), position("QQQ", 2))
    assert m.core.flush_notifications(30)
    clock.now = T0 + 2 * H
    m.resolve_alert(first.alert_id)
    m.deliver_pending()
    assert reminded == [first.alert_id, second.alert_id, second.alert_id]
    assert plain == [first.alert_id, second.alert_id]
