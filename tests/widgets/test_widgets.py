"""The triage board, headless: set filter values and click buttons from Python, then check
the table's rows, the header counts and the Delta table itself."""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from functools import partial
from html import escape, unescape
from pathlib import Path
from typing import Any

import ipywidgets as w
import polars as pl
import pytest
import traitlets
from _factories import an_alert

from alertkit import Alert, AlertNotFoundError, SyncAlertManager
from alertkit.widgets import TriageBoard
from alertkit.widgets._render import format_duration
from tests.conftest import StepClock

T0 = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
NOW = T0 + timedelta(hours=3)
TABLE_JS = Path(__file__).resolve().parents[2] / "alertkit" / "widgets" / "table.js"
HOSTILE = "<img src=x onerror=alert(1)>"
SCRIPT = "</script><script>alert(1)</script>"


# Roll alerts unless a test says otherwise: ``alert(id, minutes, ...)``.
alert = partial(
    an_alert,
    type="info",
    severity="normal",
    rule="dte_roll",
    title="Roll position: dte_roll",
    message="DTE 23 <= 25",
)


ALERTS = [
    alert(
        "a0",
        0,
        type="critical",
        severity="immediate",
        rule="stop_loss_hard",
        title="Close position: stop_loss_hard",
        message="Down 210% of credit",
        metadata={"upl_pct": -2.1, "threshold": -2.0},
    ),
    alert("a1", 10, symbol="QQQ", strategy_id=2, rule="take_profit_partial"),
    alert("a2", 20, status="acknowledged", symbol="IWM", strategy_id=3, ack_after=5),
    alert(
        "a3",
        30,
        status="acknowledged",
        type="warning",
        severity="high",
        strategy_id=4,
        rule="gamma_risk",
        ack_after=15,
    ),
    alert(
        "a4",
        40,
        status="resolved",
        type="warning",
        severity="high",
        strategy_id=5,
        rule="vix_level",
        resolved_at=NOW - timedelta(hours=1),
    ),
    alert(
        "a5",
        50,
        status="dismissed",
        symbol="QQQ",
        strategy_id=6,
        rule="iv_crush",
        resolved_at=T0 + timedelta(minutes=51),
    ),
    alert(
        "a6",
        60,
        type="critical",
        severity="immediate",
        symbol=HOSTILE,
        strategy_id=7,
        rule="catastrophe_drop",
        title=HOSTILE,
        message=SCRIPT,
        metadata={"html": HOSTILE, "</script>": SCRIPT},
    ),
    alert(
        "a7",
        -2 * 24 * 60,
        status="resolved",
        strategy_id=8,
        rule="time_exit",
        resolved_at=T0 - timedelta(days=1),
    ),
]
OPEN_NEWEST_FIRST = ["a6", "a3", "a2", "a1", "a0"]


@pytest.fixture
def lake_manager(tmp_path: Path) -> SyncAlertManager:
    manager = SyncAlertManager(tmp_path / "alerts", clock=StepClock(NOW), maintain_every=0)
    manager.initialize()
    manager.insert_alerts(ALERTS)
    return manager


@pytest.fixture
def board(lake_manager: SyncAlertManager) -> Iterator[TriageBoard]:
    b = TriageBoard(lake_manager, now=lambda: NOW)
    yield b
    b.close()


def ids(board: TriageBoard) -> list[str]:
    return [row["alert_id"] for row in board.table.rows]


def counts(board: TriageBoard) -> dict[str, str]:
    pattern = r'alertkit-count-([a-z-]+)"><span class="alertkit-count-value">([^<]*)</span>'
    return dict(re.findall(pattern, board.header.value))


def status(board: TriageBoard) -> tuple[list[str], list[str]]:
    """The status line's (plain, red) lines, as text."""
    lines = re.findall(
        r'<div class="alertkit-status-(info|error)">(.*?)</div>', board.status_line.value
    )
    return (
        [unescape(t) for kind, t in lines if kind == "info"],
        [unescape(t) for kind, t in lines if kind == "error"],
    )


def status_of(manager: SyncAlertManager) -> dict[str, str]:
    frame = pl.read_delta(manager.path).select("alert_id", "status").sort("alert_id")
    return dict(frame.iter_rows())


def all_html(widget: Any) -> list[str]:
    """Every HTML value in the widget tree (the only widget values rendered as markup)."""
    found = [widget.value] if isinstance(widget, w.HTML) else []
    for child in getattr(widget, "children", ()):
        found += all_html(child)
    return found


# -- opening ---------------------------------------------------------------------------------


