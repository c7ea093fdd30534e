"""How fast alerts get attention: time to acknowledge (MTTA) and to resolve (MTTR), in polars.

Both take an alerts LazyFrame (``manager.scan_alerts()``, ``scan_alerts(path)``, a backtest's
alerts) and return a LazyFrame of one row per group: how many alerts were measured, the
median, mean and 90th percentile, rounded to a second or less in the unit that the column
names say (``median_hours``), so a notebook shows a readable table whatever the CPU.

>>> from datetime import UTC, datetime, timedelta
>>> import polars as pl
>>> t = datetime(2026, 1, 5, 9, tzinfo=UTC)
>>> alerts = pl.LazyFrame({
...     "rule": ["gamma_risk", "gamma_risk", "time_exit"],
...     "status": ["resolved", "acknowledged", "dismissed"],
...     "created_at": [t, t, t],
...     "acknowledged_at": [t + timedelta(minutes=30), t + timedelta(hours=2), None],
...     "resolved_at": [t + timedelta(hours=3), None, t + timedelta(hours=1)],
... })
>>> time_to_acknowledge(alerts, unit="minutes").collect().rows()
[('gamma_risk', 2, 75.0, 75.0, 111.0)]
>>> time_to_resolve(alerts).collect().rows()  # dismissing is not resolving
[('gamma_risk', 1, 3.0, 3.0, 3.0)]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, Literal

import polars as pl

from alertkit.model.errors import ValidationError
from alertkit.model.lifecycle import time_to_acknowledge_expr, time_to_resolve_expr

__all__ = ["Unit", "time_to_acknowledge", "time_to_resolve"]

Unit = Literal["minutes", "hours", "days"]
_SECONDS: Final = {"minutes": 60, "hours": 3600, "days": 86_400}
_DECIMALS: Final = {"minutes": 2, "hours": 4, "days": 5}  # a second or less in each unit


def _times(
    alerts: pl.LazyFrame | pl.DataFrame,
    duration: pl.Expr,
    by: Sequence[str],
    unit: Unit,
) -> pl.LazyFrame:
    if unit not in _SECONDS:
        raise ValidationError(f"unit: expected one of {', '.join(_SECONDS)}, got {unit!r}")
    span = duration.dt.total_microseconds() / (_SECONDS[unit] * 1e6)
    stats = [
        pl.len().alias("alerts"),
        span.median().round(_DECIMALS[unit]).alias(f"median_{unit}"),
        span.mean().round(_DECIMALS[unit]).alias(f"mean_{unit}"),
        span.quantile(0.9, "linear").round(_DECIMALS[unit]).alias(f"p90_{unit}"),
    ]
    measured = alerts.lazy().filter(duration.is_not_null())
    if not by:
        return measured.select(stats)
    return measured.group_by(list(by)).agg(stats).sort(list(by), nulls_last=True)


def time_to_acknowledge(
    alerts: pl.LazyFrame | pl.DataFrame, *, by: Sequence[str] = ("rule",), unit: Unit = "hours"
) -> pl.LazyFrame:
    """Time from ``created_at`` to ``acknowledged_at`` of every acknowledged alert, per ``by``
    (``by=()`` for one overall row): alerts, ``median_<unit>``, ``mean_<unit>``,
    ``p90_<unit>``."""
    return _times(alerts, time_to_acknowledge_expr(), by, unit)


def time_to_resolve(
    alerts: pl.LazyFrame | pl.DataFrame, *, by: Sequence[str] = ("rule",), unit: Unit = "hours"
) -> pl.LazyFrame:
    """Time from ``created_at`` to ``resolved_at`` of every *resolved* alert (a dismissal
    shares the ``resolved_at`` column but is not a resolution), per ``by``; the same columns
    as :func:`time_to_acknowledge`."""
    return _times(alerts, time_to_resolve_expr(), by, unit)
