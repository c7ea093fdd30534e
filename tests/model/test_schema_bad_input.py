"""Bulk alert frames the table's check refuses: each is a clear error that writes nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest
from _factories import INF, T0, alert_frame, alert_frame_typed, nested

from alertkit import SyncAlertManager, ValidationError
from alertkit.lake.query import scan_transitions
from alertkit.model.mapping import decision_to_alert
from conftest import RefusesBesideAnAlert, close_now, position

# The manager and the id of an alert already in its lake.
Case = Callable[[SyncAlertManager, str], object]

CASES: list[tuple[str, Case, type[Exception], str]] = [
    (
        "bulk frame missing a column",
        lambda m, a: m.insert_alerts(alert_frame().drop("severity")),
        ValidationError,
        "alerts frame: missing column 'severity'",
    ),
    (
        "bulk frame unknown enum",
        lambda m, a: m.insert_alerts(alert_frame(status="snoozed")),
        ValidationError,
        "alerts frame: 1 rows: status is not a known AlertStatus",
    ),
    (
        "bulk frame hostile id",
        lambda m, a: m.insert_alerts(alert_frame(alert_id="x'; DROP")),
        ValidationError,
        "alerts frame: 1 rows: alert_id has an invalid form",
    ),
    (
        "bulk frame repeated id",
        lambda m, a: m.insert_alerts(pl.concat([alert_frame()] * 2)),
        ValidationError,
        "alerts frame: 2 rows: alert_id repeats; 2 rows: open fingerprint",
    ),
    (
        "bulk frame open fingerprint twice",
        lambda m, a: m.insert_alerts(pl.concat([alert_frame(), alert_frame()])),
        ValidationError,
        "alerts frame: 2 rows: open fingerprint (rule, strategy_id, symbol) repeats",
    ),
    (
        "bulk frame mistyped column",
        lambda m, a: m.insert_alerts(
            alert_frame().with_columns(pl.col("strategy_id").cast(pl.String))
        ),
        ValidationError,
        "alerts frame: strategy_id is String, expected Int64",
    ),
    (
        "bulk frame empty title",
        lambda m, a: m.insert_alerts(alert_frame(title="  ")),
        ValidationError,
        "alerts frame: 1 rows: title is empty",
    ),
    (
        "bulk frame naive timestamps",
        lambda m, a: m.insert_alerts(
            alert_frame().with_columns(pl.col("created_at").dt.replace_time_zone(None))
        ),
        ValidationError,
        "alerts frame: created_at is Datetime(time_unit='us', time_zone=None), expected"
        " Datetime(time_unit='us', time_zone='UTC')",
    ),
    (
        "bulk frame resolved without resolved_at",
        lambda m, a: m.insert_alerts(alert_frame(status="resolved")),
        ValidationError,
        "alerts frame: 1 rows: terminal status without resolved_at",
    ),
]

# Issue 14, defect 1: each of these rows was accepted by the bulk check, and then broke the
# whole board.
FRAME_CASES: list[tuple[str, Case, type[Exception], str]] = [
    (
        "bulk acknowledged without acknowledged_at",
        lambda m, a: m.insert_alerts(alert_frame_typed(status="acknowledged")),
        ValidationError,
        "alerts frame: 1 rows: acknowledged status without acknowledged_at",
    ),
    (
        "bulk empty symbol",
        lambda m, a: m.insert_alerts(alert_frame_typed(symbol="")),
        ValidationError,
        "alerts frame: 1 rows: symbol is empty",
    ),
    (
        "bulk symbol of what str.strip() removes",
        lambda m, a: m.insert_alerts(alert_frame_typed(symbol="\x1c\u3000")),
        ValidationError,
        "alerts frame: 1 rows: symbol is empty",
    ),
    (
        "bulk null message",
        lambda m, a: m.insert_alerts(alert_frame_typed(message=None)),
        ValidationError,
        "alerts frame: 1 rows: message is null",
    ),
    (
        "bulk 20,000-character title",
        lambda m, a: m.insert_alerts(alert_frame_typed(title="x" * 20_000)),
        ValidationError,
        "alerts frame: 1 rows: title is too long (over 10000 characters)",
    ),
    (
        "bulk empty engine_rule",
        lambda m, a: m.insert_alerts(alert_frame_typed(engine_rule=" ")),
        ValidationError,
        "alerts frame: 1 rows: engine_rule is empty",
    ),
    (
        "bulk NaN rule_priority",
        lambda m, a: m.insert_alerts(alert_frame_typed(rule_priority=float("nan"))),
        ValidationError,
        "alerts frame: 1 rows: rule_priority is NaN or infinite",
    ),
    (
        "bulk infinite rule_priority",
        lambda m, a: m.insert_alerts(alert_frame_typed(rule_priority=-INF)),
        ValidationError,
        "alerts frame: 1 rows: rule_priority is NaN or infinite",
    ),
    (
        "bulk metadata not JSON",
        lambda m, a: m.insert_alerts(alert_frame_typed(metadata="{'upl': 1}")),
        ValidationError,
        "alerts frame: 1 rows: metadata is not valid JSON (first: Expecting property name",
    ),
    (
        "bulk metadata a JSON list",
        lambda m, a: m.insert_alerts(alert_frame_typed(metadata="[1, 2]")),
        ValidationError,
        "alerts frame: 1 rows: metadata is not a JSON object (first: a JSON list)",
    ),
    (
        "bulk metadata JSON null",
        lambda m, a: m.insert_alerts(alert_frame_typed(metadata="null")),
        ValidationError,
        "alerts frame: 1 rows: metadata is not a JSON object",
    ),
    (
        "bulk metadata null",
        lambda m, a: m.insert_alerts(alert_frame_typed(metadata=None)),
        ValidationError,
        "alerts frame: 1 rows: metadata is null",
    ),
    (
        "bulk metadata with a lone surrogate escape",
        lambda m, a: m.insert_alerts(alert_frame_typed(metadata='{"note": "\\udcff"}')),
        ValidationError,
        "alerts frame: 1 rows: metadata holds a value alertkit refuses (first: metadata['note']:"
        " expected a string of valid Unicode, got a lone surrogate '\\udcff' at position 0",
    ),
    (
        "bulk metadata nested 65 deep",
        lambda m, a: m.insert_alerts(alert_frame_typed(metadata=json.dumps(nested(65)))),
        ValidationError,
        "alerts frame: 1 rows: metadata holds a value alertkit refuses (first: metadata['a']",
    ),
    (
        "bulk metadata nested 2000 deep",
        lambda m, a: m.insert_alerts(alert_frame_typed(metadata='{"a":' * 2000 + "1" + "}" * 2000)),
        ValidationError,
        "alerts frame: 1 rows: metadata is nested too deeply (first: more than 64 levels)",
    ),
    (
        "bulk metadata number beyond float",
        lambda m, a: m.insert_alerts(alert_frame_typed(metadata='{"upl": 1e400}')),
        ValidationError,
        "alerts frame: 1 rows: metadata holds a value alertkit refuses (first: metadata['upl']:"
        " expected a finite number, got inf)",
    ),
    (
        "bulk history not JSON",
        lambda m, a: m.insert_alerts(alert_frame_typed(history="created")),
        ValidationError,
        "alerts frame: 1 rows: history is not a JSON list of alertkit events",
    ),
    (
        "bulk history without the create event",
        lambda m, a: m.insert_alerts(alert_frame_typed(history="[]")),
        ValidationError,
        "alerts frame: 1 rows: history does not begin with the create event",
    ),
    (
        "bulk history null",
        lambda m, a: m.insert_alerts(alert_frame_typed(history=None)),
        ValidationError,
        "alerts frame: 1 rows: history is null",
    ),
    (
        "bulk history on 30 February",
        lambda m, a: m.insert_alerts(
            alert_frame_typed(
                history='[{"at":"2026-02-30T15:00:00.000000Z","action":"create","from":null,'
                '"to":"active","by":null,"note":null}]'
            )
        ),
        ValidationError,
        "alerts frame: 1 rows: history is not a JSON list of alertkit events",
    ),
    (
        "bulk history with a lone surrogate note",
        lambda m, a: m.insert_alerts(
            alert_frame_typed(
                history='[{"at":"2026-01-05T15:00:00.000000Z","action":"create","from":null,'
                '"to":"active","by":null,"note":"\\ud800"}]'
            )
        ),
        ValidationError,
        "alerts frame: 1 rows: history is not a JSON list of alertkit events",
    ),
    (
        "bulk null revision",
        lambda m, a: m.insert_alerts(alert_frame_typed(revision=None)),
        ValidationError,
        "alerts frame: 1 rows: revision is null or negative",
    ),
    (
        "bulk id with a trailing newline",
        lambda m, a: m.insert_alerts(alert_frame_typed(alert_id="abc-1\n")),
        ValidationError,
        "alerts frame: 1 rows: alert_id has an invalid form",
    ),
    (
        "bulk created before 1970",
        lambda m, a: m.insert_alerts(
            alert_frame_typed(
                created_at=datetime(1969, 7, 20, tzinfo=UTC), created_date=date(1969, 7, 20)
            )
        ),
        ValidationError,
        "alerts frame: 1 rows: created_at is before 1970-01-01 (alert ids cannot encode it)",
    ),
    (
        "bulk last seen in year 10000",
        lambda m, a: m.insert_alerts(
            alert_frame().with_columns(
                last_seen_at=pl.lit(253_402_300_800_000_000).cast(pl.Datetime("us", "UTC"))
            )
        ),
        ValidationError,
        "alerts frame: 1 rows: last_seen_at is after 9999-12-31 (Python cannot read it)",
    ),
    (
        "bulk every problem named at once",
        lambda m, a: m.insert_alerts(alert_frame_typed(symbol="", message=None, revision=None)),
        ValidationError,
        "alerts frame: 1 rows: revision is null or negative; 1 rows: message is null;"
        " 1 rows: symbol is empty",
    ),
]

ALL_CASES = CASES + FRAME_CASES


@pytest.mark.parametrize(
    ("case", "call", "error", "message"), ALL_CASES, ids=[c[0] for c in ALL_CASES]
)
def test_bad_frames_are_refused_cleanly(
    refuses_beside_an_alert: RefusesBesideAnAlert,
    case: str,
    call: Case,
    error: type[Exception],
    message: str,
) -> None:
    refuses_beside_an_alert(call, error, message)


def test_bulk_inserted_alerts_carry_their_create_event(sync_manager: SyncAlertManager) -> None:
    """Defect 1: alerts inserted in bulk had an empty history, so after an acknowledge their
    history read ['acknowledge']."""
    alert = decision_to_alert(close_now(), position("IWM", 99), T0)
    assert alert is not None and alert.history == []
    assert sync_manager.insert_alerts([alert]) == 1
    sync_manager.acknowledge_alert(alert.alert_id, by="ann", at=T0 + timedelta(minutes=5))
    stored = sync_manager.get_alert(alert.alert_id)
    assert [e["action"] for e in stored.history] == ["create", "acknowledge"]
    assert stored.history[0] == {
        "at": "2026-01-05T15:00:00.000000Z",
        "action": "create",
        "from": None,
        "to": "active",
        "by": None,
        "note": None,
    }
    events = scan_transitions(sync_manager.scan_alerts()).filter(
        pl.col("alert_id") == alert.alert_id
    )
    assert events.select("action").collect().to_series().to_list() == ["create", "acknowledge"]
