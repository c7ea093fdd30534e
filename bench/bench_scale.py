"""Cost against the lake's age, and cycles racing from several processes.

- A transition, a repeat firing and a 1,000-position cycle on a lake of 10 years of daily
  alerts (one open alert a day, 3,650 days, then ``maintain()``) against the same on a lake
  of 10 days, measured interleaved in the same run (target <= 1.5; issue 23), plus the
  transition against a raw one-row deltalake MERGE on the same table, and the time
  ``alertkit migrate`` takes to move a 10-year daily-partitioned lake to months.
- Four spawned processes run 50 cycles each on overlapping books while a fifth acknowledges
  in bulk; the final state must equal the sequential model: one alert per fingerprint,
  occurrences = every firing of it, acknowledged exactly when an acknowledgement returned it.
"""

from __future__ import annotations

import itertools
import multiprocessing
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
from deltalake import DeltaTable, write_deltalake

from alertkit import (
    Alert,
    AlertSeverity,
    AlertStatus,
    AlertType,
    Decision,
    DecisionAction,
    SyncAlertManager,
    Urgency,
)
from alertkit.model._ids import new_alert_id
from alertkit.model.schema import alerts_to_frame
from bench._harness import Comparison, Figure, interleaved_medians
from bench.bench_cycle import positions

T = datetime(2026, 1, 5, 15, tzinfo=UTC)
DAYS = (10, 3_650)  # 10 days, 10 years
DECISION = Decision(
    DecisionAction.CLOSE, "VIX 40 above 35", "vix_level", Urgency.HIGH, {"vix": 40.0}
)


def partitioned(root: Path, days: int) -> tuple[SyncAlertManager, list[str]]:
    """A table with one open alert for each of ``days`` days."""
    manager = SyncAlertManager(root / f"p{days}", maintain_every=0)
    manager.initialize()
    frame = _open_alerts(days, T - timedelta(days=days))
    manager.insert_alerts(frame)
    manager.maintain()  # one file per partition, a checkpoint: a lived-in table
    return manager, frame["alert_id"].to_list()


def _open_alerts(days: int, start: datetime) -> pl.DataFrame:
    alerts = []
    for day in range(days):
        at = start + timedelta(days=day)
        alerts.append(
            Alert(
                alert_id=new_alert_id(at),
                type=AlertType.WARNING,
                severity=AlertSeverity.HIGH,
                status=AlertStatus.ACTIVE,
                title="Close position: vix_level",
                message="VIX 40 above 35",
                rule="vix_level",
                symbol="SPY",
                strategy_id=day,
                metadata={},
                created_at=at,
            )
        )
    return alerts_to_frame(alerts)


def bench_lake_age(root: Path, repeats: int) -> list[Comparison]:
    tables = {days: partitioned(root, days) for days in DAYS}
    out = []
    # Each alert takes two transitions (acknowledge, then resolve): enough for the repeats.
    moves = {
        days: itertools.chain(
            ((i, "acknowledge") for i in alert_ids), ((i, "resolve") for i in alert_ids)
        )
        for days, (_, alert_ids) in tables.items()
    }
    clock = itertools.count(1)

    def ack(days: int) -> None:
        alert_id, action = next(moves[days])
        at = T + timedelta(seconds=next(clock))
        tables[days][0].transition(alert_id, action, at=at)

    small, big = DAYS
    ours, base = interleaved_medians(lambda: ack(big), lambda: ack(small), repeats)
    out.append(
        Comparison(
            "a transition, 10-year lake (3,650 days)", ours, base, 1.5, "same on a 10-day lake"
        )
    )

    # The same one-row change as a raw deltalake MERGE on the 3,000-partition table: how much
    # of the growth is deltalake's own per-commit cost of a table version of many files.
    raw_rows = pl.read_delta(tables[big][0].path).sort("created_at", descending=True)
    raw_at = itertools.count()

    def raw_merge() -> None:
        row = raw_rows.slice(next(raw_at), 1).with_columns(revision=pl.col("revision") + 1)
        month = row["created_month"][0]
        (
            DeltaTable(tables[big][0].path)
            .merge(
                row.to_arrow(),
                f"t.created_month = '{month}'::date AND t.created_month = s.created_month"
                " AND t.alert_id = s.alert_id",
                source_alias="s",
                target_alias="t",
            )
            .when_matched_update_all()
            .execute()
        )

    ours, base = interleaved_medians(lambda: ack(big), raw_merge, repeats)
    out.append(
        Comparison("a transition, 10-year lake", ours, base, None, "raw 1-row MERGE, same table")
    )

    def repeat(days: int) -> None:
        manager = tables[days][0]
        sid = days - 1  # the newest partition's alert: a live repeat
        manager.create_alert(
            DECISION, {"strategy_id": sid, "symbol": "SPY"}, at=T + timedelta(seconds=next(clock))
        )

    ours, base = interleaved_medians(lambda: repeat(big), lambda: repeat(small), repeats)
    out.append(
        Comparison("a repeat firing, 10-year lake", ours, base, 1.5, "same on a 10-day lake")
    )

    def cycle(days: int) -> None:
        # 1,000 positions, 150 firing (the same ones every cycle: repeats), 850 quiet
        at = T + timedelta(seconds=next(clock))
        tables[days][0].run_cycle(positions(1_000, at, range(100_000, 100_150)))

    for days in DAYS:
        cycle(days)  # the first firings, so each measured cycle is a steady one of repeats
    ours, base = interleaved_medians(lambda: cycle(big), lambda: cycle(small), repeats)
    out.append(
        Comparison("a 1,000-position cycle, 10-year lake", ours, base, 1.5, "same on a 10-day lake")
    )
    return out


