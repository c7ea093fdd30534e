"""The polars half of the charts: alert, history and sweep frames in, small frames out.

Every function here reads only the columns it needs (so a ``pl.scan_delta`` LazyFrame reads
little), aggregates, and returns at most :data:`MAX_ROWS` rows in a stable order, with
instants as ISO-8601 UTC strings (``2026-01-05T15:00:00Z``) so the chart JSON is the same on
every machine and in every time zone. Nothing here imports altair.

Numbers are rounded to what a chart can show before they are embedded: money to the cent,
fractions to 4 decimals, durations to about a second. The last bits of computed floats depend
on the CPU (numpy runs AVX-512 kernels for ``exp``/``log`` where it can and libm elsewhere), and
those bits would otherwise reach the spec, the tooltips, the SVG coordinates and every notebook
output that records them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Final, Literal

import polars as pl

from alertkit.model._time import to_utc
from alertkit.model.alerts import SEVERITY_ORDER
from alertkit.model.errors import ValidationError
from alertkit.model.lifecycle import is_open_at, time_to_acknowledge_expr, time_to_resolve_expr

Frame = pl.DataFrame | pl.LazyFrame
PnlValue = Literal["unrealized_pnl", "upl_pct"]
DurationUnit = Literal["minutes", "hours", "days"]

MAX_ROWS: Final = 2_000
"""Most rows any chart embeds (altair's own limit is 5,000; this keeps outputs small)."""

METRICS: Final = ("acknowledge", "resolve")
STATS: Final = ("p90", "median")  # drawing order: the longer p90 bar first, median on top
SWEEP_COUNTS: Final = ("alerts", "positions", "repeats")
SWEEP_ALERT_COUNTS: Final = ("alerts", "positions")
"""Drawn together; suppressed repeats (often many times more) get a panel of their own."""
SWEEP_BENEFITS: Final = ("mean_benefit_usd", "median_benefit_usd")
DEFAULT_AGE_EDGES: Final = (
    timedelta(hours=1),
    timedelta(hours=4),
    timedelta(days=1),
    timedelta(days=3),
    timedelta(days=7),
)
AGE_LADDER: Final = tuple(
    timedelta(hours=h) for h in (1, 4, 24, 72, 168, 336, 720, 1440, 2160, 4320, 8760, 17520)
)
"""Band edges :func:`auto_age_edges` picks from: 1h, 4h, 1d, 3d, 7d, 14d, 30d ... 2 years."""
_UNIT_SECONDS: Final = {"minutes": 60.0, "hours": 3600.0, "days": 86400.0}
MONEY_DECIMALS: Final = 2
"""USD amounts are charted to the cent."""
FRACTION_DECIMALS: Final = 4
"""Fractions (upl_pct, thresholds) are charted to 4 decimals, 0.01 %."""
_UNIT_DECIMALS: Final = {"minutes": 2, "hours": 4, "days": 5}  # a second or less in each unit
_PNL_DECIMALS: Final = {"unrealized_pnl": MONEY_DECIMALS, "upl_pct": FRACTION_DECIMALS}
_ISO: Final = "%Y-%m-%dT%H:%M:%SZ"


def _columns(frame: Frame, columns: Sequence[str], what: str) -> pl.LazyFrame:
    """``columns`` of ``frame`` as a LazyFrame, datetimes converted to UTC (naive taken as UTC)."""
    lazy = frame.lazy()
    schema = lazy.collect_schema()
    missing = [c for c in columns if c not in schema]
    if missing:
        raise ValidationError(f"{what}: missing column(s) {', '.join(missing)}")
    exprs = []
    for name in columns:
        dtype = schema[name]
        if isinstance(dtype, pl.Datetime):
            col = pl.col(name)
            utc = (
                col.dt.replace_time_zone("UTC")
                if dtype.time_zone is None
                else col.dt.convert_time_zone("UTC")
            )
            exprs.append(utc.alias(name))
        else:
            exprs.append(pl.col(name))
    return lazy.select(exprs)


def _iso(name: str) -> pl.Expr:
    return pl.col(name).dt.strftime(_ISO)


def _severity_rank() -> pl.Expr:
    return pl.col("severity").replace_strict(
        {s: i for i, s in enumerate(SEVERITY_ORDER)},
        default=len(SEVERITY_ORDER),
        return_dtype=pl.Int64,
    )


def _lower_severity() -> pl.Expr:
    return pl.col("severity").str.to_lowercase()


def _check_size(frame: pl.DataFrame, what: str, hint: str) -> pl.DataFrame:
    if frame.height > MAX_ROWS:
        raise ValidationError(
            f"{what}: {frame.height:,} rows to chart, more than {MAX_ROWS:,}; {hint}"
        )
    return frame


def _ranked(frame: pl.DataFrame, key: str, count: str) -> list[str]:
    """Values of ``key`` by total ``count``, largest first, ties by name."""
    totals = (
        frame.drop_nulls(key)
        .group_by(key)
        .agg(pl.col(count).sum())
        .sort([count, key], descending=[True, False])
    )
    return [str(v) for v in totals[key].to_list()]


def counts_over_time(alerts: Frame, every: str) -> pl.DataFrame:
    """Alerts per ``every`` bucket of created_at and severity.

    Columns: start, end (ISO UTC), severity, severity_rank, alerts.
    """
    bucket = pl.col("created_at").dt.truncate(every)
    out = (
        _columns(alerts, ("created_at", "severity"), "alerts")
        .drop_nulls("created_at")
        .group_by(start=bucket, severity=_lower_severity())
        .agg(alerts=pl.len().cast(pl.Int64))
        .with_columns(end=pl.col("start").dt.offset_by(every), severity_rank=_severity_rank())
        .sort(["start", "severity_rank", "severity"])
        .select(_iso("start"), _iso("end"), "severity", "severity_rank", pl.col("alerts"))
        .collect()
    )
    return _check_size(out, "alerts_over_time", f"pass a coarser `every` than {every!r}")


def counts_by_rule(alerts: Frame, by: str) -> tuple[pl.DataFrame, list[str]]:
    """Alerts per ``by`` (rule or engine_rule) and severity, and the ``by`` values by total.

    Columns: ``by``, severity, severity_rank, alerts.
    """
    out = (
        _columns(alerts, (by, "severity"), "alerts")
        .group_by(pl.col(by), severity=_lower_severity())
        .agg(alerts=pl.len().cast(pl.Int64))
        .with_columns(severity_rank=_severity_rank())
        .sort([by, "severity_rank", "severity"], nulls_last=True)
        .collect()
    )
    _check_size(out, "alerts_by_rule", "filter the alerts first")
    return out, _ranked(out, by, "alerts")


def _duration_label(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def age_band_labels(edges: Sequence[timedelta]) -> list[str]:
    """Labels for the bands the edges cut: ``< 1h``, ``1h-4h``, ..., ``7d+``."""
    names = [_duration_label(e) for e in edges]
    return [f"< {names[0]}"] + [f"{a}-{b}" for a, b in pairwise(names)] + [f"{names[-1]}+"]


def auto_age_edges(alerts: Frame, now: datetime) -> tuple[timedelta, ...]:
    """Age band edges that spread the alerts open at ``now`` over the bands.

    Each quintile of the open alerts' ages is rounded up to the next edge of
    :data:`AGE_LADDER`, so a backtest lake whose alerts are months old gets month bands and
    a live board gets hour bands (fixed bands put every old alert in "7d+").
    """
    now = to_utc(now, "now")
    ages = (
        _columns(alerts, ("created_at", "resolved_at"), "alerts")
        .filter(is_open_at(now))
        .select(age=(pl.lit(now) - pl.col("created_at")).dt.total_seconds())
        .select(pl.col("age").quantile(q, "higher").alias(str(q)) for q in (0.2, 0.4, 0.6, 0.8))
        .collect()
        .row(0)
    )
    edges = sorted(
        {
            next((e for e in AGE_LADDER if e.total_seconds() >= a), AGE_LADDER[-1])
            for a in ages
            if a is not None
        }
    )
    return tuple(edges) or DEFAULT_AGE_EDGES


def open_ages(
    alerts: Frame, now: datetime, edges: Sequence[timedelta]
) -> tuple[pl.DataFrame, list[str]]:
    """Alerts open at ``now`` per rule and age band, and the rules by open count.

    Open at ``now`` means created at or before ``now`` and not resolved or dismissed by then,
    read from the timestamps, so a past ``now`` gives the board as it stood then.
    Columns: rule, age (band label), band (0 = youngest), alerts.
    """
    if not edges or any(b <= a for a, b in pairwise(edges)):
        raise ValidationError(f"edges: expected increasing timedeltas, got {list(edges)!r}")
    now = to_utc(now, "now")
    labels = age_band_labels(edges)
    age = pl.lit(now) - pl.col("created_at")
    band = pl.sum_horizontal([(age >= e).cast(pl.Int64) for e in edges])
    out = (
        _columns(alerts, ("rule", "created_at", "resolved_at"), "alerts")
        .filter(is_open_at(now))
        .group_by("rule", band=band)
        .agg(alerts=pl.len().cast(pl.Int64))
        .with_columns(age=pl.col("band").replace_strict(list(range(len(labels))), labels))
        .sort(["rule", "band"], nulls_last=True)
        .select("rule", "age", "band", "alerts")
        .collect()
    )
    _check_size(out, "open_alert_age", "filter the alerts first")
    return out, _ranked(out, "rule", "alerts")


def response_stats(alerts: Frame, unit: DurationUnit) -> pl.DataFrame:
    """Median and p90 time to acknowledge and to resolve, per rule, in ``unit``.

    Time to acknowledge counts alerts with acknowledged_at; time to resolve counts alerts
    with status ``resolved`` (a dismissal is not a resolution). Columns: rule, metric
    (acknowledge, resolve), stat (p90, median), duration (rounded to a second or less),
    alerts (how many were measured).
    """
    if unit not in _UNIT_SECONDS:
        raise ValidationError(f"unit: expected one of {', '.join(_UNIT_SECONDS)}, got {unit!r}")
    scale = _UNIT_SECONDS[unit] * 1e6
    lazy = _columns(
        alerts, ("rule", "status", "created_at", "acknowledged_at", "resolved_at"), "alerts"
    ).with_columns(pl.col("status").str.to_lowercase())  # frames from elsewhere may shout

    def spans(metric: str, duration: pl.Expr) -> pl.LazyFrame:
        span = duration.dt.total_microseconds() / scale
        return lazy.filter(duration.is_not_null()).select(
            "rule", metric=pl.lit(metric), duration=span
        )

    stats = (
        pl.concat(
            [
                spans("acknowledge", time_to_acknowledge_expr()),
                spans("resolve", time_to_resolve_expr()),
            ]
        )
        .group_by("rule", "metric")
        .agg(
            p90=pl.col("duration").quantile(0.9, "linear"),
            median=pl.col("duration").quantile(0.5, "linear"),
            alerts=pl.len().cast(pl.Int64),
        )
        .unpivot(
            list(STATS),
            index=["rule", "metric", "alerts"],
            variable_name="stat",
            value_name="duration",
        )
        .with_columns(
            pl.col("duration").round(_UNIT_DECIMALS[unit]),
            stat_order=pl.col("stat").replace_strict(list(STATS), [0, 1]),
        )
        .sort(["rule", "metric", "stat_order"], nulls_last=True)
        .select("rule", "metric", "stat", "stat_order", "duration", "alerts")
        .collect()
    )
    return _check_size(stats, "response_times", "filter the alerts first")


def pnl_path(
    history: Frame, alerts: Frame | None, strategy_id: int, value: PnlValue, max_points: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One position's ``value`` over as_of, min-max downsampled, and its alerts on that path.

    The path keeps its first and last points, the lowest and highest point of each of
    ``max_points // 2 - 1`` equal-count stretches, and the point nearest each alert, so
    extremes and alert instants survive. Values are rounded first (USD to the cent, upl_pct
    to 4 decimals), so which point is a stretch's extreme does not hang on float bits.
    Returns (path: as_of, value) and (marks: created_at, value, rule, severity,
    severity_rank), times as ISO UTC strings.
    """
    if value not in ("unrealized_pnl", "upl_pct"):
        raise ValidationError(f"value: expected unrealized_pnl or upl_pct, got {value!r}")
    if not 4 <= max_points <= MAX_ROWS:
        raise ValidationError(f"max_points: expected 4 to {MAX_ROWS:,}, got {max_points:,}")
    path = (
        _columns(history, ("as_of", "strategy_id", value), "history")
        .filter((pl.col("strategy_id") == strategy_id) & pl.col(value).is_not_null())
        .drop_nulls("as_of")
        .sort("as_of", maintain_order=True)
        .select("as_of", pl.col(value).round(_PNL_DECIMALS[value]))
        .collect()
        .with_row_index("i")
    )
    if path.is_empty():
        raise ValidationError(f"history: no rows with {value} for strategy_id {strategy_id}")
    marks = pl.DataFrame(
        schema={"created_at": pl.Datetime("us", "UTC"), "rule": pl.String, "severity": pl.String}
    )
    if alerts is not None:
        marks = (
            _columns(alerts, ("created_at", "strategy_id", "rule", "severity"), "alerts")
            .filter(pl.col("strategy_id") == strategy_id)
            .drop_nulls("created_at")
            .select(
                pl.col("created_at").dt.cast_time_unit("us"), "rule", severity=_lower_severity()
            )
            .collect()
        )
    marks = (
        marks.sort(["created_at", "rule"])
        .join_asof(
            path.with_columns(pl.col("as_of").dt.cast_time_unit("us")),
            left_on="created_at",
            right_on="as_of",
            strategy="nearest",
        )
        .with_columns(severity_rank=_severity_rank())
    )
    n = path.height
    if n > max_points:
        stretch = pl.col("i") * (max_points // 2 - 1) // n
        ordered = pl.col("i").sort_by(value, maintain_order=True)
        extremes = path.group_by(stretch.alias("stretch")).agg(
            lo=ordered.first(), hi=ordered.last()
        )
        keep = pl.concat(
            [
                extremes["lo"],
                extremes["hi"],
                pl.Series([0, n - 1], dtype=extremes["lo"].dtype),
                marks["i"].drop_nulls(),
            ]
        )
        path = path.filter(pl.col("i").is_in(keep.implode()))
    path_out = path.select(_iso("as_of"), value)
    marks_out = marks.select(_iso("created_at"), value, "rule", "severity", "severity_rank")
    _check_size(marks_out, "position_pnl", "filter the alerts first")
    return path_out, marks_out


def sweep_frames(
    sweep: Frame, rule: str | None, parameter: str | None
) -> tuple[pl.DataFrame, pl.DataFrame, str, str]:
    """The count and benefit series of one (rule, parameter) sweep, long form, by value.

    Returns (counts: value, measure, count), (benefits: value, measure, benefit), rule,
    parameter; values rounded to 4 decimals, benefits (USD) to the cent.
    """
    columns: tuple[str, ...] = ("rule", "parameter", "value", *SWEEP_COUNTS, *SWEEP_BENEFITS)
    if "trigger" in sweep.lazy().collect_schema():
        columns = (*columns, "trigger")
    lazy = _columns(sweep, columns, "sweep")
    if rule is not None:
        lazy = lazy.filter(pl.col("rule") == rule)
    if parameter is not None:
        lazy = lazy.filter(pl.col("parameter") == parameter)
    frame = (
        lazy.with_columns(
            pl.col("value").round(FRACTION_DECIMALS),
            pl.col(SWEEP_BENEFITS).round(MONEY_DECIMALS),
        )
        .sort(["rule", "parameter", "value"], nulls_last=True)
        .collect()
    )
    pairs = frame.select("rule", "parameter").unique(maintain_order=True).rows()
    if len(pairs) != 1:
        found = ", ".join(f"{r}.{p}" for r, p in pairs) or "none"
        raise ValidationError(
            f"sweep: expected one (rule, parameter) pair, found {len(pairs)} ({found});"
            " pass rule= and parameter= to pick one"
        )
    (the_rule, the_parameter) = pairs[0]
    if "trigger" in frame.columns and frame["trigger"].n_unique() > 1:
        raise ValidationError(
            "sweep: a sweep by trigger has one row per value and trigger; chart one trigger"
            " (sweep.filter(pl.col('trigger') == ...)) or a sweep without by_trigger"
        )

    def long(measures: Sequence[str], name: str) -> pl.DataFrame:
        return frame.unpivot(
            list(measures), index="value", variable_name="measure", value_name=name
        )

    counts = long(SWEEP_COUNTS, "count")
    benefits = long(SWEEP_BENEFITS, "benefit")
    _check_size(counts, "sweep_chart", "sweep fewer values")
    return counts, benefits, str(the_rule), str(the_parameter)