def test_opens_on_open_alerts_newest_first(board: TriageBoard) -> None:
    assert ids(board) == OPEN_NEWEST_FIRST
    assert board.table.total == 5
    assert board.table.rows[-1] == {
        "kind": "alert",
        "group": "",
        "alert_id": "a0",
        "severity": "immediate",
        "type": "type: critical",
        "status": "active",
        "created_at": "3 h ago",
        "created_at_utc": "2026-01-05 15:00:00 UTC",
        "age": "overdue",  # immediate, unacknowledged for 3 h (window 15 min)
        "symbol": "SPY",
        "strategy_id": "1",
        "rule": "stop_loss_hard",
        "title": "Close position: stop_loss_hard",
        "message": "Down 210% of credit",
        "occurrences": "\u00d71",
        "occurrences_hover": "fired 1 time",
        "last_seen_at": "3 h ago",
        "last_seen_at_utc": "2026-01-05 15:00:00 UTC",
    }
    assert counts(board) == {
        "active": "3",
        "acknowledged": "2",
        "resolved-today": "1",  # a4; a7 was resolved the day before
        "open-immediate": "2",
        "median-ack": "10m",  # median of 5 and 15 minutes
        "matching": "5",
    }
    assert status(board) == (["5 alerts match"], [])
    assert [b.disabled for b in board.controls.buttons()] == [True, True, True]


def test_empty_table(tmp_path: Path) -> None:
    manager = SyncAlertManager(tmp_path / "empty")
    manager.initialize()
    board = TriageBoard(manager, now=lambda: NOW)
    assert (board.table.rows, board.table.total) == ([], 0)
    assert counts(board)["median-ack"] == "\u2014"
    assert board.filters.symbol.options == (("any", ""),)
    board.close()


def test_filter_choices_come_from_the_table(board: TriageBoard) -> None:
    assert [v for _, v in board.filters.symbol.options] == ["", HOSTILE, "IWM", "QQQ", "SPY"]
    assert [v for _, v in board.filters.rule.options][:3] == ["", "catastrophe_drop", "dte_roll"]


# -- filters ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("control", "value", "expected"),
    [
        ("status", ("resolved", "dismissed"), ["a5", "a4", "a7"]),
        ("status", (), ["a6", "a5", "a4", "a3", "a2", "a1", "a0", "a7"]),  # none chosen: any
        ("severity", "high", ["a3"]),
        ("type", "critical", ["a6", "a0"]),
        ("symbol", "SPY", ["a3", "a0"]),
        ("strategy_id", "2", ["a1"]),
        ("rule", "dte_roll", ["a2"]),
        ("text", "DOWN 210", ["a0"]),  # title or message, any case
        ("text", "gamma", ["a3"]),  # free words also search symbol and rule
        ("created_from", date(2026, 1, 5), OPEN_NEWEST_FIRST),
        ("created_to", date(2026, 1, 4), []),
    ],
)
def test_each_filter(board: TriageBoard, control: str, value: object, expected: list[str]) -> None:
    getattr(board.filters, control).value = value
    assert ids(board) == expected
    assert board.table.total == len(expected)
    assert status(board)[0][0].startswith(f"{len(expected)} alert")


def test_created_range_and_status_together(board: TriageBoard) -> None:
    board.filters.status.value = ("resolved",)
    board.filters.created_from.value = date(2026, 1, 3)
    board.filters.created_to.value = date(2026, 1, 3)
    assert ids(board) == ["a7"]


def test_counts_follow_every_filter_but_status(board: TriageBoard) -> None:
    board.filters.symbol.value = "SPY"
    assert ids(board) == ["a3", "a0"]
    assert counts(board) == {
        "active": "1",
        "acknowledged": "1",
        "resolved-today": "1",
        "open-immediate": "1",
        "median-ack": "15m",
        "matching": "2",
    }
    board.filters.status.value = ("active",)
    assert ids(board) == ["a0"]
    assert counts(board)["acknowledged"] == "1"  # the breakdown ignores the status filter
    assert counts(board)["matching"] == "1"


def test_bad_strategy_id_is_reported_and_not_applied(board: TriageBoard) -> None:
    board.filters.strategy_id.value = "12x"
    assert ids(board) == []  # no stale rows while the filters are invalid (issue 22)
    assert status(board) == (
        [],
        ["strategy_id: expected a whole number, got '12x'"],
    )


def test_reversed_date_range_is_reported(board: TriageBoard) -> None:
    board.filters.created_from.value = date(2026, 1, 6)
    assert ids(board) == []
    board.filters.created_to.value = date(2026, 1, 5)
    assert "expected from &lt;= to" in board.status_line.value
    assert ids(board) == []  # nothing listed while the range is reversed


def test_chart_pick_hook(board: TriageBoard) -> None:
    board.set_pick([{"rule": "dte_roll", "severity": "normal"}, {"rule": "x", "severity": "low"}])
    assert ids(board) == ["a2"]
    board.set_pick([])
    assert ids(board) == OPEN_NEWEST_FIRST


def test_follows_a_chart_selection(board: TriageBoard) -> None:
    alt = pytest.importorskip("altair")
    pick = alt.selection_point(name="pick", fields=["rule", "severity"])
    frame = pl.DataFrame({"rule": ["dte_roll"], "severity": ["normal"], "alerts": [1]})
    chart = alt.JupyterChart(
        alt.Chart(frame).mark_bar().encode(y="rule:N", x="alerts:Q").add_params(pick)
    )
    board.follow_chart(chart)
    assert ids(board) == OPEN_NEWEST_FIRST  # nothing picked yet

    def click(points: list[dict[str, str]]) -> None:  # what the chart's front end sends
        chart._vl_selections = {"pick": {"value": {"vlPoint": {"or": points}}, "store": []}}

    click([{"rule": "stop_loss_hard", "severity": "immediate"}])
    assert ids(board) == ["a0"]
    click([{"rule": "gamma_risk", "severity": "high"}, {"rule": "dte_roll", "severity": "normal"}])
    assert ids(board) == ["a3", "a2"]
    click([])
    assert ids(board) == OPEN_NEWEST_FIRST


