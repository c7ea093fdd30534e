"""`alertkit silence add|list|expire`, `snooze`, `assign`, `unassign`, `list --assignee` and
`list --flapping`, on real lakes in tmp_path.

The CLI opens its own manager; here it stands on a clock the test holds (and moves), so every
instant it prints and stores is known in advance.
"""

from __future__ import annotations

import argparse
import re
from datetime import timedelta
from pathlib import Path

import pytest
from _factories import T0, an_alert, close_now, position
from _managers import ManualClock

from alertkit import Alert, SyncAlertManager, cli
from alertkit.live.notification_log import log_rows
from alertkit.notify import Due, Muted, Notification
from conftest import unchanged

ACTED_AT = T0 + timedelta(hours=1)  # 2026-01-05 16:00 UTC: the CLI's clock unless moved
SILENCE_ID = r"sil-[0-9a-f]{12}"


@pytest.fixture
def cli_clock() -> ManualClock:
    return ManualClock(ACTED_AT)


@pytest.fixture(autouse=True)
def _held_clock(monkeypatch: pytest.MonkeyPatch, cli_clock: ManualClock) -> None:
    def manager(lake: str) -> SyncAlertManager:
        return SyncAlertManager(lake, clock=cli_clock, maintain_every=0)

    monkeypatch.setattr(cli, "SyncAlertManager", manager)


def desk_alerts() -> list[Alert]:
    """Four open alerts, oldest first: two VIX alerts (QQQ, SPY), a SPY stop loss and an IWM
    roll (the only one of normal severity)."""
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
            title="Roll position: dte_roll",
        ),
    ]


@pytest.fixture
def desk(lake: str) -> SyncAlertManager:
    manager = SyncAlertManager(lake, clock=ManualClock(ACTED_AT), maintain_every=0)
    manager.initialize()
    manager.insert_alerts(desk_alerts())
    return manager


def run(capsys: pytest.CaptureFixture[str], lake: str, *args: str) -> tuple[int, str, str]:
    """The exit status (also of a command line its parser refused: SystemExit) and output."""
    try:
        status = cli.main(["--lake", lake, *args])
    except SystemExit as exit_:
        status = exit_.code if isinstance(exit_.code, int) else -1
    out, err = capsys.readouterr()
    return status, out, err


def silence_id(out: str) -> str:
    found = re.match(SILENCE_ID, out)
    assert found is not None, out
    return found.group(0)


def stored_silences(lake: str) -> list[dict[str, object]]:
    frame = SyncAlertManager(lake).policy_store.silences_frame()
    return frame.drop("revision").to_dicts()


# -- silence add ----------------------------------------------------------------------------


def test_silence_add_for_a_duration(
    capsys: pytest.CaptureFixture[str], lake: str, desk: SyncAlertManager
) -> None:
    status, out, err = run(
        capsys,
        lake,
        "silence",
        "add",
        "--match",
        "rule=~vix_.*",
        "--match",
        "symbol!=SPY",
        "--for",
        "2h",
        "--by",
        "ann",
        "--comment",
        "VIX print glitch",
    )
    sid = silence_id(out)
    assert (status, out, err) == (
        0,
        f"{sid}: silences symbol!=SPY, rule=~vix_.* from 2026-01-05T16:00:00+00:00"
        " until 2026-01-05T18:00:00+00:00\n",
        "",
    )
    assert stored_silences(lake) == [
        {
            "silence_id": sid,
            "matchers": '{"symbol":"!=SPY","rule":"=~vix_.*"}',
            "starts_at": ACTED_AT,
            "ends_at": ACTED_AT + timedelta(hours=2),
            "created_by": "ann",
            "comment": "VIX print glitch",
            "created_at": ACTED_AT,
            "expired_at": None,
            "expired_by": None,
        }
    ]


