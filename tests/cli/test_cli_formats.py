"""`--format table|csv|json` of `list`, `history`, `show` and `notifications`, `list`'s
truncation notice, `--type` and `--status open`, and `--help` on every option (issue 22).

The lakes are real: a writer commits four alerts (with a handler, so the notification log has
rows) and acts on two of them at an instant with microseconds, which the exports must keep.
"""

from __future__ import annotations

import argparse
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import polars as pl
import pytest
from _factories import T0, an_alert, close_now, position, roll
from _managers import ManualClock

from alertkit import Alert, SyncAlertManager, cli
from alertkit._cli_format import ALERT_FIELDS
from alertkit.model.schema import ALERT_SCHEMA

ACTED_AT = T0 + timedelta(hours=1, microseconds=250)
ACTED_ISO = "2026-01-05T16:00:00.000250+00:00"
TIMES = ("created_at", "acknowledged_at", "resolved_at", "last_seen_at")
TIMES += ("snoozed_until", "snoozed_at")
NOTICE = "; --limit N or --all for more"
NESTED = ("metadata", "history")  # JSON values in json, their JSON text in csv


@dataclass
class Desk:
    """Four alerts, oldest first: SPY acknowledged, QQQ resolved, IWM and TLT active."""

    lake: str
    spy: Alert
    qqq: Alert
    iwm: Alert
    tlt: Alert

    def ids(self, *names: str) -> list[str]:
        return [getattr(self, name).alert_id for name in names]


@pytest.fixture
def desk(lake: str) -> Desk:
    writer = SyncAlertManager(lake, clock=ManualClock(ACTED_AT), maintain_every=0)
    writer.initialize()
    writer.add_handler(lambda alert: None, name="desk")
    made = [
        writer.create_alert(close_now(), position("SPY", 1, minutes=0)),
        writer.create_alert(roll(), position("QQQ", 2, minutes=1)),
        writer.create_alert(close_now(), position("IWM", 3, minutes=2)),
        writer.create_alert(roll(), position("TLT", 4, minutes=3)),
    ]
    spy, qqq, iwm, tlt = (a for a in made if a is not None)
    assert writer.flush_notifications(30)
    spy = writer.transition(spy.alert_id, "acknowledge", by="ana", note="on it")
    qqq = writer.transition(qqq.alert_id, "resolve", note="rolled")
    return Desk(lake, spy, qqq, iwm, tlt)


def run(capsys: pytest.CaptureFixture[str], lake: str, *args: str) -> tuple[int, str, str]:
    status = cli.main(["--lake", lake, *args])
    out, err = capsys.readouterr()
    return status, out, err


def listed_ids(capsys: pytest.CaptureFixture[str], lake: str, *args: str) -> list[str]:
    status, out, err = run(capsys, lake, "list", *args, "--format", "json")
    assert (status, err) == (0, "")
    return [record["alert_id"] for record in json.loads(out)]


def as_alert(record: dict[str, Any]) -> Alert:
    """An exported alert object made an Alert again: its ISO-8601 times parsed."""
    times = {k: None if record[k] is None else datetime.fromisoformat(record[k]) for k in TIMES}
    return Alert(**(record | times))


# -- list: --status open, --type ---------------------------------------------------------------


def test_status_open_and_type_filter_exactly(
    capsys: pytest.CaptureFixture[str], desk: Desk
) -> None:
    lake = desk.lake
    assert listed_ids(capsys, lake, "--status", "open") == desk.ids("tlt", "iwm", "spy")
    assert listed_ids(capsys, lake, "--status", " Open") == desk.ids("tlt", "iwm", "spy")
    assert listed_ids(capsys, lake, "--status", "active") == desk.ids("tlt", "iwm")
    assert listed_ids(capsys, lake, "--status", "acknowledged") == desk.ids("spy")
    assert listed_ids(capsys, lake, "--type", "info") == desk.ids("tlt", "qqq")
    assert listed_ids(capsys, lake, "--type", "INFO", "--status", "open") == desk.ids("tlt")
    assert listed_ids(
        capsys, lake, "--type", "critical", "--status", "open", "--symbol", "spy"
    ) == (desk.ids("spy"))
    assert listed_ids(capsys, lake, "--type", "warning") == []
    assert listed_ids(capsys, lake, "--status", "open", "--flapping") == []


