"""alertkit.lake.maintenance: file counts per partition, compaction, and when it is due."""

from __future__ import annotations

import polars as pl

from alertkit import SyncAlertManager
from alertkit.lake.maintenance import (
    SMALL_FILES_PER_PARTITION,
    auto_maintain,
    files_per_partition,
    fragmented_partitions,
    maintain,
)
from conftest import close_now, position


def fragmented(lake: str) -> SyncAlertManager:
    """One partition holding one file more than SMALL_FILES_PER_PARTITION (one per alert)."""
    manager = SyncAlertManager(lake, maintain_every=0)
    manager.initialize()
    for sid in range(SMALL_FILES_PER_PARTITION + 1):
        manager.create_alert(close_now(), position("SPY", sid + 1))
    return manager


def test_a_fragmented_partition_is_compacted_and_nothing_else_changes(lake: str) -> None:
    manager = fragmented(lake)
    # partitions are months (created_month, the first day of created_date's month)
    assert files_per_partition(manager.store) == {"2026-01-01": SMALL_FILES_PER_PARTITION + 1}
    assert fragmented_partitions(manager.store) == ["2026-01-01"]
    board = manager.read_board()
    report = maintain(manager.store)
    assert (report.files_before, report.files_after) == (SMALL_FILES_PER_PARTITION + 1, 1)
    assert report.compaction_skipped is None and report.checkpoint_version is not None
    assert files_per_partition(manager.store) == {"2026-01-01": 1}
    assert fragmented_partitions(manager.store) == []
    assert manager.read_board().sort("alert_id").equals(board.sort("alert_id"))


def test_automatic_maintenance_waits_for_enough_commits_by_anyone(lake: str) -> None:
    manager = fragmented(lake)
    version = manager.version()
    assert auto_maintain(manager.store, checked_at=version - 1, every=100) == (version - 1, None)
    checked, report = auto_maintain(manager.store, checked_at=0, every=100)
    assert checked == version and report is not None
    assert report.files_after == 1
    assert manager.scan_alerts().select(pl.len()).collect().item() == SMALL_FILES_PER_PARTITION + 1
