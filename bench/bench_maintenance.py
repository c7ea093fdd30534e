"""Automatic maintenance under many small commits (issue 7).

Several spawned processes make single-alert commits (creates, acknowledgements, resolutions,
dismissals) with the default SyncAlertManager settings, so automatic maintenance runs as it
would in production, concurrently with the other writers. Then ``query_alerts`` on that
table is timed against the same query on a copy compacted and checkpointed just before.
Target: at most 2x. `python -m bench.bench_maintenance [--quick]` prints the rows.
"""

from __future__ import annotations

import multiprocessing
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

from deltalake import DeltaTable

from alertkit import (
    Alert,
    Decision,
    DecisionAction,
    StoreError,
    SyncAlertManager,
    Urgency,
    WriteConflictError,
)
from alertkit.lake.store import DEFAULT_MAX_RETRIES
from alertkit.model.alerts import AlertQuery, AlertStatus
from bench._harness import Comparison, Figure, interleaved_medians

START = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)
PROCESSES = 4
SECONDS_PER_OP = 60  # simulated time between one writer's operations: a few days in all
QUERY = AlertQuery(symbol="SPY", status=AlertStatus.ACTIVE, limit=100)
DECISION = Decision(
    DecisionAction.CLOSE, "Stop loss hit", "stop_loss_hard", Urgency.HIGH, {"upl_pct": -0.51}
)


def writer(lake: str, worker: int, commits: int) -> tuple[int, list[str]]:
    """Make ``commits`` single-alert commits: half first firings, half transitions of this
    writer's open alerts. Returns how many operations were issued again because they still
    conflicted after the manager's retries (WriteConflictError: nothing was written), and
    the messages of the operations issued again because deltalake listed the log with a
    gap ("Expected contiguous commit files"). An earlier version of this benchmark met that
    error a few times (a log listing racing commits, presumably); the full run of 2026-11-26
    met none, and neither did a 90-second race of readers and writers on a 20,000-entry log,
    so alertkit does not retry it yet. The benchmark keeps counting it, to see if it recurs."""
    rng = random.Random(worker)
    manager = SyncAlertManager(lake)  # default settings: automatic maintenance on
    open_alerts: dict[str, str] = {}  # alert_id -> status
    conflicts = 0
    gaps: list[str] = []

    def attempt(operation: Callable[[], Alert | None]) -> Alert | None:
        nonlocal conflicts
        while True:
            try:
                return operation()
            except WriteConflictError:
                conflicts += 1
            except StoreError as exc:
                if "Expected contiguous commit files" not in str(exc):
                    raise
                gaps.append(str(exc))

    for i in range(commits):
        at = START + timedelta(seconds=SECONDS_PER_OP * i, microseconds=worker)
        if not open_alerts or rng.random() < 0.5:
            snapshot = {
                "symbol": rng.choice(["SPY", "QQQ", "IWM"]),
                "strategy_id": worker * 10_000_000 + i,  # a new fingerprint each time
            }
            alert = attempt(partial(manager.create_alert, DECISION, snapshot, at=at))
            assert alert is not None
            open_alerts[alert.alert_id] = alert.status.value
            continue
        alert_id = rng.choice(list(open_alerts))
        legal = ["resolve", "dismiss"]
        if open_alerts.pop(alert_id) == "active":
            legal.append("acknowledge")
        action = rng.choice(legal)
        done = attempt(partial(manager.transition, alert_id, action, by=f"bench-{worker}", at=at))
        assert done is not None
        if done.is_open:
            open_alerts[alert_id] = done.status.value
    return conflicts, gaps


def fill(lake: str, commits: int) -> tuple[float, int, list[str]]:
    """Run PROCESSES writers to ``commits`` commits in all; (wall seconds, re-issued ops after
    conflicts, messages of the ops re-issued after log-listing gaps)."""
    SyncAlertManager(lake).initialize()
    started = time.perf_counter()
    context = multiprocessing.get_context("spawn")  # deltalake's runtime panics after fork
    with context.Pool(PROCESSES) as pool:
        counts = pool.starmap(writer, [(lake, w, commits // PROCESSES) for w in range(PROCESSES)])
    wall = time.perf_counter() - started
    return wall, sum(c for c, _ in counts), [message for _, gaps in counts for message in gaps]


def gap_operations(messages: list[str]) -> str:
    """Which alertkit operations met a log-listing gap, e.g. ' (update of ...: 2)'."""
    if not messages:
        return ""
    counts = Counter(message.split(" failed")[0].split(":")[0] for message in messages)
    return " (" + ", ".join(f"{what}: {n}" for what, n in counts.most_common()) + ")"


def data_files(lake: str) -> int:
    return len(DeltaTable(lake).file_uris())


def run(quick: bool = False) -> list[Comparison | Figure]:
    commits = 4_000 if quick else 20_000
    with tempfile.TemporaryDirectory(prefix="alertkit-bench-maint-") as tmp:
        lived_in = str(Path(tmp) / "lived_in")
        wall, conflicts, gaps = fill(lived_in, commits)
        compacted = str(Path(tmp) / "compacted")
        shutil.copytree(lived_in, compacted)
        SyncAlertManager(compacted, maintain_every=0).maintain()

        ours = SyncAlertManager(lived_in, maintain_every=0)
        fresh = SyncAlertManager(compacted, maintain_every=0)
        expected = [a.alert_id for a in fresh.query_alerts(QUERY)]
        assert [a.alert_id for a in ours.query_alerts(QUERY)] == expected
        ours_s, fresh_s = interleaved_medians(
            lambda: ours.query_alerts(QUERY),
            lambda: fresh.query_alerts(QUERY),
            repeats=7 if quick else 21,
        )
        version = DeltaTable(lived_in).version()
        files, files_compacted = data_files(lived_in), data_files(compacted)
    return [
        Comparison(
            f"query_alerts after {commits:,} single-alert commits, {PROCESSES} processes",
            ours_s,
            fresh_s,
            2.0,
            "same query, freshly compacted copy",
            f"automatic maintenance (defaults); {files} data files vs {files_compacted};"
            f" table version {version}",
        ),
        Figure(
            f"{commits:,} single-alert commits by {PROCESSES} processes",
            wall,
            "s",
            target=None,
            note=f"{wall / commits * 1000:.1f} ms a commit, wall clock; issued again: {conflicts}"
            f" still conflicting after the default {DEFAULT_MAX_RETRIES} retries, {len(gaps)} after"
            f" a deltalake log listing with a gap{gap_operations(gaps)}",
        ),
    ]


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        print(row.row())
