"""The ``alertkit`` console command: list, show, ack/resolve/dismiss, history, maintain.

Most cases call ``alertkit.cli.main([...])`` in-process with a manager on a stepping clock (so
transition times are known); a few run the installed console script as a subprocess.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest
from deltalake import DeltaTable

from alertkit import Alert, Silence, SyncAlertManager, cli
from conftest import T0, StepClock, close_now, position, roll

SCRIPT = Path(sys.executable).with_name("alertkit")
ACTED_AT = T0 + timedelta(hours=1)  # the stepping clock's first reading in each CLI call


@pytest.fixture
def alerts(lake: str) -> list[Alert]:
    """Three open alerts, oldest first: SPY stop loss, QQQ roll, IWM stop loss."""
    manager = SyncAlertManager(lake, maintain_every=0)
    manager.initialize()
    made = [
        manager.create_alert(close_now("stop_loss_hard"), position("SPY", 1, minutes=0)),
        manager.create_alert(roll(), position("QQQ", 2, minutes=1)),
        manager.create_alert(close_now("stop_loss_hard"), position("IWM", 3, minutes=2)),
    ]
    return [a for a in made if a is not None]


@pytest.fixture(autouse=True)
def _stepping_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI builds its own manager; give it a clock whose times the tests know."""

    def manager(lake: str) -> SyncAlertManager:
        return SyncAlertManager(lake, clock=StepClock(ACTED_AT), maintain_every=0)

    monkeypatch.setattr(cli, "SyncAlertManager", manager)


def run(capsys: pytest.CaptureFixture[str], lake: str, *args: str) -> tuple[int, str, str]:
    status = cli.main(["--lake", lake, *args])
    out, err = capsys.readouterr()
    return status, out, err


HEADER = (
    "| created_at              | alert_id                             | status | severity  | type "
    "    | symbol | strategy_id | rule           | occurrences | title                          |\n"
    "|-------------------------|--------------------------------------|--------|-----------|------"
    "----|--------|-------------|----------------|-------------|--------------------------------|\n"
)


def board_row(alert: Alert, minute: int) -> str:
    symbol, kind, severity = alert.symbol, alert.type.value, alert.severity.value
    return (
        f"| 2026-01-05 15:0{minute}:00 UTC | {alert.alert_id} | active | {severity:<9} |"
        f" {kind:<8} | {symbol}    | {alert.strategy_id}           | {alert.rule:<14} |"
        f" 1           | {alert.title:<30} |\n"
    )


def test_list_prints_the_board_newest_first(
    capsys: pytest.CaptureFixture[str], lake: str, alerts: list[Alert]
) -> None:
    spy, qqq, iwm = alerts
    assert run(capsys, lake, "list") == (
        0,
        HEADER + board_row(iwm, 2) + board_row(qqq, 1) + board_row(spy, 0),
        "",
    )
    assert run(capsys, lake, "list", "--symbol", "QQQ") == (
        0,
        "| created_at              | alert_id                             | status | severity |"
        " type | symbol | strategy_id | rule     | occurrences | title                   |\n"
        "|-------------------------|--------------------------------------|--------|----------|"
        "------|--------|-------------|----------|-------------|-------------------------|\n"
        f"| 2026-01-05 15:01:00 UTC | {qqq.alert_id} | active | normal   |"
        " info | QQQ    | 2           | dte_roll | 1           | Roll position: dte_roll |\n",
        "",
    )
    assert run(capsys, lake, "list", "--severity", "immediate", "--limit", "1") == (
        0,
        "| created_at              | alert_id                             | status | severity  |"
        " type     | symbol | strategy_id | rule           | occurrences | title          "
        "                |\n"
        "|-------------------------|--------------------------------------|--------|-----------|"
        "----------|--------|-------------|----------------|-------------|----------------"
        "----------------|\n"
        f"| 2026-01-05 15:02:00 UTC | {iwm.alert_id} | active | immediate |"
        " critical | IWM    | 3           | stop_loss_hard | 1           | Close position:"
        " stop_loss_hard |\n"
        "showing 1 of 2 alerts; --limit N or --all for more\n",
        "",
    )


