"""dry_run_notifications: exact notifications over hand-made alerts and cycles, invariants over a
real backtest, and the inputs it refuses."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl
import pytest
from _factories import T0, an_alert

from alertkit import Alert
from alertkit.backtest import (
    NotificationDryRun,
    dry_run_notifications,
    run_backtest,
    synthetic_history,
)
from alertkit.backtest.notifications import NOTIFICATIONS_SCHEMA
from alertkit.live.episodes import GONE_NOTE
from alertkit.model.errors import ValidationError
from alertkit.model.schema import alerts_to_frame
from alertkit.notify.subscriptions import Subscription

H = timedelta(hours=1)
HOURLY = [T0 + i * H for i in range(25)]  # T0 .. T0+24h
_ids = itertools.count(1)


def alert(hours: float = 0, **fields: Any) -> Alert:
    """An alert created ``hours`` after T0, on a position of its own (distinct fingerprints)."""
    fields.setdefault("strategy_id", next(_ids))
    made: Alert = an_alert(minutes=hours * 60, **fields)
    return made


def sub(name: str = "desk", **options: Any) -> Subscription:
    return Subscription.create(print, name=name, **options)


def run(
    alerts: list[Alert], *subs: Subscription, cycles: list[datetime] = HOURLY
) -> NotificationDryRun:
    return dry_run_notifications(alerts_to_frame(alerts), subs or [sub()], cycles=cycles)


def told(dry: NotificationDryRun, handler: str | None = None) -> list[tuple[str, float, int]]:
    """(reason, hours after T0, alerts) of each notification, in order."""
    rows = dry.notifications if handler is None else dry.notifications.filter(handler=handler)
    return [(r, (at - T0) / H, n) for r, at, n in rows.select("reason", "at", "alerts").rows()]


# -- one per alert, or one per group ---------------------------------------------------------


def test_ungrouped_is_one_notification_per_alert_at_its_creation_cycle() -> None:
    alerts = [alert(0), alert(0), alert(2), alert(1.5)]  # the last is seen by the 2h cycle
    dry = run(alerts)
    assert dry.notifications.schema == pl.Schema(NOTIFICATIONS_SCHEMA)
    assert told(dry) == [("new", 0, 1), ("new", 0, 1), ("new", 2, 1), ("new", 2, 1)]
    assert dry.notifications["group"].to_list() == [None] * 4
    by_cycle = [(alerts[0], alerts[1]), (alerts[2], alerts[3])]
    ids = dry.notifications["alert_ids"].to_list()
    assert ids[:2] == sorted([[a.alert_id] for a in by_cycle[0]])
    assert ids[2:] == sorted([[a.alert_id] for a in by_cycle[1]])
    assert dry.notifications["day"].to_list() == [date(2026, 1, 5)] * 4


def test_a_storm_of_200_alerts_at_one_cycle_is_one_grouped_notification() -> None:
    storm = [alert(3, rule="catastrophe_drop") for _ in range(200)]
    dry = run(storm, sub(group_by=("rule",)))
    assert told(dry) == [("new", 3, 200)]
    row = dry.notifications.row(0, named=True)
    assert json.loads(row["group"]) == {"rule": "catastrophe_drop"}
    assert row["group"] == '{"rule":"catastrophe_drop"}'
    assert row["alert_ids"] == sorted(a.alert_id for a in storm)


def test_grouping_keys_split_a_cycle_and_cycles_split_a_group() -> None:
    alerts = [
        alert(0, rule="vix_level", symbol="SPY"),
        alert(0, rule="vix_level", symbol="QQQ"),
        alert(0, rule="vix_level", symbol="SPY"),
        alert(0, rule="gamma_risk", symbol="SPY"),
        alert(1, rule="vix_level", symbol="SPY"),
    ]
    dry = run(alerts, sub(group_by=("rule", "symbol")))
    assert dry.notifications.select("at", "group", "alerts").rows() == [
        (T0, '{"rule":"gamma_risk","symbol":"SPY"}', 1),
        (T0, '{"rule":"vix_level","symbol":"QQQ"}', 1),
        (T0, '{"rule":"vix_level","symbol":"SPY"}', 2),
        (T0 + H, '{"rule":"vix_level","symbol":"SPY"}', 1),
    ]
    by_id = run(alerts, sub(group_by=("strategy_id",))).notifications
    assert json.loads(by_id["group"][0]) == {"strategy_id": alerts[0].strategy_id}


# -- reminders --------------------------------------------------------------------------------


def test_reminders_come_every_repeat_interval_while_open_and_unacknowledged() -> None:
    dry = run([alert(0)], sub(repeat_interval=4 * H))
    assert told(dry) == [("new", 0, 1)] + [("reminder", h, 1) for h in (4, 8, 12, 16, 20, 24)]


def test_without_repeat_interval_there_are_no_reminders() -> None:
    assert told(run([alert(0)], sub())) == [("new", 0, 1)]


@pytest.mark.parametrize(
    ("ack_hours", "reminders"),
    [(9, [4, 8]), (8, [4]), (7.5, [4]), (4, []), (0.5, [])],  # acknowledged at t: no reminder at t
)
def test_reminders_stop_once_acknowledged(ack_hours: float, reminders: list[int]) -> None:
    acked = alert(0, status="acknowledged", ack_after=ack_hours * 60)
    dry = run([acked], sub(repeat_interval=4 * H))
    assert told(dry) == [("new", 0, 1)] + [("reminder", h, 1) for h in reminders]


@pytest.mark.parametrize("status", ["resolved", "dismissed"])
def test_reminders_stop_once_closed_and_only_askers_hear_of_the_close(status: str) -> None:
    closed = alert(0, status=status, closed_after=12 * 60)
    reminded = sub("reminded", repeat_interval=4 * H)
    asker = sub("asker", repeat_interval=4 * H, reasons=("new", "reminder", "resolved"))
    dry = run([closed], reminded, asker)
    expected = [("new", 0, 1), ("reminder", 4, 1), ("reminder", 8, 1)]
    assert told(dry, "reminded") == expected
    assert told(dry, "asker") == [*expected, ("resolved", 12, 1)]


def test_a_reminder_comes_at_the_first_cycle_at_or_after_each_interval() -> None:
    cycles = [T0 + h * H for h in (0, 1, 2, 3, 5, 6, 9, 10, 14)]
    dry = run([alert(0)], sub(repeat_interval=4 * H), cycles=cycles)
    # told at 0; due from 4 -> cycle 5; due from 9 -> cycle 9; due from 13 -> cycle 14
    assert told(dry) == [("new", 0, 1), ("reminder", 5, 1), ("reminder", 9, 1), ("reminder", 14, 1)]


def test_an_alert_created_between_cycles_is_told_and_reminded_from_the_next_cycle() -> None:
    dry = run([alert(0.5)], sub(repeat_interval=4 * H), cycles=HOURLY[:11])
    assert told(dry) == [("new", 1, 1), ("reminder", 5, 1), ("reminder", 9, 1)]


def test_grouped_reminders_hold_the_alerts_still_due() -> None:
    first = alert(0, rule="vix_level")
    acked = alert(0, rule="vix_level", status="acknowledged", ack_after=6 * 60)
    dry = run([first, acked], sub(group_by=("rule",), repeat_interval=4 * H), cycles=HOURLY[:13])
    assert told(dry) == [("new", 0, 2), ("reminder", 4, 2), ("reminder", 8, 1), ("reminder", 12, 1)]
    assert dry.notifications["alert_ids"][2].to_list() == [first.alert_id]


# -- resolved, filters ------------------------------------------------------------------------


def test_resolved_is_told_at_the_cycle_that_sees_the_close() -> None:
    resolved = alert(0, status="resolved", closed_after=90)  # 1h30 -> the 2h cycle
    dismissed = alert(1, status="dismissed", closed_after=60)
    asker = sub("asker", reasons=["new", "resolved"])
    dry = run([resolved, dismissed], asker, sub("quiet"))
    assert told(dry, "asker") == [
        ("new", 0, 1),
        ("new", 1, 1),
        ("resolved", 2, 1),
        ("resolved", 2, 1),
    ]
    assert told(dry, "quiet") == [("new", 0, 1), ("new", 1, 1)]
    only_closes = run([resolved], sub(reasons=["resolved"]))
    assert told(only_closes) == [("resolved", 2, 1)]


def test_severity_and_type_filters_choose_the_alerts() -> None:
    alerts = [
        alert(0, severity="immediate", type="critical"),
        alert(0, severity="high", type="warning"),
        alert(1, severity="normal", type="info"),
        alert(1, severity="normal", type="warning"),
    ]
    pager = sub("pager", severities=["IMMEDIATE"])
    info = sub("info", types=["info"])
    normal_warnings = sub("nw", severities=["normal"], types=["warning"])
    dry = run(alerts, pager, info, normal_warnings)
    ids = {
        h: dry.notifications.filter(handler=h)["alert_ids"].list.first().to_list()
        for h in ("pager", "info", "nw")
    }
    assert ids == {
        "pager": [alerts[0].alert_id],
        "info": [alerts[2].alert_id],
        "nw": [alerts[3].alert_id],
    }
    assert dry.accepted == {"pager": 1, "info": 1, "nw": 1}


def test_the_dry_run_filter_is_subscription_wants() -> None:
    alerts = [
        alert(h, severity=s, type=t)
        for h, (s, t) in enumerate(
            itertools.product(
                ["immediate", "high", "normal", "low"], ["critical", "warning", "info"]
            )
        )
    ]
    subs = [
        sub("a", severities=["high", "low"]),
        sub("b", types=["critical", "info"], reasons=["resolved"]),
        sub("c", severities=["normal"], types=["warning", "info"]),
        sub("d"),
    ]
    dry = run(alerts, *subs)
    for s in subs:
        expected = sum(any(s.wants(a, r) for r in s.reasons) for a in alerts)
        assert dry.accepted[s.name] == expected
        told_ids = set(dry.notifications.filter(handler=s.name)["alert_ids"].explode().to_list())
        assert told_ids == {a.alert_id for a in alerts if s.wants(a, "new")}


def test_alerts_after_the_last_cycle_are_neither_told_nor_counted() -> None:
    dry = run([alert(0), alert(30)], sub(), cycles=HOURLY[:3])
    assert told(dry) == [("new", 0, 1)]
    assert dry.accepted == {"desk": 1}


def test_no_handler_is_called() -> None:
    def explode(_: object) -> None:
        raise AssertionError("called")

    dry = run([alert(0)], Subscription.create(explode, name="never"))
    assert told(dry) == [("new", 0, 1)]


# -- per day, summary -------------------------------------------------------------------------


def test_per_day_fills_every_day_of_the_span_for_every_handler() -> None:
    cycles = [T0, T0 + H, T0 + 2 * timedelta(days=1)]  # 5, 5 and 7 January
    alerts = [alert(0, severity="immediate"), alert(1), alert(48)]
    pager = sub("pager", severities=["immediate"])
    dry = run(alerts, sub("desk"), pager, cycles=cycles)
    assert dry.per_day().rows() == [
        (date(2026, 1, 5), "desk", 2, 2),
        (date(2026, 1, 5), "pager", 1, 1),
        (date(2026, 1, 6), "desk", 0, 0),
        (date(2026, 1, 6), "pager", 0, 0),
        (date(2026, 1, 7), "desk", 1, 1),
        (date(2026, 1, 7), "pager", 0, 0),
    ]
    assert dry.opened.rows() == [
        (date(2026, 1, 5), 2),
        (date(2026, 1, 6), 0),
        (date(2026, 1, 7), 1),
    ]


def test_summary_counts_notifications_mentions_and_alerts() -> None:
    alerts = [alert(0, rule="vix_level") for _ in range(3)] + [
        alert(0, rule="gamma_risk", severity="immediate"),
        alert(5, rule="vix_level", status="resolved", closed_after=60),
    ]
    grouped = sub(
        "grouped",
        group_by=("rule",),
        repeat_interval=4 * H,
        reasons=["new", "reminder", "resolved"],
    )
    pager = sub("pager", severities=["immediate"])
    nobody = sub("nobody", severities=["low"])
    dry = run(alerts, grouped, pager, nobody, cycles=HOURLY[:9])
    # grouped: new at 0 (vix x3, gamma x1), new at 5 (vix x1), reminders at 4 and 8 (vix x3,
    # gamma x1; the 5h alert is resolved at 6, before its first reminder at 9), resolved at 6
    assert told(dry, "grouped") == [
        ("new", 0, 1),
        ("new", 0, 3),
        ("reminder", 4, 1),
        ("reminder", 4, 3),
        ("new", 5, 1),
        ("resolved", 6, 1),
        ("reminder", 8, 1),
        ("reminder", 8, 3),
    ]
    assert dry.summary().rows() == [
        ("grouped", 8, 14, 5, 5, 1.6),
        ("pager", 1, 1, 1, 1, 1.0),
        ("nobody", 0, 0, 0, 0, None),
    ]


# -- a real backtest --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def result() -> Any:
    return run_backtest(
        synthetic_history(12, seed=5), quiet_period=timedelta(days=1), progress=False
    )


def test_a_backtest_notifies_exactly_as_its_alerts_say(result: Any) -> None:
    alerts = result.alerts
    cycles = result.decisions["as_of"].unique().sort()
    severe = ["immediate", "high"]
    plain = sub("plain", severities=severe)
    by_rule = sub("by_rule", group_by=("rule",))
    closes = sub("closes", reasons=["new", "resolved"])
    dry = result.dry_run_notifications([plain, by_rule, closes])
    assert alerts.height > 20 and alerts["resolved_at"].is_not_null().sum() > 5
    assert dry.cycles.equals(cycles.rename("at"))
    n = dry.notifications
    accepted = alerts.filter(pl.col("severity").is_in(severe)).height
    assert n.filter(handler="plain").height == dry.accepted["plain"] == accepted
    pairs = alerts.select("created_at", "rule").unique().height
    assert n.filter(handler="by_rule").height == pairs < alerts.height
    assert n.filter(handler="by_rule")["alerts"].sum() == alerts.height
    closed = alerts["resolved_at"].is_not_null().sum()
    assert n.filter(handler="closes", reason="resolved").height == closed
    # Backtest alerts open and close at cycle instants: each is told at exactly those.
    new = (
        n.filter(reason="new")
        .explode("alert_ids")
        .join(alerts, left_on="alert_ids", right_on="alert_id")
    )
    assert (new["at"] == new["created_at"]).all()
    resolved = (
        n.filter(reason="resolved")
        .explode("alert_ids")
        .join(alerts, left_on="alert_ids", right_on="alert_id")
    )
    # ... except a close because the position left: live learns of it at the next cycle.
    gone = resolved["history"].str.contains(json.dumps(GONE_NOTE), literal=True)
    assert 0 < gone.sum() < resolved.height
    assert (resolved.filter(~gone)["at"] == resolved.filter(~gone)["resolved_at"]).all()
    left = resolved.filter(gone)
    next_cycle = [cycles.filter(cycles > t)[0] for t in left["resolved_at"]]
    assert left["at"].to_list() == next_cycle
    assert n["at"].is_in(cycles.implode()).all()
    assert dry_run_notifications(result, [plain, by_rule, closes]).notifications.equals(n)
    assert dry_run_notifications(
        alerts, [plain, by_rule, closes], cycles=cycles
    ).notifications.equals(n)


# -- bad input --------------------------------------------------------------------------------


def frame() -> pl.DataFrame:
    return alerts_to_frame([alert(0)])


@pytest.mark.parametrize(
    ("source", "subs", "cycles", "message"),
    [
        (
            frame,
            [{"name": "desk"}],
            HOURLY,
            "subscriptions: expected Subscription objects .*got dict",
        ),
        (frame, "desk", HOURLY, "subscriptions: expected Subscription objects, got str"),
        (frame, [], HOURLY, "subscriptions: expected at least one Subscription, got none"),
        (frame, [sub(), sub()], HOURLY, r"subscriptions: expected distinct names, got \['desk'\]"),
        (frame, [sub()], None, "cycles: required with an alerts frame"),
        (frame, [sub()], [], "cycles: expected at least one instant, got none"),
        (
            frame,
            [sub()],
            [T0 + H, T0],
            r"cycles: expected strictly increasing instants; cycle 1"
            r" \(2026-01-05T15:00:00\+00:00\) is not after cycle 0",
        ),
        (frame, [sub()], [T0, T0], "cycles: expected strictly increasing"),
        (frame, [sub()], [T0, "2026-01-05"], "cycles: expected a datetime, got str"),
        (frame, [sub()], T0, "cycles: expected datetimes, got datetime"),
        (
            lambda: frame().drop("severity", "resolved_at"),
            [sub()],
            HOURLY,
            "alerts frame: missing column 'severity'; missing column 'resolved_at'",
        ),
        (
            lambda: [alert(0)],
            [sub()],
            HOURLY,
            "result_or_alerts: expected a BacktestResult or an alerts frame .*got list",
        ),
    ],
)
def test_bad_input_is_refused(source: Any, subs: Any, cycles: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        dry_run_notifications(source(), subs, cycles=cycles)


def test_a_backtest_result_takes_no_cycles(result: Any) -> None:
    with pytest.raises(
        ValidationError, match="cycles: a BacktestResult's cycles are its snapshots' as_of"
    ):
        dry_run_notifications(result, [sub()], cycles=HOURLY)


def test_naive_cycles_are_local_time_and_a_series_works() -> None:
    local = [c.astimezone().replace(tzinfo=None) for c in HOURLY[:3]]
    assert told(run([alert(1)], cycles=local)) == [("new", 1, 1)]
    series = pl.Series(HOURLY[:3], dtype=pl.Datetime("us", "UTC"))
    dry = dry_run_notifications(frame(), sub(), cycles=series)
    assert dry.cycles.to_list() == HOURLY[:3]
    assert repr(dry) == "NotificationDryRun(1 handlers, 3 cycles: 1 notifications)"
    assert dry.cycles.dtype == pl.Datetime("us", "UTC") and HOURLY[0].tzinfo is UTC
