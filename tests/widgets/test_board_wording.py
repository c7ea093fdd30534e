"""What the board says (issue 22): the header's scope, plurals, relative times, search errors.

Headless, on a real Delta table in tmp_path (the alerts of ``test_widgets``), with exact
strings.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path

import pytest

from alertkit import SyncAlertManager
from alertkit.model.search import parse_search
from alertkit.widgets import TriageBoard
from alertkit.widgets._board_read import INVALID, matching
from alertkit.widgets._clock import BoardClock
from alertkit.widgets._render import COUNTS_SCOPE, format_ago, format_time, plural
from tests.conftest import StepClock
from tests.widgets.test_widgets import ALERTS, NOW, OPEN_NEWEST_FIRST, TABLE_JS, counts, ids, status

LAG = timedelta(minutes=7)
"""How far the manager's clock runs ahead of the board's pinned now (the issue's "in 7 min")."""


@pytest.fixture
def manager(tmp_path: Path) -> SyncAlertManager:
    # The manager stamps actions with its own clock, ahead of the board's pinned NOW.
    manager = SyncAlertManager(tmp_path / "alerts", clock=StepClock(NOW + LAG), maintain_every=0)
    manager.initialize()
    manager.insert_alerts(ALERTS)
    return manager


@pytest.fixture
def board(manager: SyncAlertManager) -> Iterator[TriageBoard]:
    b = TriageBoard(manager, now=NOW)
    yield b
    b.close()


def labels(board: TriageBoard) -> dict[str, str]:
    pattern = r'alertkit-count-([a-z-]+)">.*?<span class="alertkit-count-label">([^<]*)</span>'
    return {k: unescape(v) for k, v in re.findall(pattern, board.header.value)}


# -- the header --------------------------------------------------------------------------------


def test_the_header_says_its_status_breakdown_ignores_the_status_toggles(
    board: TriageBoard,
) -> None:
    board.filters.status.value = ("active",)
    assert ids(board) == ["a6", "a1", "a0"]
    assert counts(board) == {
        "active": "3",
        "acknowledged": "2",  # not filtered by the toggles, and the header says so
        "resolved-today": "1",
        "open-immediate": "2",
        "median-ack": "10m",
        "matching": "3",  # what the table lists: every filter, status too
    }
    assert COUNTS_SCOPE == "Any status, other filters applied:"
    assert f'<div class="alertkit-counts-scope">{COUNTS_SCOPE}</div>' in board.header.value
    assert labels(board)["matching"] == "Listed: matching all filters, status too"
    board.filters.symbol.value = "SPY"
    assert ids(board) == ["a0"]
    assert (counts(board)["active"], counts(board)["acknowledged"]) == ("1", "1")
    assert counts(board)["matching"] == "1"
    board.filters.text.value = "status:acknowledged"  # a status: search counts as a toggle
    assert ids(board) == ["a3"]
    assert (counts(board)["active"], counts(board)["acknowledged"]) == ("1", "1")
    assert counts(board)["matching"] == "1"


# -- plurals -------------------------------------------------------------------------------------


def test_counted_words_agree_with_their_number() -> None:
    assert [plural(n, "alert") for n in (0, 1, 2, 1204)] == [
        "0 alerts",
        "1 alert",
        "2 alerts",
        "1,204 alerts",
    ]
    assert [plural(n, "group") for n in (0, 1, 2)] == ["0 groups", "1 group", "2 groups"]
    assert [matching(n) for n in (0, 1, 2)] == [
        "0 alerts match",
        "1 alert matches",
        "2 alerts match",
    ]


def test_grouped_match_line(board: TriageBoard) -> None:
    board.group_by = "rule"
    board.filters.strategy_id.value = "2"
    assert status(board) == (["1 alert matches in 1 group"], [])
    board.filters.strategy_id.value = ""
    assert status(board) == (["5 alerts match in 5 groups"], [])


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node to run table.js")
def test_the_tables_ticked_count_reads_as_english() -> None:
    cases = [(a, g) for a in (0, 1, 2) for g in (0, 1, 2)]
    script = (
        f"import {{ tickedText }} from {json.dumps(TABLE_JS.as_uri())};"
        f"console.log(JSON.stringify({json.dumps(cases)}.map(([a, g]) => tickedText(a, g))));"
    )
    out = subprocess.run(
        ["node", "--input-type=module", "-e", script],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert json.loads(out) == [
        "nothing ticked",
        "1 group ticked",
        "2 groups ticked",
        "1 alert ticked",
        "1 alert and 1 group ticked",
        "1 alert and 2 groups ticked",
        "2 alerts ticked",
        "2 alerts and 1 group ticked",
        "2 alerts and 2 groups ticked",
    ]
    assert "alerts and ${groups} groups" not in TABLE_JS.read_text()


# -- relative times ------------------------------------------------------------------------------

T = datetime(2026, 1, 5, 15, tzinfo=UTC)


def test_format_ago_never_calls_a_past_event_future() -> None:
    assert format_ago(T, T + timedelta(minutes=7)) == "7 min ago"
    assert format_ago(T, T) == "0 s ago"
    assert format_ago(T + LAG, T) == "just now"  # happened: the clock that says otherwise lags
    assert format_ago(T + LAG, T, may_be_future=True) == "in 7 min"  # a snooze's end
    assert format_ago(T + timedelta(days=2), T, may_be_future=True) == "in 2 d"


def test_the_board_clock_never_lags_what_it_has_seen() -> None:
    clock = BoardClock(lambda: T)
    assert clock() == T
    clock.catch_up(T - timedelta(hours=1), None)
    assert clock() == T
    clock.catch_up(T + LAG)
    assert clock() == T + LAG
    moving = iter([T, T + timedelta(minutes=9)])
    clock = BoardClock(lambda: next(moving))
    clock.catch_up(T + LAG)
    assert (clock(), clock()) == (T + LAG, T + timedelta(minutes=9))


def test_an_action_stamped_after_the_boards_now_reads_as_past(
    board: TriageBoard, manager: SyncAlertManager
) -> None:
    board.table.selection = ["a0"]
    board.controls.user.value = "bo"
    board.controls.acknowledge.click()
    acked = manager.get_alert("a0").acknowledged_at
    assert acked is not None and acked >= NOW + LAG
    assert board._now() == acked  # caught up with the newest event in the table
    board.table.focused = "a0"
    detail = board.detail.value
    assert f"{format_time(acked)} (0 s ago)" in detail  # acknowledged_at and the history's at
    assert detail.count(f"{format_time(acked)} (0 s ago)") == 2
    assert "(in " not in detail
    assert f"{format_time(ALERTS[0].created_at)} (3 h ago)" in detail
    assert status(board)[0][0].startswith("acknowledged 1 of 1 selected alert")


# -- the search ----------------------------------------------------------------------------------


def test_an_invalid_search_clears_the_results(board: TriageBoard) -> None:
    board.filters.text.value = "severity:critical"
    assert status(board) == (
        [],
        ["search: severity: expected one of immediate, high, normal, low, got 'critical'"],
    )
    assert ids(board) == []
    assert (board.table.total, board.table.empty_text) == (0, INVALID)
    assert INVALID == "No results: fix the filters (see the message above) to list alerts again."
    assert set(counts(board).values()) == {"\u2014"}  # no stale figures either
    board.filters.text.value = "severity:immediate"
    assert ids(board) == ["a6", "a0"]
    assert board.table.empty_text == "No alerts match these filters."
    assert counts(board)["matching"] == "2"


def test_an_unknown_field_is_named_with_the_known_ones(board: TriageBoard) -> None:
    notice = (
        "search: foo: not a field, so 'foo:bar' was searched as words"
        " (the fields are symbol:, rule:, strategy:, status:, severity:, type:, id:)"
    )
    assert parse_search("foo:bar 15:30").notices == (notice,)
    assert parse_search("15:30 symbol:SPY").notices == ()  # a time is a free word
    board.filters.text.value = "foo:bar"
    assert ids(board) == []
    assert status(board) == (["0 alerts match", notice], [])
    board.refresh()  # the notice stays while the search does
    assert status(board)[0][1:] == [notice]
    board.filters.text.value = ""
    assert ids(board) == OPEN_NEWEST_FIRST
    assert status(board) == (["5 alerts match"], [])


# -- back to the start ---------------------------------------------------------------------------


def test_clear_filters_after_show_is_where_a_triager_starts(board: TriageBoard) -> None:
    board.group_by = "rule"
    board.filters.severity.value = "immediate"
    board.show("a4")  # resolved: any status, searched by id
    assert (board.filters.status.value, board.filters.text.value) == ((), "id:a4")
    assert counts(board)["active"] == "0"  # the "0 Active" after show()
    board.clear_filters()
    f = board.filters
    assert f.status.value == ("active", "acknowledged")
    assert (f.text.value, f.severity.value, f.show_snoozed.value) == ("", "", False)
    assert (board.table.focused, board.table.cursor, board.table.expanded) == ("", "", [])
    assert board.group_by == "rule"  # the grouping is a view, not a filter: it stays
    assert board.table.total == 5
    assert (counts(board)["active"], counts(board)["acknowledged"]) == ("3", "2")
    assert status(board) == (["5 alerts match in 5 groups"], [])
    assert "Click a row" in board.detail.value
