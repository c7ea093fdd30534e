"""Before a silence goes live: exactly which alerts it would have hidden.

:func:`preview_silence` answers "what would this silence have hidden?" over past alerts:
those its matchers match that were open at some instant of its window. Over a
:class:`~alertkit.backtest.BacktestResult` it is sharper, as the replay knows every firing:
those with a firing the silence covers (a firing during its window), i.e. the alerts whose
``silenced_by`` it would be were it the only silence.

Examples
--------
>>> from datetime import timedelta
>>> from alertkit.backtest import run_backtest, synthetic_history
>>> from alertkit.policy import Silence
>>> result = run_backtest(synthetic_history(12, seed=5), progress=False)
>>> start = result.alerts["created_at"].min()
>>> quiet_vix = Silence({"rule": "=~vix_.*"}, start, start + timedelta(days=30),
...                     created_by="desk", comment="VIX regime change, known")
>>> hidden = preview_silence(quiet_vix, result)
>>> hidden["rule"].unique().to_list()
['vix_change']
>>> preview_silence(quiet_vix, result.alerts).height >= hidden.height
True
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from alertkit.backtest._policy_marks import covering_silence
from alertkit.backtest.runner import BacktestResult
from alertkit.lake.store import AlertStore
from alertkit.live.manager import AlertManager
from alertkit.live.sync_manager import SyncAlertManager
from alertkit.model.errors import ValidationError
from alertkit.model.schema import ALERT_SCHEMA, check_alert_frame
from alertkit.policy import Silence

__all__ = ["AlertSource", "preview_silence"]

AlertSource = (
    BacktestResult | pl.DataFrame | pl.LazyFrame | SyncAlertManager | AlertManager | str | Path
)
"""Where :func:`preview_silence` reads alerts: a backtest, an alerts frame, a manager or the
path (or URI) of an alerts table."""


def preview_silence(silence: Silence, alerts: AlertSource) -> pl.DataFrame:
    """The alerts ``silence`` would have hidden (``ALERT_SCHEMA`` columns, by ``created_at``
    then ``alert_id``).

    Parameters
    ----------
    silence
        A :class:`~alertkit.policy.Silence` (not stored anywhere by this).
    alerts
        A :class:`~alertkit.backtest.BacktestResult`: the alerts with a firing the silence
        covers (its matchers match, at an instant of ``[starts_at, ends_at)``). Otherwise
        the alerts its matchers match that were open at some instant of its window
        (``created_at < ends_at`` and ``resolved_at`` null or after ``starts_at``), read
        from an alerts frame or LazyFrame (checked as a bulk insert is), a
        :class:`~alertkit.SyncAlertManager` or :class:`~alertkit.AlertManager`
        (``scan_alerts()``), or the path or URI of an alerts table.

    Raises
    ------
    ValidationError
        ``silence`` not a Silence, ``alerts`` of another type, a frame that is not an
        alerts frame, or a path with no table.
    """
    if not isinstance(silence, Silence):
        raise ValidationError(
            f"silence: expected an alertkit.policy.Silence, got {type(silence).__name__}"
        )
    if isinstance(alerts, BacktestResult):
        covered = covering_silence(alerts.alerts, [silence], alerts.decisions)
        found = alerts.alerts.join(covered.select("alert_id"), on="alert_id", how="semi")
        return found.sort("created_at", "alert_id")
    window = (pl.col("created_at") < silence.ends_at) & (
        pl.col("resolved_at").is_null() | (pl.col("resolved_at") > silence.starts_at)
    )
    return (
        _scan(alerts)
        .filter(silence.match.expr() & window)
        .select(list(ALERT_SCHEMA))
        .sort("created_at", "alert_id")
        .collect()
    )


def _scan(alerts: object) -> pl.LazyFrame:
    if isinstance(alerts, (pl.DataFrame, pl.LazyFrame)):
        return check_alert_frame(alerts.lazy().collect()).lazy()
    if isinstance(alerts, (SyncAlertManager, AlertManager)):
        return alerts.scan_alerts()
    if isinstance(alerts, (str, Path)):
        store = AlertStore(alerts)
        if not store.exists():
            raise ValidationError(f"alerts: no alerts table at {str(alerts)!r}")
        return store.scan()
    raise ValidationError(
        "alerts: expected a BacktestResult, an alerts frame, a SyncAlertManager or"
        f" AlertManager, or an alerts table path, got {type(alerts).__name__}"
    )
