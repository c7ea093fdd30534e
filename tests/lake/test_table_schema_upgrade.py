"""A lake written before the outbox column existed keeps working: the first open by this
version of alertkit adds the column in one schema-only commit, older versions still read
(the column as nulls), and a read-only copy is read without being upgraded.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from _delta_reader import connect, delta_scan
from _factories import an_alert
from deltalake import DeltaTable, write_deltalake

from alertkit import SyncAlertManager, ValidationError
from alertkit.model.schema import ALERT_SCHEMA, alerts_to_frame


def an_old_lake(path: Path, *, daily: bool = False) -> str:
    """A table as alertkit wrote it before ``notify_pending``, holding two alerts: in the
    monthly layout, or ``daily`` as alertkit partitioned it then (tests/lake/test_layout.py
    covers moving that one)."""
    rows = alerts_to_frame([an_alert(strategy_id=1), an_alert(strategy_id=2, symbol="QQQ")])
    old = rows.drop("notify_pending")
    assert "notify_pending" in ALERT_SCHEMA and "notify_pending" not in old.columns
    if daily:
        write_deltalake(str(path), old.to_arrow(), partition_by=["created_date"])
    else:
        month = pl.col("created_date").dt.month_start().alias("created_month")
        write_deltalake(
            str(path), old.with_columns(month).to_arrow(), partition_by=["created_month"]
        )
    return str(path)


def test_the_first_open_adds_the_column_and_history_still_reads(tmp_path: Path) -> None:
    lake = an_old_lake(tmp_path / "alerts")
    manager = SyncAlertManager(lake, maintain_every=0)
    manager.add_handler(print, name="desk", reasons=["new", "resolved"])
    [alert, _] = sorted(manager.query_alerts(), key=lambda a: a.strategy_id or 0)
    manager.resolve_alert(alert.alert_id)
    assert manager.flush_notifications(30)
    history = [h["operation"] for h in DeltaTable(lake).history()]
    # newest first: the first open gave it the target file size, then the column
    assert history == ["MERGE", "MERGE", "ADD COLUMN", "SET TBLPROPERTIES", "WRITE"]
    before = manager.read_board(version=0)
    assert before.columns == list(ALERT_SCHEMA)
    assert before["notify_pending"].to_list() == [None, None]
    assert manager.notification_log().select("reason", "outcome").rows() == [("resolved", "sent")]
    con = connect()
    counted = con.execute(f"SELECT count(*), count(notify_pending) FROM delta_scan('{lake}')")
    assert counted.fetchall() == [(2, 0)]
    assert delta_scan(con, lake).equals(manager.read_board().sort("alert_id"))


@pytest.fixture
def read_only_old_lake(tmp_path: Path) -> Iterator[str]:
    """An old lake on a tmpfs remounted read-only (permissions do not stop root)."""
    mount = tmp_path / "ro"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(mount)], capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.decode().strip()}")
    try:
        lake = an_old_lake(mount / "alerts", daily=True)  # nor moved to the monthly layout
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        yield lake
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def test_a_read_only_old_lake_is_read_without_an_upgrade(read_only_old_lake: str) -> None:
    manager = SyncAlertManager(read_only_old_lake, maintain_every=0)
    board = manager.read_board()
    assert (board.height, board["notify_pending"].null_count()) == (2, 2)
    assert manager.notification_log().height == 0
    assert [h["operation"] for h in DeltaTable(read_only_old_lake).history()] == ["WRITE"]


def test_an_old_frame_without_the_column_is_still_a_valid_bulk_insert(tmp_path: Path) -> None:
    manager = SyncAlertManager(str(tmp_path / "alerts"), maintain_every=0)
    manager.initialize()
    frame = alerts_to_frame([an_alert()]).drop("notify_pending")
    assert manager.insert_alerts(frame) == 1
    assert manager.read_board()["notify_pending"].to_list() == [None]
    bad = alerts_to_frame([an_alert()]).with_columns(notify_pending=pl.lit("desk"))
    with pytest.raises(ValidationError, match="1 rows: notify_pending is not a JSON list"):
        manager.insert_alerts(bad)
