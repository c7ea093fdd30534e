"""alertkit.charts: specs (marks, encodings, embedded aggregates), size bounds, determinism and
offline rendering, all checked on ``chart.to_dict()`` and renderer output, not pixels."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import altair as alt
import numpy as np
import polars as pl
import pytest

from alertkit.charts import (
    DEFAULT_AGE_EDGES,
    SEVERITY_COLORS,
    SEVERITY_ORDER,
    alert_changes,
    alerts_by_rule,
    alerts_over_time,
    enable_offline_rendering,
    interactive_chart,
    open_alert_age,
    position_pnl,
    response_times,
    sweep_chart,
)
from alertkit.charts._render import SVG_WIDTH, fixed_width, round_svg_coordinates
from alertkit.model.errors import ValidationError
from alertkit.model.schema import ALERT_SCHEMA

T = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # a Monday
H = timedelta(hours=1)
D = timedelta(days=1)

# rule, engine_rule, severity, status, created_at, acknowledged_at, resolved_at
ROWS: list[tuple[str, str, str, str, datetime, datetime | None, datetime | None]] = [
    ("take_profit_partial", "take_profit", "normal", "resolved", T, T + H / 2, T + 2 * H),
    ("take_profit_partial", "take_profit", "normal", "active", T + D, None, None),
    ("take_profit_partial", "take_profit", "high", "acknowledged", T + D + 3 * H, T + D + 4 * H, None),  # noqa: E501
    ("stop_loss_hard", "stop_loss", "immediate", "resolved", T, T + H / 6, T + H),
    ("stop_loss_hard", "stop_loss", "immediate", "dismissed", T + 2 * D, None, T + 2 * D + 5 * H),
    ("gamma_risk", "gamma_risk", "high", "acknowledged", T + 2 * D + H, T + 2 * D + 2 * H, None),
    ("gamma_risk", "gamma_risk", "low", "active", T - 9.5 * H, None, None),
    ("take_profit_full", "take_profit", "normal", "resolved", T + D, T + D + H, T + D + 4 * H),
]  # fmt: skip


def alerts_frame(rows: list[tuple[Any, ...]] = ROWS) -> pl.DataFrame:
    """The rows as a full ALERT_SCHEMA frame, as ``pl.read_delta`` would return it."""
    records = []
    for i, (rule, engine_rule, severity, status, created, acked, resolved) in enumerate(rows):
        records.append(
            {
                "alert_id": f"a{i}",
                "type": "warning",
                "severity": severity,
                "status": status,
                "title": f"Close position: {rule}",
                "message": "reason",
                "rule": rule,
                "symbol": "SPY",
                "strategy_id": i,
                "metadata": "{}",
                "created_at": created,
                "acknowledged_at": acked,
                "resolved_at": resolved,
                "occurrences": 1,
                "last_seen_at": created,
                "engine_rule": engine_rule,
                "rule_priority": 2.0,
                "revision": 0,
                "history": "[]",
                "created_date": created.date(),
            }
        )
    return pl.DataFrame(records, schema=ALERT_SCHEMA)


def rows_of(spec: dict[str, Any], data: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The embedded rows a (sub)spec's ``data`` names."""
    name = (data or spec)["data"]["name"]
    rows: list[dict[str, Any]] = spec["datasets"][name]
    return rows


@pytest.fixture
def alerts() -> pl.DataFrame:
    return alerts_frame()


@pytest.fixture
def restore_renderer() -> Iterator[None]:
    yield
    alt.renderers.enable("default")


# --- alerts_over_time -------------------------------------------------------------------------


def test_alerts_over_time_spec(alerts: pl.DataFrame) -> None:
    spec = alerts_over_time(alerts).to_dict()
    assert spec["mark"] == {
        "type": "bar",
        "orient": "vertical",
        "stroke": "white",
        "strokeWidth": 0.5,
    }
    enc = spec["encoding"]
    assert enc["x"]["field"] == "start" and enc["x"]["type"] == "temporal"
    assert enc["x"]["scale"] == {"type": "utc"}
    assert enc["x2"] == {"field": "end"}
    assert enc["y"] == {
        "field": "alerts",
        "type": "quantitative",
        "stack": "zero",
        "axis": {"tickMinStep": 1},  # counts: no 0.5 ticks
        "title": "alerts per day",
    }
    assert enc["x"]["axis"] == {"format": "%d %b", "labelOverlap": "greedy", "labelAngle": 0}
    assert enc["color"]["field"] == "severity"
    assert enc["color"]["scale"] == {"domain": list(SEVERITY_ORDER), "range": list(SEVERITY_COLORS)}
    assert enc["order"] == {"field": "severity_rank", "type": "quantitative", "sort": "ascending"}
    rows = rows_of(spec)
    assert rows[0] == {
        "start": "2026-01-04T00:00:00Z",
        "end": "2026-01-05T00:00:00Z",
        "severity": "low",
        "severity_rank": 3,
        "alerts": 1,
    }
    assert [(r["start"][:10], r["end"][:10], r["severity"], r["alerts"]) for r in rows] == [
        ("2026-01-04", "2026-01-05", "low", 1),
        ("2026-01-05", "2026-01-06", "immediate", 1),
        ("2026-01-05", "2026-01-06", "normal", 1),
        ("2026-01-06", "2026-01-07", "high", 1),
        ("2026-01-06", "2026-01-07", "normal", 2),
        ("2026-01-07", "2026-01-08", "immediate", 1),
        ("2026-01-07", "2026-01-08", "high", 1),
    ]


