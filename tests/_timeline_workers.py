"""Spawned workers for the timeline race test (tests/live/test_cycle_timelines.py), and
the timeline checks it shares with the property test: module-level, so ``spawn`` children
can import them (deltalake's runtime panics in forked children)."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl

from alertkit import SyncAlertManager
from alertkit.model.lifecycle import is_open_at

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
POSITIONS = 3
QUIET = timedelta(minutes=30)


def position(strategy_id: int, *, fire: bool) -> dict[str, Any]:
    """An iron condor; vix 40 trips vix_level (FIRE), vix 20 trips nothing (HOLD)."""
    return {
        "strategy_id": strategy_id,
        "symbol": "SPY",
        "strategy_type": "iron_condor",
        "dte": 40,
        "upl_pct": 0.1,
        "vix": 40.0 if fire else 20.0,
    }


def cycles(lake: str, worker: int, rounds: int) -> int:
    """``rounds`` cycles at random instants (not in time order), FIRE or HOLD per position,
    with and without a quiet period."""
    manager = SyncAlertManager(lake, maintain_every=0, max_retries=80)
    rng = random.Random(worker)
    for _ in range(rounds):
        at = T0 + timedelta(minutes=rng.randrange(0, 240, 10))
        book = [position(sid, fire=rng.random() < 0.6) for sid in range(POSITIONS)]
        manager.run_cycle(book, at=at, quiet_period=rng.choice([None, QUIET]))
    return rounds


def triage(lake: str, rounds: int) -> int:
    """Bulk acknowledge, resolve and dismiss the open alerts at random instants."""
    manager = SyncAlertManager(lake, maintain_every=0, max_retries=80)
    rng = random.Random(99)
    done = 0
    for _ in range(rounds):
        ids = manager.read_board().filter(pl.col("status").is_in(["active", "acknowledged"]))
        if ids.is_empty():
            continue
        at = T0 + timedelta(minutes=rng.randrange(0, 240, 10))
        action = rng.choice(["acknowledge", "resolve", "dismiss"])
        done += len(manager.transition_many(ids["alert_id"].to_list(), action, at=at).changed)
    return done


def timeline_problems(board: pl.DataFrame) -> list[str]:
    """Every way the alerts' timelines contradict themselves: a history out of time order,
    created_at <= acknowledged_at <= resolved_at broken, or two alerts of one fingerprint
    open at one instant by :func:`alertkit.model.lifecycle.is_open_at` (checked at every event)."""
    problems: list[str] = []
    instants: set[datetime] = set()
    for row in board.iter_rows(named=True):
        times = [datetime.fromisoformat(e["at"]) for e in json.loads(row["history"])]
        instants.update(times)
        if times != sorted(times):
            problems.append(f"{row['alert_id']}: history out of order {times}")
        stamps = [row[c] for c in ("created_at", "acknowledged_at", "resolved_at")]
        stamps = [t for t in stamps if t is not None]
        if stamps != sorted(stamps):
            problems.append(f"{row['alert_id']}: created/acknowledged/resolved {stamps}")
    for at in sorted(instants):
        overlapping = (
            board.filter(is_open_at(at))
            .group_by("rule", "strategy_id", "symbol")
            .len()
            .filter(pl.col("len") > 1)
        )
        if overlapping.height:
            problems.append(f"{overlapping.rows()} open at once at {at.isoformat()}")
    return problems
