"""One owner per concept (issue 19 item 4): statuses, fingerprint, history events, time to
acknowledge. Each test drives a site that used to write the concept itself and checks that it
now agrees with the owner, by behaviour rather than by reading the source."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

import alertkit
from alertkit.charts._aggregate import response_stats
from alertkit.lake.query import scan_transitions
from alertkit.live.episodes import FINGERPRINT as DECISIONS_FINGERPRINT
from alertkit.live.episodes import GONE_NOTE, resolve_event, resolve_event_expr
from alertkit.model._events import (
    EVENT_STATUSES,
    append_event_expr,
    dumps_history,
    event_json_expr,
    history_event,
    history_json_expr,
)
from alertkit.model.alerts import (
    FINGERPRINT,
    Alert,
    AlertStatus,
    Transition,
    fingerprint_columns,
    next_status,
)
from alertkit.model.errors import InvalidTransitionError, ValidationError
from alertkit.model.lifecycle import is_open_at, time_to_acknowledge_expr
from alertkit.model.schema import OPEN_ROWS, alerts_to_frame, check_alert_frame
from alertkit.model.status import OPEN_STATUSES, TERMINAL_STATUSES
from alertkit.model.triage_stats import time_to_acknowledge
from alertkit.widgets._query import BoardFilter, counts_query, read_counts

T0 = datetime(2026, 1, 5, 14, 30, tzinfo=UTC)


def alert(alert_id: str = "a-1", **fields: object) -> Alert:
    values: dict[str, object] = {
        "alert_id": alert_id,
        "type": "warning",
        "severity": "high",
        "status": "active",
        "title": "VIX above 35",
        "message": "VIX 36",
        "rule": "vix_level",
        "symbol": "SPY",
        "strategy_id": 7,
        "metadata": {},
        "created_at": T0,
    }
    return Alert(**(values | fields))  # type: ignore[arg-type]


# -- statuses ---------------------------------------------------------------------------------


def test_open_and_terminal_statuses_partition_the_lifecycle() -> None:
    values = [s.value for s in AlertStatus]
    assert sorted(OPEN_STATUSES + TERMINAL_STATUSES) == sorted(values)
    assert not set(OPEN_STATUSES) & set(TERMINAL_STATUSES)
    assert tuple(values) == EVENT_STATUSES
    assert OPEN_ROWS == ("status", OPEN_STATUSES)
    assert (alertkit.OPEN_STATUSES, alertkit.TERMINAL_STATUSES) == (
        OPEN_STATUSES,
        TERMINAL_STATUSES,
    )
    for status in AlertStatus:
        assert status.is_open == (status.value in OPEN_STATUSES) != status.is_terminal


@pytest.mark.parametrize("status", list(AlertStatus))
def test_the_model_the_frame_check_and_the_lifecycle_agree_on_open(status: AlertStatus) -> None:
    closed = None if status.is_open else T0 + timedelta(hours=1)
    acked = T0 + timedelta(minutes=5) if status is AlertStatus.ACKNOWLEDGED else None
    one = alert(status=status, resolved_at=closed, acknowledged_at=acked)
    assert one.is_open == status.is_open
    frame = check_alert_frame(alerts_to_frame([one]))
    assert frame.select(is_open_at()).item() == status.is_open
    # The frame check ties resolved_at to the terminal statuses, from the same owner.
    flipped = frame.with_columns(
        resolved_at=pl.lit(None if closed else T0, dtype=frame.schema["resolved_at"])
    )
    wanted = "terminal status without" if closed else "open status with resolved_at"
    with pytest.raises(ValidationError, match=wanted):
        check_alert_frame(flipped)


@pytest.mark.parametrize("status", list(AlertStatus))
def test_a_refused_transition_says_terminal_exactly_for_terminal_statuses(
    status: AlertStatus,
) -> None:
    refused = [
        action
        for action in Transition
        if status.is_terminal
        or (status, action) == (AlertStatus.ACKNOWLEDGED, Transition.ACKNOWLEDGE)
    ]
    for action in refused:
        with pytest.raises(InvalidTransitionError) as info:
            next_status("a-1", status, action)
        assert info.value.terminal == status.is_terminal
        assert ("a terminal state" in str(info.value)) == status.is_terminal
    for action in set(Transition) - set(refused):
        assert next_status("a-1", status, action).is_terminal == (
            action is not Transition.ACKNOWLEDGE
        )


# -- fingerprint ------------------------------------------------------------------------------


def test_fingerprint_has_one_spelling_per_frame_kind() -> None:
    one = alert()
    assert one.fingerprint == tuple(getattr(one, name) for name in FINGERPRINT)
    assert fingerprint_columns() == FINGERPRINT
    assert DECISIONS_FINGERPRINT == fingerprint_columns("trigger") == ("trigger", *FINGERPRINT[1:])


def test_the_frame_check_refuses_a_repeated_open_fingerprint_named_by_the_owner() -> None:
    frame = alerts_to_frame([alert("a-1"), alert("a-2")])
    with pytest.raises(ValidationError, match=r"open fingerprint \(rule, strategy_id, symbol\)"):
        check_alert_frame(frame)
    # A different value in any one fingerprint column makes them two alerts.
    for name, other in zip(FINGERPRINT, ("vix_change", 8, "QQQ"), strict=True):
        check_alert_frame(alerts_to_frame([alert("a-1"), alert("a-2", **{name: other})]))


# -- history events ---------------------------------------------------------------------------

texts = st.none() | st.text(st.characters(exclude_categories=("Cs",)), max_size=20)


@given(
    at=st.datetimes(datetime(1970, 1, 1), datetime(2100, 1, 1), timezones=st.just(UTC)),
    from_status=st.none() | st.sampled_from(OPEN_STATUSES),
    to_status=st.sampled_from(list(AlertStatus)),
    by=texts,
    note=texts,
)
def test_event_expressions_write_what_dumps_history_writes(
    at: datetime, from_status: str | None, to_status: AlertStatus, by: str | None, note: str | None
) -> None:
    at = at.replace(microsecond=at.microsecond)  # polars keeps microseconds
    event = history_event(at, "resolve", from_status, to_status, by, note)
    frame = pl.DataFrame(
        {"at": [at], "from": [from_status]},
        schema={"at": pl.Datetime("us", "UTC"), "from": pl.String()},
    )
    column = frame.select(
        one=event_json_expr(pl.col("at"), "resolve", pl.col("from"), to_status, by, note),
        literal=event_json_expr(pl.col("at"), "resolve", from_status, to_status, by, note),
    )
    assert column["one"].item() == column["literal"].item() == dumps_history([event])[1:-1]
    both = frame.select(
        history_json_expr(
            event_json_expr(pl.col("at"), "resolve", from_status, to_status, by, note),
            event_json_expr(pl.col("at"), "resolve", from_status, to_status, by, note),
        )
    )
    assert both.item() == dumps_history([event, event])


def test_append_event_extends_a_stored_history_as_the_manager_does() -> None:
    create = history_event(T0, "create", None, AlertStatus.ACTIVE, None, None)
    at = T0 + timedelta(hours=2)
    frame = pl.DataFrame(
        {
            "history": [dumps_history([create]), "[]", None],
            "status": ["acknowledged", "active", "active"],
            "resolved_at": [at] * 3,
            "gone": [False, True, False],
        },
        schema_overrides={"resolved_at": pl.Datetime("us", "UTC")},
    )
    quiet = timedelta(hours=1)
    made = frame.select(
        append_event_expr(
            pl.col("history"),
            resolve_event_expr(pl.col("resolved_at"), pl.col("status"), quiet, "backtest"),
        )
    ).to_series()
    expected = [
        dumps_history([create, resolve_event(at, "acknowledged", quiet, "backtest")]),
        dumps_history([resolve_event(at, "active", quiet, "backtest", gone=True)]),
        dumps_history([resolve_event(at, "active", quiet, "backtest")]),
    ]
    assert made.to_list() == expected
    assert json.loads(made[1])[0]["note"] == GONE_NOTE


def test_scan_transitions_reads_what_the_owner_writes() -> None:
    acked = T0 + timedelta(minutes=5)
    one = alert(
        status="acknowledged",
        acknowledged_at=acked,
        history=[
            history_event(T0, "create", None, AlertStatus.ACTIVE, None, None),
            history_event(acked, "acknowledge", "active", AlertStatus.ACKNOWLEDGED, "ann", 'a "q"'),
        ],
    )
    events = scan_transitions(alerts_to_frame([one]).lazy()).collect()
    assert events["at"].to_list() == [T0, acked]
    assert events["to_status"].to_list() == ["active", "acknowledged"]
    assert events["note"].to_list() == [None, 'a "q"']


# -- time to acknowledge ----------------------------------------------------------------------


def test_time_to_acknowledge_is_measured_the_same_everywhere() -> None:
    hours = [1, 3, None]
    alerts = [
        alert(
            f"a-{i}",
            strategy_id=i,
            status="active" if h is None else "acknowledged",
            acknowledged_at=None if h is None else T0 + timedelta(hours=h),
        )
        for i, h in enumerate(hours)
    ]
    frame = alerts_to_frame(alerts)
    owner = frame.select(time_to_acknowledge_expr().median()).item()
    assert owner == timedelta(hours=2)
    stats = time_to_acknowledge(frame, by=(), unit="hours").collect()
    assert stats["median_hours"].item() == pytest.approx(2.0)
    chart = response_stats(frame, "hours").filter(
        pl.col("metric") == "acknowledge", pl.col("stat") == "median"
    )
    assert chart["duration"].item() == pytest.approx(2.0)
    now = T0 + timedelta(days=1)
    counts = read_counts(
        counts_query(frame.lazy(), BoardFilter(), now).collect().row(0, named=True)
    )
    assert counts.median_ack_s == pytest.approx(2 * 3600)
