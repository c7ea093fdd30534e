"""Charts over an alerts frame (ALERT_SCHEMA columns): the triage board's views."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Final, Literal

import altair as alt
import polars as pl

from alertkit.charts import _aggregate as agg
from alertkit.charts._aggregate import DurationUnit, Frame
from alertkit.model._time import to_utc
from alertkit.model.alerts import SEVERITY_ORDER

SEVERITY_COLORS: Final = ("#d62728", "#ff7f0e", "#1f77b4", "#9e9e9e")
"""Fixed colours for immediate, high, normal, low, in every chart."""

METRIC_COLORS: Final = ("#4c78a8", "#54a24b")

SELECTION_NAME: Final = "pick"
"""The point selection :func:`alerts_by_rule` adds with ``select=True``."""

WIDTH: Final = "container"
"""Every chart takes its container's width (the SVG renderer draws it :data:`SVG_WIDTH` wide)."""

NO_DATA: Final = "no alerts"


def no_data(title: str, text: str = NO_DATA) -> alt.Chart:
    """The chart to show when there is nothing to draw: its title and one line saying so,
    instead of an empty frame with axes that look like data was lost."""
    chart: alt.Chart = (
        alt.Chart(pl.DataFrame({"text": [text]}), title=title)
        .mark_text(fontSize=14, color="#666666")
        .encode(text="text:N")
        .properties(width=WIDTH, height=60)
    )
    return chart


_UNITS: Final = {
    "ns": "nanosecond", "us": "microsecond", "ms": "millisecond", "s": "second",
    "m": "minute", "h": "hour", "d": "day", "w": "week", "mo": "month", "q": "quarter",
    "y": "year",
}  # fmt: skip
_DURATION = re.compile(r"(\d+)(ns|us|ms|mo|s|m|h|d|w|q|y)")
AXIS_TITLES: Final = {"rule": "trigger", "engine_rule": "rule"}
"""What the alert columns are called on axes: ``rule`` holds the trigger id
(``take_profit_partial``), ``engine_rule`` the engine rule (``take_profit``)."""


def every_label(every: str) -> str:
    """A polars duration as English, for titles: ``"1w"`` is ``"week"``.

    >>> [every_label(e) for e in ("1h", "1d", "1w", "1mo", "4h", "2w", "1d12h")]
    ['hour', 'day', 'week', 'month', '4 hours', '2 weeks', '1d12h']
    """
    match = _DURATION.fullmatch(every)
    if match is None:
        return every  # a compound duration reads best as written
    count, unit = int(match[1]), _UNITS[match[2]]
    return unit if count == 1 else f"{count} {unit}s"


def time_format(first: str | None, last: str | None) -> str:
    """A d3 time format for labels between two ISO instants: the year always shows when the
    span crosses one, the time of day only when the span is within two days.

    >>> time_format("2025-06-01T00:00:00Z", "2026-03-01T00:00:00Z")
    '%b %Y'
    >>> time_format("2026-01-05T00:00:00Z", "2026-01-20T00:00:00Z")
    '%d %b'
    """
    if first is None or last is None:
        return "%d %b %Y"
    a, b = (datetime.fromisoformat(t.replace("Z", "+00:00")) for t in (first, last))
    span = b - a
    if span > timedelta(days=62):
        return "%b %Y"
    if span <= timedelta(days=2):
        return "%d %b %H:%M"
    return "%d %b" if a.year == b.year else "%d %b %Y"


def time_axis(first: str | None, last: str | None) -> alt.Axis:
    """A UTC time axis whose labels say the year when it matters and never overlap."""
    return alt.Axis(format=time_format(first, last), labelOverlap="greedy", labelAngle=0)


def severity_color() -> alt.Color:
    """The severity colour encoding shared by every chart (fixed domain, order and colours)."""
    return (
        alt.Color("severity:N")
        .scale(domain=list(SEVERITY_ORDER), range=list(SEVERITY_COLORS))
        .sort(list(SEVERITY_ORDER))
        .title("severity")
    )