# -- sorting and paging ----------------------------------------------------------------------


def test_sort_by_severity_rank_then_newest(board: TriageBoard) -> None:
    board.filters.status.value = ()
    board.table.sort_by = "severity"  # descending: most severe first, not alphabetical
    assert ids(board) == ["a6", "a0", "a4", "a3", "a5", "a2", "a1", "a7"]
    board.table.sort_desc = False
    assert ids(board) == ["a5", "a2", "a1", "a7", "a4", "a3", "a6", "a0"]


def test_sort_by_symbol_and_oldest_first(board: TriageBoard) -> None:
    board.table.sort_desc = False
    assert ids(board) == list(reversed(OPEN_NEWEST_FIRST))
    board.table.sort_by = "symbol"
    assert ids(board) == ["a6", "a2", "a1", "a3", "a0"]  # "<img..." < "IWM" < "QQQ" < "SPY"


def test_sort_by_unknown_column_is_refused(board: TriageBoard) -> None:
    with pytest.raises(traitlets.TraitError, match="sort_by: expected one of"):
        board.table.sort_by = "age"


@pytest.fixture
def many(tmp_path: Path) -> Iterator[TriageBoard]:
    manager = SyncAlertManager(tmp_path / "many", clock=StepClock(NOW), maintain_every=0)
    manager.initialize()
    manager.insert_alerts([alert(f"m{i:03d}", i, strategy_id=i) for i in range(60)])
    board = TriageBoard(manager, now=lambda: NOW)
    yield board
    board.close()


def test_pages(many: TriageBoard) -> None:
    table = many.table
    assert (len(table.rows), table.total, ids(many)[0]) == (25, 60, "m059")
    table.page = 2
    assert ids(many) == [f"m{i:03d}" for i in range(9, -1, -1)]
    table.page_size = 50  # page 2 no longer exists: the last page is shown
    assert table.page == 1
    assert ids(many) == [f"m{i:03d}" for i in range(9, -1, -1)]
    table.page_size = 100
    assert (table.page, len(table.rows)) == (0, 60)
    with pytest.raises(traitlets.TraitError, match="page_size: expected one of"):
        table.page_size = 30


def test_selection_stays_on_the_page(many: TriageBoard) -> None:
    many.table.select_page()
    assert many.table.selection == [f"m{i:03d}" for i in range(59, 34, -1)]
    assert [b.disabled for b in many.controls.buttons()] == [False, False, False]
    many.table.page = 1
    assert many.table.selection == []
    many.table.selection = ["m030"]
    many.filters.text.value = "roll"  # any filter change starts again at page 0, unselected
    assert (many.table.page, many.table.selection) == (0, [])


# -- actions ---------------------------------------------------------------------------------


def test_bulk_acknowledge(board: TriageBoard, lake_manager: SyncAlertManager) -> None:
    board.controls.user.value = "ana"
    board.controls.note.value = "looking"
    board.table.selection = ["a0", "a1"]
    board.controls.acknowledge.click()
    lake = status_of(lake_manager)
    assert (lake["a0"], lake["a1"], lake["a6"]) == ("acknowledged", "acknowledged", "active")
    assert lake_manager.get_alert("a0").history[-1] == lake_manager.get_alert("a1").history[-1]
    assert lake_manager.get_alert("a1").history[-1] == {
        "at": "2026-01-05T18:00:00.000000Z",  # one commit, one reading of the manager's clock
        "action": "acknowledge",
        "from": "active",
        "to": "acknowledged",
        "by": "ana",
        "note": "looking",
    }
    assert status(board) == (["acknowledged 2 of 2 selected alerts"], [])
    assert board.table.selection == []
    assert [b.disabled for b in board.controls.buttons()] == [True, True, True]
    assert board.controls.note.value == ""
    assert board.controls.user.value == "ana"
    assert counts(board)["active"] == "1"
    assert counts(board)["acknowledged"] == "4"
    assert [r["status"] for r in board.table.rows] == [
        "active",
        "acknowledged",
        "acknowledged",
        "acknowledged",
        "acknowledged",
    ]


def test_illegal_transition_is_named_and_the_others_proceed(
    board: TriageBoard, lake_manager: SyncAlertManager
) -> None:
    board.filters.status.value = ()
    board.table.selection = ["a5", "a0", "a2"]  # a5 is dismissed: it cannot be resolved
    board.controls.resolve.click()
    lake = status_of(lake_manager)
    assert (lake["a5"], lake["a0"], lake["a2"]) == ("dismissed", "resolved", "resolved")
    # The success line stays plain; the failure names the alert as a trader would.
    assert status(board) == (
        ["resolved 2 of 3 selected alerts"],
        [
            "could not resolve iv_crush \u00b7 QQQ \u00b7 strategy 6: its status is dismissed"
            " (a terminal state)"
        ],
    )
    assert counts(board)["resolved-today"] == "3"


