"""The triage board honours the policies, headlessly, on either manager.

Silence the ticked rows (the matchers they share, the too-broad confirmation), expire a
silence from the panel, snooze (the alert leaves the default view; "show snoozed" brings it
back with its badge; a more severe alert on its position wakes it), assign and filter by
assignee, and the flapping badge and filter. Every test builds the board on the
parametrised manager (the SyncAlertManager or the async AlertManager) over a real lake, clicks
from Python, and reads the Delta tables back.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from html import escape, unescape
from pathlib import Path

import pytest
from _factories import T0, an_alert
from _managers import Driver, ManualClock

from alertkit import Alert, AlertManager, SyncAlertManager
from alertkit.widgets import TriageBoard
from alertkit.widgets._policy_controls import CONFIRM, CREATE

NOW = T0 + timedelta(hours=3)  # 2026-01-05 18:00 UTC: the managers' clock and the board's
HOSTILE = "<img src=x onerror=alert(1)>"


def desk_alerts() -> list[Alert]:
    """Five open alerts, oldest first, and a resolved one."""
    return [
        an_alert("vix-qqq", 0, rule="vix_level", symbol="QQQ", strategy_id=2, title="VIX 31"),
        an_alert("vix-spy", 1, rule="vix_level", symbol="SPY", strategy_id=1, title="VIX 31"),
        an_alert("stop-spy", 2, rule="stop_loss_hard", symbol="SPY", strategy_id=4),
        an_alert(
            "roll-iwm",
            3,
            rule="dte_roll",
            symbol="IWM",
            strategy_id=3,
            severity="normal",
            type="info",
            title="Roll position",
        ),
        an_alert(
            "flap-qqq", 4, rule="vix_level", symbol="QQQ", strategy_id=7, flapping=True, title="VIX"
        ),
        an_alert("done-spy", 5, status="resolved", strategy_id=9, closed_after=1),
    ]


OPEN = ["flap-qqq", "roll-iwm", "stop-spy", "vix-spy", "vix-qqq"]  # newest first


@pytest.fixture(params=["SyncAlertManager", "AlertManager"])
def desk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Driver]:
    """A Driver of the parametrised kind on a lake of :func:`desk_alerts`, clock at NOW."""
    kind = SyncAlertManager if request.param == "SyncAlertManager" else AlertManager
    driver = Driver(kind(tmp_path / "lake" / "alerts", clock=ManualClock(NOW), maintain_every=0))
    driver.initialize()
    driver.insert_alerts(desk_alerts())
    yield driver
    driver.core.flush_notifications(30)


@pytest.fixture
def board(desk: Driver) -> Iterator[TriageBoard]:
    b = TriageBoard(desk.manager, now=desk.core.clock, user="ann")
    yield b
    b.close()


def ids(board: TriageBoard) -> list[str]:
    return [row["alert_id"] for row in board.table.rows if row.get("kind") == "alert"]


def row(board: TriageBoard, alert_id: str) -> dict[str, str]:
    return next(r for r in board.table.rows if r.get("alert_id") == alert_id)


def status(board: TriageBoard) -> tuple[list[str], list[str]]:
    """The status line's (plain, red) lines, as text."""
    lines = re.findall(
        r'<div class="alertkit-status-(info|error)">(.*?)</div>', board.status_line.value
    )
    return (
        [unescape(t) for kind, t in lines if kind == "info"],
        [unescape(t) for kind, t in lines if kind == "error"],
    )


def form(board: TriageBoard) -> dict[str, str]:
    f = board.silence_form
    return {"rule": f.rule.value, "symbol": f.symbol.value, "strategy_id": f.strategy_id.value}


def silences(desk: Driver) -> list[dict[str, object]]:
    frame = desk.core.policy_store.silences_frame()
    return frame.select(
        "matchers", "starts_at", "ends_at", "created_by", "comment", "expired_at", "expired_by"
    ).to_dicts()


# -- silence the ticked rows ----------------------------------------------------------------


