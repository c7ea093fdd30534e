"""Snoozing: an open alert that sends nothing until a time (Opsgenie's and PagerDuty's snooze).

A snoozed alert stays open and keeps its status; it leaves the board's default view and no
notification of it is sent (the log records ``suppressed``, ``snoozed until ...``) until
``snoozed_until``. It wakes by itself: whether it is snoozed is derived from the stored
``snoozed_until`` and "now", so no background job is needed. It also wakes early when a more
severe trigger fires on the same position (a new alert of higher severity on its
``strategy_id``, opened after the snooze): a trader who snoozed a take-profit still hears of
the stop-loss.

A snooze by hand is ``manager.snooze_alert(alert_id, until=...)``, a lifecycle event in the
alert's history with who and the note. A :class:`SnoozeRule` snoozes matching alerts as they
open, for a fixed time ("snooze IV alerts for 2 h"): live (``manager.set_policies``) and in a
replay (``run_backtest(..., policies=...)``) alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import polars as pl

from alertkit.model.alerts import SEVERITY_ORDER
from alertkit.model.errors import ValidationError
from alertkit.policy.matchers import Matchers

__all__ = ["SnoozeRule", "severity_rank_expr", "snoozed_ids", "wake_times"]


@dataclass(frozen=True, slots=True)
class SnoozeRule:
    """Snooze alerts matching ``matchers`` for ``duration`` from their creation."""

    matchers: Matchers | Mapping[str, Any]
    duration: timedelta

    def __post_init__(self) -> None:
        object.__setattr__(self, "matchers", Matchers.of(self.matchers))
        if not isinstance(self.duration, timedelta) or self.duration <= timedelta(0):
            raise ValidationError(f"duration: expected a positive timedelta, got {self.duration!r}")

    @property
    def match(self) -> Matchers:
        assert isinstance(self.matchers, Matchers)
        return self.matchers


def severity_rank_expr(column: str = "severity") -> pl.Expr:
    """Higher is more urgent (as :attr:`AlertSeverity.rank`)."""
    ranks = {s: len(SEVERITY_ORDER) - 1 - i for i, s in enumerate(SEVERITY_ORDER)}
    return pl.col(column).replace_strict(ranks, return_dtype=pl.Int64)


def wake_times(alerts: pl.DataFrame) -> pl.DataFrame:
    """When each snoozed alert of ``alerts`` (alert rows) wakes: ``alert_id``, ``snoozed_at``
    and ``wakes_at``, the earlier of ``snoozed_until`` and the creation of the first more
    severe alert on its position after ``snoozed_at``. An alert is snoozed at ``t`` iff
    ``snoozed_at <= t < wakes_at``. ``alerts`` must hold the position's other alerts (the
    ones that may wake it); only rows with ``snoozed_until`` set are returned."""
    snoozed = alerts.filter(pl.col("snoozed_until").is_not_null()).select(
        "alert_id", "strategy_id", "snoozed_at", "snoozed_until", rank=severity_rank_expr()
    )
    if snoozed.is_empty():
        return snoozed.select("alert_id", "snoozed_at", wakes_at="snoozed_until")
    others = alerts.filter(pl.col("strategy_id").is_in(snoozed["strategy_id"].implode())).select(
        "strategy_id",
        woke_by=pl.col("alert_id"),
        created=pl.col("created_at"),
        other_rank=severity_rank_expr(),
    )
    woken = (
        snoozed.join(others, on="strategy_id", how="inner")
        .filter(
            (pl.col("other_rank") > pl.col("rank"))
            & (pl.col("created") > pl.col("snoozed_at"))
            & (pl.col("woke_by") != pl.col("alert_id"))
        )
        .group_by("alert_id")
        .agg(early=pl.col("created").min())
    )
    return snoozed.join(woken, on="alert_id", how="left").select(
        "alert_id",
        "snoozed_at",
        wakes_at=pl.min_horizontal("snoozed_until", "early"),
    )


def snoozed_ids(alerts: pl.DataFrame, at: datetime) -> set[str]:
    """The ids of the alerts of ``alerts`` snoozed at ``at`` (see :func:`wake_times`)."""
    times = wake_times(alerts)
    held = times.filter((pl.col("snoozed_at") <= at) & (pl.col("wakes_at") > at))
    return set(held["alert_id"].to_list())
