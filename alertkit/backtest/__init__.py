"""Backtesting: run the rules over a position history and see the alerts they would raise.

:func:`synthetic_history` generates a seeded, deterministic history in the snapshot schema
(``alertkit.SNAPSHOT_SCHEMA``); :func:`load_history` reads a recorded one from Parquet, CSV,
a Delta table or a polars frame and validates it against that schema. :func:`run_backtest`
replays a history through the rules (vectorized, or snapshot by snapshot through the engine,
with identical results) and returns a :class:`BacktestResult` of decisions, alerts and
outcomes, optionally written to an alerts table, and saved as Parquet by
``result.write(path)`` (:func:`read_backtest` reads it back); :func:`sweep` compares settings
of one rule threshold (:func:`with_threshold` builds the rule list for one setting);
:func:`compare_alerts` and :func:`assert_alerts_equal` compare two rule configurations;
:func:`dry_run_notifications` (or ``result.dry_run_notifications``) tells what the handlers'
subscriptions would have been sent during a backtest, sending nothing; with
``policies=`` (:class:`alertkit.policy.Policies`) the backtest, its dry runs and
``result.policy_report()`` replay silences, inhibitions, snoozes, flap detection and
escalation exactly as the live managers apply them (docs/policies.md).
:func:`preview_silence` lists the alerts a silence would have hidden, and
:func:`compare_policies` what a policy change would have stopped or started telling.
"""

from alertkit.backtest.export import read_backtest
from alertkit.backtest.history import MissingColumnsWarning, load_history
from alertkit.backtest.lake import write_alerts
from alertkit.backtest.notifications import NotificationDryRun, dry_run_notifications
from alertkit.backtest.policy_compare import PolicyComparison, compare_policies
from alertkit.backtest.preview import preview_silence
from alertkit.backtest.regression import assert_alerts_equal, compare_alerts, summarize_changes
from alertkit.backtest.runner import BacktestResult, run_backtest
from alertkit.backtest.sweep import sweep, with_threshold
from alertkit.backtest.synthetic import synthetic_history

__all__ = [
    "BacktestResult",
    "MissingColumnsWarning",
    "NotificationDryRun",
    "PolicyComparison",
    "assert_alerts_equal",
    "compare_alerts",
    "compare_policies",
    "dry_run_notifications",
    "load_history",
    "preview_silence",
    "read_backtest",
    "run_backtest",
    "summarize_changes",
    "sweep",
    "synthetic_history",
    "with_threshold",
    "write_alerts",
]
