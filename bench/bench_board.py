"""The triage board over 100k alerts (10k open): opening it and changing a filter (issue 5).

Opening is the whole constructor: the filter choices, the first page and the counts, read
from the Delta table. A filter change is one control's value set from Python, which runs the
same handler a click in the browser does (page, match count and header counts re-queried).
"""

from __future__ import annotations

import json
import statistics
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from alertkit import SyncAlertManager
from alertkit.widgets import TriageBoard
from bench._harness import Figure, timed
from bench.bench_store import alert_frame

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def lake(root: Path) -> SyncAlertManager:
    manager = SyncAlertManager(root / "board", maintain_every=0)
    manager.initialize()
    manager.insert_alerts(alert_frame(100_000, seed=5, open_share=0.1))
    return manager


def bench_open(manager: SyncAlertManager, repeats: int) -> Figure:
    boards: list[TriageBoard] = []
    times = [
        timed(lambda: boards.append(TriageBoard(manager, now=lambda: NOW))) for _ in range(repeats)
    ]
    for board in boards:
        board.close()
    return Figure(
        "triage board: open (100k alerts, 10k open)",
        statistics.median(times),
        "s",
        1.0,
        "filter choices + first page + counts",
    )


def bench_filter(manager: SyncAlertManager, repeats: int) -> tuple[Figure, Figure]:
    board = TriageBoard(manager, now=lambda: NOW)
    f = board.filters
    changes: list[Callable[[], None]] = [
        lambda: setattr(f.status, "value", ("acknowledged",)),
        lambda: setattr(f.symbol, "value", "SPY"),
        lambda: setattr(f.text, "value", "profit"),
        lambda: setattr(f.severity, "value", "immediate"),
        lambda: setattr(f.status, "value", ("active", "acknowledged")),
        lambda: setattr(f.symbol, "value", ""),
        lambda: setattr(f.text, "value", ""),
        lambda: setattr(f.severity, "value", ""),
    ]
    times = [timed(change) for _ in range(repeats) for change in changes]
    assert (
        board.table.total
        == manager.scan_alerts()
        .filter(pl.col("status").is_in(["active", "acknowledged"]))
        .select(pl.len())
        .collect()
        .item()
    )
    state_kb = len(json.dumps(board.table.get_state())) / 1024
    rows = len(board.table.rows)
    board.close()
    return (
        Figure(
            "triage board: change one filter (100k alerts)",
            statistics.median(times),
            "s",
            1.0,
            "status, symbol, search, severity set and cleared",
        ),
        Figure(
            "triage board: table widget state",
            state_kb,
            "KiB",
            None,
            f"{rows} rows on the page; nothing else is sent",
        ),
    )


def run(quick: bool = False) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="alertkit-bench-board-") as tmp:
        manager = lake(Path(tmp))
        TriageBoard(manager, now=lambda: NOW).close()  # warm up imports and the first scan
        repeats = 5 if quick else 15
        return [bench_open(manager, repeats), *bench_filter(manager, 2 if quick else 5)]