def bench_migrate(root: Path) -> Figure:
    """``alertkit migrate`` of a 10-year lake written with the daily layout (one file a day)."""
    path = root / "daily"
    rows = _open_alerts(DAYS[-1], T - timedelta(days=DAYS[-1]))
    write_deltalake(path, rows.to_arrow(), partition_by=["created_date"])
    manager = SyncAlertManager(path, maintain_every=0)
    [moved] = manager.migrate()
    return Figure(
        "migrate a 10-year daily lake to months",
        moved.seconds,
        "s",
        None,
        f"{moved.rows:,} rows, {moved.files_before:,} files -> {moved.files_after:,}, one commit",
    )


def book(worker: int, cycle: int) -> pl.DataFrame:
    """Worker w's book: 40 positions, 20 of them shared with the next worker."""
    ids = list(range(20 * worker, 20 * worker + 40))
    at = T + timedelta(minutes=cycle, seconds=worker)
    return pl.DataFrame(
        {
            "as_of": [at] * 40,
            "strategy_id": ids,
            "symbol": ["SPY"] * 40,
            "strategy_type": ["iron_condor"] * 40,
            "dte": [40] * 40,
            "vix": [40.0] * 40,
        }
    )


def cycles(lake: str, worker: int, count: int) -> dict[int, int]:
    manager = SyncAlertManager(lake, maintain_every=50)
    fired: dict[int, int] = {}
    for cycle in range(count):
        manager.run_cycle(book(worker, cycle))
        for sid in book(worker, cycle)["strategy_id"]:
            fired[sid] = fired.get(sid, 0) + 1
    return fired


def triage(lake: str, seconds: float) -> set[str]:
    manager = SyncAlertManager(lake, maintain_every=0)
    acknowledged: set[str] = set()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        active = manager.scan_alerts().filter(pl.col("status") == "active").collect()
        if active.height:
            result = manager.acknowledge_alerts(
                active["alert_id"].head(25).to_list(), at=T + timedelta(days=1)
            )
            acknowledged |= {a.alert_id for a in result.changed}
        time.sleep(0.05)
    return acknowledged


def bench_concurrent_cycles(root: Path, per_worker: int) -> Figure:
    lake = str(root / "concurrent")
    SyncAlertManager(lake).initialize()
    context = multiprocessing.get_context("spawn")
    started = time.perf_counter()
    with context.Pool(5) as pool:
        triaged = pool.apply_async(triage, (lake, 20.0))
        workers = [pool.apply_async(cycles, (lake, w, per_worker)) for w in range(4)]
        fired: dict[int, int] = {}
        for worker in workers:
            for sid, n in worker.get(timeout=1800).items():
                fired[sid] = fired.get(sid, 0) + n
        acknowledged = triaged.get(timeout=1800)
    elapsed = time.perf_counter() - started
    board = pl.read_delta(lake)
    expected = dict(fired)
    got = dict(board.select("strategy_id", "occurrences").iter_rows())
    assert board.height == len(expected), "one alert per fingerprint"
    assert got == expected, "occurrences = every firing"
    assert set(board.filter(pl.col("status") == "acknowledged")["alert_id"]) == acknowledged
    return Figure(
        f"4 processes x {per_worker} cycles + bulk triage: final state = sequential model",
        elapsed,
        "s",
        None,
        f"{board.height} alerts, {sum(fired.values())} firings,"
        f" {len(acknowledged)} acknowledged; wall clock",
    )


def run(quick: bool = False) -> list[Comparison | Figure]:
    with tempfile.TemporaryDirectory(prefix="alertkit-bench-") as tmp:
        root = Path(tmp)
        return [
            *bench_lake_age(root, repeats=5 if quick else 15),
            bench_migrate(root),
            bench_concurrent_cycles(root, per_worker=10 if quick else 50),
        ]
