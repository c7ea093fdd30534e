"""run_backtest at a million snapshots: `python -m bench.bench_backtest [--quick]`.

Issue 4's targets on a 2-core machine: vectorized mode over about 1M snapshot rows
(``synthetic_history(580, bar="5m")``) in under 5 s and under 2 GiB; engine mode (the
reference, every snapshot through the DecisionEngine) on a 50k-row slice of the same
history, and vectorized throughput at least 50 times the engine's. The harness only takes
upper bounds, so the ratio is reported as vectorized time per row / engine time per row,
target <= 0.02, both scaled to 50k rows.

Peak memory is measured in a spawned child process (its ``ru_maxrss``) that reads the
history from Parquet and runs one vectorized backtest: the parent holds other data, and a
forked child would share deltalake's runtime (see FACTS).
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import resource
import statistics
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from alertkit.backtest import run_backtest, synthetic_history
from bench._harness import Comparison, Figure, interleaved_medians, timed

CALL = "synthetic_history(580, bar='5m')"
ENGINE_ROWS = 50_000
GIB = 1024**3


def _peak_rss_of_backtest(path: str) -> int:
    """In a fresh process: read the history, run one backtest, return peak RSS in bytes."""
    import polars as pl

    run_backtest(pl.read_parquet(path), progress=False)
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def peak_memory_gib(history_path: Path) -> float:
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(_peak_rss_of_backtest, str(history_path)).result() / GIB


def run(quick: bool = False) -> list[Comparison | Figure]:
    history = synthetic_history(580, bar="5m")
    rows = history.height
    head = history.head(ENGINE_ROWS)
    run_backtest(head, progress=False)  # warm up imports and polars' thread pool

    def vectorized() -> object:
        return run_backtest(history, progress=False)

    def engine() -> object:
        return run_backtest(head, mode="engine", progress=False)

    repeats = 1 if quick else 3
    vectorized_s, engine_s = interleaved_medians(vectorized, engine, repeats)
    quiet = timedelta(days=1)
    quiet_times = [
        timed(lambda: run_backtest(history, quiet_period=quiet, progress=False))
        for _ in range(repeats)
    ]
    with tempfile.TemporaryDirectory(prefix="alertkit-bench-") as tmp:
        path = Path(tmp) / "history.parquet"
        history.write_parquet(path)
        # Peak RSS of the same work has varied between runs (0.87 GiB usually, once 1.7 GiB
        # under load 6): the figure is the worst of several fresh processes.
        memories = [peak_memory_gib(path) for _ in range(repeats)]
    note = f"median of {repeats}"
    return [
        Comparison(
            "run_backtest vectorized vs engine, time per 50k snapshots",
            vectorized_s * ENGINE_ROWS / rows,
            engine_s,
            0.02,
            "engine mode, first 50k rows",
            f"throughput ratio {engine_s * rows / ENGINE_ROWS / vectorized_s:.0f}x (target >= 50)",
        ),
        Figure(f"run_backtest vectorized, {CALL} ({rows:,} rows)", vectorized_s, "s", 5.0, note),
        Figure(
            f"run_backtest vectorized, quiet_period=1 day ({rows:,} rows)",
            statistics.median(quiet_times),
            "s",
            5.0,
            note,
        ),
        Figure(
            f"run_backtest vectorized peak memory ({rows:,} rows)",
            max(memories),
            "GiB",
            2.0,
            f"worst max RSS of {repeats} spawned processes (read Parquet + backtest):"
            f" {', '.join(f'{m:.2f}' for m in memories)} GiB",
        ),
        Figure(
            f"run_backtest engine mode ({ENGINE_ROWS:,}-row slice)",
            ENGINE_ROWS / engine_s,
            "rows/s",
            None,
            note,
        ),
    ]


if __name__ == "__main__":
    for result in run(quick="--quick" in sys.argv):
        print(result.row())
