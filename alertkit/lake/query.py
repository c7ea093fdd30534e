"""Polars query helpers over the alerts table: expressions and lazy frames, no I/O of their own
beyond the Delta scan.

Examples
--------
>>> import polars as pl
>>> from alertkit.model.alerts import AlertQuery
>>> frame = pl.DataFrame({"symbol": ["SPY", "QQQ"], "status": ["active", "active"]})
>>> frame.filter(query_filter(AlertQuery(symbol="spy", status="ACTIVE")))["symbol"].to_list()
['SPY']
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import reduce
from pathlib import Path
from typing import Final

import polars as pl

from alertkit.lake.paths import DEFAULT_LAKE_PATH
from alertkit.lake.store import AlertStore, TableVersion
from alertkit.model._events import EVENT_STRUCT, decode_history_expr, event_time_expr
from alertkit.model.alerts import AlertQuery

__all__ = [
    "TRANSITION_SCHEMA",
    "query_filter",
    "scan_alerts",
    "scan_transitions",
]

TRANSITION_SCHEMA: Final = EVENT_STRUCT
"""One event of the history column (the format is :mod:`alertkit.model._events`')."""


def query_filter(query: AlertQuery) -> pl.Expr:
    """One boolean expression for every field of ``query`` that is not None.

    ``symbol`` matches whatever its case (``"spy"`` finds SPY), as the enum fields do.
    """
    parts: list[pl.Expr] = []
    if query.symbol is not None:
        # Case-insensitive, like the status and severity filters (parsed into their enums)
        # and the board's search (``symbol:spy``): a symbol is one ticker however it is typed.
        parts.append(pl.col("symbol").str.to_lowercase() == query.symbol.lower())
    for column in ("strategy_id", "status", "type", "severity", "assignee"):
        value = getattr(query, column)
        if value is not None:
            parts.append(pl.col(column) == (value.value if hasattr(value, "value") else value))
    if query.start_time is not None:
        parts.append(pl.col("created_at") >= query.start_time)
    if query.end_time is not None:
        parts.append(pl.col("created_at") <= query.end_time)
    return reduce(lambda a, b: a & b, parts) if parts else pl.lit(True)


def scan_alerts(
    path: str | Path = DEFAULT_LAKE_PATH,
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
        .with_columns(decode_history_expr(pl.col("history")))
        .explode("history")
        .unnest("history")
        .rename({"from": "from_status", "to": "to_status"})
        .with_columns(event_time_expr(pl.col("at")))
        .sort(["alert_id", "at"], maintain_order=True)
    )
