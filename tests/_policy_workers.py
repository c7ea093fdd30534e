"""Worker functions for the live policy process tests (spawned processes import them):
monitoring cycles at the wall clock, and an expiry started at a barrier."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

import polars as pl

from alertkit import SyncAlertManager, ValidationError

FRESH = 1_000_000
"""The strategy ids of the new positions start here (worker ``w``'s at ``(w + 1) * FRESH``);
worker ``w``'s steady position, strategy ``w``, fires every cycle."""
MAX_CYCLES = 5_000


def positions(worker: int, cycle: int) -> list[tuple[int, str]]:
    """The positions of a worker's cycle: its steady one, and two new ones (SPY, QQQ)."""
    base = (worker + 1) * FRESH + 2 * cycle
    return [(worker, "SPY"), (base, "SPY"), (base + 1, "QQQ")]


def cycle_frame(at: datetime, book: list[tuple[int, str]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "as_of": [at] * len(book),
            "strategy_id": [sid for sid, _ in book],
            "symbol": [symbol for _, symbol in book],
            "strategy_type": ["iron_condor"] * len(book),
            "dte": [40] * len(book),
            "upl_pct": [0.1] * len(book),
            "vix": [40.0] * len(book),  # every position fires vix_level
        }
    )


def monitor(lake: str, worker: int, stop: str) -> int:
    """Run cycles at the wall clock until the file ``stop`` exists; returns how many."""
    manager = SyncAlertManager(lake, maintain_every=0)
    cycle = 0
    while not os.path.exists(stop) and cycle < MAX_CYCLES:
        manager.run_cycle(cycle_frame(datetime.now(UTC), positions(worker, cycle)), notify=False)
        cycle += 1
    return cycle


def expire(lake: str, silence_id: str, barrier: Any, results: Any) -> None:
    """Expire the silence once every worker is ready; put the outcome on ``results``."""
    manager = SyncAlertManager(lake, maintain_every=0)
    manager.policy_store.silences()  # warm: the race is the expiry, not the imports
    barrier.wait()
    try:
        manager.expire_silence(silence_id, by=f"worker {os.getpid()}")
    except ValidationError as exc:
        results.put(("refused", str(exc)))
    else:
        results.put(("expired", None))
