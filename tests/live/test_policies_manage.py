"""Managing policies on a live manager: silences, inhibitions, snoozes, assignees, policies.

Both managers (the ``either`` fixture), an injected clock, real Delta tables. Every bad
input is a ValidationError (or a subclass) naming the field, and writes nothing: neither the
alerts table nor the policy tables get a new version.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from _factories import book
from _managers import Driver, MakeDriver, ManualClock
from deltalake import DeltaTable

from alertkit import (
    AlertNotFoundError,
    AlertQuery,
    Escalation,
    FlapDetection,
    Inhibition,
    InvalidTransitionError,
    Policies,
    Silence,
    SilenceTooBroadError,
    SnoozeRule,
    ValidationError,
)
from alertkit.live.policy_store import PolicyNotFoundError
from alertkit.model.notification_log import NOTIFICATION_LOG_SCHEMA
from conftest import refused

T9 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
T10, T11 = T9 + timedelta(hours=1), T9 + timedelta(hours=2)
M = timedelta(minutes=1)
COLUMNS = [
    "silence_id",
    "state",
    "matchers",
    "starts_at",
    "ends_at",
    "created_by",
    "comment",
    "created_at",
    "expired_at",
    "expired_by",
    "suppressed_alerts",
    "suppressed_notifications",
]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T9)


@pytest.fixture
def live(either: MakeDriver, clock: ManualClock) -> Driver:
    return either(clock=clock)


def versions(driver: Driver) -> dict[str, int | None]:
    """The version of the alerts table and of each policy table (None: not created)."""
    store = driver.core.policy_store
    uris = {
        "alerts": driver.core.store.uri,
        "silences": store.silence_table.uri,
        "inhibitions": store.inhibition_table.uri,
        "flaps": store.flap_table.uri,
    }
    return {
        name: DeltaTable(uri).version() if DeltaTable.is_deltatable(uri) else None
        for name, uri in uris.items()
    }


@contextmanager
def nothing_written(driver: Driver) -> Iterator[None]:
    before = versions(driver)
    yield
    assert versions(driver) == before


def silence_row(silence: Silence, state: str, alerts: int = 0, told: int = 0) -> dict[str, Any]:
    return {
        "silence_id": silence.silence_id,
        "state": state,
        "matchers": silence.match.to_json(),
        "starts_at": silence.starts_at,
        "ends_at": silence.ends_at,
        "created_by": silence.created_by,
        "comment": silence.comment,
        "created_at": silence.created_at,
        "expired_at": silence.expired_at,
        "expired_by": silence.expired_by,
        "suppressed_alerts": alerts,
        "suppressed_notifications": told,
    }


def rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    assert frame.columns == COLUMNS
    assert frame.schema["suppressed_alerts"] == pl.Int64
    return frame.to_dicts()


# -- silences ------------------------------------------------------------------------------


def test_a_silence_is_pending_then_active_then_expired(live: Driver, clock: ManualClock) -> None:
    silence = live.create_silence(
        {"symbol": "SPY"}, starts_at=T10, ends_at=T11, created_by="ana", comment="FOMC"
    )
    assert (silence.starts_at, silence.ends_at, silence.created_at) == (T10, T11, T9)
    assert silence.match.to_json() == '{"symbol":"SPY"}'
    assert rows(live.list_silences()) == [silence_row(silence, "pending")]
    assert live.list_silences(active_at=T9 + 30 * M).is_empty()
    assert rows(live.list_silences(active_at=T10)) == [silence_row(silence, "active")]
    clock.now = T10 + 30 * M
    assert rows(live.list_silences()) == [silence_row(silence, "active")]
    clock.now = T11
    assert live.list_silences().is_empty()
    assert rows(live.list_silences(include_expired=True)) == [silence_row(silence, "expired")]
    # a time in the past still shows what was active then
    assert rows(live.list_silences(active_at=T11 - M)) == [silence_row(silence, "active")]


def test_duration_and_default_start(live: Driver) -> None:
    by_seconds = live.create_silence(
        {"rule": "vix_level"}, duration=90, created_by="a", comment="c"
    )
    by_delta = live.create_silence(
        {"rule": "vix_level"}, duration=timedelta(hours=2), created_by="a", comment="c"
    )
    assert (by_seconds.starts_at, by_seconds.ends_at) == (T9, T9 + timedelta(seconds=90))
    assert (by_delta.starts_at, by_delta.ends_at) == (T9, T11)
    listed = live.list_silences()
    # by starts_at, then id
    assert listed["silence_id"].to_list() == sorted([by_seconds.silence_id, by_delta.silence_id])
    assert listed["state"].to_list() == ["active", "active"]


def log_suppressed(driver: Driver, alert_ids: list[str], error: str) -> None:
    """Log rows as the delivery worker writes for notifications a stage muted."""
    driver.core.log_store.append(
        pl.DataFrame(
            [
                {
                    "entry_id": str(uuid.uuid4()),
                    "at": T10,
                    "alert_id": alert_id,
                    "handler": "desk",
                    "reason": "new",
                    "outcome": "suppressed",
                    "attempts": 0,
                    "error": error,
                    "notification_id": str(uuid.uuid4()),
                    "group": None,
                    "due_at": T10,
                    "date": T10.date(),
                }
                for alert_id in alert_ids
            ],
            schema=NOTIFICATION_LOG_SCHEMA,
        )
    )


def test_counts_of_what_a_silence_suppressed(live: Driver, clock: ManualClock) -> None:
    spy = live.create_silence(
        {"symbol": "SPY"}, starts_at=T10, ends_at=T11, created_by="ana", comment="FOMC"
    )
    qqq = live.create_silence(
        {"symbol": "QQQ"}, starts_at=T10, ends_at=T11, created_by="ana", comment="quiet"
    )
    # strategies 0 SPY, 1 QQQ, 2 IWM, then 3 SPY, 4 QQQ, 5 IWM, then 6 SPY ...
    live.run_cycle(book(3, at=T9 + 30 * M), notify=False)  # before the window
    pending = [silence_row(spy, "pending"), silence_row(qqq, "pending")]
    assert rows(live.list_silences()) == sorted(pending, key=lambda r: r["silence_id"])
    clock.now = T10 + 30 * M
    inside = live.run_cycle(book(6, at=T10 + 30 * M), notify=False)
    clock.now = T11 + 30 * M
    live.run_cycle(book(9, at=T11 + 30 * M), notify=False)  # after it
    board = live.read_board()
    silenced = dict(zip(board["strategy_id"], board["silenced_by"], strict=True))
    # the repeats (0, 1) and the new alerts (3, 4) inside the window; nothing else
    assert silenced == {
        0: spy.silence_id,
        1: qqq.silence_id,
        2: None,
        3: spy.silence_id,
        4: qqq.silence_id,
        5: None,
        6: None,
        7: None,
        8: None,
    }
    by_sid = {a.strategy_id: a.alert_id for a in inside.new_alerts + inside.repeats}
    log_suppressed(live, [by_sid[0], by_sid[3]], f"silence: {spy.silence_id}")
    log_suppressed(live, [by_sid[1]], f"inhibition: {by_sid[0]}")  # not a silence's
    listed = live.list_silences(include_expired=True)
    expected = [
        silence_row(spy, "expired", alerts=2, told=2),
        silence_row(qqq, "expired", alerts=2, told=0),
    ]
    assert rows(listed) == sorted(expected, key=lambda r: r["silence_id"])


def test_expiring_a_silence_ends_it_now_and_keeps_it(live: Driver, clock: ManualClock) -> None:
    silence = live.create_silence(
        {"symbol": "SPY"}, starts_at=T9, ends_at=T11, created_by="ana", comment="FOMC"
    )
    clock.now = T10
    expired = live.expire_silence(silence.silence_id, by="bob")
    assert (expired.starts_at, expired.ends_at, expired.expired_at, expired.expired_by) == (
        T9,
        T10,
        T10,
        "bob",
    )
    assert live.list_silences().is_empty()
    assert rows(live.list_silences(include_expired=True)) == [silence_row(expired, "expired")]
    assert live.core.policy_store.silences() == [expired]


def test_expiring_a_pending_silence_leaves_an_empty_window(
    live: Driver, clock: ManualClock
) -> None:
    silence = live.create_silence(
        {"symbol": "SPY"}, starts_at=T10, ends_at=T11, created_by="ana", comment="FOMC"
    )
    expired = live.expire_silence(silence.silence_id)
    assert (expired.starts_at, expired.ends_at, expired.expired_at) == (T9, T9, T9)
    assert live.list_silences().is_empty()
    clock.now = T10 + M
    assert live.list_silences(include_expired=True)["state"].to_list() == ["expired"]
    assert live.list_silences(active_at=T10 + M).is_empty()


def test_silences_matching_an_alert(live: Driver, clock: ManualClock) -> None:
    [alert, *_] = live.run_cycle(book(2, at=T9), notify=False).new_alerts  # strategy 0, SPY
    spy = live.create_silence(
        {"symbol": "SPY"}, duration=60, created_by="a", comment="c", confirm=True
    )
    clock.now = T9 + 5 * M
    vix = live.create_silence(
        {"rule": "=~vix_.*"}, duration=3600, created_by="a", comment="c", confirm=True
    )
    live.create_silence({"symbol": "QQQ"}, duration=3600, created_by="a", comment="c", confirm=True)
    live.create_silence(
        {"symbol": "SPY", "strategy_id": "!=0"},
        duration=3600,
        created_by="a",
        comment="c",
        confirm=True,
    )
    matching = live.silences_matching(alert.alert_id)
    assert [s.silence_id for s in matching] == [spy.silence_id, vix.silence_id]
    # the first one ended at T9 + 1 min
    assert live.silences_matching(alert.alert_id, include_expired=False) == [vix]
    refused(lambda: live.silences_matching("no-such-alert"), AlertNotFoundError, "no alert")


def test_a_too_broad_silence_is_refused_then_confirmed(live: Driver) -> None:
    live.run_cycle(book(20, at=T9), notify=False)
    first_twelve = {"strategy_id": "=~[0-9]|1[01]"}
    with nothing_written(live):
        too_broad = refused(
            lambda: live.create_silence(
                first_twelve, duration=600, created_by="ana", comment="too much"
            ),
            SilenceTooBroadError,
            "matchers: the silence matches 12 of 20 open alerts (60%), more than max_share"
            " 50%; pass confirm=True to create it",
        )
        assert isinstance(too_broad, SilenceTooBroadError)
        assert (too_broad.matched, too_broad.total, too_broad.max_share) == (12, 20, 0.5)
        refused(
            lambda: live.create_silence(
                {"rule": "*"}, duration=600, created_by="ana", comment="all", max_share=0.9
            ),
            SilenceTooBroadError,
            "matchers: the silence matches 20 of 20 open alerts (100%), more than max_share 90%",
        )
    # at the limit is not more than it
    half = live.create_silence(
        {"strategy_id": "=~[0-9]"}, duration=600, created_by="ana", comment="half"
    )
    confirmed = live.create_silence(
        first_twelve, duration=600, created_by="ana", comment="on purpose", confirm=True
    )
    assert sorted(s.silence_id for s in live.core.policy_store.silences()) == sorted(
        [half.silence_id, confirmed.silence_id]
    )
    # acknowledged alerts are open, closed ones are not: 12 of the 12 open
    by_strategy = {a.strategy_id: a.alert_id for a in live.query_alerts(AlertQuery(limit=20))}
    live.acknowledge_alerts([by_strategy[i] for i in range(6)])
    live.resolve_alerts([by_strategy[i] for i in range(12, 20)])
    refused(
        lambda: live.create_silence(first_twelve, duration=60, created_by="a", comment="c"),
        ValidationError,
        "matchers: the silence matches 12 of 12 open alerts (100%)",
    )


def test_no_open_alerts_never_makes_a_silence_too_broad(live: Driver) -> None:
    silence = live.create_silence({"rule": "*"}, duration=60, created_by="a", comment="c")
    assert live.list_silences()["silence_id"].to_list() == [silence.silence_id]


def _silence(**changes: Any) -> Callable[[Driver], object]:
    arguments: dict[str, Any] = {
        "matchers": {"symbol": "SPY"},
        "duration": 600,
        "created_by": "ana",
        "comment": "FOMC",
    }
    arguments.update(changes)
    matchers = arguments.pop("matchers")
    return lambda live: live.create_silence(matchers, **arguments)


BAD_SILENCES = [
    (
        _silence(duration=None, starts_at=T10, ends_at=T10 - M),
        "ends_at: a silence must end after it starts; got ends_at 2026-01-05T09:59:00+00:00"
        " <= starts_at 2026-01-05T10:00:00+00:00",
    ),
    (_silence(matchers={}), "matchers: empty; a silence needs at least one matcher"),
    (_silence(matchers={"colour": "red"}), "matchers: unknown field 'colour'; expected some of"),
    (
        _silence(matchers={"rule": "=~vix_(level"}),
        "matchers['rule']: invalid regular expression 'vix_(level'",
    ),
    (_silence(matchers={"symbol": "=~"}), "matchers['symbol']: the value after '=~' is empty"),
    (_silence(matchers="SPY"), "matchers: expected a dict of field to value"),
    (_silence(ends_at=T11), "ends_at, duration: expected exactly one of them"),
    (_silence(duration=None), "ends_at, duration: expected exactly one of them"),
    (_silence(duration=-5), "duration: expected a positive length of time, got -5"),
    (_silence(duration=float("nan")), "duration: expected a positive length of time"),
    (_silence(duration="1h"), "duration: expected a timedelta or a number of seconds"),
    (
        _silence(duration=None, starts_at=T9 - timedelta(hours=2), ends_at=T9 - M),
        "ends_at: 2026-01-05T08:59:00+00:00 is not after now (2026-01-05T09:00:00+00:00)",
    ),
    (_silence(created_by=" "), "created_by: expected a non-empty string, got ' '"),
    (_silence(comment=None), "comment: expected a str, got None"),
    (_silence(max_share=0), "max_share: expected a number in (0, 1], got 0"),
    (_silence(max_share=1.5), "max_share: expected a number in (0, 1], got 1.5"),
    (_silence(confirm="yes"), "confirm: expected True or False, got 'yes'"),
    (_silence(starts_at="10:00"), "starts_at: expected a datetime, got str '10:00'"),
]


@pytest.mark.parametrize(("call", "message"), BAD_SILENCES)
def test_a_bad_silence_is_refused_and_writes_nothing(
    live: Driver, call: Callable[[Driver], object], message: str
) -> None:
    live.create_silence({"symbol": "QQQ"}, duration=60, created_by="a", comment="c")
    with nothing_written(live):
        refused(lambda: call(live), ValidationError, message)
    assert len(live.core.policy_store.silences()) == 1


def test_expiring_an_unknown_or_expired_silence_is_refused(
    live: Driver, clock: ManualClock
) -> None:
    silence = live.create_silence({"symbol": "SPY"}, duration=600, created_by="a", comment="c")
    with nothing_written(live):
        refused(
            lambda: live.expire_silence("sil-000000000000"),
            PolicyNotFoundError,
            "silence_id: no silence 'sil-000000000000' is stored",
        )
        refused(
            lambda: live.expire_silence("inh-000000000000"),
            ValidationError,
            "silence_id: expected an id like 'sil-0123456789ab', got 'inh-000000000000'",
        )
        refused(
            lambda: live.expire_silence(silence.silence_id, by="\udcff"),
            ValidationError,
            "by: expected valid Unicode text",
        )
    clock.now = T9 + M
    live.expire_silence(silence.silence_id)
    clock.now = T9 + 2 * M
    with nothing_written(live):
        refused(
            lambda: live.expire_silence(silence.silence_id),
            ValidationError,
            f"silence_id: silence {silence.silence_id} already ended at 2026-01-05T09:01:00+00:00",
        )


def test_list_silences_refuses_bad_arguments(live: Driver) -> None:
    refused(lambda: live.list_silences(active_at="now"), ValidationError, "active_at: expected")
    refused(
        lambda: live.list_silences(include_expired=1),
        ValidationError,
        "include_expired: expected True or False, got 1",
    )


# -- inhibitions ---------------------------------------------------------------------------


def test_inhibitions_are_created_listed_and_expired(live: Driver, clock: ManualClock) -> None:
    now = live.create_inhibition(
        {"rule": "catastrophe_*"},
        {"type": "warning"},
        ["symbol"],
        created_by="risk",
        comment="a crash alert says it all",
    )
    later = live.create_inhibition(
        {"severity": "immediate"},
        {"severity": "low"},
        created_by="risk",
        comment="noise",
        starts_at=T10,
        ends_at=T11,
    )
    assert (now.starts_at, now.ends_at, now.created_at, now.equal) == (T9, None, T9, ("symbol",))
    listed = live.list_inhibitions()
    assert listed.columns == [
        "inhibition_id",
        "state",
        "source_matchers",
        "target_matchers",
        "equal",
        "starts_at",
        "ends_at",
        "created_by",
        "comment",
        "created_at",
        "expired_at",
        "expired_by",
    ]
    assert listed.select("inhibition_id", "state", "source_matchers", "equal").rows() == [
        (now.inhibition_id, "active", '{"rule":"catastrophe_*"}', "symbol"),
        (later.inhibition_id, "pending", '{"severity":"immediate"}', ""),
    ]
    clock.now = T10 + M
    expired = live.expire_inhibition(now.inhibition_id, by="ana")
    assert (expired.ends_at, expired.expired_at, expired.expired_by) == (T10 + M, T10 + M, "ana")
    assert live.list_inhibitions()["inhibition_id"].to_list() == [later.inhibition_id]
    assert live.list_inhibitions(include_expired=True)["state"].to_list() == ["expired", "active"]
    with nothing_written(live):
        refused(
            lambda: live.expire_inhibition(now.inhibition_id),
            ValidationError,
            f"inhibition_id: inhibition {now.inhibition_id} already ended at",
        )
        refused(
            lambda: live.expire_inhibition("inh-0123456789ab"),
            PolicyNotFoundError,
            "inhibition_id: no inhibition 'inh-0123456789ab' is stored",
        )
    stored = sorted(live.core.policy_store.inhibitions(), key=lambda i: i.inhibition_id)
    assert stored == sorted([expired, later], key=lambda i: i.inhibition_id)


BAD_INHIBITIONS = [
    ({"source_matchers": {}}, "source_matchers: empty"),
    ({"target_matchers": {"colour": "x"}}, "target_matchers: unknown field 'colour'"),
    ({"equal": ["colour"]}, "equal: unknown fields ['colour']"),
    ({"equal": "symbol"}, "equal: expected a list of fields, got 'symbol'"),
    ({"created_by": ""}, "created_by: expected a non-empty string"),
    ({"ends_at": T9 - M}, "ends_at: a inhibition must end after it starts"),
    ({"starts_at": T9 - timedelta(hours=1), "ends_at": T9}, "ends_at: 2026-01-05T09:00:00+00:00"),
]


@pytest.mark.parametrize(("changes", "message"), BAD_INHIBITIONS)
def test_a_bad_inhibition_is_refused_and_writes_nothing(
    live: Driver, changes: dict[str, Any], message: str
) -> None:
    arguments: dict[str, Any] = {
        "source_matchers": {"rule": "catastrophe_drop"},
        "target_matchers": {"type": "warning"},
        "equal": (),
        "created_by": "risk",
        "comment": "c",
        **changes,
    }
    source, target, equal = (
        arguments.pop(k) for k in ("source_matchers", "target_matchers", "equal")
    )
    with nothing_written(live):
        refused(
            lambda: live.create_inhibition(source, target, equal, **arguments),
            ValidationError,
            message,
        )


# -- one alert: snooze and assign ------------------------------------------------------------


def event(at: datetime, action: str, by: str | None, note: str | None) -> dict[str, Any]:
    stamp = at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return {"at": stamp, "action": action, "from": "active", "to": "active", "by": by, "note": note}


def test_snooze_alert_sets_the_snooze_and_writes_the_event(
    live: Driver, clock: ManualClock
) -> None:
    [alert] = live.run_cycle(book(1, at=T9), notify=False).new_alerts
    clock.now = T9 + 5 * M
    snoozed = live.snooze_alert(alert.alert_id, until=T11, by="ana", note="after the FOMC")
    assert (snoozed.snoozed_at, snoozed.snoozed_until, snoozed.status.value) == (
        T9 + 5 * M,
        T11,
        "active",
    )
    assert snoozed.history[1:] == [
        event(T9 + 5 * M, "snooze", "ana", "until 2026-01-05T11:00:00.000000Z; after the FOMC")
    ]
    assert live.get_alert(alert.alert_id) == snoozed
    # snoozed again: the new snooze replaces it; no note of the user's
    clock.now = T10
    again = live.snooze_alert(alert.alert_id, until=T10 + 10 * M)
    assert (again.snoozed_at, again.snoozed_until) == (T10, T10 + 10 * M)
    assert again.history[-1] == event(T10, "snooze", None, "until 2026-01-05T10:10:00.000000Z")
    board = live.read_board()
    assert board.select("revision", "occurrences").rows() == [(2, 1)]


def test_a_snooze_is_refused_and_writes_nothing(live: Driver, clock: ManualClock) -> None:
    [alert, closed] = live.run_cycle(book(2, at=T9), notify=False).new_alerts
    live.resolve_alert(closed.alert_id)
    clock.now = T10
    with nothing_written(live):
        refused(
            lambda: live.snooze_alert(alert.alert_id, until=T10 - M),
            ValidationError,
            "until: 2026-01-05T09:59:00+00:00 is not after now (2026-01-05T10:00:00+00:00)",
        )
        refused(
            lambda: live.snooze_alert(alert.alert_id, until=T10),
            ValidationError,
            "until: 2026-01-05T10:00:00+00:00 is not after now",
        )
        refused(
            lambda: live.snooze_alert(alert.alert_id, until="tomorrow"),
            ValidationError,
            "until: expected a datetime, got str 'tomorrow'",
        )
        refused(
            lambda: live.snooze_alert(12, until=T11),
            ValidationError,
            "alert_id: expected a str, got int 12",
        )
        # an id no alert can have is not found, and the message says it is malformed
        refused(
            lambda: live.snooze_alert("bad id!", until=T11),
            AlertNotFoundError,
            "no alert with alert_id='bad id!' (not an alert id: letters, digits and ._:- only,"
            " 1-128 characters)",
        )
        refused(
            lambda: live.snooze_alert(closed.alert_id, until=T11),
            InvalidTransitionError,
            f"cannot snooze alert '{closed.alert_id}': its status is 'resolved'",
        )
        refused(
            lambda: live.snooze_alert(alert.alert_id, until=T11, note="\udcff"),
            ValidationError,
            "note: expected valid Unicode text",
        )


def test_assign_alert_and_query_by_assignee(live: Driver, clock: ManualClock) -> None:
    first, second, third = live.run_cycle(book(3, at=T9), notify=False).new_alerts
    clock.now = T9 + M
    assigned = live.assign_alert(first.alert_id, "  ana ", by="lead", note="FOMC desk")
    assert assigned.assignee == "ana"
    assert assigned.history[-1] == event(T9 + M, "assign", "lead", "assigned to ana; FOMC desk")
    live.assign_alert(second.alert_id, "ana")
    live.assign_alert(third.alert_id, "bob")
    ids = {a.alert_id for a in live.query_alerts(AlertQuery(assignee="ana"))}
    assert ids == {first.alert_id, second.alert_id}
    assert [a.alert_id for a in live.query_alerts(AlertQuery(assignee=" bob"))] == [third.alert_id]
    assert live.query_alerts(AlertQuery(assignee="Ana")) == []
    clock.now = T9 + 2 * M
    unassigned = live.assign_alert(second.alert_id, None, by="ana")
    assert unassigned.assignee is None
    assert unassigned.history[-1] == event(T9 + 2 * M, "assign", "ana", "unassigned")
    assert [a.alert_id for a in live.query_alerts(AlertQuery(assignee="ana"))] == [first.alert_id]
    # a closed alert keeps its owner and can be given one
    live.resolve_alert(third.alert_id)
    assert live.assign_alert(third.alert_id, "carl").assignee == "carl"


@pytest.mark.parametrize(
    ("assignee", "message"),
    [
        ("   ", "assignee: expected a non-empty string, got '   '"),
        ("x" * 201, "assignee: expected at most 200 characters, got 201"),
        (7, "assignee: expected a str or None, got int 7"),
    ],
)
def test_a_bad_assignee_is_refused_and_writes_nothing(
    live: Driver, assignee: object, message: str
) -> None:
    [alert] = live.run_cycle(book(1, at=T9), notify=False).new_alerts
    with nothing_written(live):
        refused(lambda: live.assign_alert(alert.alert_id, assignee), ValidationError, message)
    refused(lambda: AlertQuery(assignee=assignee), ValidationError, message)  # type: ignore[arg-type]


# -- in-process policies ---------------------------------------------------------------------


def test_set_policies_takes_the_in_process_ones(live: Driver) -> None:
    assert live.policies == Policies()
    policies = Policies(
        snoozes=[SnoozeRule({"type": "info"}, timedelta(hours=1))],
        flapping=FlapDetection(3, 10),
        escalation=Escalation({"immediate": timedelta(minutes=5)}, handlers=["pager"]),
    )
    live.set_policies(policies)
    assert live.policies is policies
    assert live.core.policies is policies


@pytest.mark.parametrize(
    ("policies", "message"),
    [
        (
            Policies(silences=[Silence({"symbol": "SPY"}, T9, T10, "ana", "c")]),
            "policies: silences and inhibitions are not set here; store them with"
            " create_silence/create_inhibition: live silences are shared through the lake",
        ),
        (
            Policies(inhibitions=[Inhibition({"rule": "a"}, {"rule": "b"})]),
            "policies: silences and inhibitions are not set here",
        ),
        (Policies(ack_delay=timedelta(minutes=5)), "policies: ack_delay simulates a desk"),
        ({"flapping": True}, "policies: expected a Policies, got dict"),
    ],
)
def test_set_policies_refuses_what_lives_in_the_lake_or_the_replay(
    live: Driver, policies: object, message: str
) -> None:
    before = live.policies
    refused(lambda: live.set_policies(policies), ValidationError, message)
    assert live.policies is before


def test_policy_tables_live_beside_the_alerts(live: Driver, tmp_path: Path) -> None:
    live.create_silence({"symbol": "SPY"}, duration=60, created_by="a", comment="c")
    assert DeltaTable.is_deltatable(str(tmp_path / "lake" / "alerts_silences"))
