"""Maintenance of the tables beside the alerts: the notification log (partitioned by month)
and the policy tables (unpartitioned), by ``maintain()`` and automatically after deliveries.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
from _workers import maintain_at_once
from deltalake import DeltaTable

from alertkit import Alert, AlertManager, SyncAlertManager
from alertkit.lake.maintenance import (
    DEFAULT_MAINTAIN_EVERY,
    LOCK_FILE,
    SMALL_FILES_PER_PARTITION,
    WHOLE_TABLE,
    auto_maintain,
    files_per_partition,
    fragmented_partitions,
)
from alertkit.model.notification_log import NOTIFICATION_LOG_SCHEMA
from alertkit.policy import Silence
from conftest import T0, StepClock, close_now, position

FEB = datetime(2026, 2, 3, 9, tzinfo=T0.tzinfo)


def logged(manager: SyncAlertManager, at: datetime) -> None:
    """One delivery round's log commit (one row), as the delivery worker appends it."""
    row = {
        "entry_id": str(uuid.uuid4()),
        "at": at,
        "alert_id": f"a-{at:%m%d%H%M%S}",
        "handler": "desk",
        "reason": "new",
        "outcome": "sent",
        "attempts": 1,
        "error": None,
        "notification_id": str(uuid.uuid4()),
        "group": None,
        "due_at": at,
        "date": at.date(),
    }
    manager.log_store.append(pl.DataFrame([row], schema=NOTIFICATION_LOG_SCHEMA))


def log_of(manager: SyncAlertManager, jan: int, feb: int) -> SyncAlertManager:
    for i in range(jan):
        logged(manager, T0 + timedelta(minutes=i))
    for i in range(feb):
        logged(manager, FEB + timedelta(minutes=i))
    return manager


def new_manager(lake: str, maintain_every: int = DEFAULT_MAINTAIN_EVERY) -> SyncAlertManager:
    manager = SyncAlertManager(lake, clock=StepClock(), maintain_every=maintain_every)
    manager.initialize()
    return manager


def test_maintain_compacts_the_log_and_every_row_and_version_stays(lake: str) -> None:
    manager = log_of(new_manager(lake, maintain_every=0), jan=12, feb=8)
    store = manager.log_store.store
    assert files_per_partition(store) == {"2026-01-01": 12, "2026-02-01": 8}
    before = pl.read_delta(store.uri).sort("entry_id")
    version = store.table().version()
    report = manager.maintain()
    log = report.side_tables["notifications"]
    assert list(report.side_tables) == ["notifications"]  # no policy table exists yet
    assert (log.files_before, log.files_after) == (20, 2)
    assert (log.files_removed_by_compaction, log.files_added_by_compaction) == (20, 2)
    assert log.checkpoint_version == version + 1
    assert (report.files_before, report.files_after) == (0, 0)  # the alerts' fields
    assert report.describe() == (
        "alerts: compacted 0 files into 0 (0 -> 0 data files); wrote a checkpoint at version"
        " 0; vacuumed 0 unreferenced files\n"
        "notifications: compacted 20 files into 2 (20 -> 2 data files); wrote a checkpoint at"
        f" version {version + 1}; vacuumed 0 unreferenced files"
    )
    assert files_per_partition(store) == {"2026-01-01": 1, "2026-02-01": 1}
    assert pl.read_delta(store.uri).sort("entry_id").equals(before)
    assert pl.read_delta(store.uri, version=version).sort("entry_id").equals(before)
    assert manager.notification_log().height == 20