def test_alerts_over_time_buckets_follow_every(alerts: pl.DataFrame) -> None:
    rows = rows_of(alerts_over_time(alerts.lazy(), every="12h").to_dict())
    assert [(r["start"][5:16], r["severity"], r["alerts"]) for r in rows] == [
        ("01-04T12:00", "low", 1),
        ("01-05T00:00", "immediate", 1),
        ("01-05T00:00", "normal", 1),
        ("01-06T00:00", "normal", 2),
        ("01-06T12:00", "high", 1),  # created at 12:00 exactly: the later bucket
        ("01-07T00:00", "immediate", 1),
        ("01-07T00:00", "high", 1),
    ]
    assert rows[0]["end"] == "2026-01-05T00:00:00Z"


def test_alerts_over_time_refuses_too_many_buckets() -> None:
    minutes = pl.datetime_range(T, T + 2000 * timedelta(minutes=1), "1m", eager=True)
    alerts = pl.DataFrame({"created_at": minutes, "severity": "low"})
    assert len(rows_of(alerts_over_time(alerts, every="1h").to_dict())) == 34
    with pytest.raises(ValidationError, match=r"2,001 rows .* pass a coarser `every` than '1m'"):
        alerts_over_time(alerts, every="1m")


# --- alerts_by_rule ---------------------------------------------------------------------------


def test_alerts_by_rule_spec(alerts: pl.DataFrame) -> None:
    spec = alerts_by_rule(alerts).to_dict()
    assert spec["mark"] == {"type": "bar"}
    enc = spec["encoding"]
    # busiest first, ties by name
    assert enc["y"] == {
        "field": "rule",
        "type": "nominal",
        "sort": ["take_profit_partial", "gamma_risk", "stop_loss_hard", "take_profit_full"],
        "title": "trigger",
    }
    assert enc["x"]["field"] == "alerts" and enc["x"]["stack"] == "zero"
    assert enc["color"]["field"] == "severity"
    assert "params" not in spec and "opacity" not in enc
    assert rows_of(spec) == [
        {"rule": "gamma_risk", "severity": "high", "alerts": 1, "severity_rank": 1},
        {"rule": "gamma_risk", "severity": "low", "alerts": 1, "severity_rank": 3},
        {"rule": "stop_loss_hard", "severity": "immediate", "alerts": 2, "severity_rank": 0},
        {"rule": "take_profit_full", "severity": "normal", "alerts": 1, "severity_rank": 2},
        {"rule": "take_profit_partial", "severity": "high", "alerts": 1, "severity_rank": 1},
        {"rule": "take_profit_partial", "severity": "normal", "alerts": 2, "severity_rank": 2},
    ]


def test_alerts_by_engine_rule(alerts: pl.DataFrame) -> None:
    spec = alerts_by_rule(alerts, by="engine_rule").to_dict()
    assert spec["encoding"]["y"]["sort"] == ["take_profit", "gamma_risk", "stop_loss"]
    assert [(r["engine_rule"], r["severity"], r["alerts"]) for r in rows_of(spec)] == [
        ("gamma_risk", "high", 1),
        ("gamma_risk", "low", 1),
        ("stop_loss", "immediate", 2),
        ("take_profit", "high", 1),
        ("take_profit", "normal", 3),
    ]


def test_alerts_by_rule_selection(alerts: pl.DataFrame) -> None:
    spec = alerts_by_rule(alerts, select=True).to_dict()
    assert spec["params"] == [
        {"name": "pick", "select": {"type": "point", "fields": ["rule", "severity"]}}
    ]
    assert spec["encoding"]["opacity"] == {
        "condition": [{"param": "pick", "value": 1.0}],
        "value": 0.3,
    }
    assert spec["mark"] == {"type": "bar", "cursor": "pointer"}


