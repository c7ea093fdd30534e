"""Lakes at awkward paths, Delta tables alertkit did not create, and damaged tables (issue 18 §3).

Every path the OS allows works through the API and the CLI, or is refused before anything is
written; a table that is not an alerts table is never written; a damaged latest commit is an
alertkit error, never a table that reads as having fewer alerts.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest
from deltalake import DeltaTable, write_deltalake

from alertkit import Alert, AlertQuery, SyncAlertManager, cli
from alertkit.lake.query import scan_alerts
from alertkit.model._ids import new_alert_id
from alertkit.model.errors import SchemaMismatchError, StoreError, ValidationError
from alertkit.model.schema import alerts_to_frame
from conftest import T0, close_now, position

AWKWARD = [
    "my alerts",
    "100%",
    "%zz",
    "hash#tag",
    "what?",
    "a&b",
    "a+b",
    "a=b",
    "it's",
    'say "hi"',
    "ümlaut",
    "日本",
    "🚨 alerts",
    "{braces}",
    "semi;colon",
    "-leading",
    "~",
    "$HOME",
    "star*",
    "x=1/y z",
    "mix %+=&;,@!#",
]
"""Directory names that delta-rs and polars can both be made to use."""

REFUSED = ["[brackets]", "%20", "pct%41", "back\\slash"]
"""What delta-rs 1.6 cannot use in a local path however it is spelled (see the README)."""


def _exercise(lake: str, where: Path) -> None:
    """Every operation of a lake's life, through the API and the CLI, at ``lake``."""
    manager = SyncAlertManager(lake, maintain_every=0)
    manager.initialize()
    first = manager.create_alert(close_now("stop_loss_hard"), position("SPY", 1))
    second = manager.create_alert(close_now("catastrophe_drop"), position("QQQ", 2, minutes=1))
    assert first is not None and second is not None
    assert [a.alert_id for a in manager.query_alerts()] == [second.alert_id, first.alert_id]
    assert manager.get_alert(first.alert_id).status.value == "active"
    acked = manager.acknowledge_alert(first.alert_id, by="ann", at=T0 + timedelta(hours=1))
    assert acked.status.value == "acknowledged"
    assert scan_alerts(lake).select(pl.len()).collect().item() == 2
    report = manager.maintain(vacuum_retention_hours=24)
    assert report.files_after >= 1
    assert manager.read_board()["status"].sort().to_list() == ["acknowledged", "active"]
    assert manager.read_board(version=1).height == 1  # time travel checks the files of version 1
    # A second manager (a fresh open) sees the same table.
    again = SyncAlertManager(lake, maintain_every=0)
    again.initialize()
    assert again.get_alert_count() == 2
    # The CLI, in-process.
    assert cli.main(["--lake", lake, "list", "--symbol", "QQQ"]) == 0
    assert cli.main(["--lake", lake, "show", second.alert_id]) == 0
    assert cli.main(["--lake", lake, "ack", second.alert_id, "--by", "bob"]) == 0
    assert again.get_alert(second.alert_id).status.value == "acknowledged"
    assert where.is_dir()


