"""Bad decisions, positions, queries, ids and transition arguments: each is a clear alertkit
error that writes nothing and changes no alert."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from _factories import LONE

from alertkit import AlertNotFoundError, AlertQuery, Decision, SyncAlertManager, ValidationError
from conftest import RefusesBesideAnAlert, close_now, position

# The manager and the id of an alert already in its lake.
Case = Callable[[SyncAlertManager, str], object]

CASES: list[tuple[str, Case, type[Exception], str]] = [
    (
        "decision is a dict",
        lambda m, a: m.create_alert({"action": "close"}, position()),  # type: ignore[arg-type]
        ValidationError,
        "decision: expected a Decision, got dict",
    ),
    (
        "strategy_id a string",
        lambda m, a: m.create_alert(close_now(), {"symbol": "SPY", "strategy_id": "7"}),
        ValidationError,
        "strategy_id: expected an int or None, got str '7'",
    ),
    (
        "strategy_id beyond int64",
        lambda m, a: m.create_alert(close_now(), {"symbol": "SPY", "strategy_id": 2**63}),
        ValidationError,
        "strategy_id: expected a value within int64",
    ),
    (
        "symbol empty",
        lambda m, a: m.create_alert(close_now(), {"symbol": " ", "strategy_id": 1}),
        ValidationError,
        "symbol: expected a non-empty string",
    ),
    (
        "as_of not a datetime",
        lambda m, a: m.create_alert(
            close_now(), {"symbol": "SPY", "strategy_id": 1, "as_of": "2026-01-05"}
        ),
        ValidationError,
        "snapshot.as_of: expected a datetime, got str",
    ),
    (
        "unknown action",
        lambda m, a: m.transition(a, "snooze"),
        ValidationError,
        "action: expected one of acknowledge, resolve, dismiss (any case), got 'snooze'",
    ),
    (
        "id with quotes",
        lambda m, a: m.acknowledge_alert("abc' OR '1'='1"),
        AlertNotFoundError,
        "no alert with alert_id=\"abc' OR '1'='1\"",
    ),
    (
        "id predicate text",
        lambda m, a: m.resolve_alert("1 = 1 OR alert_id IS NOT NULL"),
        AlertNotFoundError,
        "no alert with alert_id='1 = 1 OR alert_id IS NOT NULL'",
    ),
    (
        "id with comment",
        lambda m, a: m.dismiss_alert(a + "'--"),
        AlertNotFoundError,
        "no alert with alert_id=",
    ),
    (
        "id not a string",
        lambda m, a: m.acknowledge_alert(42),  # type: ignore[arg-type]
        ValidationError,
        "alert_id: expected a str, got int 42",
    ),
    (
        "by not a string",
        lambda m, a: m.acknowledge_alert(a, by=7),  # type: ignore[arg-type]
        ValidationError,
        "by: expected a str or None, got 7",
    ),
    (
        "at not a datetime",
        lambda m, a: m.acknowledge_alert(a, at="now"),  # type: ignore[arg-type]
        ValidationError,
        "at: expected a datetime, got str 'now'",
    ),
    (
        "limit zero",
        lambda m, a: m.query_alerts(AlertQuery(limit=0)),
        ValidationError,
        "limit: expected a positive int up to 4294967295, got 0",
    ),
    (
        "start after end",
        lambda m, a: m.query_alerts(
            AlertQuery(
                start_time=datetime(2026, 2, 1, tzinfo=UTC),
                end_time=datetime(2026, 1, 1, tzinfo=UTC),
            )
        ),
        ValidationError,
        "start_time: expected <= end_time",
    ),
    (
        "naive and aware mixed",
        lambda m, a: m.query_alerts(
            AlertQuery(start_time=datetime(2026, 1, 1), end_time=datetime(2026, 2, 1, tzinfo=UTC))
        ),
        ValidationError,
        "start_time/end_time: expected both naive (local time) or both timezone-aware",
    ),
    (
        "unknown status in count",
        lambda m, a: m.get_alert_count("open"),
        ValidationError,
        "status: expected one of active, acknowledged, resolved, dismissed (any case), got 'open'",
    ),
    (
        "query of the wrong type",
        lambda m, a: m.query_alerts({"symbol": "SPY"}),  # type: ignore[arg-type]
        ValidationError,
        "query: expected an AlertQuery, got dict",
    ),
    (
        "decision with empty rule",
        lambda m, a: m.create_alert(Decision("close", "x", " "), position()),
        ValidationError,
        "rule: expected a non-empty str",
    ),
    (
        "unknown decision action",
        lambda m, a: m.create_alert(Decision("snooze", "x", "vix_level"), position()),
        ValidationError,
        "action: expected one of hold, close, roll, adjust, reduce (any case), got 'snooze'",
    ),
    (
        "unknown severity in a query",
        lambda m, a: m.query_alerts(AlertQuery(severity="urgent")),
        ValidationError,
        "severity: expected one of immediate, high, normal, low (any case), got 'urgent'",
    ),
    (
        "strategy_id a bool",
        lambda m, a: m.create_alert(close_now(), {"symbol": "SPY", "strategy_id": True}),
        ValidationError,
        "strategy_id: expected an int or None, got bool True",
    ),
    (
        "strategy_id below int64",
        lambda m, a: m.query_alerts(AlertQuery(strategy_id=-(2**63) - 1)),
        ValidationError,
        "strategy_id: expected a value within int64",
    ),
    (
        "note not a string",
        lambda m, a: m.resolve_alert(a, note=b"bytes"),  # type: ignore[arg-type]
        ValidationError,
        "note: expected a str or None, got b'bytes'",
    ),
]

# Issue 14, defects 3 and 5, through the API.
API_CASES: list[tuple[str, Case, type[Exception], str]] = [
    (
        "created before 1970",
        lambda m, a: m.create_alert(close_now(), position(), at=datetime(1969, 12, 31, tzinfo=UTC)),
        ValidationError,
        "created_at: expected an instant from 1970-01-01 00:00:00 to 9999-12-31 23:59:59.999999"
        " UTC (the range alert ids can encode), got 1969-12-31T00:00:00+00:00",
    ),
    (
        "naive year 1",
        lambda m, a: m.create_alert(close_now(), position(), at=datetime(1, 1, 1)),
        ValidationError,
        "at: expected an instant between 0001-01-01 and 9999-12-31 UTC",
    ),
    (
        "naive year 1 in a query",
        lambda m, a: m.query_alerts(AlertQuery(end_time=datetime(1, 1, 1))),
        ValidationError,
        "end_time: expected an instant between 0001-01-01 and 9999-12-31 UTC",
    ),
    (
        "surrogate in symbol",
        lambda m, a: m.create_alert(close_now(), {"symbol": "SP" + LONE, "strategy_id": 2}),
        ValidationError,
        "symbol: expected valid Unicode text, got a lone surrogate '\\udcff' at position 2",
    ),
    (
        "surrogate in reason",
        lambda m, a: m.create_alert(Decision("close", "fell" + LONE, "vix_level"), position()),
        ValidationError,
        "reason: expected valid Unicode text, got a lone surrogate '\\udcff' at position 4",
    ),
    (
        "surrogate by",
        lambda m, a: m.acknowledge_alert(a, by=LONE),
        ValidationError,
        "by: expected valid Unicode text, got a lone surrogate '\\udcff' at position 0",
    ),
    (
        "surrogate note",
        lambda m, a: m.resolve_alert(a, note="done " + LONE),
        ValidationError,
        "note: expected valid Unicode text, got a lone surrogate '\\udcff' at position 5",
    ),
    (
        "surrogate symbol in a query",
        lambda m, a: m.query_alerts(AlertQuery(symbol=LONE)),
        ValidationError,
        "symbol: expected valid Unicode text",
    ),
    (
        "limit 2**63",
        lambda m, a: m.query_alerts(AlertQuery(limit=2**63)),
        ValidationError,
        "limit: expected a positive int up to 4294967295, got 9223372036854775808",
    ),
    (
        "id with a trailing newline",
        lambda m, a: m.get_alert(a + "\n"),
        AlertNotFoundError,
        "no alert with alert_id='",
    ),
    (
        "transition of an id with a trailing newline",
        lambda m, a: m.acknowledge_alert(a + "\n"),
        AlertNotFoundError,
        "no alert with alert_id='",
    ),
]

ALL_CASES = CASES + API_CASES


@pytest.mark.parametrize(
    ("case", "call", "error", "message"), ALL_CASES, ids=[c[0] for c in ALL_CASES]
)
def test_bad_input_is_refused_cleanly(
    refuses_beside_an_alert: RefusesBesideAnAlert,
    case: str,
    call: Case,
    error: type[Exception],
    message: str,
) -> None:
    refuses_beside_an_alert(call, error, message)


def test_the_last_instant_of_9999_round_trips(sync_manager: SyncAlertManager, lake: str) -> None:
    """Defect 3: the whole supported range reads back and transitions; a float timestamp made
    this id name year 10000, and reading it raised a raw ValueError."""
    last = datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)
    alert = sync_manager.create_alert(close_now(), position("DIA", 9), at=last)
    assert alert is not None
    assert sync_manager.get_alert(alert.alert_id).created_at == last
    done = sync_manager.acknowledge_alert(alert.alert_id, at=last)
    assert done.acknowledged_at == last
    assert sync_manager.query_alerts()[0].alert_id == alert.alert_id
    first = sync_manager.create_alert(
        close_now(), position("DIA", 10), at=datetime(1970, 1, 1, tzinfo=UTC)
    )
    assert first is not None and sync_manager.get_alert(first.alert_id) == first