def test_list_with_no_match_says_so(
    capsys: pytest.CaptureFixture[str], lake: str, alerts: list[Alert]
) -> None:
    assert run(capsys, lake, "list", "--status", "resolved") == (
        0,
        "no alerts match these filters\n",
        "",
    )


def test_show_prints_every_field_as_json(
    capsys: pytest.CaptureFixture[str], lake: str, alerts: list[Alert]
) -> None:
    spy = alerts[0]
    status, out, err = run(capsys, lake, "show", spy.alert_id, "--format", "json")
    assert (status, err) == (0, "")
    assert json.loads(out) == {
        "alert_id": spy.alert_id,
        "type": "critical",
        "severity": "immediate",
        "status": "active",
        "title": "Close position: stop_loss_hard",
        "message": "Underlying fell 4% in an hour",
        "rule": "stop_loss_hard",
        "symbol": "SPY",
        "strategy_id": 1,
        "metadata": {"change": -0.04},
        "created_at": "2026-01-05T15:00:00+00:00",
        "acknowledged_at": None,
        "resolved_at": None,
        "occurrences": 1,
        "last_seen_at": "2026-01-05T15:00:00+00:00",
        "engine_rule": None,
        "rule_priority": None,
        "silenced_by": None,
        "snoozed_until": None,
        "snoozed_at": None,
        "assignee": None,
        "flapping": False,
        "history": [
            {
                "at": "2026-01-05T15:00:00.000000Z",
                "action": "create",
                "from": None,
                "to": "active",
                "by": None,
                "note": None,
            }
        ],
        "notifications": [],
    }


def test_ack_resolve_dismiss_with_by_and_note(
    capsys: pytest.CaptureFixture[str], lake: str, alerts: list[Alert]
) -> None:
    spy, qqq, _iwm = alerts
    assert run(capsys, lake, "ack", spy.alert_id, "--by", "ana", "--note", "on it") == (
        0,
        f"{spy.alert_id}: acknowledged\n",
        "",
    )
    assert run(capsys, lake, "resolve", spy.alert_id, "--note", "closed at 1.20") == (
        0,
        f"{spy.alert_id}: resolved\n",
        "",
    )
    assert run(capsys, lake, "dismiss", qqq.alert_id, "--by", "bob") == (
        0,
        f"{qqq.alert_id}: dismissed\n",
        "",
    )
    manager = SyncAlertManager(lake)
    resolved, dismissed = manager.get_alert(spy.alert_id), manager.get_alert(qqq.alert_id)
    assert (resolved.acknowledged_at, resolved.resolved_at) == (ACTED_AT, ACTED_AT)
    assert [(e["action"], e["by"], e["note"]) for e in resolved.history] == [
        ("create", None, None),
        ("acknowledge", "ana", "on it"),
        ("resolve", None, "closed at 1.20"),
    ]
    assert (dismissed.status.value, dismissed.history[-1]["by"]) == ("dismissed", "bob")


def test_history_lists_the_transitions(
    capsys: pytest.CaptureFixture[str], lake: str, alerts: list[Alert]
) -> None:
    spy = alerts[0]
    run(capsys, lake, "ack", spy.alert_id, "--by", "ana", "--note", "on it")
    run(capsys, lake, "resolve", spy.alert_id)
    assert run(capsys, lake, "history", spy.alert_id) == (
        0,
        "| at                      | action      | from_status  | to_status    | by   | note  |\n"
        "|-------------------------|-------------|--------------|--------------|------|-------|\n"
        "| 2026-01-05 15:00:00 UTC | create      | null         | active       | null | null  |\n"
        "| 2026-01-05 16:00:00 UTC | acknowledge | active       | acknowledged | ana  | on it |\n"
        "| 2026-01-05 16:00:00 UTC | resolve     | acknowledged | resolved     | null | null  |\n",
        "",
    )


@pytest.mark.parametrize(
    "args",
    [("show",), ("history",), ("ack",), ("resolve", "--note", "x"), ("dismiss", "--by", "y")],
    ids=lambda a: a[0],
)
def test_unknown_id_is_exit_2_with_a_clear_message(
    capsys: pytest.CaptureFixture[str], lake: str, alerts: list[Alert], args: tuple[str, ...]
) -> None:
    version = DeltaTable(lake).version()
    missing = "019b8eac-0000-7000-8000-000000000000"
    assert run(capsys, lake, args[0], missing, *args[1:]) == (
        2,
        "",
        f"alertkit: error: no alert with alert_id='{missing}'\n",
    )
    hostile = "x' OR '1'='1"
    assert run(capsys, lake, args[0], hostile, *args[1:]) == (
        2,
        "",
        f'alertkit: error: no alert with alert_id="{hostile}"'
        " (not an alert id: letters, digits and ._:- only, 1-128 characters)\n",
    )
    assert DeltaTable(lake).version() == version