@pytest.mark.parametrize("name", AWKWARD)
def test_a_lake_under_an_awkward_directory_name_works_everywhere(
    tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    where = tmp_path / name / "lake"
    _exercise(str(where), where)
    out = capsys.readouterr().out
    assert "QQQ" in out and ": acknowledged" in out


def test_a_lake_whose_own_name_is_awkward_works(tmp_path: Path) -> None:
    where = tmp_path / "alerts=live ü#1"
    _exercise(str(where), where)


def test_dot_dot_segments_are_resolved_even_through_a_directory_that_does_not_exist(
    tmp_path: Path,
) -> None:
    lake = f"{tmp_path}/not-there/../my lake"
    _exercise(lake, tmp_path / "my lake")
    assert not (tmp_path / "not-there").exists()
    assert SyncAlertManager(lake).path == str(tmp_path / "my lake")


def test_a_file_uri_names_the_path_it_encodes(tmp_path: Path) -> None:
    where = tmp_path / "my alerts" / "ümlaut lake"
    uri = where.as_uri()  # file:///.../my%20alerts/%C3%BCmlaut%20lake
    assert "%20" in uri
    _exercise(uri, where)
    assert SyncAlertManager(uri).path == str(where)
    assert not (tmp_path / "my%20alerts").exists()


@pytest.mark.parametrize("name", REFUSED)
def test_a_path_delta_rs_cannot_use_is_refused_before_anything_is_written(
    tmp_path: Path, name: str
) -> None:
    where = tmp_path / name / "lake"
    with pytest.raises(ValidationError, match=r"^lake path: .* which delta-rs cannot use"):
        SyncAlertManager(str(where)).initialize()
    with pytest.raises(ValidationError, match="delta-rs cannot use"):
        scan_alerts(where)
    assert cli.main(["--lake", str(where), "watch", __file__, "--every", "1"]) == 2
    assert list(tmp_path.iterdir()) == []


# -- a Delta table that is not an alerts table -------------------------------------------------


def _state(path: Path) -> tuple[int, list[tuple[str, int]]]:
    files = sorted((str(p.relative_to(path)), p.stat().st_size) for p in path.rglob("*"))
    return DeltaTable(str(path)).version(), files


@pytest.fixture
def foreign(tmp_path: Path) -> Path:
    path = tmp_path / "not alerts"
    write_deltalake(str(path), pl.DataFrame({"a": [1, 2], "b": ["x", "y"]}).to_arrow())
    return path


FOREIGN_MESSAGE = (
    r"^the table at .*/not alerts is not an alertkit alerts table: missing column 'alert_id'"
    r" \(String\); missing column 'type' \(String\); .*; missing column 'created_date' \(Date\)$"
)


def test_every_api_method_on_a_foreign_table_is_a_schema_error_and_writes_nothing(
    foreign: Path,
) -> None:
    before = _state(foreign)
    manager = SyncAlertManager(str(foreign))
    frame = alerts_to_frame(
        [
            Alert(
                alert_id=new_alert_id(T0),
                type="warning",
                severity="high",
                status="active",
                title="t",
                message="m",
                rule="stop_loss_hard",
                symbol="SPY",
                strategy_id=1,
                metadata={},
                created_at=T0,
            )
        ]
    )
    calls = {
        "initialize": manager.initialize,
        "create_alert": lambda: manager.create_alert(close_now(), position()),
        "insert_alerts": lambda: manager.insert_alerts(frame),
        "query_alerts": lambda: manager.query_alerts(AlertQuery(symbol="SPY")),
        "get_alert": lambda: manager.get_alert("019b8b74-1800-7541-8cf0-cb3a268364f5"),
        "acknowledge_alert": lambda: manager.acknowledge_alert(
            "019b8b74-1800-7541-8cf0-cb3a268364f5"
        ),
        "get_active_alerts": manager.get_active_alerts,
        "get_alert_count": manager.get_alert_count,
        "read_board": manager.read_board,
        "read_board(version=0)": lambda: manager.read_board(version=0),
        "scan_alerts": lambda: scan_alerts(foreign).collect(),
        "maintain": lambda: manager.maintain(vacuum_retention_hours=24),
    }
    for name, call in calls.items():
        with pytest.raises(SchemaMismatchError, match=FOREIGN_MESSAGE):
            call()
        assert _state(foreign) == before, f"{name} changed the table"


@pytest.mark.parametrize("command", [["list"], ["maintain"], ["show", "a-1"], ["ack", "a-1"]])
def test_the_cli_on_a_foreign_table_prints_one_line_and_writes_nothing(
    foreign: Path, command: list[str], capfd: pytest.CaptureFixture[str]
) -> None:
    before = _state(foreign)
    assert cli.main(["--lake", str(foreign), *command]) == 2
    err = capfd.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("alertkit: error: the table at ")
    assert "is not an alertkit alerts table: missing column 'alert_id' (String);" in err
    assert _state(foreign) == before


# -- damaged tables ---------------------------------------------------------------------------


def _lake_with_three_alerts(path: Path) -> SyncAlertManager:
    manager = SyncAlertManager(str(path), maintain_every=0)
    manager.initialize()
    for i in range(3):
        manager.create_alert(close_now(), position("SPY", i + 1, minutes=i))
    return manager


def _latest_commit(path: Path) -> Path:
    return sorted((path / "_delta_log").glob("*.json"))[-1]


def _truncate(path: Path) -> None:
    commit = _latest_commit(path)
    text = commit.read_bytes()
    commit.write_bytes(text[: len(text) // 2])


def _garbage(path: Path) -> None:
    _latest_commit(path).write_bytes(b"\x00\xff not json \x13\n")


def _empty(path: Path) -> None:
    _latest_commit(path).write_bytes(b"")


def _missing_data_file(path: Path) -> None:
    for line in _latest_commit(path).read_text().splitlines():
        action = json.loads(line)
        if "add" in action:
            os.remove(path / action["add"]["path"])
            return
    raise AssertionError("the latest commit adds no file")


def _corrupt_checkpoint(path: Path) -> None:
    SyncAlertManager(str(path), maintain_every=0).maintain()
    checkpoint = sorted((path / "_delta_log").glob("*.checkpoint.parquet"))[-1]
    checkpoint.write_bytes(checkpoint.read_bytes()[:100])


DAMAGE = {
    "truncated JSON": (_truncate, r"cannot open the alerts table at .*: Kernel error: Json error"),
    "garbage bytes": (_garbage, r"cannot open the alerts table at .*: Kernel error: Json error"),
    "empty commit": (
        _empty,
        r"is damaged: its latest commit 00000000000000000003.json is an empty file",
    ),
    "missing data file": (_missing_data_file, r"is damaged: 1 data file\(s\) its latest"),
    "corrupt checkpoint": (_corrupt_checkpoint, r"cannot open the alerts table at .*: .*Parquet"),
}


@pytest.mark.parametrize("kind", list(DAMAGE))
def test_a_damaged_latest_commit_is_a_clear_error_everywhere(
    tmp_path: Path, kind: str, capfd: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "lake"
    _lake_with_three_alerts(path)
    damage, message = DAMAGE[kind]
    damage(path)
    manager = SyncAlertManager(str(path), maintain_every=0)
    for call in (
        manager.initialize,
        manager.query_alerts,
        manager.read_board,
        manager.get_alert_count,
        lambda: scan_alerts(path).collect(),
    ):
        with pytest.raises(StoreError, match=message):
            call()
    capfd.readouterr()
    assert cli.main(["--lake", str(path), "list"]) == 2
    err = capfd.readouterr().err
    assert err.count("\n") == 1 and err.startswith("alertkit: error: ")


def test_a_data_file_lost_after_the_table_was_opened_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "lake"
    manager = _lake_with_three_alerts(path)
    assert manager.get_alert_count() == 3  # opened and cached
    _missing_data_file(path)
    for call in (manager.query_alerts, manager.read_board, manager.get_alert_count):
        with pytest.raises(StoreError, match="is damaged: a data file its latest version"):
            call()
