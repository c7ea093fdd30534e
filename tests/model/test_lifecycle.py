"""The lifecycle derivations agree with the history they summarise, and every view that
asks "open?" (the board's counts, the charts) gets one answer, also under time travel."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alertkit import SyncAlertManager
from alertkit.charts._aggregate import open_ages
from alertkit.lake.query import scan_alerts, scan_transitions
from alertkit.live.transitions import _transitioned
from alertkit.model.alerts import Alert, Transition
from alertkit.model.lifecycle import closed_at, dismissed_at, is_open_at, resolution_at, status_at
from alertkit.model.schema import alert_from_row, alert_to_row, alerts_to_frame
from alertkit.model.status import OPEN_STATUSES
from alertkit.widgets._query import BoardFilter, counts_query, page_query
from tests.conftest import T0, StepClock, close_now, position, roll

MINUTE = timedelta(minutes=1)
# Small gaps, zero included: transitions dated at the instant of the one before are allowed.
GAPS = st.integers(0, 3).map(lambda n: n * MINUTE)
ENDINGS = st.sampled_from([None, Transition.RESOLVE, Transition.DISMISS])


@st.composite
def lifecycles(draw: st.DrawFn) -> Alert:
    """One alert: created, maybe acknowledged, maybe resolved or dismissed, each at a
    random instant no earlier than the one before, through the live transition code."""
    n = draw(st.integers(0, 99))
    created = T0 + draw(GAPS) * draw(st.integers(0, 5))
    alert = Alert(
        alert_id=f"a-{n}",
        type="warning",
        severity="high",
        status="active",
        title="t",
        message="m",
        rule="delta_risk",
        symbol="SPY",
        strategy_id=1,
        metadata={},
        created_at=created,
    )
    row = alerts_to_frame([alert]).row(0, named=True)
    at = created
    actions = ([Transition.ACKNOWLEDGE] if draw(st.booleans()) else []) + [
        e for e in [draw(ENDINGS)] if e is not None
    ]
    for action in actions:
        at += draw(GAPS)
        row = alert_to_row(_transitioned(row, action, at, None, None))
    return alert_from_row(row)


def replayed(frame: pl.DataFrame, when: datetime) -> dict[str, str | None]:
    """Each alert's status after replaying its history events at or before ``when``."""
    events = (
        scan_transitions(frame.lazy())
        .filter(pl.col("at") <= when)
        .group_by("alert_id")
        .agg(pl.col("to_status").last())
        .collect()
    )
    found = dict(events.iter_rows())
    return {a: found.get(a) for a in frame["alert_id"]}


@settings(max_examples=200, deadline=None)
@given(
    alerts=st.lists(lifecycles(), min_size=1, max_size=6, unique_by=lambda a: a.alert_id),
    offset=st.integers(-2, 30),
)
def test_status_at_replays_the_history(alerts: list[Alert], offset: int) -> None:
    frame = alerts_to_frame(alerts)
    when = T0 + offset * MINUTE
    derived = frame.select("alert_id", status_at(when), is_open_at(when))
    assert dict(zip(derived["alert_id"], derived["status"], strict=True)) == replayed(frame, when)
    not_yet_created = derived["status"].is_null()
    assert (
        derived["open"].to_list()
        == (derived["status"].is_in(OPEN_STATUSES) & ~not_yet_created).fill_null(False).to_list()
    )
    # Late enough, every event has happened: the stored status, and the when=None form.
    last = T0 + 60 * MINUTE
    stored = frame.select(status_at(last), now=status_at(), open=is_open_at())
    assert stored["status"].to_list() == frame["status"].to_list() == stored["now"].to_list()
    assert stored["open"].to_list() == frame["status"].is_in(OPEN_STATUSES).to_list()


@settings(max_examples=100, deadline=None)
@given(alerts=st.lists(lifecycles(), min_size=1, max_size=6, unique_by=lambda a: a.alert_id))
def test_closing_times_split_resolved_at_by_how(alerts: list[Alert]) -> None:
    frame = alerts_to_frame(alerts).select(
        "status", "resolved_at", closed_at(), dismissed_at(), resolution_at()
    )
    for status, resolved, closed, dismissed, resolution in frame.iter_rows():
        assert closed == resolved
        assert dismissed == (resolved if status == "dismissed" else None)
        assert resolution == (resolved if status == "resolved" else None)


def test_status_at_refuses_what_is_not_an_instant() -> None:
    with pytest.raises(ValueError, match="when: expected a datetime"):
        status_at("2026-01-05")  # type: ignore[arg-type]


def board_and_chart(scan: pl.LazyFrame, when: datetime | None, now: datetime) -> tuple[int, int]:
    """Open alerts by the board's header counts and by the open-age chart's bands."""
    counts = counts_query(scan, BoardFilter(as_of=when), now).collect().row(0, named=True)
    ages, _ = open_ages(scan, now, [timedelta(hours=1)])
    return counts["active"] + counts["acknowledged"], int(ages["alerts"].sum())


def test_board_and_chart_agree_on_an_earlier_version(tmp_path: Path) -> None:
    lake = str(tmp_path / "lake" / "alerts")
    manager = SyncAlertManager(lake, clock=StepClock())
    manager.initialize()
    first = [
        manager.create_alert(close_now(), position(symbol=s, strategy_id=i))
        for i, s in enumerate(["SPY", "QQQ", "IWM", "DIA"], 1)
    ]
    created = manager.version()
    ids = [a.alert_id for a in first if a is not None]
    manager.acknowledge_alert(ids[0], at=T0 + 10 * MINUTE)
    manager.resolve_alert(ids[1], at=T0 + 20 * MINUTE)
    manager.dismiss_alert(ids[2], at=T0 + 30 * MINUTE)
    manager.create_alert(roll(), position(symbol="SPY", strategy_id=9, minutes=40))
    latest = T0 + 50 * MINUTE

    # The table as it was after the creations, read at that version: everything open.
    then = scan_alerts(lake, version=created)
    assert board_and_chart(then, None, latest) == (4, 4)
    assert manager.read_board(created)["status"].to_list() == ["active"] * 4
    # Today's table looked at as of an earlier instant: the stored status says one thing,
    # the instant another; with as_of the board counts what the chart draws.
    now_table = manager.scan_alerts()
    for minute, still_open in [(5, 4), (15, 4), (25, 3), (35, 2), (45, 3)]:
        when = T0 + minute * MINUTE
        assert board_and_chart(now_table, when, when) == (still_open, still_open)
    assert board_and_chart(now_table, None, latest) == (3, 3)
    # The board's rows as of an instant show each alert's status then, and not the later ones.
    every = ("active", "acknowledged", "resolved", "dismissed")
    page = page_query(now_table, BoardFilter(statuses=every, as_of=T0 + 15 * MINUTE)).collect()
    assert dict(page.select("alert_id", "status").iter_rows()) == {
        ids[0]: "acknowledged",
        ids[1]: "active",
        ids[2]: "active",
        ids[3]: "active",
    }
    # The detail view's "dismissed at" is the dismissal's instant, and only there.
    dismissed = (
        manager.read_board()
        .select("alert_id", dismissed_at())
        .filter(pl.col("dismissed_at").is_not_null())
    )
    assert dismissed.rows() == [(ids[2], T0 + 30 * MINUTE)]