def test_dismiss_and_unknown_alert(board: TriageBoard, lake_manager: SyncAlertManager) -> None:
    board.table.selection = ["a3", "gone-1"]
    board.controls.dismiss.click()
    assert status_of(lake_manager)["a3"] == "dismissed"
    assert status(board) == (
        ["dismissed 1 of 2 selected alerts"],
        ["could not dismiss alert gone-1: it is no longer in the table"],
    )
    assert ids(board) == ["a6", "a2", "a1", "a0"]


def test_acting_on_nothing_says_so(board: TriageBoard, lake_manager: SyncAlertManager) -> None:
    before = status_of(lake_manager)
    board.controls.acknowledge.click()
    assert status(board) == ([], ["tick one or more alerts or groups first"])
    assert status_of(lake_manager) == before


# -- detail panel ----------------------------------------------------------------------------


def test_detail_panel_shows_every_field_metadata_and_history(board: TriageBoard) -> None:
    assert "Click a row" in board.detail.value
    board.table.selection = ["a0"]
    board.controls.user.value = "bo"
    board.controls.note.value = "hedged"
    board.controls.acknowledge.click()
    board.table.focused = "a0"
    detail = board.detail.value
    for name in Alert.__dataclass_fields__:
        if name not in ("metadata", "history"):
            assert f"<th>{name}</th>" in detail
    assert '<td class="alertkit-field-status">acknowledged</td>' in detail
    assert (
        '<pre class="alertkit-metadata">{\n  &quot;threshold&quot;: -2.0,\n'
        "  &quot;upl_pct&quot;: -2.1\n}</pre>"
    ) in detail
    assert (
        "<td>acknowledge</td><td>active</td><td>acknowledged</td><td>bo</td><td>hedged</td>"
    ) in detail


def test_detail_of_a_missing_alert(board: TriageBoard) -> None:
    board.table.focused = "gone-2"
    assert "alert gone-2 is no longer in the table" in board.detail.value


# -- refreshing ------------------------------------------------------------------------------


def test_refresh_reads_other_writers(board: TriageBoard, lake_manager: SyncAlertManager) -> None:
    other = SyncAlertManager(lake_manager.path, maintain_every=0)
    other.insert_alerts([alert("b1", 120, symbol="DIA", strategy_id=99)])
    assert ids(board) == OPEN_NEWEST_FIRST  # nothing moves until asked
    board.controls.refresh.click()
    assert ids(board) == ["b1", *OPEN_NEWEST_FIRST]
    assert ("DIA", "DIA") in board.filters.symbol.options
    version = lake_manager.version()
    assert status(board) == (
        [f"refresh 1 at 2026-01-05 18:00:00 UTC (table version {version}): 6 alerts match"],
        [],
    )


def test_auto_refresh_runs_until_switched_off(
    board: TriageBoard, lake_manager: SyncAlertManager
) -> None:
    board.controls.interval.value = 1  # while off, changing the interval starts nothing
    assert not board._ticker.running
    board.controls.auto_refresh.value = True
    assert status(board) == (["auto-refresh every 1 s"], [])
    SyncAlertManager(lake_manager.path).insert_alerts([alert("b2", 121, strategy_id=98)])
    deadline = time.monotonic() + 15
    while board.table.total != 6 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ids(board)[0] == "b2"
    board.controls.auto_refresh.value = False
    assert status(board) == (["auto-refresh off"], [])
    board.close()  # joins the thread
    assert not board._ticker.running


# -- hostile text ----------------------------------------------------------------------------


def test_hostile_text_is_escaped_in_every_html(board: TriageBoard) -> None:
    board.filters.status.value = ()
    board.table.focused = "a6"
    board.table.selection = ["a6"]
    board.controls.note.value = HOSTILE
    board.controls.user.value = SCRIPT
    board.controls.acknowledge.click()  # puts the hostile note and name into the history
    board.table.focused = ""
    board.table.focused = "a6"
    html = all_html(board)
    assert len(html) == 3  # header, status line, detail
    for value in html:
        assert "<img" not in value
        assert "<script" not in value
        assert "</script" not in value
    detail = board.detail.value
    assert f'<td class="alertkit-field-title">{escape(HOSTILE)}</td>' in detail
    assert f'<td class="alertkit-field-message">{escape(SCRIPT)}</td>' in detail
    assert f'<td class="alertkit-field-symbol">{escape(HOSTILE)}</td>' in detail
    assert f"<h4>{escape(HOSTILE)}</h4>" in detail
    assert escape('"html": "<img src=x onerror=alert(1)>"') in detail
    assert f"<td>{escape(SCRIPT)}</td><td>{escape(HOSTILE)}</td>" in detail  # by, note
    # The table gets the text as is; its front end sets it with textContent only.
    assert board.table.rows[0]["title"] == HOSTILE


def test_table_front_end_never_parses_markup() -> None:
    import alertkit.widgets as widgets

    source = (Path(widgets.__file__).parent / "table.js").read_text()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in source.replace("never innerHTML", "")


