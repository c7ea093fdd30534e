"""Policies: what they cost the monitoring cycle.

A 10,000-position cycle (1,500 new alerts, 1,500 repeats) on identical 100k-alert lakes,
interleaved, against the same cycle with no policy (target 1.2x):

- with a stored silence covering half the positions and a snooze rule (the commit reads the
  silences table and marks ``silenced_by`` / ``snoozed_until`` vectorised);
- with flap detection on as well (the cycle also advances the flap state of every evaluated
  fingerprint in ``<table>_flaps``, one MERGE before the alerts commit; informational).
"""

from __future__ import annotations

import itertools
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl

from alertkit import FlapDetection, Policies, SnoozeRule, SyncAlertManager
from bench._harness import Comparison, Figure, interleaved_medians
from bench.bench_cycle import BOOK, FIRING, T, positions
from bench.bench_store import table_of


def _cycler(manager: SyncAlertManager) -> itertools.count[int]:
    manager.run_cycle(positions(BOOK, T, range(FIRING)))
    return itertools.count(1)


def bench_policy_cycles(root: Path, repeats: int) -> list[Comparison | Figure]:
    plain = table_of(100_000, root, "plain")
    marked = table_of(100_000, root, "marked")
    flapped = table_of(100_000, root, "flapped")
    marked.create_silence(
        {"strategy_id": "=~[0-9]*[02468]"},
        starts_at=T - timedelta(days=1),
        duration=datetime.now(UTC) - T + timedelta(days=30),  # the clock is the wall clock
        created_by="bench",
        comment="half the book",
        confirm=True,
    )
    snooze = SnoozeRule({"rule": "vix_level"}, timedelta(hours=2))
    marked.set_policies(Policies(snoozes=[snooze]))
    flapped.set_policies(Policies(snoozes=[snooze], flapping=FlapDetection()))
    counters = {id(m): _cycler(m) for m in (plain, marked, flapped)}
    half = FIRING // 2

    def cycle(manager: SyncAlertManager) -> None:
        k = next(counters[id(manager)])
        book = positions(BOOK, T + timedelta(minutes=k), range(half * k, half * k + FIRING))
        manager.run_cycle(book)

    marked_s, plain_s = interleaved_medians(lambda: cycle(marked), lambda: cycle(plain), repeats)
    flapped_s, plain2_s = interleaved_medians(lambda: cycle(flapped), lambda: cycle(plain), repeats)
    marks = marked.scan_alerts().select(pl.col("silenced_by").is_not_null().sum()).collect()
    assert marks.item() > 0, "the silence marked nothing: the benchmark measures nothing"
    return [
        Comparison(
            "run_cycle 10k positions, a stored silence + a snooze rule marking the commit",
            marked_s,
            plain_s,
            1.2,
            "the same cycle, no policies",
        ),
        Comparison(
            "run_cycle 10k positions, silence + snooze rule + flap detection (10k states)",
            flapped_s,
            plain2_s,
            None,
            "the same cycle, no policies",
        ),
    ]


def run(quick: bool = False) -> list[Comparison | Figure]:
    with tempfile.TemporaryDirectory(prefix="alertkit-bench-") as tmp:
        return bench_policy_cycles(Path(tmp), repeats=3 if quick else 7)
