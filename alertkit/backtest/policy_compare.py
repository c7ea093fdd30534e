"""Comparing what two policy sets would have told the desk over the same history.

The policy counterpart of :func:`~alertkit.backtest.compare_alerts`: :func:`compare_policies`
runs one backtest, then two notification dry runs over it, one per policy set, and matches
their *items*: one alert in one notification, i.e. (handler, reason, alert_id, at). An item
sent under ``before`` and not under ``after`` has *stopped*; one sent only under ``after``
has *started*. Each says why it is not sent on the other side, when a stage muted it there
(``silence: <id>``, ...; null when it is not due there at all, e.g. a reminder that moved).

Examples
--------
>>> from datetime import timedelta
>>> from alertkit.backtest import synthetic_history
>>> from alertkit.policy import FlapDetection, Policies
>>> comparison = compare_policies(
...     synthetic_history(12, seed=5), None, Policies(flapping=FlapDetection(4, 10)),
...     quiet_period=timedelta(hours=4), progress=False)
>>> comparison.per_rule().columns
['rule', 'before', 'after', 'stopped', 'started']
>>> comparison.stopped["why"].str.starts_with("flapping: ").all()
True
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

import polars as pl

from alertkit.backtest.history import HistorySource
from alertkit.backtest.notifications import NotificationDryRun, dry_run_notifications
from alertkit.backtest.policy_report import everything
from alertkit.backtest.runner import BacktestResult, run_backtest
from alertkit.model.errors import ValidationError
from alertkit.notify.subscriptions import Subscription
from alertkit.policy import Policies

__all__ = ["ITEM", "PolicyComparison", "compare_policies"]

ITEM: Final = ("handler", "reason", "alert_id", "at")
"""What identifies one alert told once: the key on which the two dry runs are matched."""
_TS: Final = pl.Datetime("us", "UTC")
_CHANGE_SCHEMA: Final[dict[str, pl.DataType]] = {
    "handler": pl.String(),
    "reason": pl.String(),
    "alert_id": pl.String(),
    "at": _TS,
    "rule": pl.String(),
    "why": pl.String(),
}


@dataclass(frozen=True, slots=True, eq=False)  # frames do not compare with ==
class PolicyComparison:
    """Two dry runs of one backtest, matched item by item.

    Attributes
    ----------
    result
        The backtest (run without policies; each dry run applies its own).
    before, after
        The two policy sets (an empty ``Policies()`` for none) and their dry runs
        ``before_run``, ``after_run``.
    stopped, started
        The items only ``before`` sends, and those only ``after`` sends: ``handler``,
        ``reason``, ``alert_id``, ``at``, ``rule`` and ``why`` (what mutes the item on the
        other side, null when it is not due there), by ``at``, handler, reason, alert id.
    """

    result: BacktestResult
    before: Policies
    after: Policies
    before_run: NotificationDryRun
    after_run: NotificationDryRun
    stopped: pl.DataFrame
    started: pl.DataFrame

    def per_rule(self) -> pl.DataFrame:
        """Per rule: items sent ``before`` and ``after``, ``stopped`` and ``started``, the
        rules with most changes first (then by name)."""
        counts = [
            _items(run, self.result).group_by("rule").len(name=name)
            for run, name in ((self.before_run, "before"), (self.after_run, "after"))
        ] + [
            frame.group_by("rule").len(name=name)
            for frame, name in ((self.stopped, "stopped"), (self.started, "started"))
        ]
        table = counts[0]
        for other in counts[1:]:
            table = table.join(other, on="rule", how="full", coalesce=True)
        columns = ["before", "after", "stopped", "started"]
        return (
            table.with_columns(pl.col(columns).fill_null(0).cast(pl.Int64))
            .sort([pl.col("stopped") + pl.col("started"), "rule"], descending=[True, False])
            .select("rule", *columns)
        )

    def __repr__(self) -> str:
        before = self.before_run.notifications["alerts"].sum()
        after = self.after_run.notifications["alerts"].sum()
        return (
            f"PolicyComparison({self.before.name!r} -> {self.after.name!r}: {before} -> {after}"
            f" alert notifications, {self.stopped.height} stopped, {self.started.height}"
            " started)"
        )


def compare_policies(
    history: HistorySource,
    before: Policies | None,
    after: Policies | None,
    *,
    subscriptions: Subscription | Iterable[Subscription] | None = None,
    **backtest_options: Any,
) -> PolicyComparison:
    """What ``after`` would tell differently from ``before`` over ``history``.

    Parameters
    ----------
    history
        Snapshots, as :func:`~alertkit.backtest.run_backtest` takes them (``HistorySource``).
    before, after
        :class:`~alertkit.policy.Policies` (None: none).
    subscriptions
        The handlers; None: one ungrouped subscription hearing every reason
        (:func:`alertkit.backtest.policy_report.everything`).
    backtest_options
        Passed to :func:`~alertkit.backtest.run_backtest` (``rules``, ``quiet_period``,
        ``mode``, ``progress``...), but not ``policies``: each dry run applies its own.

    Raises
    ------
    ValidationError
        ``before`` or ``after`` not Policies (or None), ``policies`` among the options, or
        what ``run_backtest`` and ``dry_run_notifications`` refuse.
    """
    if "policies" in backtest_options:
        raise ValidationError(
            "policies: compare_policies replays `before` and `after` over one backtest; pass"
            " them as those, not as a backtest option"
        )
    sets = [_policies(before, "before"), _policies(after, "after")]
    result = run_backtest(history, **backtest_options)
    subs = [everything()] if subscriptions is None else subscriptions
    runs = [dry_run_notifications(result, subs, policies=p) for p in sets]
    told = [_items(run, result) for run in runs]
    return PolicyComparison(
        result=result,
        before=sets[0],
        after=sets[1],
        before_run=runs[0],
        after_run=runs[1],
        stopped=_only(told[0], told[1], runs[1]),
        started=_only(told[1], told[0], runs[0]),
    )


def _policies(given: object, name: str) -> Policies:
    if given is None:
        return Policies(name="none")
    if not isinstance(given, Policies):
        raise ValidationError(
            f"{name}: expected an alertkit.policy.Policies or None, got {type(given).__name__}"
        )
    return given


def _items(run: NotificationDryRun, result: BacktestResult) -> pl.DataFrame:
    """One row per alert per notification sent: :data:`ITEM` and the alert's rule."""
    return (
        run.notifications.explode("alert_ids")
        .rename({"alert_ids": "alert_id"})
        .join(result.alerts.select("alert_id", "rule"), on="alert_id", how="left")
        .select(*ITEM, "rule")
    )


def _only(mine: pl.DataFrame, theirs: pl.DataFrame, their_run: NotificationDryRun) -> pl.DataFrame:
    """The items of ``mine`` not in ``theirs``, with why the other run muted each."""
    why = their_run.suppressed.select(*ITEM, "why")
    return (
        mine.join(theirs, on=list(ITEM), how="anti")
        .join(why, on=list(ITEM), how="left")
        .sort("at", "handler", "reason", "alert_id")
        .select(list(_CHANGE_SCHEMA))
        .cast(_CHANGE_SCHEMA)  # type: ignore[arg-type]
    )
