"""A notification dry run: what the desk's handlers would have been told during a backtest.

:func:`dry_run_notifications` replays the alerts of a backtest (or any alerts frame) cycle by
cycle through the same :class:`~alertkit.notify.subscriptions.Subscription` objects live
delivery uses, with its rules (:mod:`alertkit.backtest._due`): one notification per alert, or
per ``group_by`` values, for each reason due at each cycle (new, resolved, reminder). Nothing
is sent and no handler is called, so a handler needs only a name: any callable will do,
e.g. ``Subscription.create(print, name="desk-slack", group_by=("rule",))``.

The result answers "how noisy would this be?" before a rule change or a new channel goes
live: :attr:`NotificationDryRun.notifications` (one row per notification),
:meth:`~NotificationDryRun.per_day` and :meth:`~NotificationDryRun.summary`; the chart is
:func:`alertkit.charts.notifications_per_day_chart`. With ``policies=``
(:class:`alertkit.policy.Policies`) it replays silences, inhibitions, snoozes, flap detection
and escalation as docs/policies.md defines them (:mod:`alertkit.backtest._policy_marks`,
:mod:`alertkit.backtest._policy_due`, :mod:`alertkit.backtest._mutes`), and
:attr:`NotificationDryRun.suppressed` lists what they muted, as the live log would.

Examples
--------
>>> from datetime import timedelta
>>> from alertkit.backtest import run_backtest, synthetic_history
>>> from alertkit.notify.subscriptions import Subscription
>>> history = synthetic_history(20, seed=3)
>>> result = run_backtest(history, quiet_period=timedelta(days=1), progress=False)
>>> desk = Subscription.create(print, name="desk", group_by=("rule",))
>>> pager = Subscription.create(print, name="pager", severities=["immediate", "high"])
>>> summary = dry_run_notifications(result, [desk, pager]).summary()
>>> summary.select("handler", "notifications", "accepted_alerts").rows()
[('desk', 140, 199), ('pager', 101, 101)]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from typing import Final

import numpy as np
import polars as pl

from alertkit.backtest._due import REASON_CODE, DueAlerts, due_items
from alertkit.backtest._policy_due import SUPPRESSED_SCHEMA, policy_plan
from alertkit.backtest._policy_marks import marked, unmarked
from alertkit.backtest.runner import BacktestResult
from alertkit.model._time import to_utc
from alertkit.model.errors import ValidationError
from alertkit.model.schema import check_alert_frame
from alertkit.notify.notification import REASONS
from alertkit.notify.subscriptions import Subscription
from alertkit.policy import Policies

__all__ = [
    "NOTIFICATIONS_SCHEMA",
    "SUPPRESSED_SCHEMA",
    "NotificationDryRun",
    "dry_run_notifications",
]

_TS: Final = pl.Datetime("us", "UTC")

NOTIFICATIONS_SCHEMA: Final[dict[str, pl.DataType]] = {
    "handler": pl.String(),
    "reason": pl.String(),
    "at": _TS,
    "day": pl.Date(),
    "group": pl.String(),
    "alerts": pl.Int64(),
    "alert_ids": pl.List(pl.String()),
}
"""The columns of :attr:`NotificationDryRun.notifications`."""


@dataclass(frozen=True, slots=True, eq=False)  # frames do not compare with ==
class NotificationDryRun:
    """What each handler would have been told, notification by notification.

    Attributes
    ----------
    notifications
        One row per notification (:data:`NOTIFICATIONS_SCHEMA`), by cycle, then handler in
        the order given, reason (as :data:`~alertkit.notify.REASONS`), group and first alert:
        ``handler`` (the subscription's name), ``reason``, ``at`` (the cycle instant),
        ``day`` (its UTC date), ``group`` (the ``group_by`` values as a compact JSON object,
        keys in ``group_by`` order, e.g. ``{"rule":"take_profit_partial"}``; null when
        ungrouped), ``alerts`` (how many) and ``alert_ids`` (sorted).
    cycles
        The cycle instants, ascending.
    handlers
        The subscriptions' names, in the order given.
    accepted
        Per handler, the alerts seen by the cycles that its filters accept (severities and
        types, :meth:`Subscription.wants` for any of its reasons).
    opened
        Alerts opened per day (``day``, ``alerts``), by the cycle that first saw them, every
        day of the span: what the desk would be told without grouping or filters.
    suppressed
        With policies, every due a stage muted (:data:`SUPPRESSED_SCHEMA`): one row per
        alert, handler, reason and cycle, with ``outcome`` (``inhibited`` or
        ``suppressed``) and ``why`` as the live notification log writes them
        (``silence: <id>``, ``inhibition: <source alert id>``, ``snooze: until <ISO>``,
        ``flapping: <changes> changes in the last <evaluations> evaluations``). Empty
        without policies.
    policies
        The policies applied (None: none).
    """

    notifications: pl.DataFrame
    cycles: pl.Series
    handlers: tuple[str, ...]
    accepted: Mapping[str, int]
    opened: pl.DataFrame
    suppressed: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=SUPPRESSED_SCHEMA))
    policies: Policies | None = None

    def per_day(self) -> pl.DataFrame:
        """Notifications and alert mentions per UTC day and handler.

        Every day from the first cycle's to the last cycle's is there for every handler
        (zeros where nothing was due), by day, then handler in the order given.
        """
        counts = self.notifications.group_by("day", "handler").agg(
            pl.len().cast(pl.Int64).alias("notifications"), pl.col("alerts").sum()
        )
        return (
            self._days()
            .join(self._handler_frame(), how="cross")
            .join(counts, on=["day", "handler"], how="left")
            .with_columns(pl.col("notifications", "alerts").fill_null(0))
            .sort("day", "order")
            .select("day", "handler", "notifications", "alerts")
        )

    def summary(self) -> pl.DataFrame:
        """Per handler (in the order given): ``notifications``, ``alert_mentions`` (alerts
        summed over notifications), ``distinct_alerts`` (told of at least once),
        ``accepted_alerts`` (see :attr:`accepted`) and ``notifications_per_alert``
        (notifications / accepted alerts, 2 decimals; null when it accepts none)."""
        told = self.notifications.group_by("handler").agg(
            pl.len().cast(pl.Int64).alias("notifications"),
            pl.col("alerts").sum().alias("alert_mentions"),
            pl.col("alert_ids")
            .list.explode(keep_nulls=False, empty_as_null=False)
            .n_unique()
            .cast(pl.Int64)
            .alias("distinct_alerts"),
        )
        return (
            self._handler_frame()
            .with_columns(
                accepted_alerts=pl.Series([self.accepted[h] for h in self.handlers], dtype=pl.Int64)
            )
            .join(told, on="handler", how="left")
            .with_columns(pl.col("notifications", "alert_mentions", "distinct_alerts").fill_null(0))
            .with_columns(
                notifications_per_alert=pl.when(pl.col("accepted_alerts") > 0).then(
                    (pl.col("notifications") / pl.col("accepted_alerts")).round(2)
                )
            )
            .sort("order")
            .select(
                "handler",
                "notifications",
                "alert_mentions",
                "distinct_alerts",
                "accepted_alerts",
                "notifications_per_alert",
            )
        )

    def _days(self) -> pl.DataFrame:
        return self.opened.select("day")

    def _handler_frame(self) -> pl.DataFrame:
        return pl.DataFrame(
            {"handler": list(self.handlers), "order": list(range(len(self.handlers)))},
            schema={"handler": pl.String, "order": pl.Int64},
        )

    def __repr__(self) -> str:
        muted = f", {self.suppressed.height} muted" if self.suppressed.height else ""
        return (
            f"NotificationDryRun({len(self.handlers)} handlers, {self.cycles.len()} cycles:"
            f" {self.notifications.height} notifications{muted})"
        )


def dry_run_notifications(
    result_or_alerts: BacktestResult | pl.DataFrame | pl.LazyFrame,
    subscriptions: Subscription | Iterable[Subscription],
    *,
    cycles: Iterable[datetime] | pl.Series | None = None,
    policies: Policies | None = None,
) -> NotificationDryRun:
    """What ``subscriptions`` would have been told, cycle by cycle; sends nothing.

    Parameters
    ----------
    result_or_alerts
        A :class:`~alertkit.backtest.BacktestResult` (its cycles are its snapshots' distinct
        ``as_of``), or an alerts frame with the ``ALERT_SCHEMA`` columns (checked as a bulk
        insert is) together with ``cycles``.
    subscriptions
        :class:`~alertkit.notify.subscriptions.Subscription` objects with distinct names
        (build them with ``Subscription.create``; the handler is never called).
    cycles
        With an alerts frame: the instants at which the book was decided, strictly
        increasing (a naive datetime is local time, as everywhere in alertkit). An alert is
        told at the first cycle at or after it was created; one created after the last cycle
        is not told, nor counted as accepted.
    policies
        :class:`~alertkit.policy.Policies` to replay (docs/policies.md): the alerts first
        get the policy columns the live commits would have written (``silenced_by``, the
        snooze of a snooze rule, ``acknowledged_at`` by ``ack_delay``, ``flapping``), then
        silence ends, escalations and flap changes are due too, and every due passes the
        stages silence, inhibition, snooze and flapping: the muted ones go to
        :attr:`NotificationDryRun.suppressed`, the rest are grouped into notifications.
        With a BacktestResult the firings of an alert are its decisions (its trigger on
        its position between ``created_at`` and ``last_seen_at``); with an alerts frame
        only ``created_at`` and ``last_seen_at`` are known firings, and flap detection,
        which needs every evaluation, is refused. None: a BacktestResult's own policies
        (``run_backtest(..., policies=...)``), else none; an empty ``Policies()`` replays
        none.

    Raises
    ------
    ValidationError
        An input of another type, cycles missing, empty or not strictly increasing, an
        alerts frame that is not one, subscriptions that are not ``Subscription`` objects
        or share a name, policies that are not ``Policies``, or flap detection with an
        alerts frame.
    """
    alerts, instants, decisions = _inputs(result_or_alerts, cycles)
    subs = _subscriptions(subscriptions)
    replayed = _policies(result_or_alerts, policies, decisions)
    own = result_or_alerts.policies if isinstance(result_or_alerts, BacktestResult) else None
    if own is not None and not own.is_empty:  # back to the alerts before any policy
        alerts = unmarked(alerts, own)
    if replayed is not None:
        alerts = marked(alerts, replayed, decisions)
    micros = instants.dt.epoch("us").to_numpy().astype(np.int64)
    due = DueAlerts.of(alerts, micros)
    at = pl.DataFrame({"cycle": np.arange(len(micros)), "at": instants})
    seen = due.told < len(micros)
    accepted = {
        sub.name: int(np.count_nonzero(seen & due.wanted(sub, tuple(sub.reasons)))) for sub in subs
    }
    if replayed is None:
        items = [due_items(due, sub) for sub in subs]
        suppressed = pl.DataFrame(schema=SUPPRESSED_SCHEMA)
    else:
        items, suppressed = policy_plan(alerts, due, subs, replayed, decisions, at)
    groups: dict[tuple[str, ...], pl.Series] = {}
    frames = []
    for order, (sub, sub_items) in enumerate(zip(subs, items, strict=True)):
        if sub.group_by is not None and sub.group_by not in groups:
            groups[sub.group_by] = alerts.select(
                pl.struct(sub.group_by).struct.json_encode().alias("group")
            )["group"]
        frames.append(
            _notifications(
                sub_items, alerts["alert_id"], groups.get(sub.group_by or ()), order, sub.name
            )
        )
    table = (
        pl.concat(frames)
        .join(at, on="cycle", how="left")
        .sort("cycle", "order", "reason", "group", "first", nulls_last=False)
        .with_columns(
            pl.col("reason").replace_strict(
                list(REASON_CODE.values()), list(REASONS), return_dtype=pl.String
            ),
            day=pl.col("at").dt.date(),
        )
        .select(list(NOTIFICATIONS_SCHEMA))
    )
    return NotificationDryRun(
        notifications=table,
        cycles=instants,
        handlers=tuple(sub.name for sub in subs),
        accepted=accepted,
        opened=_opened(due, instants),
        suppressed=suppressed,
        policies=replayed,
    )


def _policies(source: object, given: object, decisions: pl.DataFrame | None) -> Policies | None:
    """The policies to replay (None: none), checked against what the source can replay."""
    if given is None and isinstance(source, BacktestResult):
        given = source.policies
    if given is None:
        return None
    if not isinstance(given, Policies):
        raise ValidationError(
            f"policies: expected an alertkit.policy.Policies, got {type(given).__name__}"
        )
    if given.flapping is not None and decisions is None:
        raise ValidationError(
            "policies.flapping: flap detection needs every evaluation of the positions, which"
            " only a BacktestResult has (its decisions); got an alerts frame. Pass the"
            " BacktestResult, or policies without flapping"
        )
    return None if given.is_empty else given


def _notifications(
    items: pl.DataFrame, ids: pl.Series, group: pl.Series | None, order: int, name: str
) -> pl.DataFrame:
    """One subscription's items folded into notifications (with sort helpers)."""
    items = items.with_columns(alert_id=ids.gather(items["row"]))
    if group is None:
        folded = items.select(
            "cycle",
            "reason",
            group=pl.lit(None, dtype=pl.String),
            alerts=pl.lit(1, dtype=pl.Int64),
            alert_ids=pl.concat_list("alert_id"),
            first="alert_id",
        )
    else:
        folded = (
            items.with_columns(group=group.gather(items["row"]))
            .group_by("cycle", "reason", "group")
            .agg(
                pl.len().cast(pl.Int64).alias("alerts"),
                pl.col("alert_id").sort().alias("alert_ids"),
            )
            .with_columns(first=pl.col("alert_ids").list.first())
        )
    return folded.with_columns(handler=pl.lit(name), order=pl.lit(order, dtype=pl.Int64)).select(
        "handler", "order", "cycle", "reason", "group", "alerts", "alert_ids", "first"
    )


def _opened(due: DueAlerts, instants: pl.Series) -> pl.DataFrame:
    first, last = instants.dt.date().min(), instants.dt.date().max()
    days = pl.DataFrame({"day": pl.date_range(first, last, "1d", eager=True)})  # type: ignore[arg-type]
    seen = due.told[due.told < len(instants)]
    opened = (
        pl.DataFrame({"day": instants.gather(seen).dt.date()})
        .group_by("day")
        .agg(pl.len().cast(pl.Int64).alias("alerts"))
    )
    return (
        days.join(opened, on="day", how="left")
        .with_columns(pl.col("alerts").fill_null(0))
        .sort("day")
    )


def _inputs(
    source: object, cycles: Iterable[datetime] | pl.Series | None
) -> tuple[pl.DataFrame, pl.Series, pl.DataFrame | None]:
    decisions = None
    if isinstance(source, BacktestResult):
        decisions = source.decisions
        if cycles is not None:
            raise ValidationError(
                "cycles: a BacktestResult's cycles are its snapshots' as_of; pass cycles only"
                " with an alerts frame"
            )
        alerts = source.alerts
        given: Iterable[datetime] = source.decisions["as_of"].unique().sort()
    elif isinstance(source, (pl.DataFrame, pl.LazyFrame)):
        if cycles is None:
            raise ValidationError(
                "cycles: required with an alerts frame (the instants the book was decided,"
                " e.g. the snapshots' distinct as_of)"
            )
        alerts = check_alert_frame(source.lazy().collect())
        given = cycles
    else:
        raise ValidationError(
            "result_or_alerts: expected a BacktestResult or an alerts frame (ALERT_SCHEMA),"
            f" got {type(source).__name__}"
        )
    return alerts, _cycles(given), decisions


def _cycles(given: Iterable[datetime] | pl.Series) -> pl.Series:
    if isinstance(given, (str, bytes)) or not isinstance(given, Iterable):
        raise ValidationError(f"cycles: expected datetimes, got {type(given).__name__}")
    instants = [to_utc(c, "cycles") for c in given]
    if not instants:
        raise ValidationError("cycles: expected at least one instant, got none")
    for i, (a, b) in enumerate(pairwise(instants), start=1):
        if b <= a:
            raise ValidationError(
                f"cycles: expected strictly increasing instants; cycle {i} ({b.isoformat()})"
                f" is not after cycle {i - 1} ({a.isoformat()})"
            )
    return pl.Series("at", instants, dtype=_TS)


def _subscriptions(given: Subscription | Iterable[Subscription]) -> list[Subscription]:
    subs = [given] if isinstance(given, Subscription) else given
    if isinstance(subs, (str, bytes, Mapping)) or not isinstance(subs, Iterable):
        raise ValidationError(
            f"subscriptions: expected Subscription objects, got {type(given).__name__}"
        )
    subs = list(subs)
    wrong = [s for s in subs if not isinstance(s, Subscription)]
    if wrong:
        raise ValidationError(
            "subscriptions: expected Subscription objects (build them with"
            f" Subscription.create(handler, name=...)), got {type(wrong[0]).__name__}"
            f" {wrong[0]!r}"[:300]
        )
    if not subs:
        raise ValidationError("subscriptions: expected at least one Subscription, got none")
    names = [s.name for s in subs]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValidationError(f"subscriptions: expected distinct names, got {twice} more than once")
    return subs