def test_selection_contract_seen_from_python(alerts: pl.DataFrame) -> None:
    jchart = interactive_chart(alerts_by_rule(alerts, select=True))
    pick = "pick"  # selections are traits added at run time: reached by name
    assert getattr(jchart.selections, pick).value == []
    seen: list[Any] = []
    jchart.selections.observe(lambda change: seen.append(change["new"].value), ["pick"])
    # What the front end sends when a bar segment is clicked (Vega's point selection signal).
    picked = {"rule": "gamma_risk", "severity": "high"}
    jchart._vl_selections = {"pick": {"value": {"vlPoint": {"or": [picked]}}, "store": []}}
    assert getattr(jchart.selections, pick).value == [picked]
    assert seen == [[picked]]


# --- open_alert_age ---------------------------------------------------------------------------


def test_open_alert_age_spec(alerts: pl.DataFrame) -> None:
    spec = open_alert_age(alerts, now=T + 3 * D, edges=DEFAULT_AGE_EDGES).to_dict()
    assert spec["title"] == "Open alerts by age at 2026-01-08 09:00 UTC"
    enc = spec["encoding"]
    assert enc["y"]["sort"] == ["gamma_risk", "take_profit_partial"]
    assert enc["x"]["field"] == "alerts" and enc["x"]["stack"] == "zero"
    assert enc["color"]["field"] == "age" and enc["color"]["type"] == "ordinal"
    assert enc["color"]["scale"]["domain"] == ["< 1h", "1h-4h", "4h-1d", "1d-3d", "3d-7d", "7d+"]
    assert enc["order"] == {"field": "band", "type": "quantitative", "sort": "ascending"}
    assert rows_of(spec) == [
        {"rule": "gamma_risk", "age": "4h-1d", "band": 2, "alerts": 1},
        {"rule": "gamma_risk", "age": "3d-7d", "band": 4, "alerts": 1},
        {"rule": "take_profit_partial", "age": "1d-3d", "band": 3, "alerts": 2},
    ]


def test_open_alert_age_at_a_past_instant(alerts: pl.DataFrame) -> None:
    # At 12:30 on Jan 6 take_profit_full (resolved 13:00) was still open, the dismissed and
    # the Jan 7 alerts did not exist yet, and the 12:00 alert was 30 minutes old.
    spec = open_alert_age(alerts, now=T + D + 3.5 * H, edges=DEFAULT_AGE_EDGES).to_dict()
    assert [(r["rule"], r["age"], r["alerts"]) for r in rows_of(spec)] == [
        ("gamma_risk", "1d-3d", 1),
        ("take_profit_full", "1h-4h", 1),
        ("take_profit_partial", "< 1h", 1),
        ("take_profit_partial", "1h-4h", 1),
    ]


def test_open_alert_age_picks_bands_that_spread_the_alerts(alerts: pl.DataFrame) -> None:
    # Alerts weeks old: fixed bands put them all in "7d+"; the default bands follow the ages.
    late = T + 40 * D
    fixed = rows_of(open_alert_age(alerts, now=late, edges=DEFAULT_AGE_EDGES).to_dict())
    assert {r["age"] for r in fixed} == {"7d+"}
    spec = open_alert_age(alerts, now=late).to_dict()
    assert spec["encoding"]["color"]["scale"]["domain"] == ["< 60d", "60d+"]
    assert spec["encoding"]["color"]["title"] == "open for"
    assert {r["age"] for r in rows_of(spec)} == {"< 60d"}
    fresh = rows_of(open_alert_age(alerts, now=T + 3 * D).to_dict())
    assert {r["age"] for r in fresh} == {"< 3d", "3d-7d"}


def test_open_alert_age_band_edges_are_lower_inclusive(alerts: pl.DataFrame) -> None:
    spec = open_alert_age(alerts, now=T + D + 4 * H, edges=[H, 2 * D]).to_dict()
    assert spec["encoding"]["color"]["scale"]["domain"] == ["< 1h", "1h-2d", "2d+"]
    # the 12:00 alert is exactly 1h old at 13:00: it falls in "1h-2d"
    assert [(r["rule"], r["age"], r["alerts"]) for r in rows_of(spec)] == [
        ("gamma_risk", "1h-2d", 1),
        ("take_profit_partial", "1h-2d", 2),
    ]


def test_open_alert_age_needs_increasing_edges(alerts: pl.DataFrame) -> None:
    with pytest.raises(ValidationError, match="edges: expected increasing"):
        open_alert_age(alerts, now=T, edges=[D, H])


