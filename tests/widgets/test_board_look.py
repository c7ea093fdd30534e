"""The board's look, headlessly (issue 22): the chart-filter chip, which ages and groups are
coloured, ISO date fields, the hidden empty detail panel and the table's column layout."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from _factories import an_alert

from alertkit import Alert, SyncAlertManager
from alertkit.widgets import TriageBoard
from alertkit.widgets._query import COLUMNS

T0 = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
NOW = T0 + timedelta(hours=3)


def ago(alert_id: str, delta: timedelta, **fields: object) -> Alert:
    strategy = 1 + sum(map(ord, alert_id)) % 1000  # one position per alert
    return an_alert(alert_id, created_at=NOW - delta, strategy_id=strategy, **fields)


ALERTS = [
    # immediate: 15 min to acknowledge
    ago("i-fresh", timedelta(minutes=10), severity="immediate", type="critical"),
    ago("i-late", timedelta(minutes=20), severity="immediate", type="critical"),
    ago(
        "i-acked",
        timedelta(hours=2),
        severity="immediate",
        type="critical",
        status="acknowledged",
        ack_after=1,
    ),
    # high: 1 h
    ago("h-fresh", timedelta(minutes=50), severity="high", rule="vix_level"),
    ago("h-late", timedelta(minutes=70), severity="high", rule="vix_level"),
    # normal: 1 d, amber at most
    ago("n-fresh", timedelta(hours=20), severity="normal", rule="take_profit_full"),
    ago("n-late", timedelta(days=2), severity="normal", rule="take_profit_full"),
    ago("n-other", timedelta(days=3), severity="normal", rule="take_profit_partial"),
    # low: 3 d
    ago("l-fresh", timedelta(days=2), severity="low", rule="dte_roll", type="info"),
    ago("l-late", timedelta(days=4), severity="low", rule="dte_roll", type="info"),
]


@pytest.fixture
def board(tmp_path: Path) -> Iterator[TriageBoard]:
    manager = SyncAlertManager(tmp_path / "look", maintain_every=0)
    manager.initialize()
    manager.insert_alerts(ALERTS)
    b = TriageBoard(manager, now=NOW)
    yield b
    b.close()


def test_ages_are_coloured_only_when_they_need_action(board: TriageBoard) -> None:
    ages = {row["alert_id"]: row["age"] for row in board.table.rows}
    assert ages == {
        "i-fresh": "",
        "i-late": "overdue",
        "i-acked": "",  # someone has it
        "h-fresh": "",
        "h-late": "overdue",
        "n-fresh": "",
        "n-late": "late",
        "n-other": "late",
        "l-fresh": "",
        "l-late": "late",
    }


def test_group_rows_are_neutral_unless_they_hold_open_immediate_alerts(
    board: TriageBoard,
) -> None:
    board.group_by = "rule"
    accents = {row["key"]: row["accent"] for row in board.table.rows}
    assert accents == {
        "stop_loss_hard": "immediate",
        "vix_level": "",
        "take_profit_full": "",
        "take_profit_partial": "",
        "dte_roll": "",
    }
    assert all("age" not in row for row in board.table.rows)  # no red summary strip
    board.filters.status.value = ("acknowledged",)  # only the acknowledged immediate one
    assert [(r["key"], r["accent"]) for r in board.table.rows] == [("stop_loss_hard", "immediate")]
    board.act("resolve", ["i-acked"])
    board.filters.status.value = ("resolved",)  # closed: nothing to act on now
    assert [(r["key"], r["accent"]) for r in board.table.rows] == [("stop_loss_hard", "")]


def test_open_immediate_carries_its_value_for_the_style(board: TriageBoard) -> None:
    assert 'data-value="3" class="alertkit-count alertkit-count-open-immediate"' in (
        board.header.value
    )
    board.filters.severity.value = "low"
    assert 'data-value="0" class="alertkit-count alertkit-count-open-immediate"' in (
        board.header.value
    )
    css = (Path(__file__).parents[2] / "alertkit/widgets/board.css").read_text()
    assert '.alertkit-count-open-immediate:not([data-value="0"]) .alertkit-count-value' in css


def test_the_chart_filter_shows_as_a_chip_that_clears_it(board: TriageBoard) -> None:
    chip = board.chip.button
    assert chip.layout.display == "none"
    assert board.table.total == 10
    board.set_pick([{"rule": "take_profit_full", "severity": "normal"}])
    assert (chip.description, chip.layout.display) == (
        "chart: rule = take_profit_full, severity = normal \u00d7",
        "",
    )
    assert board.table.total == 2
    assert chip in board.filters.box().children or chip in board.children[1].children
    chip.click()
    assert (board.pick, board.table.total, chip.layout.display) == ([], 10, "none")
    board.set_pick(
        [
            {"rule": "take_profit_full", "severity": "normal"},
            {"rule": "vix_level", "severity": "high"},
        ]
    )
    assert chip.description == (
        "chart: rule = take_profit_full, severity = normal"
        " or rule = vix_level, severity = high \u00d7"
    )
    assert board.table.total == 4


def test_date_fields_take_and_show_iso_dates(board: TriageBoard) -> None:
    created = board.filters.created_from
    assert created.text.placeholder == "YYYY-MM-DD"
    created.text.value = "2026-01-04"
    assert created.value == date(2026, 1, 4)
    assert board.table.total == 6  # created on the 4th or later
    created.value = date(2026, 1, 5)  # from Python, as a DatePicker's value
    assert created.text.value == "2026-01-05"
    assert board.table.total == 5
    created.text.value = "01/05/2026"  # what an en-US date picker shows
    assert created.value is None
    lines = re.findall(r'alertkit-status-error">(.*?)</div>', board.status_line.value)
    assert lines == ["created date: expected YYYY-MM-DD, got &#x27;01/05/2026&#x27;"]
    assert board.table.total == 0  # no stale rows while a filter is invalid
    created.text.value = ""
    assert (created.value, created.error, board.table.total) == (None, "", 10)


def test_the_detail_panel_is_hidden_until_a_row_opens(board: TriageBoard) -> None:
    assert "alertkit-detail-none" in board.detail.value
    board.table.focused = "i-late"
    assert "alertkit-detail-none" not in board.detail.value
    board.table.focused = ""
    assert "alertkit-detail-none" in board.detail.value


def test_columns_have_fixed_widths_but_the_alert_and_give_room_to_the_detail_panel() -> None:
    widths = {c.key: c.width for c in COLUMNS}
    assert widths["title"] is None
    assert all(re.fullmatch(r"\d+px", w or "") for k, w in widths.items() if k != "title")
    assert [c.key for c in COLUMNS if c.narrow_hide] == ["assignee", "occurrences", "last_seen_at"]
