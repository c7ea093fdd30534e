"""What the policies of a backtest told and hid, per day and rule.

:func:`policy_report` (``result.policy_report()``) runs the notification dry run of a
:class:`~alertkit.backtest.BacktestResult` under its own policies and counts, per UTC day of
the cycle and per rule (the alerts' trigger id), what was told and what each stage muted.

Examples
--------
>>> from datetime import timedelta
>>> from alertkit.backtest import run_backtest, synthetic_history
>>> from alertkit.policy import FlapDetection, Policies
>>> history = synthetic_history(12, seed=5)
>>> result = run_backtest(history, quiet_period=timedelta(hours=4), progress=False,
...                       policies=Policies(flapping=FlapDetection(4, 10)))
>>> report = result.policy_report()
>>> report.columns
['day', 'rule', 'notifications', 'alert_mentions', 'silenced', 'inhibited', 'snoozed', 'flapping']
>>> int(report["flapping"].sum()) > 0
True
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

import polars as pl

from alertkit.backtest.notifications import dry_run_notifications
from alertkit.backtest.runner import BacktestResult
from alertkit.model.errors import ValidationError
from alertkit.notify.notification import REASONS, Notification
from alertkit.notify.subscriptions import Subscription

__all__ = ["HIDDEN", "REPORT_SUBSCRIPTION", "everything", "policy_report"]

HIDDEN: Final = ("silenced", "inhibited", "snoozed", "flapping")
"""The report's columns of muted dues, one per stage, in stage order."""
_STAGE_OF: Final = dict(zip(("silence", "inhibition", "snooze", "flapping"), HIDDEN, strict=True))

REPORT_SUBSCRIPTION: Final = "all"
"""The name of the subscription a report uses when given none (:func:`everything`)."""


def _nowhere(notification: Notification) -> None:
    """A dry run never calls a handler; this one only needs a name."""


def everything() -> Subscription:
    """One ungrouped subscription, named :data:`REPORT_SUBSCRIPTION`, that hears of every
    reason (:data:`~alertkit.notify.REASONS`). It has no ``repeat_interval``, so it gets no
    reminders, and it hears of escalations only if the escalation names it."""
    return Subscription.create(_nowhere, name=REPORT_SUBSCRIPTION, reasons=REASONS)


def policy_report(
    result: BacktestResult, subscriptions: Subscription | Iterable[Subscription] | None = None
) -> pl.DataFrame:
    """Per UTC day and rule: what ``subscriptions`` were told under ``result.policies`` and
    what each policy hid from them.

    Parameters
    ----------
    result
        A backtest; its :attr:`~BacktestResult.policies` are replayed (none: nothing hidden).
    subscriptions
        The handlers; None: :func:`everything` (one ungrouped subscription hearing every
        reason), so every count is of alerts, one notification per alert and reason.

    Returns
    -------
    pl.DataFrame
        ``day``, ``rule``, ``notifications`` (sent notifications that mention an alert of
        the rule: a grouped one mentioning several rules counts for each), ``alert_mentions``
        (alerts of the rule in them), and the dues each stage muted: ``silenced``,
        ``inhibited``, ``snoozed``, ``flapping`` (one per alert, handler, reason and cycle).
        One row per (day, rule) with anything to count, by day then rule.
    """
    if not isinstance(result, BacktestResult):
        raise ValidationError(f"result: expected a BacktestResult, got {type(result).__name__}")
    subs = [everything()] if subscriptions is None else subscriptions
    dry = dry_run_notifications(result, subs)
    rules = result.alerts.select("alert_id", "rule")
    told = (
        dry.notifications.with_row_index("notification")
        .explode("alert_ids")
        .join(rules, left_on="alert_ids", right_on="alert_id", how="left")
        .group_by("day", "rule")
        .agg(
            notifications=pl.col("notification").n_unique().cast(pl.Int64),
            alert_mentions=pl.len().cast(pl.Int64),
        )
    )
    stage = pl.col("why").str.extract(r"^(\w+):", 1).replace_strict(_STAGE_OF)
    hidden = (
        dry.suppressed.with_columns(stage=stage)
        .group_by("day", "rule")
        .agg(*[(pl.col("stage") == h).sum().cast(pl.Int64).alias(h) for h in HIDDEN])
    )
    counts = ["notifications", "alert_mentions", *HIDDEN]
    return (
        told.join(hidden, on=["day", "rule"], how="full", coalesce=True)
        .with_columns(pl.col(counts).fill_null(0))
        .sort("day", "rule")
        .select("day", "rule", *counts)
    )