def test_an_unpartitioned_policy_table_is_one_partition(lake: str) -> None:
    manager = new_manager(lake, maintain_every=0)
    policies = manager.policy_store
    for i in range(SMALL_FILES_PER_PARTITION + 1):
        start = T0 + timedelta(hours=i)
        policies.add_silence(
            Silence({"symbol": f"S{i}"}, start, start + timedelta(hours=1), "a", "c")
        )
    store = policies.silence_table
    assert files_per_partition(store) == {WHOLE_TABLE: SMALL_FILES_PER_PARTITION + 1}
    assert fragmented_partitions(store) == [WHOLE_TABLE]
    before = policies.silences_frame()
    checked, report = auto_maintain(store, checked_at=0, every=200)
    assert checked == store.table().version() - 1  # the check's version; then it compacted
    assert report is not None and (report.files_before, report.files_after) == (17, 1)
    assert files_per_partition(store) == {WHOLE_TABLE: 1}
    assert fragmented_partitions(store) == []
    assert policies.silences_frame().equals(before)
    again = manager.maintain().side_tables
    assert list(again) == ["silences"]
    assert (again["silences"].files_before, again["silences"].files_after) == (1, 1)


def test_two_maintain_at_once_leave_each_log_row_once(lake: str) -> None:
    manager = log_of(new_manager(lake, maintain_every=0), jan=40, feb=0)
    before = pl.read_delta(manager.log_store.store.uri).sort("entry_id")
    reports = maintain_at_once(lake, "notifications")
    assert reports == [(0, 0), (0, 0), (40, 1)]  # one compacted; the others found one file
    assert pl.read_delta(manager.log_store.store.uri).sort("entry_id").equals(before)


def test_the_delivery_worker_compacts_the_log_after_enough_commits(lake: str) -> None:
    """Checked once SMALL_FILES_PER_PARTITION (16) log commits landed since the last check:
    at 16 the month holds 16 small files (not more than 16: left), at 32 it is compacted."""
    told: list[Alert] = []
    manager = new_manager(lake)  # maintain_every: the default, 200
    quiet = new_manager(str(lake) + "_quiet", maintain_every=0)
    for m in (manager, quiet):
        m.add_handler(told.append, name="desk")
    store = manager.log_store.store

    def deliver(m: SyncAlertManager, sids: range) -> None:
        for sid in sids:
            m.create_alert(close_now(), position("SPY", sid))
            assert m.flush_notifications(30)  # one round, one log commit, each

    deliver(manager, range(31))
    assert files_per_partition(store) == {"2026-01-01": 31}
    deliver(manager, range(31, 32))
    assert files_per_partition(store) == {"2026-01-01": 1}
    assert DeltaTable(store.uri).history(1)[0]["operation"] == "OPTIMIZE"
    log = manager.notification_log()
    assert log.height == 32 and log["outcome"].to_list() == ["sent"] * 32
    deliver(quiet, range(32))
    assert files_per_partition(quiet.log_store.store) == {"2026-01-01": 32}


def test_log_auto_maintenance_skips_while_the_log_is_locked_and_delivery_goes_on(
    lake: str,
) -> None:
    told: list[Alert] = []
    manager = new_manager(lake)
    manager.add_handler(told.append, name="desk")
    manager.create_alert(close_now(), position("SPY", 0))  # creates the log (its directory)
    assert manager.flush_notifications(30)
    store = manager.log_store.store
    fd = os.open(Path(store.uri) / LOCK_FILE, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # another process's maintenance of the log
        for sid in range(1, 32):  # the check at 32 commits finds the lock held: skipped
            manager.create_alert(close_now(), position("SPY", sid))
            assert manager.flush_notifications(30)
    finally:
        os.close(fd)
    assert files_per_partition(store) == {"2026-01-01": 32}
    assert len(told) == 32 and manager.notification_log().height == 32
    for sid in range(32, 48):  # the next check, 16 commits later, compacts
        manager.create_alert(close_now(), position("SPY", sid))
        assert manager.flush_notifications(30)
    assert files_per_partition(store) == {"2026-01-01": 1}
    assert sorted(manager.notification_log()["alert_id"]) == sorted(a.alert_id for a in told)


def test_the_async_manager_maintains_the_log_too(lake: str) -> None:
    log_of(new_manager(lake, maintain_every=0), jan=3, feb=1)
    report = asyncio.run(AlertManager(lake, maintain_every=0).maintain())
    log = report.side_tables["notifications"]
    assert (log.files_before, log.files_after, report.files_after) == (4, 2, 0)