def test_a_bad_type_or_status_is_one_line(capsys: pytest.CaptureFixture[str], desk: Desk) -> None:
    assert run(capsys, desk.lake, "list", "--type", "urgent") == (
        2,
        "",
        "alertkit: error: type: expected one of info, warning, critical (any case), got 'urgent'\n",
    )
    assert run(capsys, desk.lake, "list", "--status", "closed") == (
        2,
        "",
        "alertkit: error: --status: expected open or one of active, acknowledged, resolved,"
        " dismissed (any case), got 'closed'\n",
    )


def test_open_alerts_cut_by_the_limit_say_so_after_the_table(
    capsys: pytest.CaptureFixture[str], desk: Desk
) -> None:
    tlt, iwm = desk.tlt.alert_id, desk.iwm.alert_id
    assert run(capsys, desk.lake, "list", "--status", "open", "--limit", "2") == (
        0,
        "| created_at              | alert_id                             | status | severity  |"
        " type     | symbol | strategy_id | rule             | occurrences | title          "
        "                  |\n"
        "|-------------------------|--------------------------------------|--------|-----------|"
        "----------|--------|-------------|------------------|-------------|----------------"
        "------------------|\n"
        f"| 2026-01-05 15:03:00 UTC | {tlt} | active | normal    | info     | TLT    | 4    "
        "       | dte_roll         | 1           | Roll position: dte_roll          |\n"
        f"| 2026-01-05 15:02:00 UTC | {iwm} | active | immediate | critical | IWM    | 3    "
        "       | catastrophe_drop | 1           | Close position: catastrophe_drop |\n"
        f"showing 2 of 3 alerts{NOTICE}\n",
        "",
    )


# -- list: the truncation notice -------------------------------------------------------------


@pytest.fixture
def big_lake(lake: str) -> str:
    writer = SyncAlertManager(lake, maintain_every=0)
    writer.initialize()
    assert writer.insert_alerts([an_alert(minutes=i, strategy_id=i + 1) for i in range(1001)])
    return lake


def test_the_limit_says_what_it_cut(capsys: pytest.CaptureFixture[str], big_lake: str) -> None:
    status, out, err = run(capsys, big_lake, "list")
    lines = out.splitlines()
    assert (status, err, len(lines)) == (0, "", 2 + 50 + 1)
    assert lines[-1] == f"showing 50 of 1,001 alerts{NOTICE}"
    assert lines[2].startswith("| 2026-01-06 07:40:00 UTC |")  # the newest: T0 + 1000 min

    # json and csv: the rows alone on stdout, the notice on stderr
    status, out, err = run(capsys, big_lake, "list", "--format", "json", "--limit", "3")
    assert (status, err) == (0, f"showing 3 of 1,001 alerts{NOTICE}\n")
    assert [r["strategy_id"] for r in json.loads(out)] == [1001, 1000, 999]
    status, out, err = run(capsys, big_lake, "list", "--format", "csv")
    assert (status, err, pl.read_csv(io.StringIO(out)).height) == (
        0,
        f"showing 50 of 1,001 alerts{NOTICE}\n",
        50,
    )

    # every row asked for: no notice
    status, out, err = run(capsys, big_lake, "list", "--all", "--format", "csv")
    read = pl.read_csv(io.StringIO(out))
    assert (status, err, read["strategy_id"].to_list()) == (0, "", list(range(1001, 0, -1)))
    status, out, err = run(capsys, big_lake, "list", "--limit", "1001")
    assert (status, err, len(out.splitlines())) == (0, "", 2 + 1001)


def test_limit_and_all_together_are_refused(capsys: pytest.CaptureFixture[str], desk: Desk) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--lake", desk.lake, "list", "--limit", "5", "--all"])
    assert exit_.value.code == 2
    assert capsys.readouterr().err == (
        "alertkit: error: list: argument --all: not allowed with argument --limit"
        " (see alertkit list -h)\n"
    )