# --- response_times ---------------------------------------------------------------------------


def test_response_times_spec(alerts: pl.DataFrame) -> None:
    spec = response_times(alerts).to_dict()
    assert spec["mark"] == {"type": "bar"}
    enc = spec["encoding"]
    assert enc["y"]["sort"] == [
        "gamma_risk",
        "stop_loss_hard",
        "take_profit_full",
        "take_profit_partial",
    ]
    assert enc["yOffset"] == {
        "field": "metric",
        "type": "nominal",
        "sort": ["acknowledge", "resolve"],
    }
    assert enc["x"] == {
        "field": "duration",
        "type": "quantitative",
        "stack": None,
        "scale": {"type": "symlog"},  # one slow rule does not flatten the others
        "axis": {"values": [0, 1, 10], "labelOverlap": "greedy"},  # decades up to the max
        "title": "hours (symlog scale)",
    }
    assert enc["opacity"]["field"] == "stat"
    assert enc["order"]["field"] == "stat_order"
    got = [(r["rule"], r["metric"], r["stat"], r["duration"], r["alerts"]) for r in rows_of(spec)]
    assert got == [
        ("gamma_risk", "acknowledge", "p90", 1.0, 1),
        ("gamma_risk", "acknowledge", "median", 1.0, 1),
        ("stop_loss_hard", "acknowledge", "p90", 0.1667, 1),  # 10 minutes, to 0.36 s
        ("stop_loss_hard", "acknowledge", "median", 0.1667, 1),
        ("stop_loss_hard", "resolve", "p90", 1.0, 1),  # the dismissed one is not counted
        ("stop_loss_hard", "resolve", "median", 1.0, 1),
        ("take_profit_full", "acknowledge", "p90", 1.0, 1),
        ("take_profit_full", "acknowledge", "median", 1.0, 1),
        ("take_profit_full", "resolve", "p90", 4.0, 1),
        ("take_profit_full", "resolve", "median", 4.0, 1),
        ("take_profit_partial", "acknowledge", "p90", 0.95, 2),
        ("take_profit_partial", "acknowledge", "median", 0.75, 2),
        ("take_profit_partial", "resolve", "p90", 2.0, 1),
        ("take_profit_partial", "resolve", "median", 2.0, 1),
    ]


def test_response_times_in_minutes(alerts: pl.DataFrame) -> None:
    spec = response_times(alerts, unit="minutes").to_dict()
    assert spec["encoding"]["x"]["title"] == "minutes (symlog scale)"
    assert rows_of(spec)[2]["duration"] == 10.0


# --- position_pnl -----------------------------------------------------------------------------


def history_frame(n: int, strategy_id: int = 7) -> pl.DataFrame:
    as_of = pl.datetime_range(T, T + (n - 1) * H, "1h", eager=True, time_zone="UTC")
    pnl = np.sin(np.arange(n) / 7.0) * 100.0
    return pl.DataFrame(
        {
            "as_of": as_of,
            "strategy_id": [strategy_id] * n,
            "unrealized_pnl": pnl,
            "upl_pct": pnl / 1000.0,
        }
    )


def test_position_pnl_spec() -> None:
    history = pl.concat(
        [
            pl.DataFrame(
                {
                    "as_of": [T + i * H for i in range(4)],
                    "strategy_id": [7] * 4,
                    "unrealized_pnl": [0.0, -50.0, 25.0, 120.0],
                    "upl_pct": [0.0, -0.25, 0.125, 0.6],
                }
            ),
            history_frame(3, strategy_id=8),
        ]
    ).sample(fraction=1.0, shuffle=True, seed=3)
    alerts = alerts_frame(
        [
            ("take_profit_partial", "take_profit", "normal", "active", T + 3 * H, None, None),
            ("stop_loss_hard", "stop_loss", "high", "resolved", T + 70 * H / 60, None, T + 2 * H),
        ]
    ).with_columns(strategy_id=pl.lit(7, pl.Int64))
    spec = position_pnl(history, alerts, 7, value="upl_pct").to_dict()
    line, points = spec["layer"]
    assert line["mark"]["type"] == "line" and points["mark"]["type"] == "point"
    assert line["encoding"]["x"]["field"] == "as_of" and line["encoding"]["x"]["type"] == "temporal"
    assert line["encoding"]["y"]["field"] == "upl_pct"
    assert line["encoding"]["y"]["axis"]["format"] == ".0%"
    assert points["encoding"]["x"]["field"] == "created_at"
    assert points["encoding"]["color"]["field"] == "severity"
    assert rows_of(spec, line) == [
        {"as_of": "2026-01-05T09:00:00Z", "upl_pct": 0.0},
        {"as_of": "2026-01-05T10:00:00Z", "upl_pct": -0.25},
        {"as_of": "2026-01-05T11:00:00Z", "upl_pct": 0.125},
        {"as_of": "2026-01-05T12:00:00Z", "upl_pct": 0.6},
    ]
    # the 10:10 alert sits on the nearest point of the path (10:00)
    marks = rows_of(spec, points)
    assert marks[0] == {
        "created_at": "2026-01-05T10:10:00Z",
        "upl_pct": -0.25,
        "rule": "stop_loss_hard",
        "severity": "high",
        "severity_rank": 1,
    }
    assert [(m["created_at"][11:16], m["upl_pct"], m["rule"]) for m in marks] == [
        ("10:10", -0.25, "stop_loss_hard"),
        ("12:00", 0.6, "take_profit_partial"),
    ]