def test_format_duration_edges() -> None:
    assert [format_duration(s) for s in (-5, 0, 59, 60, 3599, 3600, 86_399, 86_400)] == [
        "0s",
        "0s",
        "59s",
        "1m",
        "59m",
        "1h 00m",
        "23h 59m",
        "1d 00h",
    ]


# -- issue 13: defects -----------------------------------------------------------------------


def test_now_may_be_a_datetime_a_callable_or_the_managers_clock(
    lake_manager: SyncAlertManager,
) -> None:
    fixed = TriageBoard(lake_manager, now=NOW)
    called = TriageBoard(lake_manager, now=lambda: NOW)
    clocked = TriageBoard(lake_manager)  # the manager's StepClock starts at NOW
    try:
        assert fixed.table.rows == called.table.rows
        assert fixed.table.rows[-1]["created_at"] == "3 h ago"
        assert clocked.table.rows[-1]["created_at"] == "3 h ago"
    finally:
        for b in (fixed, called, clocked):
            b.close()


def test_an_async_manager_is_accepted(lake_manager: SyncAlertManager) -> None:
    from alertkit import AlertManager

    board = TriageBoard(AlertManager(lake_manager.path), now=NOW)
    board.table.selection = ["a1"]
    board.controls.acknowledge.click()
    assert status_of(lake_manager)["a1"] == "acknowledged"
    board.close()


def test_keys_stay_inside_the_table() -> None:
    """JupyterLab's command-mode shortcuts (``a`` adds a cell, ``d d`` deletes one) must not
    see keys typed in the table; the browser test proves it, this keeps the mechanism."""
    import alertkit.widgets as widgets

    source = (Path(widgets.__file__).parent / "table.js").read_text()
    handler = source[source.index("function onKey(event) {") :]
    assert handler.index("event.stopPropagation();") < handler.index("const key = event.key;")
    assert 'host.addEventListener("keydown", onKey);' in source
    assert 'root.setAttribute("data-lm-suppress-shortcuts", "true");' in source


def send_key_action(board: TriageBoard, action: str) -> None:
    """What table.js sends when a, r or d is pressed in the table."""
    board.table._handle_custom_msg({"type": "act", "action": action}, [])


def test_keyboard_actions_use_the_ticked_rows_else_the_cursor(
    board: TriageBoard, lake_manager: SyncAlertManager
) -> None:
    board.controls.note.value = "via keys"
    board.table.cursor = "a1"
    send_key_action(board, "acknowledge")  # nothing ticked: the row the cursor is on
    assert status_of(lake_manager)["a1"] == "acknowledged"
    assert lake_manager.get_alert("a1").history[-1]["note"] == "via keys"
    board.table.selection = ["a0", "a6"]
    board.table.cursor = "a3"
    send_key_action(board, "dismiss")  # ticked rows win over the cursor
    lake = status_of(lake_manager)
    assert (lake["a0"], lake["a6"], lake["a3"]) == ("dismissed", "dismissed", "acknowledged")
    board.table.cursor = ""
    send_key_action(board, "resolve")
    assert status(board) == ([], ["move to an alert (j/k) or tick one (x) first"])


def front_end_sets(board: TriageBoard, **changes: Any) -> None:
    """What table.js sends for a click or a key that changes traits."""
    board.table._handle_custom_msg({"type": "set", "changes": changes}, [])


def test_front_end_changes_arrive_in_order_with_actions(
    many: TriageBoard,
) -> None:
    """Ticks travel as messages, in order with the key that acts on them: a tick can never
    arrive after the action and re-tick what it cleared."""
    front_end_sets(many, cursor="m059")
    front_end_sets(many, selection=["m059"])
    front_end_sets(many, selection=["m059", "m058"])
    send_key_action(many, "resolve")
    assert status(many) == (["resolved 2 of 2 selected alerts"], [])
    assert many.table.selection == []
    many.table.page = 2
    front_end_sets(many, sort_by="strategy_id", sort_desc=False)  # one click, one reload
    assert (many.table.page, ids(many)[0]) == (0, "m000")
    front_end_sets(many, page_size=30)
    assert status(many)[1] == ["page_size: expected one of (25, 50, 100), got 30"]


def test_sorting_goes_back_to_the_first_page(many: TriageBoard) -> None:
    many.table.page = 2
    many.table.sort_by = "strategy_id"
    assert many.table.page == 0
    many.table.page = 1
    many.table.sort_desc = not many.table.sort_desc
    assert many.table.page == 0
    assert ids(many)[0] == "m000"  # strategy_id ascending: "0" first


def test_a_refresh_shows_even_with_now_pinned(board: TriageBoard) -> None:
    board.controls.refresh.click()
    first = status(board)[0]
    board.controls.refresh.click()
    second = status(board)[0]
    assert first != second
    assert second[0].startswith("refresh 2 at 2026-01-05 18:00:00 UTC (table version ")


def test_detail_panel_never_shows_an_alert_the_filters_hide(board: TriageBoard) -> None:
    board.table.focused = "a0"
    assert "<h4>Close position: stop_loss_hard</h4>" in board.detail.value
    board.filters.symbol.value = "QQQ"
    assert (ids(board), board.table.focused) == (["a1"], "")
    assert "Click a row" in board.detail.value
    board.filters.symbol.value = ""
    board.table.focused = "a2"
    board.table.selection = ["a2"]
    board.controls.resolve.click()  # a2 leaves the open view: its details go too
    assert board.table.focused == ""


