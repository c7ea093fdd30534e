"""The monitoring cycle and bulk transitions against raw deltalake doing the same writes.

- a cycle of 10,000 positions, 30 % firing (half first firings, half repeats), on a lake
  already holding 100k alerts, against one raw MERGE of the same 3,000 rows (1,500 updates by
  id, 1,500 inserts) into an identical table;
- the same at 100,000 positions, 15 % firing, on a lake holding 1M alerts, against a raw MERGE
  of the same 15,000 rows;
- a cycle of 200 positions all firing (absolute target 0.5 s);
- bulk acknowledge of 100 and 1,000 alerts (one commit) against a raw UPDATE by id.
"""

from __future__ import annotations

import itertools
import tempfile
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import polars as pl
from deltalake import DeltaTable

from alertkit import SyncAlertManager
from alertkit.model._ids import new_alert_ids
from bench._harness import Comparison, Figure, interleaved_medians, timed
from bench.bench_store import alert_frame, raw_write, stored, table_of

T = datetime(2026, 1, 5, 15, tzinfo=UTC)
BOOK = 10_000
FIRING = 3_000


def positions(n: int, at: datetime, firing: range) -> pl.DataFrame:
    """``n`` iron condors: the positions numbered ``firing`` have VIX 40 (vix_level fires),
    the other ``n - len(firing)`` (numbered from 50,000,000, the same every cycle) VIX 20."""
    quiet = n - len(firing)
    ids = [*firing, *range(50_000_000, 50_000_000 + quiet)]
    return pl.DataFrame(
        {
            "as_of": [at] * n,
            "strategy_id": ids,
            "symbol": ["SPY"] * n,
            "strategy_type": ["iron_condor"] * n,
            "dte": [40] * n,
            "upl_pct": [0.1] * n,
            "vix": [40.0] * len(firing) + [20.0] * quiet,
        },
        schema_overrides={"strategy_id": pl.Int64},
    )


def bench_cycle_10k(root: Path, repeats: int) -> list[Comparison | Figure]:
    ours_s, raw_s, commits = cycle_against_merge(root, repeats, BOOK, FIRING, 100_000)
    return [
        Comparison(
            "run_cycle, 10k positions (1.5k new + 1.5k repeats), 100k-alert lake",
            ours_s,
            raw_s,
            2.0,
            "raw MERGE of the same 3k rows",
            f"commits per cycle: {commits}",
        ),
        Figure("run_cycle, 10k positions, median", ours_s, "s", 2.0),
    ]


def bench_cycle_100k(root: Path, repeats: int) -> Comparison:
    book, firing = 100_000, 15_000
    ours_s, raw_s, commits = cycle_against_merge(root, repeats, book, firing, 1_000_000)
    return Comparison(
        "run_cycle, 100k positions (7.5k new + 7.5k repeats), 1M-alert lake",
        ours_s,
        raw_s,
        2.0,
        "raw MERGE of the same 15k rows",
        f"commits per cycle: {commits}",
    )


def cycle_against_merge(
    root: Path, repeats: int, book: int, firing: int, lake: int
) -> tuple[float, float, int]:
    """Median seconds of a cycle of ``book`` positions, ``firing`` of them firing (half
    repeats, half first firings), on a lake of ``lake`` alerts, and of one raw MERGE of the
    same rows into an identical table, interleaved; and the most commits a cycle made."""
    manager = table_of(lake, root, f"cycle{book}")
    half = firing // 2
    # Cycle k fires positions [half*k, half*k + FIRING): the first half fired in cycle k-1
    # (repeats), the second half never fired (first firings).
    manager.run_cycle(positions(book, T, range(firing)))
    cycle = itertools.count(1)
    raw_path = root / f"cycle{book}_raw"
    raw_write(raw_path, stored(alert_frame(lake)))
    raw_open = pl.read_delta(str(raw_path)).filter(pl.col("status") == "active").head(half)
    versions: list[int] = []

    def ours() -> None:
        k = next(cycle)
        before = manager.version()
        at = T + timedelta(minutes=k)
        manager.run_cycle(positions(book, at, range(half * k, half * k + firing)))
        versions.append(manager.version() - before)

    def raw() -> None:
        fresh = alert_frame(half, seed=next(cycle) + 100).with_columns(
            alert_id=new_alert_ids(pl.Series([T] * half)),
            created_at=pl.lit(T),
            created_date=pl.lit(T.date()),
        )
        bumped = raw_open.with_columns(occurrences=pl.col("occurrences") + 1)
        source = pl.concat([bumped, stored(fresh).select(bumped.columns)]).to_arrow()
        (
            DeltaTable(raw_path)
            .merge(source, "t.alert_id = s.alert_id", source_alias="s", target_alias="t")
            .when_matched_update_all()
            .when_not_matched_insert_all()
            .execute()
        )

    ours_s, raw_s = interleaved_medians(ours, raw, repeats)
    return ours_s, raw_s, max(versions)


def bench_cycle_200(root: Path, repeats: int) -> Figure:
    manager = SyncAlertManager(root / "cycle200", maintain_every=0)
    manager.initialize()
    book = positions(200, T, range(200))
    times = []
    for k in range(repeats):
        frame = book.with_columns(as_of=pl.lit(T + timedelta(minutes=k)))
        times.append(timed(partial(manager.run_cycle, frame)))
    times.sort()
    return Figure("run_cycle, 200 positions all firing, median", times[len(times) // 2], "s", 0.5)


def bench_bulk_ack(root: Path, n: int, repeats: int) -> Comparison:
    size = max(20_000, 3 * n * (repeats + 1))  # 45 % active: enough for every repeat
    manager = table_of(size, root, f"ack{n}", open_share=0.9)
    raw_path = root / f"ack{n}_raw"
    raw_write(raw_path, stored(alert_frame(size, open_share=0.9)))
    ours_ids = iter(
        manager.scan_alerts().filter(pl.col("status") == "active").collect()["alert_id"].to_list()
    )
    raw_ids = iter(
        pl.read_delta(str(raw_path)).filter(pl.col("status") == "active")["alert_id"].to_list()
    )

    def ours() -> None:
        result = manager.acknowledge_alerts([next(ours_ids) for _ in range(n)], at=T)
        assert len(result.changed) == n and result.version is not None

    def raw() -> None:
        ids = ", ".join(f"'{next(raw_ids)}'" for _ in range(n))
        DeltaTable(raw_path).update({"status": "'acknowledged'"}, predicate=f"alert_id IN ({ids})")

    ours_s, raw_s = interleaved_medians(ours, raw, repeats)
    return Comparison(
        f"acknowledge_alerts, {n:,} alerts in one commit ({size // 1000}k-alert table)",
        ours_s,
        raw_s,
        None,
        "raw UPDATE by id",
        f"target: < {1 if n <= 100 else 2} s",
    )


def run(quick: bool = False) -> list[Comparison | Figure]:
    with tempfile.TemporaryDirectory(prefix="alertkit-bench-") as tmp:
        root = Path(tmp)
        repeats = 3 if quick else 9
        return [
            *bench_cycle_10k(root, repeats),
            bench_cycle_100k(root, repeats=3 if quick else 5),
            bench_cycle_200(root, repeats=5 if quick else 15),
            bench_bulk_ack(root, 100, repeats),
            bench_bulk_ack(root, 1_000, repeats),
        ]