def test_an_illegal_transition_is_exit_2_and_changes_nothing(
    capsys: pytest.CaptureFixture[str], lake: str, alerts: list[Alert]
) -> None:
    spy = alerts[0]
    run(capsys, lake, "dismiss", spy.alert_id)
    before = pl.read_delta(lake)
    assert run(capsys, lake, "ack", spy.alert_id) == (
        2,
        "",
        f"alertkit: error: cannot acknowledge alert '{spy.alert_id}': its status is"
        " 'dismissed' (a terminal state)\n",
    )
    assert pl.read_delta(lake).equals(before)


def test_maintain_says_what_it_did(
    capsys: pytest.CaptureFixture[str], lake: str, alerts: list[Alert]
) -> None:
    version = DeltaTable(lake).version()
    assert run(capsys, lake, "maintain") == (
        0,
        f"alerts: compacted 3 files into 1 (3 -> 1 data files); wrote a checkpoint at version"
        f" {version + 1}; vacuumed 0 unreferenced files\n",
        "",
    )
    assert run(capsys, lake, "maintain", "--vacuum-hours", "24") == (
        0,
        f"alerts: compacted 0 files into 0 (1 -> 1 data files); wrote a checkpoint at version"
        f" {version + 1}; vacuumed 0 unreferenced files\n",
        "",
    )
    for hours in (1, 2):  # two silences, two files, in a table beside the alerts
        start = T0 + timedelta(hours=hours)
        SyncAlertManager(lake).policy_store.add_silence(
            Silence({"symbol": "SPY"}, start, start + timedelta(hours=1), "ana", "lunch")
        )
    assert run(capsys, lake, "maintain") == (
        0,
        f"alerts: compacted 0 files into 0 (1 -> 1 data files); wrote a checkpoint at version"
        f" {version + 1}; vacuumed 0 unreferenced files\n"
        "silences: compacted 2 files into 1 (2 -> 1 data files); wrote a checkpoint at version"
        " 3; vacuumed 0 unreferenced files\n",
        "",
    )
    assert sorted(pl.read_delta(lake)["alert_id"]) == sorted(a.alert_id for a in alerts)


def test_vacuum_below_the_retention_floor_is_refused(
    capsys: pytest.CaptureFixture[str], lake: str, alerts: list[Alert]
) -> None:
    version = DeltaTable(lake).version()
    assert run(capsys, lake, "maintain", "--vacuum-hours", "23") == (
        2,
        "",
        "alertkit: error: vacuum_retention_hours: expected >= 24, got 23\n",
    )
    assert DeltaTable(lake).version() == version  # refused before compacting anything


def test_the_installed_console_script(lake: str, alerts: list[Alert]) -> None:
    spy, qqq, iwm = alerts

    def alertkit(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(SCRIPT), "--lake", lake, *args], capture_output=True, text=True, check=False
        )

    listed = alertkit("list")
    assert (listed.returncode, listed.stdout, listed.stderr) == (
        0,
        HEADER + board_row(iwm, 2) + board_row(qqq, 1) + board_row(spy, 0),
        "",
    )
    acked = alertkit("ack", spy.alert_id, "--by", "ana")
    assert (acked.returncode, acked.stdout, acked.stderr) == (
        0,
        f"{spy.alert_id}: acknowledged\n",
        "",
    )
    shown = alertkit("show", spy.alert_id, "--format", "json")
    assert json.loads(shown.stdout)["history"][-1]["by"] == "ana"
    missing = alertkit("show", "nope")
    assert (missing.returncode, missing.stdout, missing.stderr) == (
        2,
        "",
        "alertkit: error: no alert with alert_id='nope'\n",
    )
    usage = alertkit("frobnicate")
    assert usage.returncode == 2
    assert "invalid choice: 'frobnicate'" in usage.stderr