def test_silence_add_between_two_times_and_a_literal_value(
    capsys: pytest.CaptureFixture[str], lake: str, desk: SyncAlertManager
) -> None:
    status, out, err = run(
        capsys,
        lake,
        "silence",
        "add",
        "--match",
        "strategy_id=3",
        "--match",
        "symbol==~IWM",  # the text "=~IWM", not a regular expression
        "--starts",
        "2026-01-05T17:00:00+00:00",
        "--ends",
        "2026-01-05T19:30:00+01:00",
        "--by",
        "ann",
        "--comment",
        "roll window",
    )
    sid = silence_id(out)
    assert (status, out, err) == (
        0,
        f"{sid}: silences symbol==~IWM, strategy_id=3 from 2026-01-05T17:00:00+00:00"
        " until 2026-01-05T18:30:00+00:00\n",
        "",
    )
    [row] = stored_silences(lake)
    assert (row["matchers"], row["starts_at"], row["ends_at"]) == (
        '{"symbol":"==~IWM","strategy_id":"3"}',
        T0 + timedelta(hours=2),
        T0 + timedelta(hours=3, minutes=30),
    )


def test_a_too_broad_silence_needs_confirm(
    capsys: pytest.CaptureFixture[str], lake: str, desk: SyncAlertManager, tmp_path: Path
) -> None:
    args = ["silence", "add", "--match", "severity=high", "--for", "30m", "--by", "ann"]
    with unchanged(lake, also=tmp_path):
        refused = run(capsys, lake, *args, "--comment", "all of it")
    assert refused == (
        2,
        "",
        "alertkit: error: matchers: the silence matches 3 of 4 open alerts (75%), more than"
        " max_share 50%; pass confirm=True to create it (here: --confirm)\n",
    )
    assert stored_silences(lake) == []
    status, out, err = run(capsys, lake, *args, "--comment", "all of it", "--confirm")
    sid = silence_id(out)
    assert (status, out, err) == (
        0,
        f"{sid}: silences severity=high from 2026-01-05T16:00:00+00:00"
        " until 2026-01-05T16:30:00+00:00\n",
        "",
    )
    assert [r["silence_id"] for r in stored_silences(lake)] == [sid]