def _stack_order() -> alt.Order:
    # immediate at the baseline, low outermost
    return alt.Order("severity_rank:Q").sort("ascending")


def _decades(top: float | None) -> list[float]:
    """Ticks 0, 1, 10, 100, ... up to the first power of ten at or above ``top``; readable
    on a symlog axis, where Vega's own ticks crowd together at the high end.

    >>> _decades(4823.0)
    [0, 1, 10, 100, 1000, 10000]
    """
    ticks: list[float] = [0, 1]
    while top is not None and ticks[-1] < top:
        ticks.append(ticks[-1] * 10)
    return ticks


def alerts_over_time(alerts: Frame, *, every: str = "1d") -> alt.Chart:
    """Alerts created per time bucket, stacked by severity.

    Parameters
    ----------
    alerts
        Frame or LazyFrame with ``created_at`` and ``severity`` (ALERT_SCHEMA).
    every
        Bucket width as a polars duration (``"1h"``, ``"1d"``, ``"1w"``, ``"1mo"``); buckets
        start at ``created_at.dt.truncate(every)`` in UTC. At most 2,000 (bucket, severity)
        rows are charted: a longer span needs a coarser ``every``.

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> import polars as pl
    >>> alerts = pl.DataFrame({
    ...     "created_at": [datetime(2026, 1, 5, 9, tzinfo=UTC), datetime(2026, 1, 5, 17, tzinfo=UTC)],
    ...     "severity": ["high", "high"],
    ... })
    >>> spec = alerts_over_time(alerts).to_dict()
    >>> spec["datasets"][spec["data"]["name"]]
    [{'start': '2026-01-05T00:00:00Z', 'end': '2026-01-06T00:00:00Z', 'severity': 'high', 'severity_rank': 1, 'alerts': 2}]
    """  # noqa: E501
    data = agg.counts_over_time(alerts, every)
    per = every_label(every)
    title = f"Alerts per {per} by severity"
    if data.is_empty():
        return no_data(title)
    chart: alt.Chart = (
        alt.Chart(data, title=title)
        # With x and x2 both set, Vega-Lite guesses a horizontal bar and stops stacking y.
        .mark_bar(orient="vertical", stroke="white", strokeWidth=0.5)
        .encode(
            x=alt.X("start:T")
            .scale(type="utc")
            .axis(time_axis(data["start"].min(), data["end"].max()))  # type: ignore[arg-type]
            .title("created_at (UTC)"),
            x2="end:T",
            y=alt.Y("alerts:Q").stack("zero").axis(tickMinStep=1).title(f"alerts per {per}"),
            color=severity_color(),
            order=_stack_order(),
            tooltip=[
                alt.Tooltip("start:N", title="from (UTC)"),
                alt.Tooltip("end:N", title="to (UTC)"),
                alt.Tooltip("severity:N"),
                alt.Tooltip("alerts:Q"),
            ],
        )
        .properties(width=WIDTH, height=240)
    )
    return chart


