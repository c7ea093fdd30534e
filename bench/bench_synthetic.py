"""synthetic_history at a million rows: `python -m bench.bench_synthetic` prints the median of 3.

The issue's target: about 1M rows (e.g. 400 positions x 2,500 bars) in under 5 s on a 2-core
machine. 580 positions on 5-minute bars hold about 2,500 bars each before their exits.
"""

from __future__ import annotations

import statistics

from alertkit.backtest import synthetic_history
from bench._harness import Figure, timed

CALL = "synthetic_history(580, bar='5m')"


def run(quick: bool = False) -> list[Figure]:
    rows = synthetic_history(580, bar="5m").height  # also warms up imports and allocators
    times = [timed(lambda: synthetic_history(580, bar="5m")) for _ in range(1 if quick else 3)]
    return [
        Figure(
            f"{CALL} ({rows:,} rows)",
            statistics.median(times),
            "s",
            target=5.0,
            note=f"median of {len(times)}",
        )
    ]


if __name__ == "__main__":
    for figure in run():
        print(figure.row())