ADD = ["silence", "add", "--by", "ann", "--comment", "c"]
BAD_INPUTS: list[tuple[str, list[str], str]] = [
    (
        "a matcher without an operator",
        [*ADD, "--match", "rule", "--for", "1h"],
        "--match: expected FIELD=VALUE, FIELD!=VALUE, FIELD=~REGEX or FIELD!~REGEX (FIELD one"
        " of symbol, strategy_id, rule, engine_rule, severity, type), got 'rule'",
    ),
    (
        "an unknown field",
        [*ADD, "--match", "colour=red", "--for", "1h"],
        "--match: unknown field 'colour'; expected some of symbol, strategy_id, rule,"
        " engine_rule, severity, type",
    ),
    (
        "an invalid regex",
        [*ADD, "--match", "rule=~(", "--for", "1h"],
        "--match['rule']: invalid regular expression '('",
    ),
    (
        "an empty value",
        [*ADD, "--match", "symbol=", "--for", "1h"],
        "--match['symbol']: the value after '=' is empty",
    ),
    (
        "a field twice",
        [*ADD, "--match", "symbol=SPY", "--match", "symbol=QQQ", "--for", "1h"],
        "--match: field 'symbol' given twice (symbol=SPY and symbol=QQQ); a silence holds one"
        " matcher per field",
    ),
    (
        "a duration that is no duration",
        [*ADD, "--match", "symbol=SPY", "--for", "soon"],
        '--for: expected a duration such as "30s", "5m", "4h", "1d" or seconds, got \'soon\'',
    ),
    (
        "a zero duration",
        [*ADD, "--match", "symbol=SPY", "--for", "0s"],
        "--for: expected a positive duration, got '0s'",
    ),
    (
        "an end that is no time",
        [*ADD, "--match", "symbol=SPY", "--ends", "tomorrow"],
        "--ends: expected an ISO-8601 time such as 2026-01-05T15:00:00+00:00, got 'tomorrow'",
    ),
    (
        "an end in the past",
        [
            *ADD,
            "--match",
            "symbol=SPY",
            "--starts",
            "2026-01-05T15:00:00+00:00",
            "--ends",
            "2026-01-05T15:30:00+00:00",
        ],
        "ends_at: 2026-01-05T15:30:00+00:00 is not after now (2026-01-05T16:00:00+00:00)",
    ),
    (
        "an end before the start",
        [
            *ADD,
            "--match",
            "symbol=SPY",
            "--starts",
            "2026-01-05T18:00:00+00:00",
            "--ends",
            "2026-01-05T17:00:00+00:00",
        ],
        "ends_at: a silence must end after it starts",
    ),
    (
        "both an end and a duration",
        [*ADD, "--match", "symbol=SPY", "--for", "1h", "--ends", "2026-01-05T18:00:00+00:00"],
        "silence add: argument --ends: not allowed with argument --for"
        " (see alertkit silence add -h)",
    ),
    (
        "neither an end nor a duration",
        [*ADD, "--match", "symbol=SPY"],
        "silence add: one of the arguments --ends --for is required (see alertkit silence add -h)",
    ),
    (
        "no --by",
        ["silence", "add", "--comment", "c", "--match", "symbol=SPY", "--for", "1h"],
        "silence add: the following arguments are required: --by (see alertkit silence add -h)",
    ),
    (
        "a blank comment",
        [
            "silence",
            "add",
            "--by",
            "ann",
            "--comment",
            "  ",
            "--match",
            "symbol=SPY",
            "--for",
            "1h",
        ],
        "comment: ",
    ),
    ("no verb", ["silence"], "silence: the following arguments are required: VERB"),
    (
        "a list time that is no time",
        ["silence", "list", "--at", "noon"],
        "--at: expected an ISO-8601 time such as 2026-01-05T15:00:00+00:00, got 'noon'",
    ),
    (
        "expiring an unknown silence",
        ["silence", "expire", "sil-000000000000"],
        "silence_id: no silence 'sil-000000000000' is stored",
    ),
    (
        "expiring a malformed id",
        ["silence", "expire", "nope"],
        "silence_id: expected an id like 'sil-0123456789ab', got 'nope'",
    ),
    (
        "snoozing for no duration",
        ["snooze", "vix-qqq", "--for", "a while"],
        '--for: expected a duration such as "30s", "5m", "4h", "1d" or seconds, got \'a while\'',
    ),
    (
        "snoozing until the past",
        ["snooze", "vix-qqq", "--until", "2026-01-05T15:59:00+00:00"],
        "until: 2026-01-05T15:59:00+00:00 is not after now (2026-01-05T16:00:00+00:00)",
    ),
    (
        "snoozing without a time",
        ["snooze", "vix-qqq"],
        "snooze: one of the arguments --until --for is required (see alertkit snooze -h)",
    ),
    ("snoozing an unknown alert", ["snooze", "nope", "--for", "1h"], "no alert with alert_id="),
    (
        "snoozing a closed alert",
        ["snooze", "done-spy", "--for", "1h"],
        "cannot snooze alert 'done-spy': its status is 'resolved' (a terminal state)",
    ),
    ("assigning to a blank name", ["assign", "vix-qqq", "  "], "assignee: "),
    ("assigning an unknown alert", ["assign", "nope", "carol"], "no alert with alert_id="),
    ("assigning to nobody", ["assign", "vix-qqq"], "assign: the following arguments are"),
    (
        "listing an assignee that is no text",
        ["list", "--assignee", "ann\udcff"],
        "--assignee: expected valid Unicode text",
    ),
]