def test_position_pnl_downsamples_keeping_extremes_and_alert_instants() -> None:
    n = 10_000
    history = history_frame(n)
    at = [T + 1234 * H, T + 5555 * H]
    alerts = pl.DataFrame(
        {"created_at": at, "strategy_id": [7, 7], "rule": ["r1", "r2"], "severity": ["low", "high"]}
    )
    spec = position_pnl(history.lazy(), alerts, 7, max_points=100).to_dict()
    line, points = spec["layer"]
    path = rows_of(spec, line)
    assert len(path) <= 100 + 2
    stamps = [r["as_of"] for r in path]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
    assert stamps[0] == "2026-01-05T09:00:00Z"
    assert stamps[-1] == (T + (n - 1) * H).strftime("%Y-%m-%dT%H:%M:%SZ")
    for t in at:
        assert t.strftime("%Y-%m-%dT%H:%M:%SZ") in stamps
    values = [r["unrealized_pnl"] for r in path]
    assert min(values) == history["unrealized_pnl"].round(2).min()  # charted to the cent
    assert max(values) == history["unrealized_pnl"].round(2).max()
    assert [r["rule"] for r in rows_of(spec, points)] == ["r1", "r2"]


def test_position_pnl_without_alerts_and_unknown_position() -> None:
    spec = position_pnl(history_frame(5), None, 7).to_dict()
    assert rows_of(spec, spec["layer"][1]) == []
    with pytest.raises(ValidationError, match="no rows with unrealized_pnl for strategy_id 9"):
        position_pnl(history_frame(5), None, 9)


# --- sweep_chart ------------------------------------------------------------------------------


def sweep_frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "rule": ["take_profit"] * 3 + ["stop_loss"],
            "parameter": ["threshold"] * 4,
            "value": [0.8, 0.5, 0.65, -2.0],
            "alerts": [25, 40, 31, 9],
            "repeats": [4, 10, 6, 1],
            "positions": [22, 30, 27, 9],
            "mean_benefit_usd": [18.0, 12.5, 15.0, 3.0],
            "median_benefit_usd": [15.0, 10.0, 14.0, 2.0],
        }
    )


def test_sweep_chart_spec() -> None:
    spec = sweep_chart(sweep_frame(), rule="take_profit").to_dict()
    assert spec["title"] == "Sweep of take_profit: threshold"
    assert spec["resolve"] == {"scale": {"x": "shared", "y": "independent", "color": "independent"}}
    top, middle, bottom = spec["vconcat"]
    for panel in (top, middle, bottom):
        assert panel["mark"] == {"type": "line", "point": True}
        assert panel["encoding"]["x"]["field"] == "value"
        assert panel["encoding"]["x"]["title"] == "take_profit.threshold"
        assert panel["width"] == "container"
    assert top["encoding"]["y"]["field"] == "count"
    assert top["encoding"]["y"]["title"] == "alerts, positions"
    assert middle["encoding"]["y"]["title"] == "suppressed repeats"
    assert bottom["encoding"]["y"]["field"] == "benefit"
    assert bottom["encoding"]["y"]["title"] == "benefit of acting (USD per alert)"
    assert bottom["encoding"]["y"]["axis"] == {"format": "$,.0f"}
    assert [(r["measure"], r["value"], r["count"]) for r in rows_of(spec, top)] == [
        ("alerts", 0.5, 40),
        ("alerts", 0.65, 31),
        ("alerts", 0.8, 25),
        ("positions", 0.5, 30),
        ("positions", 0.65, 27),
        ("positions", 0.8, 22),
    ]
    # Thousands of repeats next to hundreds of alerts: a scale of their own.
    assert [(r["measure"], r["value"], r["count"]) for r in rows_of(spec, middle)] == [
        ("repeats", 0.5, 10),
        ("repeats", 0.65, 6),
        ("repeats", 0.8, 4),
    ]
    assert [(r["measure"], r["value"], r["benefit"]) for r in rows_of(spec, bottom)] == [
        ("mean_benefit_usd", 0.5, 12.5),
        ("mean_benefit_usd", 0.65, 15.0),
        ("mean_benefit_usd", 0.8, 18.0),
        ("median_benefit_usd", 0.5, 10.0),
        ("median_benefit_usd", 0.65, 14.0),
        ("median_benefit_usd", 0.8, 15.0),
    ]


