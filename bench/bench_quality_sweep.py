"""Issue 24: the threshold sweep and priority shadowing at a million snapshots.

`python -m bench --only quality_sweep [--quick]`. On ``synthetic_history(580, bar='5m')``
(about 1M rows), each against one vectorized backtest of the same history measured in the
same run (interleaved):

- a 20-setting ``take_profit.full`` sweep: at most 4x one backtest (the sweep evaluates the
  rules that do not depend on the setting once, :class:`alertkit.backtest.sweep.SweptHistory`);
  the sweep as it was (a full backtest per setting) is timed once for the speed-up;
- a backtest plus ``result.shadowing()``: at most 1.5x the backtest alone.
"""

from __future__ import annotations

import sys

from alertkit.backtest import run_backtest, sweep, synthetic_history
from alertkit.backtest.sweep import with_threshold
from alertkit.rules import default_rules
from bench._harness import Comparison, Figure, interleaved_medians, timed

CALL = "synthetic_history(580, bar='5m')"
VALUES = [round(0.55 + 0.02 * i, 2) for i in range(20)]


def run(quick: bool = False) -> list[Comparison | Figure]:
    history = synthetic_history(580, bar="5m")
    rows = history.height
    run_backtest(history.head(50_000), progress=False)  # warm up imports and the thread pool
    repeats = 1 if quick else 3

    def backtest() -> object:
        return run_backtest(history, progress=False)

    def swept() -> object:
        return sweep(history, "take_profit", "full", VALUES, progress=False)

    def shadowed() -> object:
        return run_backtest(history, progress=False).shadowing()

    def per_setting() -> None:  # the sweep before issue 24: everything re-run per setting
        for value in VALUES:
            rules = with_threshold(default_rules(), "take_profit", "full", value)
            run_backtest(history, rules=rules, progress=False)

    sweep_s, backtest_s = interleaved_medians(swept, backtest, repeats)
    shadow_s, plain_s = interleaved_medians(shadowed, backtest, repeats)
    old_s = timed(per_setting)
    note = f"median of {repeats}; {rows:,} rows"
    return [
        Comparison(
            f"sweep take_profit.full, {len(VALUES)} settings, {CALL}",
            sweep_s,
            backtest_s,
            4.0,
            "one run_backtest, same history",
            f"{note}; full backtest per setting (old sweep, once): {old_s:.2f} s ="
            f" {old_s / backtest_s:.1f}x a backtest, speed-up {old_s / sweep_s:.1f}x",
        ),
        Comparison(
            f"run_backtest + shadowing(), {CALL}",
            shadow_s,
            plain_s,
            1.5,
            "run_backtest alone",
            note,
        ),
        Figure("sweep speed-up over a full backtest per setting", old_s / sweep_s, "x", None),
    ]


if __name__ == "__main__":
    for result in run(quick="--quick" in sys.argv):
        print(result.row())