def test_silence_proposes_the_fields_the_ticked_alerts_share(
    board: TriageBoard, desk: Driver
) -> None:
    assert board.silence_form.is_open is False
    assert board.policy.silence.disabled
    board.table.selection = ["vix-qqq", "vix-spy"]
    assert not board.policy.silence.disabled
    board.policy.silence.click()
    assert board.silence_form.is_open
    assert form(board) == {"rule": "vix_level", "symbol": "", "strategy_id": ""}
    assert status(board) == (
        ["a silence of the 2 ticked alerts: rule=vix_level; set for how long and why"],
        [],
    )
    board.table.selection = ["vix-qqq"]
    assert board.propose_silence() == {"rule": "vix_level", "symbol": "QQQ", "strategy_id": "2"}
    assert form(board) == {"rule": "vix_level", "symbol": "QQQ", "strategy_id": "2"}
    board.table.selection = ["vix-spy", "stop-spy"]
    assert board.propose_silence() == {"symbol": "SPY"}
    board.table.selection = ["vix-qqq", "roll-iwm"]
    assert board.propose_silence() == {}
    assert status(board) == (
        ["the 2 ticked alerts share no rule, symbol or strategy: type the matchers"],
        [],
    )
    assert form(board) == {"rule": "", "symbol": "", "strategy_id": ""}
    assert silences(desk) == []  # proposing writes nothing


def test_create_silence_from_ticked_rows(board: TriageBoard, desk: Driver) -> None:
    board.table.selection = ["vix-qqq"]
    board.policy.silence.click()
    board.silence_form.duration.value = "90m"
    board.silence_form.comment.value = "QQQ print glitch"
    board.silence_form.submit.click()
    assert silences(desk) == [
        {
            "matchers": '{"symbol":"QQQ","strategy_id":"2","rule":"vix_level"}',
            "starts_at": NOW,
            "ends_at": NOW + timedelta(minutes=90),
            "created_by": "ann",
            "comment": "QQQ print glitch",
            "expired_at": None,
            "expired_by": None,
        }
    ]
    [sid] = desk.core.policy_store.silences_frame()["silence_id"].to_list()
    assert status(board) == (
        [
            f"silence {sid} created: symbol=QQQ, strategy_id=2, rule=vix_level until"
            " 2026-01-05 19:30 UTC"
        ],
        [],
    )
    # the board shows it: the panel lists it, the form is closed, nothing is ticked
    assert board.silences.silence_ids == [sid]
    assert board.silences.title.value == "Silences (1)"
    [line] = board.silences.lines.children
    assert unescape(re.sub(r"<[^>]+>", "", line.children[1].value)) == (
        "symbol=QQQ, strategy_id=2, rule=vix_level \u00b7 until 2026-01-05 19:30 UTC (in 1 h)"
        " \u00b7 by ann: QQQ print glitch \u00b7 hid 0 alerts, muted 0 notifications"
    )
    assert board.silence_form.is_open is False
    assert board.table.selection == []
    assert ids(board) == OPEN  # a silence hides nothing from the board


def test_a_group_proposes_what_its_alerts_share(board: TriageBoard) -> None:
    board.group_by = "rule"
    board.table.group_selection = ["vix_level"]
    assert board.propose_silence() == {"rule": "vix_level"}
    board.table.group_selection = ["stop_loss_hard"]
    assert board.propose_silence() == {
        "rule": "stop_loss_hard",
        "symbol": "SPY",
        "strategy_id": "4",
    }


def test_a_too_broad_silence_is_created_only_on_confirmation(
    board: TriageBoard, desk: Driver
) -> None:
    board.table.selection = ["vix-qqq", "vix-spy"]
    board.policy.silence.click()  # rule=vix_level: 3 of the 5 open alerts
    board.silence_form.comment.value = "VIX feed"
    board.silence_form.submit.click()
    refusal = (
        "matchers: the silence matches 3 of 5 open alerts (60%), more than max_share 50%;"
        " pass confirm=True to create it"
    )
    assert status(board) == ([], [refusal, "click Confirm silence to create it anyway"])
    assert (board.silence_form.submit.description, silences(desk)) == (CONFIRM, [])
    assert board.silence_form.submit.button_style == "danger"
    # another silence (the comment changed) is asked about afresh ...
    board.silence_form.comment.value = "VIX feed, all of it"
    assert board.silence_form.submit.description == CREATE
    board.silence_form.submit.click()
    assert (board.silence_form.submit.description, silences(desk)) == (CONFIRM, [])
    # ... and the second click on the same silence confirms it
    board.silence_form.submit.click()
    assert [(s["matchers"], s["comment"]) for s in silences(desk)] == [
        ('{"rule":"vix_level"}', "VIX feed, all of it")
    ]
    assert board.silence_form.submit.description == CREATE
    assert board.silence_form.is_open is False


