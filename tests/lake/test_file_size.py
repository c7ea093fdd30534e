"""Files within a month: near the target size, so a transition rewrites a small one; bulk
inserts decided on one table version and committed only on it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from _factories import many_alerts
from deltalake import DeltaTable, write_deltalake
from deltalake.exceptions import CommitFailedError

from alertkit import AlertStatus, SyncAlertManager, ValidationError
from alertkit.lake.layout import TABLE_CONFIGURATION, TARGET_FILE_BYTES, add_configuration
from alertkit.lake.maintenance import (
    SMALL_FILES_PER_PARTITION,
    files_per_partition,
    fragmented_partitions,
)
from alertkit.lake.store import audit

JAN = datetime(2025, 1, 1, tzinfo=UTC)


def one_month(n: int, seed: int = 0) -> pl.DataFrame:
    """``n`` active alerts, all created in January 2025, in a shuffled order."""
    return many_alerts(n, JAN, timedelta(days=30), seed=seed)


def test_a_month_is_kept_in_files_near_the_target_size_and_a_transition_rewrites_one(
    tmp_path: Path,
) -> None:
    manager = SyncAlertManager(tmp_path / "alerts", maintain_every=0)
    manager.initialize()
    rows = one_month(60_000)
    assert manager.insert_alerts(rows) == 60_000
    table = DeltaTable(manager.path)
    assert table.metadata().configuration["delta.targetFileSize"] == str(TARGET_FILE_BYTES)
    files = pl.DataFrame(table.get_add_actions(flatten=True))
    assert files["partition.created_month"].unique().to_list() == [datetime(2025, 1, 1).date()]
    assert files.height >= 5 and files["size_bytes"].max() < 2 * TARGET_FILE_BYTES
    # written in id order although given shuffled: each file holds its own id range
    ranges = files.sort("min.alert_id")
    assert (ranges["min.alert_id"].shift(-1).drop_nulls() > ranges["max.alert_id"].head(-1)).all()

    active = rows.sort("alert_id")["alert_id"][30_000]
    manager.acknowledge_alert(active, by="desk")
    metrics = DeltaTable(manager.path).history(1)[0]["operationMetrics"]
    assert metrics["num_target_files_removed"] == 1 and metrics["num_target_files_added"] == 1
    assert metrics["num_target_rows_copied"] < files["num_records"].max()
    assert manager.get_alert(active).status == AlertStatus.ACKNOWLEDGED


def test_files_near_the_target_size_are_not_fragmentation(tmp_path: Path) -> None:
    manager = SyncAlertManager(tmp_path / "alerts", maintain_every=0)
    manager.initialize()
    manager.insert_alerts(one_month(250_000))
    [(month, files)] = files_per_partition(manager.store).items()
    assert files > SMALL_FILES_PER_PARTITION  # many files, none of them small
    # at most the month's last file, the remainder, is small
    assert sum(files_per_partition(manager.store, small_only=True).values()) <= 1
    assert fragmented_partitions(manager.store) == []
    assert month == "2025-01-01"


def test_an_insert_checked_on_a_version_is_not_committed_after_another_commit(
    tmp_path: Path,
) -> None:
    manager = SyncAlertManager(tmp_path / "alerts", maintain_every=0)
    manager.initialize()
    first, second = one_month(20, seed=1), one_month(20, seed=2)
    checked_on = manager.store.table()
    pinned = DeltaTable(manager.path, version=checked_on.version())
    manager.insert_alerts(second)  # lands after the version the insert below was checked on
    with pytest.raises(CommitFailedError):
        manager.store.append_unless_changed(pinned, first, audit("insert", "stale", None))
    assert manager.get_alert_count() == 20


def test_two_inserts_of_the_same_alerts_at_once_write_them_once(tmp_path: Path) -> None:
    path = tmp_path / "alerts"
    SyncAlertManager(path).initialize()
    rows = one_month(2_000, seed=4)
    start = threading.Barrier(2)
    outcomes: list[object] = []

    def insert() -> None:
        manager = SyncAlertManager(path, maintain_every=0)
        start.wait()
        try:
            outcomes.append(manager.insert_alerts(rows))
        except ValidationError as exc:
            outcomes.append(type(exc))

    threads = [threading.Thread(target=insert) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes, key=str) == sorted([2_000, ValidationError], key=str)
    stored = SyncAlertManager(path).scan_alerts().collect()
    assert stored.height == 2_000 and stored["alert_id"].n_unique() == 2_000


def test_two_processes_configuring_an_old_table_at_once_commit_it_once(tmp_path: Path) -> None:
    path = str(tmp_path / "old")
    write_deltalake(path, one_month(3).to_arrow(), configuration={"delta.checkpointInterval": "50"})
    first, second = DeltaTable(path), DeltaTable(path)  # both opened before either configures
    assert add_configuration(first) is True
    assert add_configuration(second) is False  # its stale commit refused, it looked again
    assert second.metadata().configuration == dict(TABLE_CONFIGURATION)
    assert [c["operation"] for c in DeltaTable(path).history()] == ["SET TBLPROPERTIES", "WRITE"]
