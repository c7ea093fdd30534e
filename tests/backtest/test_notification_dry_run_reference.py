"""The vectorised dry run equals the live rules written out plainly: cycle by cycle, alert by
alert, through ``Subscription.wants`` and ``Subscription.group_of``."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from _factories import T0, an_alert
from hypothesis import given, settings
from hypothesis import strategies as st

from alertkit import Alert
from alertkit.backtest import dry_run_notifications
from alertkit.model.schema import alerts_to_frame
from alertkit.notify.notification import REASONS
from alertkit.notify.subscriptions import Subscription

Row = tuple[str, str, datetime, str | None, int, list[str]]


def reference(alerts: list[Alert], subs: list[Subscription], cycles: list[datetime]) -> list[Row]:
    """The module docstring of alertkit.backtest._due, one cycle at a time."""
    rows: list[tuple[Any, ...]] = []
    last_told: dict[tuple[str, str], datetime] = {}
    previous: datetime | None = None
    for t in cycles:
        for order, sub in enumerate(subs):
            items: list[tuple[str, Alert]] = []
            for a in alerts:
                since = previous is None or a.created_at > previous
                if since and a.created_at <= t:
                    last_told[sub.name, a.alert_id] = t  # the new notification counts, told or not
                    items.append(("new", a))
                closed = a.resolved_at
                if closed is not None and (previous is None or closed > previous) and closed <= t:
                    items.append(("resolved", a))
                open_unacked = (
                    a.created_at <= t
                    and (a.acknowledged_at is None or a.acknowledged_at > t)
                    and (closed is None or closed > t)
                )
                told = last_told.get((sub.name, a.alert_id))
                interval = sub.repeat_interval
                due = open_unacked and told is not None and interval and t - told >= interval
                if due and sub.wants(a, "reminder"):
                    last_told[sub.name, a.alert_id] = t
                    items.append(("reminder", a))
            groups: dict[tuple[str, str | None], list[str]] = {}
            for reason, a in items:
                if not sub.wants(a, reason):  # type: ignore[arg-type]
                    continue
                if sub.group_by is None:  # ungrouped: one notification per alert
                    rows.append((t, order, REASONS.index(reason), None, a.alert_id,
                                 (sub.name, reason, t, None, 1, [a.alert_id])))  # fmt: skip
                else:
                    key = json.dumps(sub.group_of(a), separators=(",", ":"))
                    groups.setdefault((reason, key), []).append(a.alert_id)
            for (reason, key), ids in groups.items():
                ids.sort()
                rows.append((t, order, REASONS.index(reason), key, ids[0],
                             (sub.name, reason, t, key, len(ids), ids)))  # fmt: skip
        previous = t
    return [row[-1] for row in sorted(rows, key=lambda r: r[:5])]


OFFSETS = [0, 0, 0, 15]
GRID_MINUTES = st.builds(
    lambda k, offset: 30 * k + offset, st.integers(0, 30), st.sampled_from(OFFSETS)
)


@st.composite
def cases(draw: st.DrawFn) -> tuple[list[Alert], list[Subscription], list[datetime]]:
    gaps = draw(st.lists(st.sampled_from([30, 60, 60, 90, 240]), min_size=1, max_size=20))
    cycles = [T0]
    for minutes in gaps:
        cycles.append(cycles[-1] + timedelta(minutes=minutes))
    alerts = []
    for sid in range(1, draw(st.integers(0, 12)) + 1):
        # Mostly on the 30-minute grid the cycles lie on, so the boundaries (an alert acknowledged
        # or closed at a cycle instant) come up often; sometimes between cycles.
        created = draw(st.integers(-2, sum(gaps) // 30 + 2)) * 30 + draw(st.sampled_from(OFFSETS))
        ack = draw(st.one_of(st.none(), GRID_MINUTES))
        closed = draw(st.one_of(st.none(), GRID_MINUTES))
        if ack is not None and closed is not None:
            ack = min(ack, closed)
        status = "active" if ack is None else "acknowledged"
        if closed is not None:
            status = draw(st.sampled_from(["resolved", "dismissed"]))
        alerts.append(
            an_alert(
                minutes=created,
                ack_after=ack,
                closed_after=closed,
                status=status,
                strategy_id=sid,
                rule=draw(st.sampled_from(["vix_level", "gamma_risk"])),
                symbol=draw(st.sampled_from(["SPY", "QQQ"])),
                severity=draw(st.sampled_from(["immediate", "high", "normal"])),
                type=draw(st.sampled_from(["critical", "warning", "info"])),
            )
        )
    subs = [
        Subscription.create(
            print,
            name=f"s{i}",
            severities=draw(st.one_of(st.none(), st.just(["immediate", "high"]))),
            types=draw(st.one_of(st.none(), st.just(["warning"]))),
            group_by=draw(st.sampled_from([None, ("rule",), ("rule", "symbol")])),
            repeat_interval=draw(st.sampled_from([None, timedelta(hours=1), timedelta(hours=3)])),
            reasons=draw(
                st.sampled_from([None, ["new", "resolved"], ["new", "reminder", "resolved"]])
            ),
        )
        for i in range(draw(st.integers(1, 3)))
    ]
    return alerts, subs, cycles


@settings(max_examples=150, deadline=None)
@given(cases())
def test_the_dry_run_is_the_live_rules_cycle_by_cycle(
    case: tuple[list[Alert], list[Subscription], list[datetime]],
) -> None:
    alerts, subs, cycles = case
    dry = dry_run_notifications(alerts_to_frame(alerts), subs, cycles=cycles)
    got = dry.notifications.select("handler", "reason", "at", "group", "alerts", "alert_ids")
    assert [tuple(row) for row in got.rows()] == [tuple(r) for r in reference(alerts, subs, cycles)]