# -- list: json and csv ------------------------------------------------------------------------


def test_list_json_parses_back_to_the_exact_alerts(
    capsys: pytest.CaptureFixture[str], desk: Desk
) -> None:
    status, out, err = run(capsys, desk.lake, "list", "--format", "json")
    assert (status, err) == (0, "")
    records = json.loads(out)
    assert [list(r) for r in records] == [list(ALERT_FIELDS)] * 4
    stored = SyncAlertManager(desk.lake)
    newest_first = desk.ids("tlt", "iwm", "qqq", "spy")
    assert [as_alert(r) for r in records] == [stored.get_alert(i) for i in newest_first]
    spy = records[-1]
    assert (spy["created_at"], spy["acknowledged_at"], spy["resolved_at"]) == (
        "2026-01-05T15:00:00+00:00",
        ACTED_ISO,
        None,
    )
    assert spy["metadata"] == {"change": -0.04}
    assert [(e["action"], e["by"], e["note"]) for e in spy["history"]] == [
        ("create", None, None),
        ("acknowledge", "ana", "on it"),
    ]

    assert run(capsys, desk.lake, "list", "--symbol", "XYZ", "--format", "json") == (0, "[]\n", "")


def test_list_csv_reads_back_with_polars_to_the_stored_values(
    capsys: pytest.CaptureFixture[str], desk: Desk
) -> None:
    status, out, err = run(capsys, desk.lake, "list", "--format", "csv")
    assert (status, err) == (0, "")
    assert out.splitlines()[0] == ",".join(ALERT_FIELDS)
    scalars = [c for c in ALERT_FIELDS if c not in NESTED]
    read = pl.read_csv(io.StringIO(out), schema_overrides={c: ALERT_SCHEMA[c] for c in scalars})
    stored = pl.read_delta(desk.lake).sort(["created_at", "alert_id"], descending=True)
    assert read.columns == list(ALERT_FIELDS)
    assert read.select(scalars).equals(stored.select(scalars))
    for nested in NESTED:
        assert [json.loads(t) for t in read[nested]] == [json.loads(t) for t in stored[nested]]
    assert read.filter(pl.col("alert_id") == desk.qqq.alert_id)["resolved_at"].to_list() == [
        ACTED_AT
    ]

    assert run(capsys, desk.lake, "list", "--symbol", "XYZ", "--format", "csv") == (
        0,
        ",".join(ALERT_FIELDS) + "\n",
        "",
    )


# -- history and show --------------------------------------------------------------------------


def test_history_in_every_format(capsys: pytest.CaptureFixture[str], desk: Desk) -> None:
    spy = desk.spy.alert_id
    assert run(capsys, desk.lake, "history", spy) == (
        0,
        "| at                             | action      | from_status | to_status    | by   |"
        " note  |\n"
        "|--------------------------------|-------------|-------------|--------------|------|"
        "-------|\n"
        "| 2026-01-05 15:00:00 UTC        | create      | null        | active       | null |"
        " null  |\n"
        "| 2026-01-05 16:00:00.000250 UTC | acknowledge | active      | acknowledged | ana  |"
        " on it |\n",
        "",
    )
    status, out, err = run(capsys, desk.lake, "history", spy, "--format", "json")
    assert (status, err) == (0, "")
    assert json.loads(out) == [
        {
            "at": "2026-01-05T15:00:00+00:00",
            "action": "create",
            "from_status": None,
            "to_status": "active",
            "by": None,
            "note": None,
        },
        {
            "at": ACTED_ISO,
            "action": "acknowledge",
            "from_status": "active",
            "to_status": "acknowledged",
            "by": "ana",
            "note": "on it",
        },
    ]
    assert run(capsys, desk.lake, "history", spy, "--format", "csv") == (
        0,
        "at,action,from_status,to_status,by,note\n"
        "2026-01-05T15:00:00+00:00,create,,active,,\n"
        f"{ACTED_ISO},acknowledge,active,acknowledged,ana,on it\n",
        "",
    )


