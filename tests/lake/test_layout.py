"""Lakes move from daily to monthly partitions (issue 23): in one commit, nothing lost, time
travel and DuckDB unchanged, safe against a concurrent writer and against SIGKILL, and a
no-op the second time.

The old lakes are written by alertkit's store with the daily declarations
(tests/lake/_old_layout.py), so they are what a desk's lake holds today.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import signal
import time
from pathlib import Path

import polars as pl
import pytest
from _delta_reader import connect, delta_scan
from _old_layout import DAILY_ALERTS, alerts_per_day, write_daily_lake, write_daily_log
from deltalake import DeltaTable
from deltalake.exceptions import CommitFailedError

from alertkit import SyncAlertManager
from alertkit.cli import main
from alertkit.lake.layout import migrate_layout, partition_columns
from alertkit.lake.store import AlertStore, DeltaStore, audit
from alertkit.model.notification_log import NOTIFICATION_LOG_TABLE
from alertkit.model.schema import ALERT_SCHEMA, ALERTS_TABLE

DAYS = 40  # 2025-11-20 .. 2025-12-29: two months


def board_of(path: str, version: int | None = None) -> pl.DataFrame:
    return SyncAlertManager(path, maintain_every=0).read_board(version=version).sort("alert_id")


def test_migrate_moves_both_tables_to_months_and_keeps_everything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lake = str(tmp_path / "alerts")
    old = write_daily_lake(lake, DAYS)
    log = write_daily_log(lake + "_notifications", old["alert_id"].head(3).to_list())
    before = DeltaTable(lake).version()
    assert before == 5 and partition_columns(DeltaTable(lake)) == ("created_date",)

    assert main(["--lake", lake, "migrate"]) == 0
    printed = re.sub(r" in \d+\.\d s;", " in S s;", capsys.readouterr().out)
    assert printed.splitlines() == [
        "alerts: 40 rows moved from partitions by created_date (40 files) to partitions by"
        " created_month (2 files) in S s; version 6 -> 7, earlier versions still readable",
        "notifications: 3 rows moved from partitions by date (3 files) to partitions by month"
        " (1 file) in S s; version 2 -> 3, earlier versions still readable",
    ]
    table = DeltaTable(lake)
    # one commit sets the target file size (absent before), the next moves every row
    assert partition_columns(table) == ("created_month",) and table.version() == before + 2
    assert table.metadata().configuration == {
        "delta.checkpointInterval": "50",
        "delta.targetFileSize": "1000000",
    }
    assert [c["alertkit.operation"] for c in table.history(2)] == ["migrate_layout", "configure"]
    assert sorted(p.name for p in Path(lake).glob("created_month=*")) == [
        "created_month=2025-11-01",
        "created_month=2025-12-01",
    ]
    manager = SyncAlertManager(lake, maintain_every=0)
    assert board_of(lake).equals(old)
    stored_log = DeltaStore(lake + "_notifications", NOTIFICATION_LOG_TABLE).scan().collect()
    assert stored_log.sort("entry_id").equals(log.sort("entry_id"))
    assert partition_columns(DeltaTable(lake + "_notifications")) == ("month",)

    # time travel to every version before the move reads what it read before
    assert board_of(lake, version=before).equals(old)
    assert board_of(lake, version=1).height == 10
    # an independent reader (DuckDB's delta extension, delta-kernel-rs) reads the same rows
    assert delta_scan(connect(), lake).equals(old)

    # a second run changes nothing
    assert main(["--lake", lake, "migrate"]) == 0
    assert capsys.readouterr().out == (
        f"nothing to migrate: {lake} is already partitioned by month\n"
    )
    assert DeltaTable(lake).version() == before + 2
    assert manager.migrate() == []


def test_the_first_write_moves_an_old_lake_and_then_commits_on_months(tmp_path: Path) -> None:
    lake = str(tmp_path / "alerts")
    old = write_daily_lake(lake, DAYS)
    manager = SyncAlertManager(lake, maintain_every=0)
    newest = old.sort("created_at")["alert_id"][-1]
    assert manager.resolve_alert(newest).status.value == "resolved"
    history = DeltaTable(lake).history(2)
    assert [h.get("alertkit.operation") for h in history] == ["resolve", "migrate_layout"]
    after = board_of(lake)
    assert after.filter(pl.col("alert_id") != newest).equals(
        old.filter(pl.col("alert_id") != newest)
    )
    assert after.filter(pl.col("status") == "resolved")["alert_id"].to_list() == [newest]
    # the resolve rewrote one month's file only
    assert len(DeltaTable(lake).file_uris()) == 2


def test_a_commit_landing_during_the_move_is_kept(tmp_path: Path) -> None:
    """The migration reads version v; a writer still on the daily layout commits v+1 before
    the migration commits. delta-rs alone would rebase the overwrite onto v+1 and fail with
    a raw error (or, with the old file's partitions, lose the write): it is refused, and the
    migration is redone on v+1."""
    lake = str(tmp_path / "alerts")
    write_daily_lake(lake, DAYS)
    pinned = DeltaTable(lake)
    late = alerts_per_day(DAYS + 1).tail(1).with_columns(expected_revision=pl.lit(None, pl.Int64))
    old_writer = DeltaStore(lake, DAILY_ALERTS)
    old_writer.merge_rows(  # an unchecked handle: a checked one would configure the table
        old_writer.open_table(), late, reads="table", custom_metadata=audit("insert", "late", None)
    )
    with pytest.raises(CommitFailedError):
        migrate_layout(ALERTS_TABLE, pinned)
    assert partition_columns(DeltaTable(lake)) == ("created_date",)  # nothing committed

    moved = AlertStore(lake)._migrate(DeltaTable(lake, version=pinned.version()))
    assert moved is not None and moved.rows == DAYS + 1
    board = board_of(lake)
    assert board.height == DAYS + 1 and board["strategy_id"].max() == DAYS


def migrate_in_child(lake: str) -> None:
    SyncAlertManager(lake, maintain_every=0).migrate()


def test_a_migration_killed_midway_leaves_the_old_table_and_resumes(tmp_path: Path) -> None:
    lake = str(tmp_path / "alerts")
    old = write_daily_lake(lake, 2_000, commits=2)  # ~66 months of files to write
    version = DeltaTable(lake).version()
    child = multiprocessing.get_context("spawn").Process(target=migrate_in_child, args=(lake,))
    child.start()
    try:
        deadline = time.monotonic() + 120
        while not any(Path(lake).glob("created_month=*")) and time.monotonic() < deadline:
            time.sleep(0.001)  # the child has started writing the monthly files
    finally:
        os.kill(child.pid, signal.SIGKILL)  # type: ignore[arg-type]
        child.join(timeout=30)
    assert child.exitcode == -signal.SIGKILL
    assert any(Path(lake).glob("created_month=*")), "the child never began writing"
    # killed before its commit: the old table, whole, one version on (the file size it set
    # first; read raw: an alertkit manager opening it would move it)
    assert DeltaTable(lake).version() == version + 1
    assert DeltaTable(lake).history(1)[0]["alertkit.operation"] == "configure"
    assert partition_columns(DeltaTable(lake)) == ("created_date",)
    assert pl.read_delta(lake).select(list(ALERT_SCHEMA)).sort("alert_id").equals(old)
    assert delta_scan(connect(), lake).equals(old)

    [moved] = SyncAlertManager(lake, maintain_every=0).migrate()
    assert (moved.rows, moved.version_before, moved.version) == (2_000, version + 1, version + 2)
    assert board_of(lake).equals(old)
    assert board_of(lake, version=version).equals(old)
    assert SyncAlertManager(lake, maintain_every=0).migrate() == []


def test_a_new_lake_is_monthly_and_its_rows_read_without_the_partition_column(
    tmp_path: Path,
) -> None:
    lake = str(tmp_path / "alerts")
    manager = SyncAlertManager(lake, maintain_every=0)
    manager.initialize()
    assert manager.insert_alerts(alerts_per_day(DAYS)) == DAYS
    assert partition_columns(DeltaTable(lake)) == ("created_month",)
    assert board_of(lake).columns == list(ALERT_SCHEMA)
    raw = pl.read_delta(lake)
    assert raw.columns == [*ALERT_SCHEMA, "created_month"]
    assert raw.filter(pl.col("created_month") != pl.col("created_date").dt.month_start()).is_empty()
    assert manager.migrate() == []