def test_sweep_chart_needs_one_pair() -> None:
    with pytest.raises(ValidationError, match=r"found 2 \(stop_loss.threshold, take_profit"):
        sweep_chart(sweep_frame())
    with pytest.raises(ValidationError, match=r"found 0 \(none\)"):
        sweep_chart(sweep_frame(), rule="gamma_risk")


def test_missing_columns_are_named(alerts: pl.DataFrame) -> None:
    with pytest.raises(ValidationError, match=r"alerts: missing column\(s\) severity"):
        alerts_over_time(alerts.drop("severity"))


# --- scale and determinism --------------------------------------------------------------------


def million_alerts(n: int = 1_000_000) -> pl.DataFrame:
    rng = np.random.default_rng(5)
    start = int(T.timestamp() * 1e6)
    created = start + rng.integers(0, 90 * 86_400 * 10**6, n)
    status = rng.choice(np.array(["active", "acknowledged", "resolved", "dismissed"]), n)
    ack = created + rng.integers(60, 86_400, n) * 10**6
    done = created + rng.integers(3_600, 7 * 86_400, n) * 10**6
    rules = np.array([f"rule_{i:02d}" for i in range(20)])
    ts = pl.Datetime("us", "UTC")
    return pl.DataFrame(
        {
            "rule": rules[rng.integers(0, 20, n)],
            "severity": np.array(SEVERITY_ORDER)[rng.integers(0, 4, n)],
            "status": status,
            "created_at": pl.Series(created).cast(ts),
            "acknowledged_at": pl.Series(ack).cast(ts),
            "resolved_at": pl.Series(done).cast(ts),
        }
    ).with_columns(
        acknowledged_at=pl.when(pl.col("status") != "active").then("acknowledged_at"),
        resolved_at=pl.when(pl.col("status").is_in(["resolved", "dismissed"])).then("resolved_at"),
    )


@pytest.mark.slow
def test_a_million_alerts_embed_small_aggregates() -> None:
    big = million_alerts()
    started = time.perf_counter()
    charts = [
        alerts_over_time(big),
        alerts_over_time(big, every="6h"),
        alerts_by_rule(big, select=True),
        open_alert_age(big, now=T + 91 * D),
        response_times(big),
    ]
    for chart in charts:
        spec = chart.to_dict()  # MaxRowsError would be raised here
        rows = sum(len(v) for v in spec["datasets"].values())
        assert rows < 2_000
        assert len(json.dumps(spec)) < 200_000
    assert time.perf_counter() - started < 10


def test_same_input_same_spec_whatever_the_row_order(alerts: pl.DataFrame) -> None:
    shuffled = alerts.sample(fraction=1.0, shuffle=True, seed=11)
    for make in (
        alerts_over_time,
        alerts_by_rule,
        lambda a: open_alert_age(a, now=T + 3 * D),
        response_times,
    ):
        assert make(alerts).to_dict() == make(shuffled).to_dict()
        assert json.dumps(make(alerts).to_dict()) == json.dumps(make(alerts.lazy()).to_dict())


# --- display precision: no float bits in a chart ---------------------------------------------

LONG_DECIMALS = re.compile(r"\d\.\d{9,}")


def one_ulp_up(frame: pl.DataFrame, *columns: str) -> pl.DataFrame:
    """``frame`` with every float in ``columns`` one ulp higher: what another CPU's exp/log
    kernels make of the same prices."""
    return frame.with_columns(
        pl.Series(c, np.nextafter(frame[c].to_numpy(), np.inf)) for c in columns
    )