TOLD = {
    "at": ACTED_ISO,
    "handler": "desk",
    "reason": "new",
    "outcome": "sent",
    "attempts": 1,
    "error": None,
}
"""What the log says of each alert: told once to the desk handler, at the writer's instant."""


def test_show_json_is_one_object_of_the_alert(
    capsys: pytest.CaptureFixture[str], desk: Desk
) -> None:
    status, out, err = run(capsys, desk.lake, "show", desk.qqq.alert_id, "--format", "json")
    assert (status, err) == (0, "")
    record = json.loads(out)
    assert list(record) == [*ALERT_FIELDS, "notifications"]
    assert record.pop("notifications") == [TOLD]
    assert as_alert(record) == SyncAlertManager(desk.lake).get_alert(desk.qqq.alert_id)
    assert (record["type"], record["resolved_at"]) == ("info", ACTED_ISO)

    status, out, err = run(capsys, desk.lake, "show", desk.qqq.alert_id, "--format", "csv")
    assert (status, err) == (0, "")
    typed = {c: ALERT_SCHEMA[c] for c in ALERT_FIELDS if c not in NESTED}
    read = pl.read_csv(io.StringIO(out), schema_overrides=typed)
    assert (read.columns, read.height) == ([*ALERT_FIELDS, "notifications"], 1)
    assert read.row(0, named=True) | {"history": None} == {
        "alert_id": desk.qqq.alert_id,
        "type": "info",
        "severity": "normal",
        "status": "resolved",
        "title": "Roll position: dte_roll",
        "message": "DTE 23 <= 25: roll to 45 DTE",
        "rule": "dte_roll",
        "symbol": "QQQ",
        "strategy_id": 2,
        "metadata": '{"dte": 23}',
        "created_at": datetime(2026, 1, 5, 15, 1, tzinfo=T0.tzinfo),
        "acknowledged_at": None,
        "resolved_at": ACTED_AT,
        "occurrences": 1,
        "last_seen_at": datetime(2026, 1, 5, 15, 1, tzinfo=T0.tzinfo),
        "engine_rule": None,
        "rule_priority": None,
        "history": None,
        "silenced_by": None,
        "snoozed_until": None,
        "snoozed_at": None,
        "assignee": None,
        "flapping": False,
        "notifications": json.dumps([TOLD]),
    }


def test_show_table_is_fields_then_history_then_notifications(
    capsys: pytest.CaptureFixture[str], desk: Desk
) -> None:
    spy = desk.spy.alert_id
    assert run(capsys, desk.lake, "show", spy) == (
        0,
        "| field           | value                                |\n"
        "|-----------------|--------------------------------------|\n"
        f"| alert_id        | {spy} |\n"
        "| type            | critical                             |\n"
        "| severity        | immediate                            |\n"
        "| status          | acknowledged                         |\n"
        "| title           | Close position: catastrophe_drop     |\n"
        "| message         | Underlying fell 4% in an hour        |\n"
        "| rule            | catastrophe_drop                     |\n"
        "| symbol          | SPY                                  |\n"
        "| strategy_id     | 1                                    |\n"
        '| metadata        | {"change": -0.04}                    |\n'
        "| created_at      | 2026-01-05 15:00:00 UTC              |\n"
        "| acknowledged_at | 2026-01-05 16:00:00.000250 UTC       |\n"
        "| resolved_at     | null                                 |\n"
        "| occurrences     | 1                                    |\n"
        "| last_seen_at    | 2026-01-05 15:00:00 UTC              |\n"
        "| engine_rule     | null                                 |\n"
        "| rule_priority   | null                                 |\n"
        "| silenced_by     | null                                 |\n"
        "| snoozed_until   | null                                 |\n"
        "| snoozed_at      | null                                 |\n"
        "| assignee        | null                                 |\n"
        "| flapping        | false                                |\n"
        "\n"
        "history:\n"
        "| at                             | action      | from_status | to_status    | by   |"
        " note  |\n"
        "|--------------------------------|-------------|-------------|--------------|------|"
        "-------|\n"
        "| 2026-01-05 15:00:00 UTC        | create      | null        | active       | null |"
        " null  |\n"
        "| 2026-01-05 16:00:00.000250 UTC | acknowledge | active      | acknowledged | ana  |"
        " on it |\n"
        "\n"
        "notifications:\n"
        "| at                             | handler | reason | outcome | attempts | error |\n"
        "|--------------------------------|---------|--------|---------|----------|-------|\n"
        "| 2026-01-05 16:00:00.000250 UTC | desk    | new    | sent    | 1        | null  |\n",
        "",
    )