def test_the_table_does_not_scroll_inside_the_notebook() -> None:
    """A scroll area inside the notebook's own scroll traps the wheel; the page scrolls."""
    css = (TABLE_JS.parent / "board.css").read_text()
    rule = re.search(r"\.alertkit-table-scroll \{([^}]*)\}", css)
    assert rule is not None
    assert "max-height" not in rule.group(1) and "overflow-y" not in rule.group(1)
    assert "table-layout: fixed" in css  # long text is cut and shown whole on hover


def test_counts_of_one_and_none_read_as_english(board: TriageBoard) -> None:
    board.filters.strategy_id.value = "2"
    assert status(board) == (["1 alert matches"], [])
    board.filters.strategy_id.value = "999"
    assert status(board) == (["0 alerts match"], [])
    source = TABLE_JS.read_text()
    assert "total === 0\n        ? `no ${unit}s`" in source  # never "0-0 of 0"


def test_a_missing_lake_says_so_and_not_no_match(tmp_path: Path) -> None:
    board = TriageBoard(SyncAlertManager(tmp_path / "nowhere"), now=NOW)
    try:
        info, errors = status(board)
        assert info == []
        assert errors[0].startswith("could not read the alerts table: ")
        assert board.table.rows == []
        assert (
            board.table.empty_text == "The alerts table could not be read: see the message above."
        )
        board.filters.text.value = "spy"  # still unreadable: still no "No alerts match"
        assert "No alerts match" not in board.table.empty_text
    finally:
        board.close()


def test_status_toggles_add_with_a_plain_click(board: TriageBoard) -> None:
    toggles = board.filters.status.toggles
    assert [t.value for t in toggles.values()] == [True, True, False, False]
    toggles["resolved"].value = True  # one click adds, nothing replaced
    assert board.filters.status.value == ("active", "acknowledged", "resolved")
    assert ids(board) == ["a6", "a4", "a3", "a2", "a1", "a0", "a7"]
    toggles["active"].value = False  # a second click removes
    assert ids(board) == ["a4", "a3", "a2", "a7"]
    board.filters.status.value = ("dismissed",)  # setting the value moves the toggles
    assert [t.value for t in toggles.values()] == [False, False, False, True]
    with pytest.raises(traitlets.TraitError, match="status: expected some of"):
        board.filters.status.value = ("open",)


def test_free_words_search_symbol_and_rule(board: TriageBoard) -> None:
    board.filters.text.value = "spy"
    assert ids(board) == ["a3", "a0"]  # "SPY" is in neither title nor message
    board.filters.text.value = "take_profit"
    assert ids(board) == ["a1"]
    assert board.table.highlight == ["take_profit"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("symbol:SPY", ["a3", "a0"]),
        ("symbol:spy,iwm", ["a3", "a2", "a0"]),
        ("rule:*_risk", ["a3"]),
        ("rule:stop_* symbol:SPY", ["a0"]),
        ("strategy:2", ["a1"]),
        ("strategy:2 strategy:3", ["a2", "a1"]),
        ("status:acknowledged", ["a3", "a2"]),  # replaces the status toggles
        ("status:dismissed", ["a5"]),
        ("severity:immediate", ["a6", "a0"]),
        ("id:a4 status:resolved", ["a4"]),
        ('"down 210%"', ["a0"]),
        ("roll 25", ["a3", "a2", "a1"]),  # every word somewhere in the row
        ("15:00", []),  # not a field: a free word
    ],
)
def test_field_qualified_search(board: TriageBoard, text: str, expected: list[str]) -> None:
    board.filters.text.value = text
    assert ids(board) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("strategy:abc", "search: strategy: expected a whole number, got 'abc'"),
        ("status:open", "search: status: expected one of active, acknowledged, resolved,"),
        ("symbol:", "search: symbol: needs a value, e.g. symbol:SPY"),
    ],
)
def test_bad_search_terms_are_named(board: TriageBoard, text: str, message: str) -> None:
    board.filters.text.value = text
    assert status(board)[1][0].startswith(message)
    assert ids(board) == []  # no stale results of the last valid search (issue 22)


def test_matches_are_marked_as_text(board: TriageBoard) -> None:
    board.filters.status.value = ()
    board.filters.text.value = f"symbol:qqq {HOSTILE[:4]}"
    assert board.table.highlight == ["<img", "qqq"]
    source = TABLE_JS.read_text()
    marked = source[source.index("function appendMarked") : source.index("function render")]
    assert "createTextNode" in marked and "innerHTML" not in marked


# -- columns and times -----------------------------------------------------------------------