def alerts_by_rule(
    alerts: Frame,
    *,
    by: Literal["rule", "engine_rule"] = "rule",
    select: bool = False,
) -> alt.Chart:
    """Alert counts per trigger (or engine rule), one bar each stacked by severity, busiest
    first.

    Parameters
    ----------
    alerts
        Frame or LazyFrame with ``by`` and ``severity`` columns (ALERT_SCHEMA).
    by
        ``"rule"`` (the trigger id, e.g. ``take_profit_partial``) or ``"engine_rule"``.
    select
        Add a point selection named ``"pick"`` on (``by``, severity): clicking a bar segment
        selects it (shift-click adds), unselected segments fade. Wrapped in
        :func:`interactive_chart`, ``jchart.selections.pick.value`` is then a list of
        ``{by: ..., "severity": ...}`` dicts, empty when nothing is picked.

    Examples
    --------
    >>> import polars as pl
    >>> alerts = pl.DataFrame({"rule": ["a", "b", "b"], "severity": ["high", "low", "high"]})
    >>> spec = alerts_by_rule(alerts, select=True).to_dict()
    >>> spec["encoding"]["y"]["sort"], spec["params"][0]["name"]
    (['b', 'a'], 'pick')
    """
    data, order = agg.counts_by_rule(alerts, by)
    name = AXIS_TITLES[by]
    title = f"Alerts by {name} and severity"
    if data.is_empty():
        return no_data(title)
    chart: alt.Chart = (
        alt.Chart(data, title=title)
        .mark_bar()
        .encode(
            y=alt.Y(f"{by}:N").sort(order).title(name),
            x=alt.X("alerts:Q").stack("zero").axis(tickMinStep=1).title("alerts"),
            color=severity_color(),
            order=_stack_order(),
            tooltip=[
                alt.Tooltip(f"{by}:N", title=name),
                alt.Tooltip("severity:N"),
                alt.Tooltip("alerts:Q"),
            ],
        )
        .properties(width=WIDTH)
    )
    if select:
        pick = alt.selection_point(name=SELECTION_NAME, fields=[by, "severity"])
        chart = (
            chart.mark_bar(cursor="pointer")
            .add_params(pick)
            .encode(opacity=alt.when(pick).then(alt.value(1.0)).otherwise(alt.value(0.3)))
        )
    return chart


def open_alert_age(
    alerts: Frame, *, now: datetime, edges: Sequence[timedelta] | None = None
) -> alt.Chart:
    """How long the alerts open at ``now`` have been open, per trigger, in age bands.

    Parameters
    ----------
    alerts
        Frame or LazyFrame with ``rule``, ``created_at`` and ``resolved_at`` (ALERT_SCHEMA).
    now
        The instant to measure at (required: nothing reads the clock). An alert is open at
        ``now`` if created by then and not resolved or dismissed by then.
    edges
        Increasing band edges, e.g. :data:`DEFAULT_AGE_EDGES` (``< 1h, 1h-4h, 4h-1d, 1d-3d,
        3d-7d, 7d+``). By default they are picked from the open alerts' ages
        (:func:`~alertkit.charts._aggregate.auto_age_edges`), so the bars spread over bands
        instead of all landing in the last one.

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> import polars as pl
    >>> alerts = pl.DataFrame({
    ...     "rule": ["gamma_risk"],
    ...     "created_at": [datetime(2026, 1, 5, 9, tzinfo=UTC)],
    ...     "resolved_at": [None],
    ... })
    >>> spec = open_alert_age(alerts, now=datetime(2026, 1, 5, 12, tzinfo=UTC)).to_dict()
    >>> spec["datasets"][spec["data"]["name"]]
    [{'rule': 'gamma_risk', 'age': '< 4h', 'band': 0, 'alerts': 1}]
    """
    if edges is None:
        edges = agg.auto_age_edges(alerts, now)
    data, order = agg.open_ages(alerts, now, edges)
    labels = agg.age_band_labels(edges)
    stamp = to_utc(now, "now").strftime("%Y-%m-%d %H:%M UTC")
    title = f"Open alerts by age at {stamp}"
    if data.is_empty():
        return no_data(title, "no open alerts")
    chart: alt.Chart = (
        alt.Chart(data, title=title)
        .mark_bar()
        .encode(
            y=alt.Y("rule:N").sort(order).title("trigger"),
            x=alt.X("alerts:Q").stack("zero").axis(tickMinStep=1).title("open alerts"),
            color=alt.Color("age:O").scale(domain=labels, scheme="orangered").title("open for"),
            order=alt.Order("band:Q").sort("ascending"),
            tooltip=[
                alt.Tooltip("rule:N", title="trigger"),
                alt.Tooltip("age:O"),
                alt.Tooltip("alerts:Q"),
            ],
        )
        .properties(width=WIDTH)
    )
    return chart