# -- notifications -----------------------------------------------------------------------------


def test_notifications_in_every_format(capsys: pytest.CaptureFixture[str], desk: Desk) -> None:
    spy = desk.spy.alert_id
    row = {"alert_id": spy} | TOLD
    row = {k: row[k] for k in ("at", "alert_id", "handler", "reason", "outcome", "attempts")}
    row["error"] = None
    status, out, err = run(capsys, desk.lake, "notifications", "--alert", spy, "--format", "json")
    assert (status, err, json.loads(out)) == (0, "", [row])
    assert run(capsys, desk.lake, "notifications", "--alert", spy, "--format", "csv") == (
        0,
        f"at,alert_id,handler,reason,outcome,attempts,error\n{ACTED_ISO},{spy},desk,new,sent,1,\n",
        "",
    )
    assert run(capsys, desk.lake, "notifications", "--alert", spy) == (
        0,
        "| at                             | alert_id                             | handler |"
        " reason | outcome | attempts | error |\n"
        "|--------------------------------|--------------------------------------|---------|"
        "--------|---------|----------|-------|\n"
        f"| 2026-01-05 16:00:00.000250 UTC | {spy} | desk    | new    | sent    | 1        |"
        " null  |\n",
        "",
    )

    status, out, err = run(capsys, desk.lake, "notifications", "--limit", "3", "--format", "json")
    assert (status, err) == (0, f"showing the latest 3 of 4 notifications{NOTICE}\n")
    assert len(json.loads(out)) == 3
    status, out, err = run(capsys, desk.lake, "notifications", "--all", "--format", "csv")
    read = pl.read_csv(io.StringIO(out), try_parse_dates=True)
    assert (status, err) == (0, "")
    assert sorted(read["alert_id"]) == sorted(desk.ids("spy", "qqq", "iwm", "tlt"))
    assert read["at"].to_list() == [ACTED_AT] * 4

    nobody = ("notifications", "--handler", "nobody", "--format")
    assert run(capsys, desk.lake, *nobody, "json") == (0, "[]\n", "")
    assert run(capsys, desk.lake, *nobody, "csv") == (
        0,
        "at,alert_id,handler,reason,outcome,attempts,error\n",
        "",
    )


# -- --help ------------------------------------------------------------------------------------


def commands(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    """Every subcommand's parser, nested verbs (``silence add``) included."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield sub
                yield from commands(sub)


def test_every_help_describes_every_option() -> None:
    parsers = list(commands(cli._parser()))
    assert {p.prog for p in parsers} >= {
        f"alertkit {name}" for name in ("list", "show", "history", "notifications", "ack")
    }
    for parser in parsers:
        assert parser.description, parser.prog
        text = parser.format_help()
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
                continue
            where = f"{parser.prog} {action.dest}"
            assert action.help, where
            for option in action.option_strings:
                assert option in text, where
            if action.default not in (None, False):
                assert f"default {action.default}" in action.help, where


def test_list_help_names_its_options_and_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["list", "--help"])
    assert exit_.value.code == 0
    text = " ".join(capsys.readouterr().out.split())  # unwrapped
    for option in ("--status", "--type", "--severity", "--symbol", "--assignee", "--flapping"):
        assert f"{option} " in text
    for said in (
        "--status STATUS only alerts of this status: open (= active or acknowledged), or one of"
        " active, acknowledged, resolved, dismissed (any case; default any)",
        "--type TYPE only alerts of this type: info, warning, critical (any case; default any)",
        "--limit N show the newest N matching alerts (default 50)",
        "--all show every matching alert",
        "--format {table,csv,json} output format (default table)",
        "json, a list of alert objects",
        "timestamps are ISO 8601",
    ):
        assert said in text, said