def test_occurrences_last_seen_and_age_levels(tmp_path: Path) -> None:
    manager = SyncAlertManager(tmp_path / "ages", maintain_every=0)
    manager.initialize()
    fresh = alert("f", 170, strategy_id=11)  # 10 min old
    repeated = dataclasses.replace(
        alert("r", 60, strategy_id=12),
        occurrences=11,
        last_seen_at=NOW - timedelta(minutes=5),
    )
    late = alert("l", -600, strategy_id=13)  # 13 h
    overdue = alert("o", -3000, strategy_id=14)  # 2 d 5 h
    acked = alert("k", -3000, strategy_id=15, status="acknowledged", ack_after=1)
    manager.insert_alerts([fresh, repeated, late, overdue, acked])
    board = TriageBoard(manager, now=NOW)
    try:
        rows = {r["alert_id"]: r for r in board.table.rows}
        # Normal alerts: coloured only past their one-day window (tests/widgets/test_board_look.py
        # has the other severities).
        assert {k: rows[k]["age"] for k in "frlok"} == {
            "f": "",
            "r": "",
            "l": "",
            "o": "late",
            "k": "",  # acknowledged: nobody is waiting any more
        }
        assert (rows["r"]["occurrences"], rows["r"]["occurrences_hover"]) == (
            "\u00d711",
            "fired 11 times",
        )
        assert (rows["r"]["last_seen_at"], rows["r"]["last_seen_at_utc"]) == (
            "5 min ago",
            "2026-01-05 17:55:00 UTC",
        )
        assert rows["o"]["created_at"] == "2 d ago"
        keys = [c["key"] for c in board.table.columns]
        assert "occurrences" in keys and "last_seen_at" in keys and "type" not in keys
        board.table.sort_by = "occurrences"
        assert ids(board)[0] == "r"
    finally:
        board.close()


def test_one_timestamp_format_everywhere(board: TriageBoard) -> None:
    stamp = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC")
    board.table.selection = ["a0"]
    board.controls.acknowledge.click()
    board.table.focused = "a0"
    detail = board.detail.value
    assert "2026-01-05 15:00:00 UTC (3 h ago)" in detail  # created_at
    assert "<td>2026-01-05 18:00:00 UTC (0 s ago)</td><td>acknowledge</td>" in detail  # history
    assert "T15:00" not in detail and "+00:00" not in detail
    for row in board.table.rows:
        assert stamp.fullmatch(row["created_at_utc"])


def test_a_dismissed_alert_shows_when_it_was_dismissed(board: TriageBoard) -> None:
    board.show("a5")
    assert (
        '<th>dismissed_at</th><td class="alertkit-field-dismissed_at">2026-01-05 15:51:00 UTC'
        in board.detail.value
    )
    assert "<th>resolved_at</th>" not in board.detail.value
    board.show("a4")
    assert "<th>resolved_at</th>" in board.detail.value


def test_open_immediate_counts_by_severity(tmp_path: Path) -> None:
    manager = SyncAlertManager(tmp_path / "sev", maintain_every=0)
    manager.initialize()
    manager.insert_alerts(
        [
            alert("i", 0, type="warning", severity="immediate", strategy_id=1),
            alert("c", 1, type="critical", severity="high", strategy_id=2),
        ]
    )
    board = TriageBoard(manager, now=NOW)
    assert counts(board)["open-immediate"] == "1"
    assert board.table.rows[-1]["type"] == "type: warning"  # on hover of the severity
    board.close()


# -- actions ---------------------------------------------------------------------------------


def test_buttons_follow_what_the_selection_can_take(board: TriageBoard) -> None:
    def enabled() -> dict[str, bool]:
        return {b.description: not b.disabled for b in board.controls.buttons()}

    board.filters.status.value = ()
    board.table.selection = ["a2"]  # acknowledged: resolve or dismiss only
    assert enabled() == {"Acknowledge": False, "Resolve": True, "Dismiss": True}
    board.table.selection = ["a4", "a5"]  # resolved and dismissed: nothing
    assert enabled() == {"Acknowledge": False, "Resolve": False, "Dismiss": False}
    board.table.selection = ["a4", "a1"]  # one active alert is enough
    assert enabled() == {"Acknowledge": True, "Resolve": True, "Dismiss": True}
    board.table.selection = []
    assert enabled() == {"Acknowledge": False, "Resolve": False, "Dismiss": False}


def test_show_focuses_one_alert_from_code(board: TriageBoard) -> None:
    board.filters.symbol.value = "IWM"
    board.show("a7")  # resolved, another symbol: the filters make way
    assert ids(board) == ["a7"]
    assert board.filters.text.value == "id:a7"
    assert (board.table.focused, board.table.cursor) == ("a7", "a7")
    assert 'class="alertkit-field-alert_id">a7<' in board.detail.value
    assert status(board) == (["showing alert time_exit \u00b7 SPY \u00b7 strategy 8"], [])
    with pytest.raises(AlertNotFoundError):
        board.show("nope")


# -- grouping --------------------------------------------------------------------------------