def response_times(alerts: Frame, *, unit: DurationUnit = "hours") -> alt.Chart:
    """Median and p90 time to acknowledge and to resolve, per trigger.

    Each trigger has one bar per metric: the pale bar reaches the p90, the solid bar in front
    of it the median. Time to resolve counts ``resolved`` alerts only (not dismissed ones).
    The height is bounded (:func:`response_height`): bars get thinner as triggers get more.

    Parameters
    ----------
    alerts
        Frame or LazyFrame with ``rule``, ``status``, ``created_at``, ``acknowledged_at`` and
        ``resolved_at`` (ALERT_SCHEMA).
    unit
        ``"minutes"``, ``"hours"`` or ``"days"``.

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> import polars as pl
    >>> t = datetime(2026, 1, 5, 9, tzinfo=UTC)
    >>> alerts = pl.DataFrame({
    ...     "rule": ["gamma_risk"], "status": ["resolved"], "created_at": [t],
    ...     "acknowledged_at": [t.replace(hour=10)], "resolved_at": [t.replace(hour=12)],
    ... })
    >>> spec = response_times(alerts).to_dict()
    >>> [(r["metric"], r["stat"], r["duration"]) for r in spec["datasets"][spec["data"]["name"]]]
    [('acknowledge', 'p90', 1.0), ('acknowledge', 'median', 1.0), ('resolve', 'p90', 3.0), ('resolve', 'median', 3.0)]
    """  # noqa: E501
    data = agg.response_stats(alerts, unit)
    title = "Time to acknowledge and to resolve (median, p90)"
    if data.is_empty():
        return no_data(title, "no acknowledged or resolved alerts")
    rules = sorted({str(r) for r in data["rule"].drop_nulls()})
    chart: alt.Chart = (
        alt.Chart(data, title=title)
        .mark_bar()
        .encode(
            y=alt.Y("rule:N").sort(rules).title("trigger"),
            yOffset=alt.YOffset("metric:N").sort(list(agg.METRICS)),
            # One slow rule (time_exit waits for expiry) would flatten every other bar on a
            # linear axis; symlog keeps small and large times readable and zero at zero.
            x=alt.X("duration:Q")
            .stack(None)
            .scale(type="symlog")
            .axis(alt.Axis(values=_decades(data["duration"].max()), labelOverlap="greedy"))  # type: ignore[arg-type]
            .title(f"{unit} (symlog scale)"),
            color=alt.Color("metric:N")
            .scale(domain=list(agg.METRICS), range=list(METRIC_COLORS))
            .title("time to"),
            opacity=alt.Opacity("stat:N")
            .scale(domain=["median", "p90"], range=[1.0, 0.35])
            .title("statistic"),
            order=alt.Order("stat_order:Q").sort("ascending"),
            tooltip=[
                alt.Tooltip("rule:N", title="trigger"),
                alt.Tooltip("metric:N", title="time to"),
                alt.Tooltip("stat:N"),
                alt.Tooltip("duration:Q", format=".2f", title=unit),
                alt.Tooltip("alerts:Q", title="alerts measured"),
            ],
        )
        .properties(width=WIDTH, height=response_height(len(rules)))
    )
    return chart


RESPONSE_ROW: Final = 24
RESPONSE_HEIGHT: Final = (96, 432)


def response_height(triggers: int) -> int:
    """The plot height of :func:`response_times` for ``triggers`` rows: :data:`RESPONSE_ROW`
    px a row (two bars), within :data:`RESPONSE_HEIGHT` (the default step of 20 px per bar
    made 19 triggers about 800 px, and more triggers taller still).

    >>> response_height(2), response_height(12), response_height(40)
    (96, 288, 432)
    """
    low, high = RESPONSE_HEIGHT
    return max(low, min(high, RESPONSE_ROW * triggers))
