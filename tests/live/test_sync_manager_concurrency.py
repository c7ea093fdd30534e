"""Several processes on one table: the final state equals exactly what they did."""

from __future__ import annotations

import multiprocessing
from collections import Counter

import polars as pl
import pytest
from _workers import FIRINGS_PER_WORKER, SHARED_FINGERPRINTS, UNIQUE_PER_WORKER, mixed_operations

from alertkit import SyncAlertManager
from alertkit.lake.query import scan_transitions

WORKERS = 3


@pytest.mark.slow
def test_spawned_writers_lose_and_duplicate_nothing(lake: str) -> None:
    SyncAlertManager(lake).initialize()
    context = multiprocessing.get_context("spawn")
    with context.Pool(WORKERS) as pool:
        results = pool.starmap(mixed_operations, [(lake, w) for w in range(WORKERS)])

    board = pl.read_delta(lake)
    shared = board.filter(pl.col("rule") == "vix_level").sort("strategy_id")
    # One alert per shared fingerprint, however the inserts raced; every firing counted.
    assert shared["strategy_id"].to_list() == list(range(SHARED_FINGERPRINTS))
    assert shared["occurrences"].to_list() == [WORKERS * FIRINGS_PER_WORKER] * SHARED_FINGERPRINTS
    assert set(shared["status"]) == {"active"}

    expected = {alert_id: status for result in results for alert_id, status in result.items()}
    own = board.filter(pl.col("rule") == "dte_roll")
    assert own.height == WORKERS * UNIQUE_PER_WORKER
    assert dict(zip(own["alert_id"], own["status"], strict=True)) == expected
    assert Counter(expected.values()) == Counter(
        {"resolved": 6, "dismissed": 6, "acknowledged": 6, "active": 6}
    )
    # No lost transition: each alert's history has exactly the steps its worker took.
    steps = (
        scan_transitions(board.lazy())
        .filter(pl.col("rule") == "dte_roll")
        .group_by("alert_id")
        .agg(pl.col("action"))
        .collect()
    )
    by_final = {
        "active": ["create"],
        "acknowledged": ["create", "acknowledge"],
        "resolved": ["create", "acknowledge", "resolve"],
        "dismissed": ["create", "dismiss"],
    }
    assert {r["alert_id"]: r["action"] for r in steps.iter_rows(named=True)} == {
        alert_id: by_final[status] for alert_id, status in expected.items()
    }