@pytest.fixture
def flapping(tmp_path: Path) -> Iterator[tuple[TriageBoard, SyncAlertManager]]:
    """Eleven VIX alerts on eleven positions, three gamma alerts on one, one resolved."""
    manager = SyncAlertManager(tmp_path / "groups", clock=StepClock(NOW), maintain_every=0)
    manager.initialize()
    vix = [
        alert(
            f"v{i:02d}",
            i,
            type="warning",
            severity="high",
            symbol="SPY" if i % 2 else "QQQ",
            strategy_id=100 + i,
            rule="vix_level",
            title="Close position: vix_level",
            message="VIX 35.63 above 35.00",
        )
        for i in range(11)
    ]
    gamma = [
        alert(
            f"g{i}",
            20 + i,
            severity="high",
            type="warning",
            symbol="IWM",
            strategy_id=7,
            rule=f"gamma_risk_{i}",
        )
        for i in range(3)
    ]
    stop = alert(
        "s0",
        30,
        type="critical",
        severity="immediate",
        strategy_id=7,
        symbol="IWM",
        rule="stop_loss_hard",
    )
    done = alert(
        "d0",
        40,
        status="resolved",
        strategy_id=8,
        rule="vix_level",
        resolved_at=NOW - timedelta(minutes=1),
    )
    manager.insert_alerts([*vix, *gamma, stop, done])
    board = TriageBoard(manager, now=NOW, group_by="rule")
    yield board, manager
    board.close()


def groups(board: TriageBoard) -> list[tuple[str, str]]:
    return [(r["key"], r["summary"]) for r in board.table.rows if r["kind"] == "group"]


def test_group_by_rule_counts_and_orders_by_severity(
    flapping: tuple[TriageBoard, SyncAlertManager],
) -> None:
    board, _ = flapping
    assert board.table.groups_total == 5
    assert groups(board) == [
        ("stop_loss_hard", "1 alert \u00b7 1 active \u00b7 newest 2 h ago"),
        ("vix_level", "11 alerts \u00b7 11 active \u00b7 newest 2 h ago"),
        ("gamma_risk_0", "1 alert \u00b7 1 active \u00b7 newest 2 h ago"),
        ("gamma_risk_1", "1 alert \u00b7 1 active \u00b7 newest 2 h ago"),
        ("gamma_risk_2", "1 alert \u00b7 1 active \u00b7 newest 2 h ago"),
    ]
    assert board.table.rows[1]["severity"] == "high"
    assert status(board) == (["15 alerts match in 5 groups"], [])
    assert repr(board).endswith("grouped by rule)")


def test_group_by_position_and_symbol(flapping: tuple[TriageBoard, SyncAlertManager]) -> None:
    board, _ = flapping
    board.group_by = "position"
    assert board.grouping.value == "position"
    rows = [r for r in board.table.rows if r["kind"] == "group"]
    assert (rows[0]["key"], rows[0]["label"], rows[0]["alerts"]) == (
        "7",
        "strategy 7 \u00b7 IWM",
        "4",
    )
    assert board.table.groups_total == 12
    board.grouping.value = "symbol"  # the dropdown sets the same trait
    assert board.group_by == "symbol"
    assert [(r["key"], r["alerts"]) for r in board.table.rows] == [
        ("IWM", "4"),
        ("QQQ", "6"),
        ("SPY", "5"),
    ]
    assert status(board) == (["15 alerts match in 3 groups"], [])
    board.group_by = None
    assert len(board.table.rows) == 15 and board.table.rows[0]["kind"] == "alert"
    with pytest.raises(traitlets.TraitError):
        board.group_by = "day"


def test_groups_expand_and_collapse(flapping: tuple[TriageBoard, SyncAlertManager]) -> None:
    board, _ = flapping
    board.table.expanded = ["vix_level"]
    kinds = [(r["kind"], r.get("key") or r.get("alert_id")) for r in board.table.rows]
    assert kinds[:3] == [("group", "stop_loss_hard"), ("group", "vix_level"), ("alert", "v10")]
    members = [r for r in board.table.rows if r.get("group") == "vix_level"]
    assert len(members) == 11 and members[-1]["alert_id"] == "v00"
    assert board.table.rows[1]["expanded"] == "true"
    board.table.page_size = 25
    board.table.expanded = []
    assert len(board.table.rows) == 5


def test_bulk_action_on_a_whole_group(flapping: tuple[TriageBoard, SyncAlertManager]) -> None:
    board, manager = flapping
    board.filters.status.value = ()  # the resolved vix alert is in the group too
    board.table.group_selection = ["vix_level"]
    assert [b.disabled for b in board.controls.buttons()] == [False, False, False]
    board.controls.user.value = "ana"
    board.controls.acknowledge.click()
    lake = status_of(manager)
    assert [lake[f"v{i:02d}"] for i in range(11)] == ["acknowledged"] * 11
    assert lake["d0"] == "resolved"  # could not take it: not sent, not a failure
    assert lake["s0"] == "active"
    assert status(board) == (["acknowledged 11 of 11 selected alerts"], [])
    assert board.table.group_selection == []
    board.table.group_selection = ["vix_level"]  # all acknowledged now
    assert [b.disabled for b in board.controls.buttons()] == [True, False, False]


def test_group_rows_on_pages(flapping: tuple[TriageBoard, SyncAlertManager]) -> None:
    board, _ = flapping
    board.group_by = "position"
    assert len(board.table.rows) == 12
    board.table.select_page()
    assert len(board.table.group_selection) == 12
    board.filters.text.value = "vix"
    assert board.table.group_selection == []
    assert board.table.groups_total == 11