@pytest.mark.parametrize(("case", "args", "message"), BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_exits_2_with_one_line_writing_nothing(
    capsys: pytest.CaptureFixture[str],
    lake: str,
    desk: SyncAlertManager,
    tmp_path: Path,
    case: str,
    args: list[str],
    message: str,
) -> None:
    desk.insert_alerts([an_alert("done-spy", 9, status="resolved", closed_after=1)])
    with unchanged(lake, also=tmp_path):
        status, out, err = run(capsys, lake, *args)
    assert (status, out) == (2, "")
    assert err.startswith("alertkit: error: " + message), err
    assert err.count("\n") == 1, err


# -- silence list and expire ----------------------------------------------------------------


def test_silence_list_prints_the_silences_with_what_they_suppressed(
    capsys: pytest.CaptureFixture[str], lake: str, desk: SyncAlertManager, cli_clock: ManualClock
) -> None:
    add = ["silence", "add", "--match"]
    _, out, _ = run(
        capsys,
        lake,
        *add,
        "symbol=SPY",
        "--for",
        "2h",
        "--by",
        "ann",
        "--comment",
        "SPY feed replay",
    )
    spy = silence_id(out)
    cli_clock.now = ACTED_AT + timedelta(minutes=5)
    _, out, _ = run(
        capsys,
        lake,
        *add,
        "rule=dte_roll",
        "--for",
        "1h",
        "--by",
        "bob",
        "--comment",
        "rolls done by hand",
    )
    rolls = silence_id(out)
    cli_clock.now = ACTED_AT + timedelta(minutes=10)
    assert run(capsys, lake, "silence", "expire", rolls, "--by", "bob") == (
        0,
        f"{rolls}: expired at 2026-01-05T16:10:00+00:00 by bob\n",
        "",
    )
    # A new SPY stop loss fires inside the silence: recorded, silenced, its notification muted.
    later = ACTED_AT + timedelta(minutes=30)
    writer = SyncAlertManager(lake, clock=ManualClock(later), maintain_every=0)
    fired = writer.create_alert(close_now("stop_loss_hard"), position("SPY", 1, minutes=90))
    assert fired is not None and writer.get_alert(fired.alert_id).silenced_by == spy
    # the log row the delivery worker's silence stage leaves for its notification
    muted = Muted(Notification(fired), "silence", spy)
    writer.log_store.append(log_rows([], [(Due(fired, "new", "desk", later), muted)], later))
    columns = (
        "silence_id",
        "state",
        "matchers",
        "starts_at",
        "ends_at",
        "created_by",
        "comment",
        "expired_by",
        "suppressed_alerts",
        "suppressed_notifications",
    )
    spy_cells = (
        spy,
        "active",
        "symbol=SPY",
        "2026-01-05 16:00:00 UTC",
        "2026-01-05 18:00:00 UTC",
        "ann",
        "SPY feed replay",
        "null",
        "1",
        "1",
    )
    rolls_cells = (
        rolls,
        "expired",
        "rule=dte_roll",
        "2026-01-05 16:05:00 UTC",
        "2026-01-05 16:10:00 UTC",
        "bob",
        "rolls done by hand",
        "bob",
        "0",
        "0",
    )
    assert run(capsys, lake, "silence", "list") == (0, markdown(columns, [spy_cells]), "")
    assert run(capsys, lake, "silence", "list", "--all") == (
        0,
        markdown(columns, [spy_cells, rolls_cells]),
        "",
    )
    # the silences active at 16:07, as they stand now (the expired one was active then)
    at_then = (*rolls_cells[:1], "active", *rolls_cells[2:])
    assert run(capsys, lake, "silence", "list", "--at", "2026-01-05T16:07:00+00:00") == (
        0,
        markdown(columns, [spy_cells, at_then]),
        "",
    )
    assert run(capsys, lake, "silence", "list", "--at", "2026-01-05T19:00:00+00:00") == (
        0,
        "no silences active at 2026-01-05T19:00:00+00:00\n",
        "",
    )


def markdown(columns: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    """The Markdown table polars prints for ``rows`` (each column as wide as its widest)."""
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(columns)]

    def line(cells: tuple[str, ...]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |\n"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|\n"
    return line(columns) + rule + "".join(line(r) for r in rows)


def test_silence_expire_ends_it_and_a_second_expiry_is_refused(
    capsys: pytest.CaptureFixture[str], lake: str, desk: SyncAlertManager, cli_clock: ManualClock
) -> None:
    _, out, _ = run(capsys, lake, *ADD, "--match", "symbol=IWM", "--for", "1h")
    sid = silence_id(out)
    cli_clock.now = ACTED_AT + timedelta(minutes=20)
    assert run(capsys, lake, "silence", "expire", sid) == (
        0,
        f"{sid}: expired at 2026-01-05T16:20:00+00:00\n",
        "",
    )
    [row] = stored_silences(lake)
    assert (row["ends_at"], row["expired_at"], row["expired_by"]) == (
        ACTED_AT + timedelta(minutes=20),
        ACTED_AT + timedelta(minutes=20),
        None,
    )
    assert run(capsys, lake, "silence", "list") == (
        0,
        "no active or pending silences (--all: expired too)\n",
        "",
    )
    status, out, err = run(capsys, lake, "silence", "expire", sid)
    assert (status, out, err) == (
        2,
        "",
        f"alertkit: error: silence_id: silence {sid} already ended at 2026-01-05T16:20:00+00:00\n",
    )


def test_silence_list_without_silences(
    capsys: pytest.CaptureFixture[str], lake: str, desk: SyncAlertManager
) -> None:
    assert run(capsys, lake, "silence", "list", "--all") == (0, "no silences\n", "")


# -- snooze, assign -------------------------------------------------------------------------


def test_snooze_for_a_duration_and_until_a_time(
    capsys: pytest.CaptureFixture[str], lake: str, desk: SyncAlertManager
) -> None:
    assert run(
        capsys,
        lake,
        "snooze",
        "vix-qqq",
        "--for",
        "90m",
        "--by",
        "ann",
        "--note",
        "after the print",
    ) == (0, "vix-qqq: snoozed until 2026-01-05T17:30:00+00:00\n", "")
    assert run(capsys, lake, "snooze", "roll-iwm", "--until", "2026-01-06T09:00:00+01:00") == (
        0,
        "roll-iwm: snoozed until 2026-01-06T08:00:00+00:00\n",
        "",
    )
    qqq, iwm = desk.get_alert("vix-qqq"), desk.get_alert("roll-iwm")
    assert (qqq.snoozed_at, qqq.snoozed_until, qqq.status.value) == (
        ACTED_AT,
        ACTED_AT + timedelta(minutes=90),
        "active",
    )
    assert qqq.history[-1] == {
        "at": "2026-01-05T16:00:00.000000Z",
        "action": "snooze",
        "from": "active",
        "to": "active",
        "by": "ann",
        "note": "until 2026-01-05T17:30:00.000000Z; after the print",
    }
    assert (iwm.snoozed_at, iwm.snoozed_until) == (ACTED_AT, T0 + timedelta(hours=17))
    assert desk.get_alert("vix-spy").snoozed_until is None


LIST_HEADER = (
    "| created_at              | alert_id | status | severity | type    | symbol | strategy_id |"
    " rule      | occurrences | title  |\n"
    "|-------------------------|----------|--------|----------|---------|--------|-------------|"
    "-----------|-------------|--------|\n"
)


def test_assign_unassign_and_list_by_assignee(
    capsys: pytest.CaptureFixture[str], lake: str, desk: SyncAlertManager
) -> None:
    assert run(capsys, lake, "assign", "vix-qqq", "carol", "--by", "ann") == (
        0,
        "vix-qqq: assigned to carol\n",
        "",
    )
    assert run(capsys, lake, "assign", "vix-spy", "carol")[1] == "vix-spy: assigned to carol\n"
    assert run(capsys, lake, "assign", "stop-spy", "dave")[1] == "stop-spy: assigned to dave\n"
    vix = (
        "| 2026-01-05 15:01:00 UTC | vix-spy  | active | high     | warning | SPY    | 1"
        "           | vix_level | 1           | VIX 31 |\n"
        "| 2026-01-05 15:00:00 UTC | vix-qqq  | active | high     | warning | QQQ    | 2"
        "           | vix_level | 1           | VIX 31 |\n"
    )
    assert run(capsys, lake, "list", "--assignee", "carol") == (0, LIST_HEADER + vix, "")
    assert run(capsys, lake, "unassign", "vix-spy", "--note", "not mine") == (
        0,
        "vix-spy: unassigned\n",
        "",
    )
    assert run(capsys, lake, "list", "--assignee", "carol") == (
        0,
        LIST_HEADER + vix.splitlines(keepends=True)[1],
        "",
    )
    assert run(capsys, lake, "list", "--assignee", "erin") == (
        0,
        "no alerts match these filters\n",
        "",
    )
    spy = desk.get_alert("vix-spy")
    assert spy.assignee is None
    assert [(e["action"], e["by"], e["note"]) for e in spy.history[-2:]] == [
        ("assign", None, "assigned to carol"),
        ("assign", None, "unassigned; not mine"),
    ]
    assert desk.get_alert("vix-qqq").history[-1]["by"] == "ann"


def test_list_flapping(
    capsys: pytest.CaptureFixture[str], lake: str, desk: SyncAlertManager
) -> None:
    desk.insert_alerts(
        [
            an_alert("flap-qqq", 5, rule="vix_level", symbol="QQQ", strategy_id=7, flapping=True,
                     title="VIX 31"),
            an_alert("flap-spy", 6, rule="vix_level", symbol="SPY", strategy_id=8, flapping=True,
                     title="VIX 31"),
        ]
    )  # fmt: skip
    rows = {
        "flap-spy": "| 2026-01-05 15:06:00 UTC | flap-spy | active | high     | warning | SPY    |"
        " 8           | vix_level | 1           | VIX 31 |\n",
        "flap-qqq": "| 2026-01-05 15:05:00 UTC | flap-qqq | active | high     | warning | QQQ    |"
        " 7           | vix_level | 1           | VIX 31 |\n",
    }
    assert run(capsys, lake, "list", "--flapping") == (
        0,
        LIST_HEADER + rows["flap-spy"] + rows["flap-qqq"],
        "",
    )
    assert run(capsys, lake, "list", "--flapping", "--symbol", "qqq") == (
        0,
        LIST_HEADER + rows["flap-qqq"],
        "",
    )
    assert run(capsys, lake, "list", "--flapping", "--limit", "1")[1].count("| flap-") == 1
    assert run(capsys, lake, "list", "--flapping", "--severity", "normal") == (
        0,
        "no alerts match these filters\n",
        "",
    )


# -- help -----------------------------------------------------------------------------------


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    found: dict[str, argparse.ArgumentParser] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            found.update(action.choices)
    return found


def test_every_policy_option_has_help() -> None:
    commands = _subparsers(cli._parser())
    parsers = {name: commands[name] for name in ("snooze", "assign", "unassign", "list")}
    parsers |= {f"silence {v}": p for v, p in _subparsers(commands["silence"]).items()}
    assert sorted(parsers) == [
        "assign",
        "list",
        "silence add",
        "silence expire",
        "silence list",
        "snooze",
        "unassign",
    ]
    for name, parser in parsers.items():
        for action in parser._actions:
            assert action.help, f"{name}: {action.dest} has no help"
        assert parser.description or name == "list", name


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["silence", "add", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for option in ("--match", "--ends", "--for", "--starts", "--by", "--comment", "--confirm"):
        assert option in out


def test_a_policy_command_on_a_missing_lake_is_refused(
    capsys: pytest.CaptureFixture[str], lake: str, tmp_path: Path
) -> None:
    with unchanged(lake, also=tmp_path):
        status, out, err = run(capsys, lake, *ADD, "--match", "symbol=SPY", "--for", "1h")
    assert (status, out) == (2, "")
    assert err.startswith(f"alertkit: error: no alerts table at {lake}"), err