def test_a_refused_silence_says_why_and_writes_nothing(board: TriageBoard, desk: Driver) -> None:
    board.table.selection = ["vix-qqq"]
    board.policy.silence.click()
    board.silence_form.submit.click()  # no comment
    info, errors = status(board)
    assert info == [] and errors[0].startswith("no silence was created: comment: ")
    board.silence_form.comment.value = "why"
    board.silence_form.duration.value = "soon"
    board.silence_form.submit.click()
    assert status(board) == (
        [],
        [
            'no silence was created: for: expected a duration such as "30s", "5m", "4h",'
            " \"1d\" or seconds, got 'soon'"
        ],
    )
    board.silence_form.duration.value = "1h"
    for name in ("rule", "symbol", "strategy_id"):
        getattr(board.silence_form, name).value = ""
    board.silence_form.submit.click()
    assert status(board)[1][0].startswith("no silence was created: matchers: empty;")
    assert silences(desk) == []
    assert board.silence_form.is_open  # still there, to be fixed
    board.silence_form.cancel.click()
    assert board.silence_form.is_open is False


# -- the silences panel ---------------------------------------------------------------------


def test_expire_from_the_panel(board: TriageBoard, desk: Driver) -> None:
    assert board.silences.silence_ids == []
    assert board.silences.title.value == "No active silences."
    made = desk.create_silence(
        {"symbol": "IWM"}, duration=timedelta(hours=1), created_by="bob", comment=HOSTILE
    )
    board.refresh()
    assert board.silences.silence_ids == [made.silence_id]
    [line] = board.silences.lines.children
    assert escape(HOSTILE) in line.children[1].value and "<img" not in line.children[1].value
    board.controls.user.value = "carol"
    board.silences.expire_buttons[made.silence_id].click()
    assert silences(desk)[0]["expired_by"] == "carol"
    assert silences(desk)[0]["ends_at"] == NOW
    assert status(board) == ([f"silence {made.silence_id} expired"], [])
    assert board.silences.silence_ids == []
    assert board.silences.title.value == "No active silences."
    board.expire_silence(made.silence_id)  # once over, refused and said so
    assert status(board) == (
        [],
        [
            f"could not expire silence {made.silence_id}: silence_id: silence"
            f" {made.silence_id} already ended at 2026-01-05T18:00:00+00:00"
        ],
    )


# -- snooze ---------------------------------------------------------------------------------


def test_snooze_hides_from_the_default_view_until_shown(board: TriageBoard, desk: Driver) -> None:
    board.table.selection = ["vix-qqq", "roll-iwm"]
    board.policy.duration.value = "2h"
    board.controls.note.value = "after the print"
    board.policy.snooze.click()
    for alert_id in ("vix-qqq", "roll-iwm"):
        alert = desk.get_alert(alert_id)
        assert (alert.snoozed_at, alert.snoozed_until, alert.status.value) == (
            NOW,
            NOW + timedelta(hours=2),
            "active",
        )
        assert (alert.history[-1]["action"], alert.history[-1]["by"]) == ("snooze", "ann")
    assert status(board) == (
        ["snoozed 2 of 2 selected alerts until 2026-01-05 20:00 UTC (show snoozed shows them)"],
        [],
    )
    assert ids(board) == ["flap-qqq", "stop-spy", "vix-spy"]
    assert board.table.total == 3
    board.filters.show_snoozed.value = True
    assert ids(board) == OPEN
    assert {k: row(board, "vix-qqq")[k] for k in ("snoozed", "snoozed_hover")} == {
        "snoozed": "snoozed until 20:00",
        "snoozed_hover": "snoozed: notifies nobody until 2026-01-05 20:00:00 UTC",
    }
    assert "snoozed" not in row(board, "vix-spy")
    board.filters.show_snoozed.value = False
    assert "vix-qqq" not in ids(board)


def test_a_more_severe_alert_wakes_a_snoozed_one(board: TriageBoard, desk: Driver) -> None:
    board.snooze("1h", ["vix-qqq"])
    assert "vix-qqq" not in ids(board)
    clock = desk.core.clock
    assert isinstance(clock, ManualClock)
    clock.now = NOW + timedelta(minutes=30)
    desk.insert_alerts(
        [
            an_alert(
                "crash-qqq",
                created_at=NOW + timedelta(minutes=10),
                rule="catastrophe_drop",
                symbol="QQQ",
                strategy_id=2,
                severity="immediate",
                type="critical",
            )
        ]
    )
    board.refresh()
    assert ids(board) == ["crash-qqq", *OPEN]
    assert "snoozed" not in row(board, "vix-qqq")


