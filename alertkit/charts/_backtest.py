"""Charts over backtest output: one position's P&L path with its alerts, and a threshold sweep."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import altair as alt
import polars as pl

from alertkit.charts import _aggregate as agg
from alertkit.charts._aggregate import (
    SWEEP_ALERT_COUNTS,
    SWEEP_BENEFITS,
    Frame,
    PnlValue,
)
from alertkit.charts._board import WIDTH, no_data, severity_color, time_axis

SWEEP_COUNT_COLORS: Final = ("#4c78a8", "#72b7b2", "#b279a2")
SWEEP_BENEFIT_COLORS: Final = ("#f58518", "#9d755d")


def position_pnl(
    history: Frame,
    alerts: Frame | None,
    strategy_id: int,
    *,
    value: PnlValue = "unrealized_pnl",
    max_points: int = 1_000,
) -> alt.LayerChart:
    """One position's P&L over time, with a point where each of its alerts fired.

    Parameters
    ----------
    history
        Frame or LazyFrame with ``as_of``, ``strategy_id`` and ``value`` (SNAPSHOT_SCHEMA;
        a backtest decisions frame works too). Other positions are filtered out.
    alerts
        Frame with ``created_at``, ``strategy_id``, ``rule`` and ``severity`` (ALERT_SCHEMA,
        e.g. a backtest's ``result.alerts``), or None for the line alone. Each alert is
        drawn at its created_at, at the path's value nearest that instant.
    strategy_id
        The position to draw.
    value
        ``"unrealized_pnl"`` (USD) or ``"upl_pct"`` (fraction of the premium basis).
    max_points
        A longer path is downsampled in polars to about this many points, keeping the first
        and last point, each stretch's low and high, and the point at each alert.

    Examples
    --------
    >>> from datetime import UTC, datetime, timedelta
    >>> import polars as pl
    >>> t = datetime(2026, 1, 5, 15, tzinfo=UTC)
    >>> history = pl.DataFrame({
    ...     "as_of": [t, t + timedelta(days=1)], "strategy_id": [7, 7],
    ...     "unrealized_pnl": [0.0, 120.0],
    ... })
    >>> alerts = pl.DataFrame({
    ...     "created_at": [t + timedelta(days=1)], "strategy_id": [7],
    ...     "rule": ["take_profit_partial"], "severity": ["normal"],
    ... })
    >>> spec = position_pnl(history, alerts, 7).to_dict()
    >>> [layer["mark"]["type"] for layer in spec["layer"]]
    ['line', 'point']
    """
    path, marks = agg.pnl_path(history, alerts, strategy_id, value, max_points)
    if value == "upl_pct":
        y_axis = alt.Axis(format=".0%", title="upl_pct")
        y_format = ".1%"
    else:
        y_axis = alt.Axis(format="$,.0f", title="unrealized_pnl (USD)")
        y_format = "$,.2f"
    x_axis = time_axis(path["as_of"].min(), path["as_of"].max())  # type: ignore[arg-type]
    line: alt.Chart = (
        alt.Chart(path)
        .mark_line(color="#4c78a8")
        .encode(
            x=alt.X("as_of:T").scale(type="utc").axis(x_axis).title("as_of (UTC)"),
            y=alt.Y(f"{value}:Q").axis(y_axis),
            tooltip=[
                alt.Tooltip("as_of:N", title="as_of (UTC)"),
                alt.Tooltip(f"{value}:Q", format=y_format),
            ],
        )
    )
    points: alt.Chart = (
        alt.Chart(marks)
        .mark_point(filled=True, size=90, opacity=1.0, stroke="black", strokeWidth=0.5)
        .encode(
            x=alt.X("created_at:T").scale(type="utc").axis(x_axis).title("as_of (UTC)"),
            y=alt.Y(f"{value}:Q").axis(y_axis),
            color=severity_color(),
            # The marker's shape names the rule that fired (legend), its colour the severity.
            shape=alt.Shape("rule:N").title("trigger"),
            tooltip=[
                alt.Tooltip("created_at:N", title="alert at (UTC)"),
                alt.Tooltip("rule:N", title="trigger"),
                alt.Tooltip("severity:N"),
                alt.Tooltip(f"{value}:Q", format=y_format),
            ],
        )
    )
    return alt.LayerChart(
        layer=[line, points],
        title=f"strategy {strategy_id}: {value} and alerts",
        width=WIDTH,
        height=260,
    )


def sweep_chart(
    sweep: Frame,
    *,
    rule: str | None = None,
    parameter: str | None = None,
    x_title: str | None = None,
) -> alt.VConcatChart:
    """A threshold sweep: alert counts (top) and benefit (bottom) per setting of one parameter.

    Parameters
    ----------
    sweep
        Frame with columns rule, parameter, value, alerts, repeats, positions,
        mean_benefit_usd, median_benefit_usd (``alertkit.backtest.sweep``).
    rule, parameter
        Which (rule, parameter) to draw; needed only when the frame holds more than one.
    x_title
        The x axis title, with the parameter's unit (e.g. ``"take_profit full: upl_pct
        threshold (fraction of max profit)"``); default ``"<rule>.<parameter>"``.

    Three panels share the x axis (the parameter's value) and have their own y axes: alerts
    and positions affected; suppressed repeats (firings folded into an open alert, usually
    thousands, so they get their own scale); and the mean and median benefit of acting at
    the alert rather than holding to the end of the history, in USD per alert.

    Examples
    --------
    >>> import polars as pl
    >>> sweep = pl.DataFrame({
    ...     "rule": ["take_profit"] * 2, "parameter": ["threshold"] * 2, "value": [0.5, 0.8],
    ...     "alerts": [40, 25], "repeats": [10, 4], "positions": [30, 22],
    ...     "mean_benefit_usd": [12.5, 18.0], "median_benefit_usd": [10.0, 15.0],
    ... })
    >>> spec = sweep_chart(sweep).to_dict()
    >>> [panel["encoding"]["y"]["title"] for panel in spec["vconcat"]]
    ['alerts, positions', 'suppressed repeats', 'benefit of acting (USD per alert)']
    """
    counts, benefits, the_rule, the_parameter = agg.sweep_frames(sweep, rule, parameter)
    x = alt.X("value:Q").title(x_title or f"{the_rule}.{the_parameter}").scale(zero=False)
    value_tip = alt.Tooltip("value:Q", title=the_parameter)

    def panel(
        data: pl.DataFrame,
        y: alt.Y,
        measures: tuple[str, ...],
        colors: Sequence[str],
        legend: str,
        tip: alt.Tooltip,
        height: int = 150,
    ) -> alt.Chart:
        chart: alt.Chart = (
            alt.Chart(data)
            .mark_line(point=True)
            .encode(
                x=x,
                y=y,
                color=alt.Color("measure:N")
                .scale(domain=list(measures), range=list(colors))
                .title(legend),
                tooltip=[value_tip, "measure:N", tip],
            )
            .properties(width=WIDTH, height=height)
        )
        return chart

    alert_counts = counts.filter(pl.col("measure").is_in(SWEEP_ALERT_COUNTS))
    repeats = counts.filter(pl.col("measure") == "repeats")
    top = panel(
        alert_counts,
        alt.Y("count:Q").axis(tickMinStep=1).title("alerts, positions"),
        SWEEP_ALERT_COUNTS,
        SWEEP_COUNT_COLORS[:2],
        "count",
        alt.Tooltip("count:Q", format=","),
    )
    # Repeats run to thousands while alerts stay in the hundreds: on one axis both look flat.
    middle = panel(
        repeats,
        # Not from zero: a change of a hundred in five thousand should be visible.
        alt.Y("count:Q").axis(tickMinStep=1).scale(zero=False).title("suppressed repeats"),
        ("repeats",),
        SWEEP_COUNT_COLORS[2:],
        "repeats",
        alt.Tooltip("count:Q", format=","),
        height=110,
    )
    bottom = panel(
        benefits,
        alt.Y("benefit:Q").axis(format="$,.0f").title("benefit of acting (USD per alert)"),
        SWEEP_BENEFITS,
        SWEEP_BENEFIT_COLORS,
        "benefit",
        alt.Tooltip("benefit:Q", format="$,.2f"),
    )
    combined: alt.VConcatChart = alt.vconcat(
        top, middle, bottom, title=f"Sweep of {the_rule}: {the_parameter}"
    ).resolve_scale(x="shared", y="independent", color="independent")
    return combined


CHANGE_COLORS: Final = {
    "same": "#bab0ac",
    "changed": "#eeca3b",
    "moved": "#4c78a8",
    "removed": "#e45756",
    "added": "#54a24b",
}


def alert_changes(changes: Frame) -> alt.Chart:
    """Alerts per rule and kind of change between two configurations (a stacked bar each).

    ``changes`` is :func:`alertkit.backtest.compare_alerts` output; only the per-rule counts
    are embedded.

    Examples
    --------
    >>> import polars as pl
    >>> changes = pl.DataFrame({"rule": ["gamma_risk", "gamma_risk"], "change": ["same", "added"]})
    >>> spec = alert_changes(changes).to_dict()
    >>> spec["mark"]["type"], spec["encoding"]["color"]["field"]
    ('bar', 'change')
    """
    counts = (
        changes.lazy()
        .group_by("rule", "change")
        .agg(pl.len().alias("alerts"))
        .sort(["rule", "change"])
        .collect()
    )
    title = "Alerts per trigger: baseline vs candidate"
    if counts.is_empty():
        return no_data(title)
    order = list(CHANGE_COLORS)
    chart: alt.Chart = (
        alt.Chart(counts, title=title)
        .mark_bar()
        .encode(
            y=alt.Y("rule:N", sort="-x", title="trigger"),
            x=alt.X("sum(alerts):Q", title="alerts"),
            color=alt.Color(
                "change:N",
                sort=order,
                scale=alt.Scale(domain=order, range=list(CHANGE_COLORS.values())),
            ),
            order=alt.Order("change_order:Q"),
            tooltip=[alt.Tooltip("rule:N", title="trigger"), "change:N", "alerts:Q"],
        )
        .transform_calculate(
            change_order="indexof(" + repr(order).replace("'", '"') + ", datum.change)"
        )
        .properties(width=WIDTH)
    )
    return chart
