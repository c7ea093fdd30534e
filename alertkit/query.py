"""Polars query helpers over the alerts table: expressions and lazy frames, no I/O of their own
beyond the Delta scan.

Examples
--------
>>> import polars as pl
>>> from alertkit.alerts import AlertQuery
>>> str(query_filter(AlertQuery(symbol="SPY", status="active")))  # doctest: +ELLIPSIS
'[([(col("symbol")) == ("SPY")]) & ([(col("status")) == ("active")])]'
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import reduce
from pathlib import Path
from typing import Final

import polars as pl

from alertkit._events import EVENT_TIME_FORMAT_POLARS
from alertkit.alerts import AlertQuery
from alertkit.store import AlertStore, TableVersion

__all__ = [
    "TRANSITION_SCHEMA",
    "query_filter",
    "scan_alerts",
    "scan_transitions",
]

TRANSITION_SCHEMA: Final = pl.Struct(
    {
        "at": pl.String(),
        "action": pl.String(),
        "from": pl.String(),
        "to": pl.String(),
        "by": pl.String(),
        "note": pl.String(),
    }
)


def query_filter(query: AlertQuery) -> pl.Expr:
    """One boolean expression for every field of ``query`` that is not None."""
    parts: list[pl.Expr] = []
    for column in ("symbol", "strategy_id", "status", "type", "severity"):
        value = getattr(query, column)
        if value is not None:
            parts.append(pl.col(column) == (value.value if hasattr(value, "value") else value))
    if query.start_time is not None:
        parts.append(pl.col("created_at") >= query.start_time)
    if query.end_time is not None:
        parts.append(pl.col("created_at") <= query.end_time)
    return reduce(lambda a, b: a & b, parts) if parts else pl.lit(True)


def scan_alerts(
    path: str | Path = "data/lake/alerts",
    *,
    version: TableVersion | None = None,
    storage_options: Mapping[str, str] | None = None,
) -> pl.LazyFrame:
    """The alerts table (current state, or as of ``version``) as a LazyFrame."""
    return AlertStore(path, storage_options).scan(version)


def scan_transitions(alerts: pl.LazyFrame) -> pl.LazyFrame:
    """One row per lifecycle event (create, acknowledge, resolve, dismiss) of each alert.

    Columns: alert_id, rule, symbol, strategy_id, at (UTC), action, from_status, to_status,
    by, note; ordered by alert and time.
    """
    return (
        alerts.select("alert_id", "rule", "symbol", "strategy_id", "history")
        .with_columns(pl.col("history").str.json_decode(pl.List(TRANSITION_SCHEMA)))
        .explode("history")
        .unnest("history")
        .rename({"from": "from_status", "to": "to_status"})
        .with_columns(
            pl.col("at")
            .str.strptime(pl.Datetime("us"), EVENT_TIME_FORMAT_POLARS)
            .dt.replace_time_zone("UTC")
        )
        .sort(["alert_id", "at"], maintain_order=True)
    )
