"""The notification log against its age, without and with maintenance (issue 23: side tables).

A delivery round commits its log rows in one append (``NotificationLog.append``), which adds
one small file to the month's partition. Measured here, interleaved in one run, on a log of
3,650 delivery commits (one a day for 10 years: about 30 small files in each of 120 monthly
partitions) against a log of 10 (10 days): the cost of one delivery's log write, and of
reading one alert's notifications (``SyncAlertManager.notification_log(alert_id=...)``,
what ``alertkit notifications ID`` does). Then ``maintain()`` runs on both lakes (it now
compacts the log too) and the same two costs are measured again.

Building the 10-year log with 3,650 appends would take minutes, each slower than the last.
It is built instead with 31 appends through the same ``DeltaStore.append`` a delivery calls:
append ``d`` holds day ``d`` of every month (one row per month), and since an append writes
one file per partition it touches, the 31 appends leave exactly the files 3,650 daily
deliveries would: one small file per day in its month, with the same statistics. The log
then has 31 commits instead of 3,650; a checkpoint is written at the end, as delta-rs would
have written one every 100 commits, so the table version opens from a checkpoint either way.
"""

from __future__ import annotations

import itertools
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl

from alertkit import SyncAlertManager
from alertkit.lake.store import audit
from alertkit.model._ids import new_alert_id
from alertkit.model.notification_log import NOTIFICATION_LOG_SCHEMA
from bench._harness import Comparison, Figure, interleaved_medians

T = datetime(2026, 1, 5, 15, tzinfo=UTC)
DAYS = (10, 3_650)  # 10 days, 10 years


def log_row(at: datetime) -> dict[str, object]:
    """One delivery's log row: an alert created and told the same day."""
    return {
        "entry_id": str(uuid.uuid4()),
        "at": at,
        "alert_id": new_alert_id(at),
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


def lake_with_log(root: Path, days: int) -> tuple[SyncAlertManager, list[str]]:
    """A lake whose log holds one delivery a day for ``days`` days (the docstring says how it
    is built); returns the manager and the logged alert ids."""
    manager = SyncAlertManager(root / f"log{days}" / "alerts", maintain_every=0)
    manager.initialize()
    start = T - timedelta(days=days)
    rows = pl.DataFrame(
        [log_row(start + timedelta(days=d)) for d in range(days)], schema=NOTIFICATION_LOG_SCHEMA
    )
    store = manager.log_store.store
    by_day = rows.with_columns(day=pl.col("date").dt.day()).partition_by("day", as_dict=True)
    for (_,), part in sorted(by_day.items()):
        store.append(part.drop("day"), audit("notify", f"{part.height} outcomes", None))
    store.table().create_checkpoint()
    return manager, rows["alert_id"].to_list()


def run(quick: bool = False) -> list[Comparison | Figure]:
    repeats = 5 if quick else 15
    out: list[Comparison | Figure] = []
    with tempfile.TemporaryDirectory(prefix="alertkit-bench-") as tmp:
        started = time.perf_counter()
        lakes = {days: lake_with_log(Path(tmp), days) for days in DAYS}
        setup = time.perf_counter() - started
        small, big = DAYS
        files = len(lakes[big][0].log_store.store.table().file_uris())
        out.append(
            Figure(
                "build a 10-year log (3,650 deliveries' files) and a 10-day one",
                setup,
                "s",
                None,
                f"31 + 10 appends and a checkpoint; {files:,} files in the big log",
            )
        )
        clock = itertools.count(1)
        ids = {days: itertools.cycle(alert_ids) for days, (_, alert_ids) in lakes.items()}

        def write(days: int) -> None:
            at = T + timedelta(seconds=next(clock))
            lakes[days][0].log_store.append(pl.DataFrame([log_row(at)], NOTIFICATION_LOG_SCHEMA))

        def read(days: int) -> None:
            frame = lakes[days][0].notification_log(alert_id=next(ids[days]))
            assert frame.height == 1

        for stage in ("no maintenance", "after maintain()"):
            ours, base = interleaved_medians(lambda: write(big), lambda: write(small), repeats)
            out.append(
                Comparison(
                    f"a delivery's log write, 10-year log, {stage}",
                    ours,
                    base,
                    1.5 if stage != "no maintenance" else None,
                    "same on a 10-day log",
                )
            )
            ours, base = interleaved_medians(lambda: read(big), lambda: read(small), repeats)
            out.append(
                Comparison(
                    f"one alert's notifications, 10-year log, {stage}",
                    ours,
                    base,
                    1.5 if stage != "no maintenance" else None,
                    "same on a 10-day log",
                )
            )
            if stage == "no maintenance":
                started = time.perf_counter()
                report = lakes[big][0].maintain()
                seconds = time.perf_counter() - started
                lakes[small][0].maintain()
                log = report.side_tables["notifications"]
                out.append(
                    Figure(
                        "maintain() of the 10-year lake (alerts and log)",
                        seconds,
                        "s",
                        None,
                        f"log: {log.files_before:,} -> {log.files_after:,} files",
                    )
                )
    return out
