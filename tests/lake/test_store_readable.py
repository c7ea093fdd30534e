"""Property: whatever the bulk check lets in reads back everywhere, in alertkit and in DuckDB.

Rows start as valid alerts of every shape (random text, metadata, histories, the whole time
range) and are then damaged in the ways that broke the board before (issue 14). A frame that
``insert_alerts`` accepts must read back through ``query_alerts``, ``get_active_alerts``,
``get_alert``, ``board``, ``scan_transitions``, a transition, the CLI (``list``, ``show``) and
DuckDB's ``delta_scan`` with its JSON functions; a frame it refuses must be a
``ValidationError`` that wrote nothing.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import duckdb
import polars as pl
import pytest
from _delta_reader import connect, delta_scan, json_columns_parse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alertkit import (
    Alert,
    AlertkitError,
    AlertQuery,
    AlertStatus,
    SyncAlertManager,
    ValidationError,
    cli,
)
from alertkit.lake.query import scan_transitions
from alertkit.model._events import history_event
from alertkit.model._ids import ALERT_ID_PATTERN, new_alert_id
from alertkit.model.schema import ALERT_SCHEMA, alert_from_row, alerts_to_frame, check_alert_frame

TS = pl.Datetime("us", "UTC")
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)  # polars holds UTF-8
NAME = TEXT.filter(lambda t: t.strip() != "")
INSTANT = st.datetimes(
    min_value=datetime(1970, 1, 1),
    max_value=datetime(9999, 12, 31, 23, 59, 59, 999_999),
    timezones=st.just(UTC),
)
JSON_VALUE = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)


@st.composite
def alerts(draw: st.DrawFn) -> Alert:
    """A valid Alert: any status with matching timestamps, text, metadata and history."""
    created = draw(INSTANT)
    status = draw(st.sampled_from(["active", "acknowledged", "resolved", "dismissed"]))
    later = st.datetimes(
        min_value=created.replace(tzinfo=None),
        max_value=datetime(9999, 12, 31),
        timezones=st.just(UTC),
    )
    acknowledged = draw(later) if status == "acknowledged" else draw(st.none() | later)
    resolved = draw(later) if status in ("resolved", "dismissed") else None
    events = [history_event(created, "create", None, AlertStatus.ACTIVE, None, None)]
    for _ in range(draw(st.integers(0, 2))):
        events.append(
            history_event(
                draw(later),
                draw(st.sampled_from(["acknowledge", "resolve", "dismiss"])),
                draw(st.sampled_from(["active", "acknowledged"])),
                draw(st.sampled_from(list(AlertStatus)[1:])),
                draw(st.none() | TEXT),
                draw(st.none() | TEXT),
            )
        )
    return Alert(
        alert_id=draw(st.just(new_alert_id(created)) | st.from_regex(ALERT_ID_PATTERN)),
        type=draw(st.sampled_from(["info", "warning", "critical"])),
        severity=draw(st.sampled_from(["immediate", "high", "normal", "low"])),
        status=status,
        title=draw(NAME),
        message=draw(TEXT),
        rule=draw(NAME),
        symbol=draw(st.none() | NAME),
        strategy_id=draw(st.none() | st.integers(-(2**63), 2**63 - 1)),
        metadata=draw(st.dictionaries(TEXT, JSON_VALUE, max_size=4)),
        created_at=created,
        acknowledged_at=acknowledged,
        resolved_at=resolved,
        occurrences=draw(st.integers(1, 2**62)),
        last_seen_at=draw(st.none() | later),
        engine_rule=draw(st.none() | NAME),
        rule_priority=draw(st.none() | st.floats(allow_nan=False, allow_infinity=False)),
        history=events,
    )


def _event(at: str = "2026-01-05T15:00:00.000000Z", **values: Any) -> dict[str, Any]:
    return {
        "at": at,
        "action": "create",
        "from": None,
        "to": "active",
        "by": None,
        "note": None,
        **values,
    }


DAMAGE: dict[str, list[Any]] = {
    "alert_id": ["a b", "abc-1\n", "", None, "x" * 129],
    "type": ["WARNING", "urgent", None],
    "status": ["acknowledged", "resolved", "open", None],
    "title": ["", " ", "\x1f\u3000", None, "x" * 10_001],
    "message": ["", None, "y" * 10_001],
    "rule": ["", None],
    "symbol": ["", "\x1c", None],
    "engine_rule": ["", None],
    "metadata": [
        "{",
        "[1]",
        "null",
        None,
        "{'a': 1}",
        '{"a":1e400}',
        '{"a":-1e309}',
        '{"a":NaN}',
        '{"a":"\\ud800"}',
        '{"\\udfff":1}',
        '{"a":"\\ud83d\\ude80"}',
        ' {"a": [1, {"b": null}]} ',
        '{"a":' * 70 + "1" + "}" * 70,
        '{"a":' + "9" * 5000 + "}",
        '{"a":"\\u0000"}',
        '{"a":1}x',
        '{"a":"' + "z" * 70_000 + '"}',
        '"text"',
        "3",
        "{}",
    ],
    "history": [
        "[]",
        "x",
        None,
        "{}",
        json.dumps([_event()]),
        json.dumps([_event()], indent=1),
        json.dumps([_event(at="2026-02-29T00:00:00.000000Z")]),
        json.dumps([_event(at="2024-02-29T00:00:00.000000Z")]),
        json.dumps([_event(at="0000-01-01T00:00:00.000000Z")]),
        json.dumps([_event(at="2026-01-05T24:00:00.000000Z")]),
        json.dumps([_event(at="2026-01-05T15:00:00Z")]),
        json.dumps([_event(action="resolve")]),
        json.dumps([_event(), _event(action="snooze")]),
        json.dumps([_event(by=5)]),
        json.dumps([_event(note="\ud800")]),
        json.dumps([_event(note="\ud83d\ude80 ü")]),
        json.dumps([_event(note="ü")], ensure_ascii=False),
        json.dumps([_event(extra=1)]),
    ],
    "rule_priority": [float("nan"), float("inf"), None, 1e308],
    "revision": [None, -1, 0, 2**62],
    "occurrences": [0, None, -5],
    "created_at": [datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC), None],
    "acknowledged_at": [None, datetime(1, 1, 1, tzinfo=UTC)],
    "resolved_at": [None, datetime(2026, 1, 5, tzinfo=UTC)],
    "last_seen_at": [None, datetime(1, 1, 1, tzinfo=UTC)],
    "created_date": [None, datetime(2026, 1, 5).date()],
}


@st.composite
def frames(draw: st.DrawFn) -> pl.DataFrame:
    """1-3 rows of valid alerts, some damaged (a column replaced by a bad or edge value)."""
    valid = alerts_to_frame(draw(st.lists(alerts(), min_size=1, max_size=3)))
    rows = valid.rows(named=True)
    for row in rows:
        for column in draw(st.lists(st.sampled_from(sorted(DAMAGE)), max_size=2, unique=True)):
            row[column] = draw(st.sampled_from(DAMAGE[column]))
    frame = pl.DataFrame(rows, schema=ALERT_SCHEMA)
    if draw(st.integers(0, 9)) == 0:  # beyond what a Python datetime holds
        frame = frame.with_columns(
            last_seen_at=pl.lit(253_402_300_800_000_000).cast(TS)  # 10000-01-01
        )
    return frame


@cache
def _duckdb() -> duckdb.DuckDBPyConnection:
    return connect()


def _reads_back(lake: str, frame: pl.DataFrame, capsys: pytest.CaptureFixture[str]) -> None:
    manager = SyncAlertManager(lake, maintain_every=0)
    ids = frame["alert_id"].to_list()
    assert {a.alert_id for a in manager.query_alerts(AlertQuery(limit=100))} >= set(ids)
    manager.get_active_alerts()
    assert manager.read_board().height == frame.height + 1
    assert [manager.get_alert(i).alert_id for i in ids] == ids
    events = scan_transitions(manager.scan_alerts()).collect()
    assert events.filter(pl.col("action") == "create").height >= frame.height
    assert cli.main(["--lake", lake, "list"]) == 0
    for alert_id in ids:
        assert cli.main(["--lake", lake, "show", alert_id]) == 0
    capsys.readouterr()
    con = _duckdb()
    assert delta_scan(con, lake).equals(manager.scan_alerts().sort("alert_id").collect())
    assert json_columns_parse(con, lake) == (frame.height + 1,) * 2
    for alert_id in ids:  # a transition either applies or is refused by alertkit
        with contextlib.suppress(AlertkitError):
            manager.dismiss_alert(alert_id, by="property", at=datetime(9999, 12, 31, tzinfo=UTC))


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(frame=frames())
def test_what_insert_alerts_accepts_reads_back_everywhere(
    frame: pl.DataFrame, capsys: pytest.CaptureFixture[str]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        lake = f"{tmp}/alerts"
        manager = SyncAlertManager(lake, maintain_every=0)
        manager.initialize()
        existing = manager.insert_alerts(alerts_to_frame([_bystander()]))
        assert existing == 1
        before = manager.read_board()
        try:
            manager.insert_alerts(frame)
        except ValidationError:
            assert manager.version() == 1
            assert manager.read_board().equals(before)
            return
        _reads_back(lake, frame, capsys)


def _bystander() -> Alert:
    created = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
    return Alert(
        new_alert_id(created),
        "info",
        "low",
        "active",
        "Bystander",
        "",
        "bystander",
        "ZZZ",
        -1,
        {},
        created,
    )


@settings(max_examples=400, deadline=None, derandomize=True)
@given(frame=frames())
def test_the_frame_check_and_the_alert_model_agree(frame: pl.DataFrame) -> None:
    """No drift between the two interpreters of the rules: a row the frame check accepts is
    an Alert (and writes back as the same row), and every Alert's row is accepted."""
    try:
        checked = check_alert_frame(frame)
    except ValidationError:
        return
    for row in checked.rows(named=True):
        alert = alert_from_row(row)
        again = alerts_to_frame([alert]).with_columns(revision=pl.lit(row["revision"], pl.Int64))
        check_alert_frame(again)
        assert json.loads(again["metadata"][0]) == json.loads(row["metadata"])
        assert json.loads(again["history"][0]) == json.loads(row["history"])


@settings(max_examples=200, deadline=None, derandomize=True)
@given(alert=alerts())
def test_every_alert_passes_the_frame_check(alert: Alert) -> None:
    check_alert_frame(alerts_to_frame([alert]))
    assert alert.created_at >= datetime(1970, 1, 1, tzinfo=UTC)
    assert alert.created_at - alert.created_at == timedelta(0)
