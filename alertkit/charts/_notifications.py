"""A chart of a notification dry run: what each handler would be sent per day."""

from __future__ import annotations

from typing import Final

import altair as alt
import polars as pl

from alertkit.backtest.notifications import NotificationDryRun
from alertkit.charts._aggregate import _check_size
from alertkit.charts._board import WIDTH

OPENED_COLOR: Final = "#333333"
_DAY: Final = "%Y-%m-%d"


def notifications_per_day_chart(
    dry_run: NotificationDryRun, *, opened: bool = True
) -> alt.LayerChart:
    """Notifications per UTC day, one bar per handler (colour), beside the alerts opened.

    Parameters
    ----------
    dry_run
        :func:`alertkit.backtest.dry_run_notifications` output; only
        :meth:`~alertkit.backtest.NotificationDryRun.per_day` (days x handlers rows, at most
        ``MAX_ROWS``) and the alerts opened per day are embedded.
    opened
        Also draw the alerts opened per day as a dashed line on the same axis: how much
        grouping and filters cut what an unfiltered, ungrouped handler would be sent.

    The tooltip of each bar gives the day, handler, notifications and the alerts they
    mention; days with nothing due show as gaps, so a quiet week reads as quiet.

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> from alertkit import Alert
    >>> from alertkit.backtest import dry_run_notifications
    >>> from alertkit.model._ids import new_alert_id
    >>> from alertkit.model.schema import alerts_to_frame
    >>> from alertkit.notify.subscriptions import Subscription
    >>> t = datetime(2026, 1, 5, 15, tzinfo=UTC)
    >>> alert = Alert(alert_id=new_alert_id(t), type="warning", severity="high",
    ...     status="active", title="Close position: vix_level", message="VIX 36 > 35",
    ...     rule="vix_level", symbol="SPY", strategy_id=1, metadata={}, created_at=t)
    >>> run = dry_run_notifications(alerts_to_frame([alert]),
    ...                             Subscription.create(print, name="desk"), cycles=[t])
    >>> [layer["mark"]["type"] for layer in notifications_per_day_chart(run).to_dict()["layer"]]
    ['bar', 'line']
    """
    per_day = _check_size(
        dry_run.per_day().with_columns(pl.col("day").dt.strftime(_DAY)),
        "notifications_per_day_chart",
        "dry-run a shorter span or fewer handlers",
    )
    title = "Notifications per day, per handler"
    x = alt.X("day:O").title("day (UTC)").axis(labelOverlap="greedy", labelAngle=-45)
    handlers = list(dry_run.handlers)
    bars: alt.Chart = (
        alt.Chart(per_day)
        .mark_bar()
        .encode(
            x=x,
            xOffset=alt.XOffset("handler:N").sort(handlers),
            y=alt.Y("notifications:Q").axis(tickMinStep=1).title("per day"),
            color=alt.Color("handler:N").sort(handlers).scale(domain=handlers).title("handler"),
            tooltip=[
                alt.Tooltip("day:N", title="day (UTC)"),
                alt.Tooltip("handler:N"),
                alt.Tooltip("notifications:Q", format=","),
                alt.Tooltip("alerts:Q", format=",", title="alerts mentioned"),
            ],
        )
    )
    layers = [bars]
    if opened:
        layers.append(_opened_line(dry_run, x))
        title += " (dashed: alerts opened)"
    # A layer even for the bars alone, so the return type does not depend on ``opened``.
    return alt.LayerChart(layer=layers, title=title, width=WIDTH, height=260)


def _opened_line(dry_run: NotificationDryRun, x: alt.X) -> alt.Chart:
    line: alt.Chart = (
        alt.Chart(dry_run.opened.with_columns(pl.col("day").dt.strftime(_DAY)))
        .mark_line(color=OPENED_COLOR, strokeDash=[4, 3], point=True)
        .encode(
            x=x,
            y=alt.Y("alerts:Q").title("per day"),
            tooltip=[
                alt.Tooltip("day:N", title="day (UTC)"),
                alt.Tooltip("alerts:Q", format=",", title="alerts opened"),
            ],
        )
    )
    return line