def test_chart_data_is_rounded_to_display_precision(alerts: pl.DataFrame) -> None:
    history = pl.DataFrame(
        {
            "as_of": [T, T + H],
            "strategy_id": [7, 7],
            "unrealized_pnl": [12.345678901, -786.246947613],
            "upl_pct": [0.123456789, -0.5],
        }
    )
    spec = position_pnl(history, None, 7).to_dict()
    assert [r["unrealized_pnl"] for r in rows_of(spec, spec["layer"][0])] == [12.35, -786.25]
    spec = position_pnl(history, None, 7, value="upl_pct").to_dict()
    assert [r["upl_pct"] for r in rows_of(spec, spec["layer"][0])] == [0.1235, -0.5]
    sweep = sweep_frame().with_columns(
        value=pl.col("value") + 1e-9, mean_benefit_usd=pl.col("mean_benefit_usd") / 3
    )
    spec = sweep_chart(sweep, rule="take_profit").to_dict()
    top, _, bottom = spec["vconcat"]
    assert [r["value"] for r in rows_of(spec, top)][:3] == [0.5, 0.65, 0.8]
    assert [r["benefit"] for r in rows_of(spec, bottom)][:3] == [4.17, 5.0, 6.0]
    spec = response_times(alerts, unit="days").to_dict()
    assert rows_of(spec)[2]["duration"] == 0.00694  # 10 minutes, to 0.86 s


@pytest.mark.usefixtures("restore_renderer")
def test_svg_is_the_same_whatever_the_last_bits() -> None:
    enable_offline_rendering("svg")
    history = history_frame(300)
    sweep = sweep_frame().with_columns(pl.col("mean_benefit_usd", "median_benefit_usd") / 7)
    for make, data, columns in (
        (lambda h: position_pnl(h, None, 7), history, ("unrealized_pnl",)),
        (lambda h: position_pnl(h, None, 7, value="upl_pct"), history, ("upl_pct",)),
        (
            lambda s: sweep_chart(s, rule="take_profit"),
            sweep,
            ("mean_benefit_usd", "median_benefit_usd"),
        ),
    ):
        svg = bundle(make(data))["image/svg+xml"]
        assert bundle(make(one_ulp_up(data, *columns)))["image/svg+xml"] == svg
        assert not LONG_DECIMALS.search(svg)
        geometry = re.findall(r'\s(?:d|transform|x2|y2)="([^"]*)"', svg)
        assert geometry and all(len(d) <= 2 for g in geometry for d in re.findall(r"\.(\d+)", g))


def test_round_svg_coordinates_keeps_paths_readable() -> None:
    # "2.999.5" is two numbers (2.999 and .5); rounded, they must not read as 30.5.
    assert round_svg_coordinates('<path d="M2.999.5L-0.0001,3"/>') == '<path d="M3.00.5L0,3"/>'
    # colours, text and labels are not geometry
    svg = '<path fill="#1e5f7a" aria-label="x: 0.12345"/><text x="1.005">0.123456</text>'
    assert round_svg_coordinates(svg) == svg.replace('x="1.005"', 'x="1"')


# --- offline rendering ------------------------------------------------------------------------


