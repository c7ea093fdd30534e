"""Altair charts of alerts and backtests, aggregated in polars first.

Every function takes polars frames or LazyFrames, aggregates them in polars and embeds only
the aggregate (at most 2,000 rows, a few hundred KB at most, for any number of alerts), so
there is no ``MaxRowsError`` and no multi-megabyte notebook output. Instants are embedded as
ISO-8601 UTC strings and drawn on UTC scales; rows come in a stable order, so the same input
gives the same ``chart.to_dict()``.

Board charts (alerts frames with ALERT_SCHEMA columns) return ``alt.Chart``:
:func:`alerts_over_time`, :func:`alerts_by_rule`, :func:`open_alert_age`,
:func:`response_times`. Backtest charts: :func:`position_pnl` (``alt.LayerChart``: a line and
alert points) and :func:`sweep_chart` (``alt.VConcatChart``: counts above benefit), and
:func:`notifications_per_day_chart` (``alt.LayerChart``: a notification dry run's bars per day
and handler, beside the alerts opened), and :func:`frontier_chart` (``alt.LayerChart``: the
fatigue frontier of a threshold sweep, its Pareto-efficient settings joined).

In JupyterLab without internet, call :func:`enable_offline_rendering` once (static SVG, the
default, or ``"interactive"`` widgets), or wrap one chart with :func:`interactive_chart` to
read its selections from Python.

Examples
--------
>>> from datetime import UTC, datetime
>>> import polars as pl
>>> from alertkit.charts import alerts_by_rule
>>> alerts = pl.DataFrame({"rule": ["gamma_risk"], "severity": ["high"]})
>>> alerts_by_rule(alerts).to_dict()["mark"]
{'type': 'bar'}
"""

from alertkit.charts._aggregate import DEFAULT_AGE_EDGES, MAX_ROWS
from alertkit.charts._backtest import alert_changes, position_pnl, sweep_chart
from alertkit.charts._board import (
    SELECTION_NAME,
    SEVERITY_COLORS,
    alerts_by_rule,
    alerts_over_time,
    open_alert_age,
    response_times,
    severity_color,
)
from alertkit.charts._frontier import frontier_chart
from alertkit.charts._notifications import notifications_per_day_chart
from alertkit.charts._render import enable_offline_rendering, interactive_chart
from alertkit.model.alerts import SEVERITY_ORDER

__all__ = [
    "DEFAULT_AGE_EDGES",
    "MAX_ROWS",
    "SELECTION_NAME",
    "SEVERITY_COLORS",
    "SEVERITY_ORDER",
    "alert_changes",
    "alerts_by_rule",
    "alerts_over_time",
    "enable_offline_rendering",
    "frontier_chart",
    "interactive_chart",
    "notifications_per_day_chart",
    "open_alert_age",
    "position_pnl",
    "response_times",
    "severity_color",
    "sweep_chart",
]
