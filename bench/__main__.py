"""Run every benchmark and print medians and ratios: `python -m bench [--quick] [--record]`."""

from __future__ import annotations

import argparse
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

from bench import (
    bench_backtest,
    bench_board,
    bench_cycle,
    bench_maintenance,
    bench_notify,
    bench_policies,
    bench_quality_sweep,
    bench_scale,
    bench_scores,
    bench_side_tables,
    bench_store,
    bench_synthetic,
)
from bench._harness import Comparison, Figure

RESULTS = Path(__file__).with_name("RESULTS.md")


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def render(results: list[Comparison | Figure]) -> str:
    lines = [
        "| benchmark | alertkit (median) | baseline (median) | ratio | target | verdict | note |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [r.row() for r in results if isinstance(r, Comparison)]
    figures = [r for r in results if isinstance(r, Figure)]
    if figures:
        lines += ["", "| figure | value | target | verdict | note |", "|---|---|---|---|---|"]
        lines += [f.row() for f in figures]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="fewer repeats (a smoke run)")
    parser.add_argument("--record", action="store_true", help="append the table to RESULTS.md")
    parser.add_argument("--only", help="run one suite, e.g. --only cycle")
    args = parser.parse_args()
    results: list[Comparison | Figure] = []
    # bench_maintenance last: its full run makes 20,000 commits (about 35 minutes here under load).
    suites: tuple[ModuleType, ...] = (
        bench_store,
        bench_cycle,
        bench_notify,
        bench_policies,
        bench_scale,
        bench_side_tables,
        bench_backtest,
        bench_scores,
        bench_quality_sweep,
        bench_synthetic,
        bench_board,
        bench_maintenance,
    )
    if args.only:
        suites = tuple(s for s in suites if s.__name__.endswith(args.only))
    for suite in suites:
        print(f"running {suite.__name__} ...", file=sys.stderr, flush=True)
        results += suite.run(quick=args.quick)
    table = render(results)
    print(table)
    if args.record:
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        with RESULTS.open("a") as out:
            out.write(f"\n## {stamp} ({machine()})\n\n{table}\n")
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