def bundle(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """What Jupyter receives to display ``chart`` with the active renderer."""
    out = chart._repr_mimebundle_()
    data = out[0] if isinstance(out, tuple) else out
    assert isinstance(data, dict)
    return data


def urls(text: str) -> set[str]:
    return set(re.findall(r"https?://[^\s\"'<>)]+", text))


@pytest.mark.usefixtures("restore_renderer")
def test_svg_mode_is_static_offline_and_deterministic(alerts: pl.DataFrame) -> None:
    enable_offline_rendering("svg")
    by_rule = alerts_by_rule(alerts)
    first = bundle(by_rule)
    assert set(first) == {"image/svg+xml"}
    svg = first["image/svg+xml"]
    assert "<script" not in svg
    assert urls(svg) <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
    assert svg.count('class="mark-rect') == 1 and svg.count("<path") >= 6  # six bar segments
    bundle(alerts_over_time(alerts))  # another chart in between
    assert bundle(by_rule) == first
    for chart in (
        position_pnl(history_frame(50), None, 7),
        sweep_chart(sweep_frame(), rule="stop_loss"),
    ):
        assert "image/svg+xml" in bundle(chart)


@pytest.mark.usefixtures("restore_renderer")
def test_interactive_mode_loads_no_javascript_from_the_network(alerts: pl.DataFrame) -> None:
    enable_offline_rendering("interactive")
    data = bundle(alerts_by_rule(alerts, select=True))
    assert "application/vnd.jupyter.widget-view+json" in data
    assert "text/html" not in data
    esm = alt.JupyterChart._esm
    assert len(esm) > 500_000  # Vega, Vega-Lite and vega-embed bundled in
    assert not re.search(r"""(?:\bfrom|\bimport)\s*\(?\s*["']https?://""", esm)
    assert not {u for u in urls(esm) if re.search(r"esm\.sh|jsdelivr|unpkg|cdn", u)}
    jchart = interactive_chart(sweep_chart(sweep_frame(), rule="take_profit"))
    assert jchart.embed_options == {"renderer": "svg", "actions": False}
    # width="container" needs a block to fill: vega-embed's inline block would collapse it.
    assert ".vega-embed { display: block; width: 100%; }" in jchart._css


def test_unknown_mode_is_refused() -> None:
    with pytest.raises(ValidationError, match="mode: expected 'svg' or 'interactive'"):
        enable_offline_rendering("html")  # type: ignore[arg-type]


# --- issue 13: every chart fits its container, says "no alerts", has units ----------------


def empty_alerts() -> pl.DataFrame:
    return pl.DataFrame(schema=ALERT_SCHEMA)


@pytest.mark.parametrize(
    ("draw", "text"),
    [
        (lambda a: alerts_over_time(a), "no alerts"),
        (lambda a: alerts_by_rule(a, select=True), "no alerts"),
        (lambda a: open_alert_age(a, now=T), "no open alerts"),
        (lambda a: response_times(a), "no acknowledged or resolved alerts"),
        (
            lambda a: alert_changes(a.select("rule").with_columns(change=pl.lit("same"))),
            "no alerts",
        ),
    ],
)
def test_an_empty_chart_says_so(draw: Any, text: str) -> None:
    spec = draw(empty_alerts()).to_dict()
    assert spec["mark"]["type"] == "text"
    assert rows_of(spec) == [{"text": text}]
    assert "x" not in spec["encoding"] and "y" not in spec["encoding"]  # no empty axes


def test_every_chart_takes_the_containers_width(alerts: pl.DataFrame) -> None:
    history = history_frame(50)
    charts = [
        alerts_over_time(alerts),
        alerts_by_rule(alerts),
        open_alert_age(alerts, now=T + 3 * D),
        response_times(alerts),
        position_pnl(history, None, 7),
        alert_changes(alerts.select("rule").with_columns(change=pl.lit("same"))),
    ]
    for chart in charts:
        assert chart.to_dict()["width"] == "container"
    for panel in sweep_chart(sweep_frame(), rule="take_profit").to_dict()["vconcat"]:
        assert panel["width"] == "container"
    # Drawn as SVG there is no container: a fixed width stands in.
    assert fixed_width(charts[0].to_dict())["width"] == SVG_WIDTH


def test_time_axes_name_the_year_and_do_not_overlap(alerts: pl.DataFrame) -> None:
    two_years = alerts.with_columns(
        pl.when(pl.col("rule") == "gamma_risk")
        .then(pl.col("created_at") - timedelta(days=400))
        .otherwise(pl.col("created_at"))
    )
    axis = alerts_over_time(two_years, every="1mo").to_dict()["encoding"]["x"]["axis"]
    assert axis == {"format": "%b %Y", "labelOverlap": "greedy", "labelAngle": 0}
    line, _ = position_pnl(history_frame(50), None, 7).to_dict()["layer"]
    assert line["encoding"]["x"]["axis"]["labelOverlap"] == "greedy"


def test_pnl_markers_name_the_rule(alerts: pl.DataFrame) -> None:
    history = history_frame(50)
    marks = pl.DataFrame(
        {
            "created_at": [T + H],
            "strategy_id": [7],
            "rule": ["take_profit_partial"],
            "severity": ["normal"],
        }
    )
    _, points = position_pnl(history, marks, 7).to_dict()["layer"]
    assert points["encoding"]["shape"] == {"field": "rule", "type": "nominal", "title": "trigger"}


def test_axes_have_units(alerts: pl.DataFrame) -> None:
    titles = {
        "over_time": alerts_over_time(alerts).to_dict()["encoding"]["y"]["title"],
        "response": response_times(alerts).to_dict()["encoding"]["x"]["title"],
        "age": open_alert_age(alerts, now=T + 3 * D).to_dict()["encoding"]["x"]["title"],
    }
    assert titles == {
        "over_time": "alerts per day",
        "response": "hours (symlog scale)",
        "age": "open alerts",
    }
    line, _ = position_pnl(history_frame(50), None, 7).to_dict()["layer"]
    assert line["encoding"]["y"]["axis"]["title"] == "unrealized_pnl (USD)"
    x = sweep_chart(sweep_frame(), rule="take_profit", x_title="full (upl_pct)").to_dict()
    assert x["vconcat"][0]["encoding"]["x"]["title"] == "full (upl_pct)"
