"""The triage board, headless: set filter values and click buttons from Python, then check
the table's rows, the header counts and the Delta table itself."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from html import escape
from pathlib import Path
from typing import Any

import ipywidgets as w
import polars as pl
import pytest
import traitlets

from alertkit import Alert, SyncAlertManager
from alertkit.widgets import TriageBoard
from alertkit.widgets._render import format_duration
from tests.conftest import StepClock

T0 = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
NOW = T0 + timedelta(hours=3)
HOSTILE = "<img src=x onerror=alert(1)>"
SCRIPT = "</script><script>alert(1)</script>"


def alert(
    alert_id: str,
    minutes: int,
    *,
    status: str = "active",
    kind: str = "info",
    severity: str = "normal",
    symbol: str = "SPY",
    strategy_id: int = 1,
    rule: str = "dte_roll",
    title: str = "Roll position: dte_roll",
    message: str = "DTE 23 <= 25",
    metadata: dict[str, Any] | None = None,
    ack_after: int | None = None,
    resolved_at: datetime | None = None,
) -> Alert:
    created = T0 + timedelta(minutes=minutes)
    return Alert(
        alert_id=alert_id,
        type=kind,
        severity=severity,
        status=status,
        title=title,
        message=message,
        rule=rule,
        symbol=symbol,
        strategy_id=strategy_id,
        metadata=metadata or {},
        created_at=created,
        acknowledged_at=None if ack_after is None else created + timedelta(minutes=ack_after),
        resolved_at=resolved_at,
    )


ALERTS = [
    alert(
        "a0",
        0,
        kind="critical",
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
        kind="warning",
        severity="high",
        strategy_id=4,
        rule="gamma_risk",
        ack_after=15,
    ),
    alert(
        "a4",
        40,
        status="resolved",
        kind="warning",
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
        kind="critical",
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
        "alert_id": "a0",
        "created_at": "2026-01-05 15:00:00Z",
        "age": "3h 00m",
        "severity": "immediate",
        "type": "critical",
        "status": "active",
        "symbol": "SPY",
        "strategy_id": "1",
        "rule": "stop_loss_hard",
        "title": "Close position: stop_loss_hard",
        "message": "Down 210% of credit",
    }
    assert counts(board) == {
        "active": "3",
        "acknowledged": "2",
        "resolved-today": "1",  # a4; a7 was resolved the day before
        "open-critical": "2",
        "median-ack": "10m",  # median of 5 and 15 minutes
        "matching": "5",
    }
    assert board.status_line.value == (
        '<div class="alertkit-status alertkit-status-info">refreshed: 5 alerts match</div>'
    )
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
        ("text", "gamma", []),
        ("created_from", date(2026, 1, 5), OPEN_NEWEST_FIRST),
        ("created_to", date(2026, 1, 4), []),
    ],
)
def test_each_filter(board: TriageBoard, control: str, value: object, expected: list[str]) -> None:
    getattr(board.filters, control).value = value
    assert ids(board) == expected
    assert board.table.total == len(expected)
    assert board.status_line.value.endswith(f">{len(expected)} alerts match</div>")


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
        "open-critical": "1",
        "median-ack": "15m",
        "matching": "2",
    }
    board.filters.status.value = ("active",)
    assert ids(board) == ["a0"]
    assert counts(board)["acknowledged"] == "1"  # the breakdown ignores the status filter
    assert counts(board)["matching"] == "1"


def test_bad_strategy_id_is_reported_and_not_applied(board: TriageBoard) -> None:
    board.filters.strategy_id.value = "12x"
    assert ids(board) == OPEN_NEWEST_FIRST
    assert "alertkit-status-error" in board.status_line.value
    assert "strategy_id: expected a whole number, got &#x27;12x&#x27;" in board.status_line.value


def test_reversed_date_range_is_reported(board: TriageBoard) -> None:
    board.filters.created_from.value = date(2026, 1, 6)
    assert ids(board) == []
    board.filters.created_to.value = date(2026, 1, 5)
    assert "expected from &lt;= to" in board.status_line.value
    assert ids(board) == []  # as the last valid filters left it


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
    assert board.status_line.value == (
        '<div class="alertkit-status alertkit-status-info">'
        "acknowledged 2 of 2 selected alerts</div>"
    )
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
    assert board.status_line.value == (
        '<div class="alertkit-status alertkit-status-error">resolved 2 of 3 selected alerts<br>'
        "could not resolve a5: its status is dismissed (a terminal state)</div>"
    )
    assert counts(board)["resolved-today"] == "3"


def test_dismiss_and_unknown_alert(board: TriageBoard, lake_manager: SyncAlertManager) -> None:
    board.table.selection = ["a3", "gone-1"]
    board.controls.dismiss.click()
    assert status_of(lake_manager)["a3"] == "dismissed"
    assert "could not dismiss gone-1: it is no longer in the table" in board.status_line.value
    assert ids(board) == ["a6", "a2", "a1", "a0"]


def test_acting_on_nothing_says_so(board: TriageBoard, lake_manager: SyncAlertManager) -> None:
    before = status_of(lake_manager)
    board.controls.acknowledge.click()
    assert "select one or more alerts first" in board.status_line.value
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
    assert "alert gone-2 is not in the table" in board.detail.value


# -- refreshing ------------------------------------------------------------------------------


def test_refresh_reads_other_writers(board: TriageBoard, lake_manager: SyncAlertManager) -> None:
    other = SyncAlertManager(lake_manager.path, maintain_every=0)
    other.insert_alerts([alert("b1", 120, symbol="DIA", strategy_id=99)])
    assert ids(board) == OPEN_NEWEST_FIRST  # nothing moves until asked
    board.controls.refresh.click()
    assert ids(board) == ["b1", *OPEN_NEWEST_FIRST]
    assert ("DIA", "DIA") in board.filters.symbol.options
    assert board.status_line.value.endswith(
        "refreshed at 2026-01-05 18:00:00Z: 6 alerts match</div>"
    )


def test_auto_refresh_runs_until_switched_off(
    board: TriageBoard, lake_manager: SyncAlertManager
) -> None:
    board.controls.interval.value = 1  # while off, changing the interval starts nothing
    assert not board._ticker.running
    board.controls.auto_refresh.value = True
    assert board.status_line.value.endswith(">auto-refresh every 1 s</div>")
    SyncAlertManager(lake_manager.path).insert_alerts([alert("b2", 121, strategy_id=98)])
    deadline = time.monotonic() + 15
    while board.table.total != 6 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ids(board)[0] == "b2"
    board.controls.auto_refresh.value = False
    assert board.status_line.value.endswith(">auto-refresh off</div>")
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
