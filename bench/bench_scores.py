"""Outcome scores at a million snapshots: `python -m bench.bench_scores [--quick]`.

Issue 24's target: scoring about 1M snapshot rows (``synthetic_history(580, bar="5m")``, the
history of bench_backtest) in under 3 s on a 2-core machine. The figure is reported with its
ratio to one vectorized backtest of the same history, measured in the same run and
interleaved with it, since the machine is shared: the default scores (the adverse move is
judged against each alert's own value, so every alert's horizon is gathered), and the same
split by VIX regime with costs.
"""

from __future__ import annotations

import statistics
import sys
from datetime import timedelta

from alertkit.backtest import run_backtest, synthetic_history
from bench._harness import Comparison, Figure, interleaved_medians, timed

CALL = "synthetic_history(580, bar='5m')"
TARGET_S = 3.0


def run(quick: bool = False) -> list[Comparison | Figure]:
    history = synthetic_history(580, bar="5m")
    rows = history.height
    result = run_backtest(history, progress=False)
    result.scores()  # warm up

    def backtest() -> object:
        return run_backtest(history, progress=False)

    def default() -> object:
        return result.scores()

    def split() -> object:
        return result.scores(
            regime="vix", horizon=timedelta(days=2), cost_per_contract=0.65, slippage=0.02
        )

    repeats = 1 if quick else 5
    default_s, backtest_s = interleaved_medians(default, backtest, repeats)
    split_s, backtest2_s = interleaved_medians(split, backtest, repeats)
    # A quiet period re-opens alerts: more alerts, so more horizons to gather.
    quiet = run_backtest(history, quiet_period=timedelta(days=1), progress=False)
    quiet_s = statistics.median(timed(quiet.scores) for _ in range(repeats))
    note = f"median of {repeats}; {result.alerts.height:,} alerts"
    return [
        Comparison(
            f"scores() default, {rows:,} rows",
            default_s,
            backtest_s,
            None,
            "one run_backtest of the same history",
            note,
        ),
        Comparison(
            f"scores(regime='vix', horizon=2 days, costs), {rows:,} rows",
            split_s,
            backtest2_s,
            None,
            "one run_backtest of the same history",
            note,
        ),
        Figure(f"scores() default, {CALL} ({rows:,} rows)", default_s, "s", TARGET_S, note),
        Figure(f"scores(regime='vix'), {CALL} ({rows:,} rows)", split_s, "s", TARGET_S, note),
        Figure(
            f"scores() of a quiet_period=1 day backtest ({rows:,} rows)",
            quiet_s,
            "s",
            TARGET_S,
            f"median of {repeats}; {quiet.alerts.height:,} alerts",
        ),
    ]


if __name__ == "__main__":
    for result in run(quick="--quick" in sys.argv):
        print(result.row())
