"""alert_from_committed_row builds what alert_from_row builds, without checking again."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import timedelta
from pathlib import Path

import pytest
from _factories import T0, an_alert, book

from alertkit import Alert, AlertStatus, SyncAlertManager
from alertkit.model.schema import alert_from_committed_row, alert_from_row, alerts_to_frame

ALERTS = [
    an_alert(),
    an_alert(minutes=1, status="acknowledged", ack_after=2, assignee="ana"),
    an_alert(minutes=2, status="resolved", closed_after=5, ack_after=1),
    an_alert(minutes=3, status="dismissed", closed_after=1, symbol=None, strategy_id=None),
    an_alert(
        minutes=4,
        type="critical",
        severity="immediate",
        metadata={"upl_pct": 0.82, "legs": [{"strike": 450, "right": "P"}], "note": "é ✓"},
        occurrences=7,
        last_seen_at=T0 + timedelta(hours=2),
        engine_rule="take_profit",
        rule_priority=2.0,
        silenced_by="sil-0123456789ab",
        flapping=True,
    ),
    an_alert(
        minutes=5,
        snoozed_until=T0 + timedelta(hours=3),
        snoozed_at=T0 + timedelta(minutes=6),
        message="line one\nline two",
    ),
]


@pytest.mark.parametrize("alert", ALERTS, ids=lambda a: a.status.value + "-" + a.alert_id[-4:])
def test_a_committed_row_builds_the_alert_the_checked_path_builds(alert: Alert) -> None:
    [row] = alerts_to_frame([alert]).iter_rows(named=True)
    built = alert_from_committed_row(row)
    checked = alert_from_row(row)
    assert built == checked
    # equal field by field, in type too (an enum, not its text; an aware datetime)
    assert [type(getattr(built, f.name)) for f in fields(Alert)] == [
        type(getattr(checked, f.name)) for f in fields(Alert)
    ]
    # what was stored: the alert, with the create event alerts_to_frame adds
    assert replace(built, history=[]) == alert and built.history[0]["action"] == "create"
    assert type(built.status) is AlertStatus and built.created_at.tzinfo is not None


def test_a_cycle_returns_the_alerts_a_read_returns(tmp_path: Path) -> None:
    manager = SyncAlertManager(tmp_path / "alerts", maintain_every=0)
    manager.initialize()
    first = manager.run_cycle(book(20, at=T0))
    assert len(first.new_alerts) == 20
    assert list(first.new_alerts) == [manager.get_alert(a.alert_id) for a in first.new_alerts]
    again = manager.run_cycle(book(20, at=T0 + timedelta(minutes=5)))
    assert len(again.repeats) == 20 and {a.occurrences for a in again.repeats} == {2}
    assert list(again.repeats) == [manager.get_alert(a.alert_id) for a in again.repeats]