def test_snooze_asks_for_open_alerts_and_a_duration(board: TriageBoard, desk: Driver) -> None:
    board.filters.status.value = ()
    board.table.selection = ["done-spy"]
    assert board.policy.snooze.disabled and not board.policy.assign.disabled
    board.table.selection = ["done-spy", "vix-qqq"]
    assert not board.policy.snooze.disabled
    board.policy.duration.value = "later"
    board.policy.snooze.click()
    assert status(board) == (
        [],
        [
            'nothing was snoozed: for: expected a duration such as "30s", "5m", "4h", "1d"'
            " or seconds, got 'later'"
        ],
    )
    board.policy.duration.value = "30m"
    board.policy.snooze.click()
    assert status(board) == (
        ["snoozed 1 of 2 selected alerts until 2026-01-05 18:30 UTC (show snoozed shows them)"],
        [
            "could not snooze stop_loss_hard \u00b7 SPY \u00b7 strategy 9: its status is"
            " resolved (a terminal state)"
        ],
    )
    assert desk.get_alert("done-spy").snoozed_until is None
    assert desk.get_alert("vix-qqq").snoozed_until == NOW + timedelta(minutes=30)


def test_show_opens_a_snoozed_alert(board: TriageBoard) -> None:
    board.snooze(timedelta(hours=1), ["vix-spy"])
    board.show("vix-spy")
    assert ids(board) == ["vix-spy"]
    assert row(board, "vix-spy")["snoozed"] == "snoozed until 19:00"


# -- assign ---------------------------------------------------------------------------------


def test_assign_sets_the_assignee_and_the_filter_finds_it(board: TriageBoard, desk: Driver) -> None:
    assert board.policy.assign.disabled
    board.table.selection = ["vix-qqq", "roll-iwm"]
    board.policy.assignee.value = " carol "
    board.policy.assign.click()
    assert [desk.get_alert(i).assignee for i in ("vix-qqq", "roll-iwm", "vix-spy")] == [
        "carol",
        "carol",
        None,
    ]
    event = desk.get_alert("vix-qqq").history[-1]
    assert (event["action"], event["by"], event["note"]) == ("assign", "ann", "assigned to carol")
    assert status(board) == (["assigned 2 of 2 selected alerts to carol"], [])
    assert row(board, "vix-qqq")["assignee"] == "carol"
    assert "assignee" not in row(board, "vix-spy")
    assert "assignee" in [c["key"] for c in board.table.columns]
    assert ("carol", "carol") in board.filters.assignee.options
    board.filters.assignee.value = "carol"
    assert ids(board) == ["roll-iwm", "vix-qqq"]
    board.table.selection = ["roll-iwm"]
    board.policy.unassign.click()
    assert desk.get_alert("roll-iwm").assignee is None
    assert status(board) == (["unassigned 1 of 1 selected alert"], [])
    assert ids(board) == ["vix-qqq"]
    board.assign("dave", ["vix-spy"])
    board.filters.assignee.value = "dave"
    assert ids(board) == ["vix-spy"]


def test_assign_needs_a_name(board: TriageBoard, desk: Driver) -> None:
    board.table.selection = ["vix-qqq"]
    board.policy.assign.click()
    assert status(board) == ([], ["type whom to assign them to first"])
    assert desk.get_alert("vix-qqq").assignee is None


# -- flapping -------------------------------------------------------------------------------


def test_flapping_badge_and_filter(board: TriageBoard) -> None:
    assert row(board, "flap-qqq")["flapping"] == "flapping"
    assert all("flapping" not in row(board, i) for i in OPEN if i != "flap-qqq")
    title = next(c for c in board.table.columns if c["key"] == "title")
    assert title["badges"] == ["snoozed", "flapping"]
    board.filters.flapping.value = True
    assert ids(board) == ["flap-qqq"]
    assert board.table.total == 1
    board.filters.flapping.value = False
    assert ids(board) == OPEN


def test_policy_badges_in_groups(board: TriageBoard) -> None:
    board.snooze("1h", ["vix-qqq"])
    board.filters.show_snoozed.value = True
    board.group_by = "rule"
    board.table.expanded = ["vix_level"]
    members = {r["alert_id"]: r for r in board.table.rows if r.get("group") == "vix_level"}
    assert sorted(members) == ["flap-qqq", "vix-qqq", "vix-spy"]
    assert members["vix-qqq"]["snoozed"] == "snoozed until 19:00"
    assert members["flap-qqq"]["flapping"] == "flapping"


def test_every_click_is_one_manager_call(board: TriageBoard, desk: Driver) -> None:
    """The board holds nothing of its own: a second board on the same lake sees it all."""
    board.assign("erin", ["stop-spy"])
    board.snooze("1h", ["stop-spy"])
    other = TriageBoard(SyncAlertManager(desk.core.path), now=NOW)
    try:
        assert "stop-spy" not in ids(other)
        other.filters.show_snoozed.value = True
        assert row(other, "stop-spy")["assignee"] == "erin"
    finally:
        other.close()
