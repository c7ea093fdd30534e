"""Alert, AlertQuery, Decision and PositionSnapshot: fields, parsing and validation messages."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta, timezone
from functools import partial

import polars as pl
import pytest
from _factories import an_alert

from alertkit import (
    AlertQuery,
    AlertSeverity,
    AlertStatus,
    AlertType,
    Decision,
    DecisionAction,
    PositionSnapshot,
    Urgency,
    ValidationError,
)
from alertkit.model._events import (
    EVENT_ACTIONS,
    EVENT_STATUSES,
    EVENT_TIME_FORMAT,
    EVENT_TIME_FORMAT_POLARS,
)
from alertkit.model._ids import created_date_of, new_alert_id
from alertkit.model._text import WHITESPACE, check_free_text
from alertkit.model.alerts import MAX_QUERY_LIMIT, SEVERITY_ORDER, Transition

SEED_CHECK = (
    "from alertkit import Alert, AlertType, AlertSeverity, AlertStatus; "
    "from datetime import datetime; "
    "print(Alert(alert_id='test-123', type=AlertType.WARNING, severity=AlertSeverity.HIGH, "
    "status=AlertStatus.ACTIVE, title='Delta limit approaching', "
    "message='SPY portfolio delta at 0.28, limit is 0.30', rule='delta_risk', symbol='SPY', "
    "strategy_id=123, metadata={'delta': 0.28, 'limit': 0.30}, created_at=datetime.now()))"
)


# A portfolio-delta warning with a fixed id, unless a test says otherwise.
make_alert = partial(
    an_alert,
    alert_id="a-1",
    type=AlertType.WARNING,
    severity=AlertSeverity.HIGH,
    status=AlertStatus.ACTIVE,
    title="Delta limit approaching",
    message="SPY portfolio delta at 0.28",
    rule="delta_risk_portfolio",
    strategy_id=123,
    metadata={"delta": 0.28},
)


def test_seed_check_runs() -> None:
    out = subprocess.run([sys.executable, "-c", SEED_CHECK], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("Alert(alert_id='test-123', type=<AlertType.WARNING: 'warning'>")
    assert "tzinfo=datetime.timezone.utc" in out.stdout


def test_enums_store_lowercase_and_parse_any_case() -> None:
    alert = make_alert(
        type="CRITICAL",
        severity="Immediate",
        status="acknowledged",
        acknowledged_at=datetime(2026, 1, 5, 15, 1, tzinfo=UTC),
    )
    assert (alert.type, alert.severity, alert.status) == (
        AlertType.CRITICAL,
        AlertSeverity.IMMEDIATE,
        AlertStatus.ACKNOWLEDGED,
    )
    assert [m.value for m in AlertStatus] == ["active", "acknowledged", "resolved", "dismissed"]
    assert [m.value for m in AlertType] == ["info", "warning", "critical"]
    assert [m.value for m in AlertSeverity] == ["immediate", "high", "normal", "low"]


def test_one_severity_order_most_urgent_first() -> None:
    assert SEVERITY_ORDER == ("immediate", "high", "normal", "low")
    ranked = sorted(AlertSeverity, key=lambda s: s.rank, reverse=True)
    assert [s.value for s in ranked] == list(SEVERITY_ORDER)
    assert (AlertSeverity.IMMEDIATE.rank, AlertSeverity.LOW.rank) == (3, 0)


def test_event_times_are_written_and_read_in_one_format() -> None:
    at = datetime(2026, 1, 5, 15, 0, 0, 123456, tzinfo=UTC)
    text = at.strftime(EVENT_TIME_FORMAT)
    assert text == "2026-01-05T15:00:00.123456Z"
    column = pl.Series([at]).dt.strftime(EVENT_TIME_FORMAT_POLARS)
    assert column.to_list() == [text]
    parsed = column.str.strptime(pl.Datetime("us"), EVENT_TIME_FORMAT_POLARS)
    assert parsed.dt.replace_time_zone("UTC").to_list() == [at]


def test_naive_datetime_is_local_time_stored_as_utc() -> None:
    naive = datetime(2026, 1, 5, 10, 0)
    alert = make_alert(created_at=naive)
    assert alert.created_at.tzinfo is UTC
    assert alert.created_at == naive.astimezone()  # same instant as local 10:00


def test_aware_datetime_is_converted_to_utc() -> None:
    eastern = timezone(timedelta(hours=-5))
    alert = make_alert(created_at=datetime(2026, 1, 5, 10, 0, tzinfo=eastern))
    assert alert.created_at == datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
    assert alert.created_at.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"type": "urgent"},
            "type: expected one of info, warning, critical (any case), got 'urgent'",
        ),
        (
            {"severity": 3},
            "severity: expected one of immediate, high, normal, low (any case), got 3",
        ),
        ({"status": None}, "status: expected one of active, acknowledged, resolved, dismissed"),
        ({"title": "  "}, "title: expected a non-empty string, got '  '"),
        ({"title": 5}, "title: expected a str, got int 5"),
        ({"rule": ""}, "rule: expected a non-empty string, got ''"),
        ({"strategy_id": "123"}, "strategy_id: expected an int or None, got str '123'"),
        ({"strategy_id": True}, "strategy_id: expected an int or None, got bool True"),
        (
            {"strategy_id": 2**63},
            "strategy_id: expected a value within int64, got 9223372036854775808",
        ),
        ({"metadata": [1]}, "metadata: expected a dict, got list [1]"),
        ({"created_at": "2026-01-05"}, "created_at: expected a datetime, got str '2026-01-05'"),
        ({"alert_id": "x' OR '1'='1"}, "alert_id: expected 1-128 letters, digits or '._:-'"),
        # Python's $ matched before a trailing newline, so "a-1\n" was accepted.
        ({"alert_id": "a-1\n"}, "alert_id: expected 1-128 letters, digits or '._:-'"),
        ({"title": "x" * 10_001}, "title: expected at most 10000 characters, got 10001"),
        ({"symbol": "\x1f"}, "symbol: expected a non-empty string, got '\\x1f'"),
        (
            {"symbol": "SP\udcff"},
            "symbol: expected valid Unicode text, got a lone surrogate '\\udcff' at position 2",
        ),
        (
            {"message": "\ud800"},
            "message: expected valid Unicode text, got a lone surrogate '\\ud800' at position 0",
        ),
        ({"engine_rule": " "}, "engine_rule: expected a non-empty string, got ' '"),
        (
            {"created_at": datetime(1969, 12, 31, 23, 59, tzinfo=UTC)},
            "created_at: expected an instant from 1970-01-01 00:00:00 to 9999-12-31"
            " 23:59:59.999999 UTC (the range alert ids can encode), got 1969-12-31T23:59:00+00:00",
        ),
        ({"rule_priority": float("inf")}, "rule_priority: expected a finite number or None"),
        ({"history": "[]"}, "history: expected a list of events, got str '[]'"),
        ({"history": [{"action": "create"}]}, "history[0]['at']: expected a real UTC instant"),
        (
            {
                "history": [
                    {"at": "2026-02-30T15:00:00.000000Z", "action": "create", "to": "active"}
                ]
            },
            "history[0]['at']: expected a real UTC instant written like"
            " '2026-01-05T15:00:00.000000Z', got '2026-02-30T15:00:00.000000Z'",
        ),
        (
            {
                "history": [
                    {"at": "2026-01-05T15:00:00.000000Z", "action": "escalate", "to": "active"}
                ]
            },
            "history[0]['action']: expected one of create, acknowledge, resolve, dismiss,"
            " snooze, assign",
        ),
        (
            {"history": [{"at": "2026-01-05T15:00:00.000000Z", "action": "create", "to": "x"}]},
            "history[0]['to']: expected one of active, acknowledged, resolved, dismissed, got 'x'",
        ),
        (
            {
                "history": [
                    {
                        "at": "2026-01-05T15:00:00.000000Z",
                        "action": "create",
                        "to": "active",
                        "by": "\udcff",
                    }
                ]
            },
            "by: expected valid Unicode text, got a lone surrogate",
        ),
        (
            {
                "history": [
                    {
                        "at": "2026-01-05T15:00:00.000000Z",
                        "action": "create",
                        "to": "active",
                        "extra": 1,
                    }
                ]
            },
            "history[0]: unexpected keys ['extra']",
        ),
        (
            {"status": "resolved"},
            "resolved_at: expected a datetime for status 'resolved', got None",
        ),
        (
            {"resolved_at": datetime(2026, 1, 6, tzinfo=UTC)},
            "resolved_at: expected None for status 'active'",
        ),
        (
            {"status": "acknowledged"},
            "acknowledged_at: expected a datetime for status 'acknowledged'",
        ),
        ({"occurrences": 0}, "occurrences: expected >= 1, got 0"),
    ],
)
def test_alert_validation_names_field_expected_and_got(
    changes: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError) as info:
        make_alert(**changes)
    assert str(info.value).startswith(message)


def test_alert_query_defaults_and_validation() -> None:
    q = AlertQuery()
    assert (q.symbol, q.strategy_id, q.status, q.type, q.severity, q.limit) == (
        None,
        None,
        None,
        None,
        None,
        100,
    )
    assert AlertQuery(status="ACTIVE").status is AlertStatus.ACTIVE
    with pytest.raises(
        ValidationError, match=r"^limit: expected a positive int up to 4294967295, got 0$"
    ):
        AlertQuery(limit=0)
    assert AlertQuery(limit=2**32 - 1).limit == MAX_QUERY_LIMIT
    with pytest.raises(ValidationError, match=r"^start_time: expected <= end_time"):
        AlertQuery(
            start_time=datetime(2026, 2, 1, tzinfo=UTC), end_time=datetime(2026, 1, 1, tzinfo=UTC)
        )
    with pytest.raises(ValidationError, match=r"^symbol: expected a str or None, got int 5$"):
        AlertQuery(symbol=5)  # type: ignore[arg-type]


def test_decision_fields_and_hold() -> None:
    d = Decision(
        "REDUCE",
        "Take half off",
        "take_profit_partial",
        "normal",
        {"close_ratio": 0.5},
        engine_rule="take_profit",
        priority=2.0,
    )
    assert (d.action, d.urgency, d.engine_rule, d.priority) == (
        DecisionAction.REDUCE,
        Urgency.NORMAL,
        "take_profit",
        2.0,
    )
    hold = Decision.hold()
    assert (hold.action, hold.reason, hold.rule, hold.urgency) == (
        DecisionAction.HOLD,
        "No rule triggered",
        "none",
        Urgency.NORMAL,
    )
    assert [u.rank for u in Urgency] == [4, 3, 2, 2, 1]
    with pytest.raises(ValidationError, match=r"^action: expected one of hold, close, roll"):
        Decision("sell", "x", "y")


def test_position_snapshot_derives_upl_pct_and_dte() -> None:
    snap = PositionSnapshot(
        as_of=datetime(2026, 1, 5, 20, 0, tzinfo=UTC),
        strategy_id=9,
        symbol="SPY",
        strategy_type="iron_condor",
        expiry=date(2026, 1, 28),
        entry_price=200.0,
        unrealized_pnl=120.0,
        vix=float("nan"),
    )
    assert (snap.upl_pct, snap.dte, snap.vix) == (0.6, 23, None)
    zero_basis = PositionSnapshot(
        as_of=datetime(2026, 1, 5, tzinfo=UTC),
        strategy_id=9,
        symbol="SPY",
        strategy_type="long_call",
        entry_price=0.0,
        unrealized_pnl=10.0,
    )
    assert zero_basis.upl_pct is None
    with pytest.raises(ValidationError, match=r"^strategy_type: expected one of butterfly"):
        PositionSnapshot(
            as_of=datetime(2026, 1, 5, tzinfo=UTC),
            strategy_id=1,
            symbol="SPY",
            strategy_type="condor",
        )


def test_alert_ids_are_time_ordered_uuid7_naming_their_day() -> None:
    early = new_alert_id(datetime(2026, 1, 5, 15, 0, tzinfo=UTC))
    late = new_alert_id(datetime(2026, 1, 6, 0, 0, 0, 1000, tzinfo=UTC))
    assert early < late
    assert early[14] == "7"
    assert created_date_of(early) == date(2026, 1, 5)
    assert created_date_of(late) == date(2026, 1, 6)
    assert created_date_of("test-123") is None
    assert created_date_of(early + "\n") is None
    assert len({new_alert_id(datetime(2026, 1, 5, tzinfo=UTC)) for _ in range(1000)}) == 1000


def test_alert_ids_cover_1970_to_the_end_of_9999() -> None:
    """The whole supported range round-trips; a float timestamp used to round the last
    microsecond of 9999 up to year 10000, and times before 1970 wrapped to year 10889."""
    first = datetime(1970, 1, 1, tzinfo=UTC)
    last = datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)
    assert created_date_of(new_alert_id(first)) == date(1970, 1, 1)
    assert created_date_of(new_alert_id(last)) == date(9999, 12, 31)
    assert make_alert(created_at=last).created_at == last
    with pytest.raises(ValidationError, match=r"^created_at: expected an instant from 1970-01-01"):
        new_alert_id(first - timedelta(microseconds=1))


def test_naive_datetimes_at_the_ends_of_the_calendar_are_clear_errors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Local time near year 1 or 9999 can leave datetime's range once in UTC."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        with pytest.raises(ValidationError) as info:
            make_alert(created_at=datetime(9999, 12, 31, 23, 0))
        assert str(info.value) == (
            "created_at: expected an instant between 0001-01-01 and 9999-12-31 UTC, got"
            " 9999-12-31T23:00:00 (local time)"
        )
        with pytest.raises(ValidationError, match=r"^start_time: expected an instant between"):
            AlertQuery(start_time=datetime(1, 1, 1))
    finally:
        monkeypatch.undo()
        time.tzset()


def test_text_rules_strip_what_python_strips() -> None:
    """The frame check strips WHITESPACE; it must be exactly what str.strip() removes."""
    assert "".join(c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace()) == WHITESPACE
    assert tuple(s.value for s in AlertStatus) == EVENT_STATUSES
    assert ("create", *(t.value for t in Transition), "snooze", "assign") == EVENT_ACTIONS


def test_history_is_stored_in_one_form() -> None:
    event = {"note": None, "to": "active", "action": "create", "at": "2026-01-05T15:00:00.000000Z"}
    alert = make_alert(history=[event])
    assert alert.history == [
        {
            "at": "2026-01-05T15:00:00.000000Z",
            "action": "create",
            "from": None,
            "to": "active",
            "by": None,
            "note": None,
        }
    ]


def test_position_snapshot_refuses_detectably_wrong_units() -> None:
    base = {
        "as_of": datetime(2026, 1, 5, tzinfo=UTC),
        "strategy_id": 1,
        "symbol": "SPY",
        "strategy_type": "iron_condor",
    }
    with pytest.raises(
        ValidationError, match=r"^iv_percentile: expected a fraction 0-1 .* got 25.0$"
    ):
        PositionSnapshot(**base, iv_percentile=25)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"^underlying_change_1h: expected a fraction with"):
        PositionSnapshot(**base, underlying_change_1h=-3.0)  # type: ignore[arg-type]
    with pytest.raises(
        ValidationError,
        match=r"^upl_pct: expected a finite number or None \(an infinity is never a real input\),"
        r" got inf$",
    ):
        PositionSnapshot(**base, upl_pct=float("inf"))  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"^upl_pct: expected a finite number or None"):
        # derived: a loss of 1e308 on a basis of 1e-10
        PositionSnapshot(**base, unrealized_pnl=-1e308, entry_price=1e-10)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"^symbol: expected valid Unicode text"):
        PositionSnapshot(**{**base, "symbol": "SPY\udcff"})  # type: ignore[arg-type]
    assert PositionSnapshot(**base, iv_percentile=1.0).iv_percentile == 1.0  # type: ignore[arg-type]


def test_transition_text_is_checked_as_the_manager_checks_it() -> None:
    assert check_free_text(None, "by") is None
    assert check_free_text("", "note") == ""
    for value, message in [
        (7, "by: expected a str or None, got 7"),
        (b"ann", "by: expected a str or None, got b'ann'"),
        ("x" * 10_001, "by: expected at most 10000 characters, got 10001"),
        (
            "ann\udcff",
            "by: expected valid Unicode text, got a lone surrogate '\\udcff' at position 3"
            " (not storable as UTF-8)",
        ),
    ]:
        with pytest.raises(ValidationError) as info:
            check_free_text(value, "by")
        assert str(info.value) == message
