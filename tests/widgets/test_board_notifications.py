"""The board's detail panel lists the open alert's notification log, headlessly.

Real lakes in ``tmp_path`` and real handlers on either manager (the SyncAlertManager and the
async AlertManager): deliver, open the alert on the board, and read the section's rows back
out of the detail panel's HTML.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from html import escape, unescape
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from _factories import close_now, position
from _managers import Driver, ManualClock

from alertkit import Alert, AlertManager, SyncAlertManager
from alertkit.live.notification_log import log_rows
from alertkit.model.notification_log import NOTIFICATION_LOG_SCHEMA
from alertkit.notify import Due, Muted, Notification
from alertkit.widgets import TriageBoard
from alertkit.widgets._notifications import notifications_html, unreadable_html

AT = datetime(2026, 1, 5, 15, 0, 27, tzinfo=UTC)
"""The managers' clock stands here: every log row's ``at``."""
NOW = AT + timedelta(hours=2)
WHEN = "2026-01-05 15:00 UTC"
HOSTILE = "<img src=x onerror=alert(1)>"

Row = tuple[str, ...]


def delivered(alert: Alert) -> None:
    """A handler that always gets through."""


def down(alert: Alert) -> None:
    raise RuntimeError("pager down")


def hostile(alert: Alert) -> None:
    raise RuntimeError(HOSTILE)


@pytest.fixture(params=["SyncAlertManager", "AlertManager"])
def make(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., Driver]]:
    """``make()``: a Driver of the parametrised manager kind on a fresh lake, clock at AT."""
    made: list[Driver] = []

    def build(name: str = "alerts") -> Driver:
        kind = SyncAlertManager if request.param == "SyncAlertManager" else AlertManager
        driver = Driver(kind(tmp_path / "lake" / name, clock=ManualClock(AT), maintain_every=0))
        driver.initialize()
        made.append(driver)
        return driver

    yield build
    for driver in made:  # no delivery left running into the next test
        driver.core.flush_notifications(30)


def opened(driver: Driver, alert_id: str) -> TriageBoard:
    """A board on ``driver``'s manager (of its own kind) with ``alert_id``'s details open."""
    board = TriageBoard(driver.manager, now=NOW)
    board.table.focused = alert_id
    return board


def section(board: TriageBoard) -> str:
    """The notifications section of the detail panel (it closes the panel)."""
    detail = board.detail.value
    start = detail.index("<h5>notifications</h5>")
    return str(detail[start : -len("</div>")])


def rows(board: TriageBoard) -> list[Row]:
    """The section's rows as text: (outcome attribute, cell texts...) per table row; a row
    under a notification (its error, or why it was suppressed) starts with ``note``."""
    found = re.findall(
        r'<tr class="alertkit-notification(-note)?" data-outcome="([a-z]+)">(.*?)</tr>',
        section(board),
        re.S,
    )
    return [
        (
            "note" if note else "row",
            outcome,
            *map(unescape, re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)),
        )
        for note, outcome, tr in found
    ]


def test_sent_and_failed_with_attempts_and_error(make: Callable[..., Driver]) -> None:
    m = make()
    m.add_handler(delivered, name="desk")
    m.add_handler(down, name="pager", max_attempts=2, backoff=0.01)
    alert = m.create_alert(close_now(), position())
    assert m.flush_notifications(30)
    board = opened(m, alert.alert_id)
    try:
        assert rows(board) == [
            ("row", "sent", WHEN, "desk", "new", "sent"),
            ("row", "failed", WHEN, "pager", "new", "failed \u00b7 2 attempts"),
            ("note", "failed", "RuntimeError: pager down"),
        ]
        # to the minute in the cell, to the second and how long ago on hover
        assert f'<td title="2026-01-05 15:00:27 UTC (2 h ago)">{WHEN}</td>' in section(board)
        assert "<th>at</th><th>handler</th><th>reason</th><th>outcome</th>" in section(board)
        # the section follows the history, inside the panel
        detail = board.detail.value
        assert detail.index("<h5>history</h5>") < detail.index("<h5>notifications</h5>")
        assert detail.endswith("</table></div>")
    finally:
        board.close()


def test_no_notifications(make: Callable[..., Driver]) -> None:
    m = make()
    alert = m.create_alert(close_now(), position())  # no handler: nobody was told
    board = opened(m, alert.alert_id)
    try:
        assert section(board) == (
            '<h5>notifications</h5><div class="alertkit-notifications-empty">No notifications</div>'
        )
    finally:
        board.close()


def test_a_delivery_still_running_is_pending(make: Callable[..., Driver]) -> None:
    m = make()
    entered, release = threading.Event(), threading.Event()

    def held(alert: Alert) -> None:
        entered.set()
        assert release.wait(30)

    m.add_handler(held, name="slow", timeout=60)
    alert = m.create_alert(close_now(), position())
    board = None
    try:
        assert entered.wait(30)  # delivery has started and is held in the handler
        board = opened(m, alert.alert_id)
        assert rows(board) == [("row", "pending", WHEN, "slow", "new", "pending")]
        release.set()
        assert m.flush_notifications(30)
        board.refresh()  # a refresh reads the open alert's log again
        assert rows(board) == [("row", "sent", WHEN, "slow", "new", "sent")]
    finally:
        release.set()
        m.flush_notifications(30)
        if board is not None:
            board.close()


def test_markup_in_an_error_is_escaped(make: Callable[..., Driver]) -> None:
    m = make()
    m.add_handler(hostile, name="webhook", max_attempts=2, backoff=0.01)
    alert = m.create_alert(close_now(), position())
    assert m.flush_notifications(30)
    board = opened(m, alert.alert_id)
    try:
        html = section(board)
        assert HOSTILE not in html and "<img" not in html
        assert f'<td colspan="4">{escape("RuntimeError: " + HOSTILE)}</td>' in html
        assert rows(board)[-1] == ("note", "failed", f"RuntimeError: {HOSTILE}")
    finally:
        board.close()


def test_suppressed_shows_why(make: Callable[..., Driver]) -> None:
    m = make()
    alert = m.create_alert(close_now(), position())
    # The row a mute stage leaves, written as the delivery worker writes it (log_rows): a
    # round whose every due is muted fails in the worker today (see the report).
    why = Muted(Notification(alert), "silences", f"silence <b>{alert.rule}</b>")
    m.core.log_store.append(log_rows([], [(Due(alert, "new", "desk", AT), why)], AT))
    board = opened(m, alert.alert_id)
    try:
        assert rows(board) == [
            ("row", "suppressed", WHEN, "desk", "new", "suppressed"),
            ("note", "suppressed", "silences: silence <b>catastrophe_drop</b>"),
        ]
        assert "<b>" not in section(board)
    finally:
        board.close()


def test_an_unreadable_log_is_one_line_and_the_board_still_works(
    make: Callable[..., Driver],
) -> None:
    m = make()
    m.add_handler(delivered, name="desk")
    first = m.create_alert(close_now(), position())
    other = m.create_alert(close_now(), position("QQQ", 2))
    assert m.flush_notifications(30)
    commits = sorted(Path(m.path + "_notifications", "_delta_log").glob("*.json"))
    commits[-1].write_bytes(b"")  # the log's latest commit lost: the table refuses to open
    board = opened(m, first.alert_id)
    try:
        html = section(board)
        assert re.fullmatch(
            r'<h5>notifications</h5><div class="alertkit-notifications-error" title="[^"]+">'
            r"could not read the notification log: StoreError: the notifications table at"
            r" [^<]+\u2026</div>",
            html,
        ), html
        # the rest of the panel and the board are as usual
        assert f'class="alertkit-field-alert_id">{first.alert_id}<' in board.detail.value
        assert "<h5>history</h5>" in board.detail.value
        assert sorted(r["alert_id"] for r in board.table.rows) == sorted(
            [first.alert_id, other.alert_id]
        )
        assert "could not" not in board.status_line.value
        board.table.focused = other.alert_id
        assert "could not read the notification log" in section(board)
        board.table.selection = [other.alert_id]
        board.controls.acknowledge.click()  # acting still works beside a broken log
        assert "acknowledged 1 of 1 selected alert" in board.status_line.value
    finally:
        board.close()


def test_the_log_is_read_for_the_open_alert_only(
    make: Callable[..., Driver], monkeypatch: pytest.MonkeyPatch
) -> None:
    m = make()
    m.add_handler(delivered, name="desk")
    alerts = [m.create_alert(close_now(), position(s, i)) for i, s in enumerate("ABC")]
    assert m.flush_notifications(30)
    reads: list[str | None] = []
    read = m.core.notification_log

    def counted(**kwargs: Any) -> pl.DataFrame:
        reads.append(kwargs.get("alert_id"))
        frame: pl.DataFrame = read(**kwargs)
        return frame

    monkeypatch.setattr(m.core, "notification_log", counted)
    board = TriageBoard(m.manager, now=NOW)
    try:
        board.table.sort_by = "symbol"
        board.filters.text.value = "B"
        board.filters.text.value = ""
        assert reads == []  # opening, sorting and filtering read no log
        board.table.focused = alerts[1].alert_id
        assert reads == [alerts[1].alert_id]
        assert [r[3] for r in rows(board)] == ["desk"]
    finally:
        board.close()


def test_rendering_without_a_manager() -> None:
    frame = pl.DataFrame(
        [
            {
                "at": AT,
                "alert_id": "a",
                "handler": "desk",
                "reason": "reminder",
                "outcome": "sent",
                "attempts": 3,
                "error": None,
            },
            {
                "at": AT + timedelta(minutes=1),
                "alert_id": "a",
                "handler": "pager",
                "reason": "new",
                "outcome": "failed",
                "attempts": 1,
                "error": "line one\nline two",
            },
        ],
        schema={k: NOTIFICATION_LOG_SCHEMA[k] for k in ("at", "alert_id", "handler", "reason")}
        | {k: NOTIFICATION_LOG_SCHEMA[k] for k in ("outcome", "attempts", "error")},
    )
    html = notifications_html(frame, NOW)
    assert '<td class="alertkit-outcome">sent \u00b7 3 attempts</td>' in html
    assert '<td class="alertkit-outcome">failed</td>' in html  # one attempt: not said
    assert '<td colspan="4">line one\nline two</td>' in html
    assert "2026-01-05 15:01 UTC" in html


def test_an_unreadable_line_is_short_and_escaped() -> None:
    long = OSError("<disk> " + "x" * 500 + "\nsecond line")
    html = unreadable_html(long)
    shown = re.search(r">could not read the notification log: (.*)</div>", html)
    assert shown is not None
    assert shown.group(1).startswith("OSError: &lt;disk&gt; xxx")
    assert len(unescape(shown.group(1))) == 160 and shown.group(1).endswith("\u2026")
    assert "second line" in html  # on hover, in full
    assert "<disk>" not in html
