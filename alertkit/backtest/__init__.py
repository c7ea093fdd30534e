"""Backtesting: run the rules over a position history and see the alerts they would raise.

:func:`synthetic_history` generates a seeded, deterministic history in the snapshot schema
(``alertkit.SNAPSHOT_SCHEMA``); :func:`load_history` reads a recorded one from Parquet, CSV,
a Delta table or a polars frame and validates it against that schema. :func:`run_backtest`
replays a history through the rules (vectorized, or snapshot by snapshot through the engine,
with identical results) and returns a :class:`BacktestResult` of decisions, alerts and
outcomes, optionally written to an alerts table; :func:`sweep` compares settings of one rule
threshold (:func:`with_threshold` builds the rule list for one setting);
:func:`compare_alerts` and :func:`assert_alerts_equal` compare two rule configurations;
:func:`dry_run_notifications` (or ``result.dry_run_notifications``) tells what the handlers'
subscriptions would have been sent during a backtest, sending nothing.
"""

from alertkit.backtest.history import MissingColumnsWarning, load_history
from alertkit.backtest.lake import write_alerts
from alertkit.backtest.notifications import NotificationDryRun, dry_run_notifications
from alertkit.backtest.regression import assert_alerts_equal, compare_alerts, summarize_changes
from alertkit.backtest.runner import BacktestResult, run_backtest
from alertkit.backtest.sweep import sweep, with_threshold
from alertkit.backtest.synthetic import synthetic_history

__all__ = [
    "BacktestResult",
    "MissingColumnsWarning",
    "NotificationDryRun",
    "assert_alerts_equal",
    "compare_alerts",
    "dry_run_notifications",
    "load_history",
    "run_backtest",
    "summarize_changes",
    "sweep",
    "synthetic_history",
    "with_threshold",
    "write_alerts",
]
