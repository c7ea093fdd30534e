"""The main job run by ``alertkit demo``: history -> backtest -> alert lake -> triage -> board.

1. :func:`~alertkit.backtest.synthetic_history` with its defaults (160 positions, seed 7);
2. :func:`~alertkit.backtest.run_backtest`, vectorized, alerts auto-resolved after a quiet
   day or when their position left the history, written to the demo's own lake
   (:data:`DEMO_LAKE_PATH`, not the ``data/lake/alerts`` that the managers, the CLI and
   the board default to), replacing its contents so that a re-run starts afresh. A table
   holding any alert the demo did not write is refused, so ``--lake`` pointed at real
   alerts cannot replace them with synthetic ones;
3. up to three of the newest open alerts walked through their lifecycle by the
   :class:`~alertkit.SyncAlertManager` (acknowledged, resolved with a note, dismissed), at
   fixed instants after the history's end, so the output is the same on every run;
4. the per-trigger summary printed (every column, rounded, with the benefit of acting
   defined under it), and last the alerts that need action: the open ones, most urgent
   first (severity, then the longest waiting).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final

import polars as pl
from deltalake import DeltaTable

from alertkit._console import print_board
from alertkit.backtest import BacktestResult, run_backtest, synthetic_history
from alertkit.backtest.lake import write_alerts
from alertkit.live.episodes import GONE_NOTE
from alertkit.live.sync_manager import SyncAlertManager
from alertkit.model.alerts import SEVERITY_ORDER, Alert
from alertkit.model.errors import ValidationError

__all__ = ["DEMO_LAKE_PATH", "QUIET_PERIOD", "run_demo"]

QUIET_PERIOD: Final = timedelta(days=1)
DEMO_LAKE_PATH: Final = "data/lake/demo_alerts"
"""Where ``alertkit demo`` writes: a lake of its own, never the default alerts table."""
BENEFIT_LINE: Final = (
    "benefit_usd: P&L at the alert minus P&L at the end of the position's history, USD per"
    " alert (positive: closing at the alert beat holding)"
)
COLUMNS_LINE: Final = (
    "repeats: firings folded into an open alert; median_lead_days: days from the alert to"
    " its position's expiry"
)


def run_demo(lake: str | Path = DEMO_LAKE_PATH) -> BacktestResult:
    """Run the demo job into the alerts table at ``lake``; returns the backtest's result.

    Raises
    ------
    ValidationError
        ``lake`` holds alerts this demo did not write (nothing is written).
    """
    history = synthetic_history()
    result = run_backtest(history, quiet_period=QUIET_PERIOD)
    _refuse_foreign_alerts(lake, result.alerts)
    version = write_alerts(result.alerts, lake, mode="overwrite")
    result = dataclasses.replace(result, lake_version=version)
    alerts = result.alerts
    resolved = alerts.filter(pl.col("status") == "resolved").height
    gone = alerts.filter(pl.col("history").str.contains(json.dumps(GONE_NOTE), literal=True)).height
    first: datetime
    last: datetime
    first, last = history.select(first=pl.col("as_of").min(), last=pl.col("as_of").max()).row(0)
    print(
        f"history: {history.height:,} snapshots of {history['strategy_id'].n_unique()} positions,"
        f" {first:%Y-%m-%d} to {last:%Y-%m-%d}"
    )
    print(
        f"backtest: {alerts.height:,} alerts ({alerts.height - resolved:,} open,"
        f" {resolved:,} resolved: {resolved - gone:,} after a quiet {QUIET_PERIOD.days} day,"
        f" {gone:,} as their position left the history)"
        f" from {int(alerts['occurrences'].sum()):,} firings"
    )
    with pl.Config(
        tbl_rows=-1,
        tbl_cols=-1,
        tbl_width_chars=240,
        tbl_hide_dataframe_shape=True,
        tbl_hide_column_data_types=True,
        tbl_formatting="ASCII_MARKDOWN",
    ):
        print(pl.DataFrame(result.summary()))
    print(BENEFIT_LINE)
    print(COLUMNS_LINE)

    manager = SyncAlertManager(lake)
    print(f"alert lake: {manager.path} (table version {result.lake_version})")
    newest_open = (
        alerts.filter(pl.col("status") == "active")
        .sort("created_at", "alert_id", descending=True)["alert_id"]
        .to_list()
    )
    # Triage after the history's end, at fixed instants: the same output on every run.
    steps: list[tuple[str, Callable[..., Alert], str | None]] = [
        ("acknowledged", manager.acknowledge_alert, None),
        ("resolved", manager.resolve_alert, "closed at market"),
        ("dismissed", manager.dismiss_alert, "rolling next week"),
    ]
    for minutes, ((done, transition, note), alert_id) in enumerate(
        zip(steps, newest_open, strict=False)
    ):
        alert = transition(
            alert_id, by="demo", note=note, at=last + timedelta(hours=1, minutes=minutes)
        )
        print(f"{done}: {alert.title} on {alert.symbol} {alert.strategy_id} ({alert_id})")
    print(
        f"alerts in the lake: {manager.get_alert_count()}"
        f" (active {manager.get_alert_count('active')},"
        f" acknowledged {manager.get_alert_count('acknowledged')},"
        f" resolved {manager.get_alert_count('resolved')},"
        f" dismissed {manager.get_alert_count('dismissed')})"
    )
    needing = needs_action(manager.read_board())
    alerts_word = "alert" if needing.height == 1 else "alerts"
    print(f"needs action: {needing.height} open {alerts_word}, most urgent first")
    print_board(needing, rows=needing.height)
    return result


def needs_action(board: pl.DataFrame) -> pl.DataFrame:
    """The open alerts of ``board`` (active or acknowledged), most urgent first: by severity
    (immediate first), active before acknowledged, then the longest waiting."""
    rank = {severity: i for i, severity in enumerate(SEVERITY_ORDER)}
    return board.filter(pl.col("status").is_in(["active", "acknowledged"])).sort(
        pl.col("severity").replace_strict(rank, default=len(rank), return_dtype=pl.Int64),
        pl.col("status") != "active",
        "created_at",
        "alert_id",
    )


def _refuse_foreign_alerts(lake: str | Path, alerts: pl.DataFrame) -> None:
    """Refuse a table holding any alert the demo would not write: the demo replaces its
    lake's contents, which must never be someone's real alerts."""
    uri = str(lake)
    if not DeltaTable.is_deltatable(uri):
        return  # nothing there yet (or not a table: writing will say so)
    stored = SyncAlertManager(uri, maintain_every=0).scan_alerts().select("alert_id")
    foreign = stored.join(alerts.lazy().select("alert_id"), on="alert_id", how="anti")
    found = foreign.collect()
    if not found.is_empty():
        raise ValidationError(
            f"lake: {uri} holds {found.height} alerts the demo did not write (e.g."
            f" {found['alert_id'][0]!r}); the demo replaces its lake's contents, so it writes"
            f" only to a new table or to one it wrote before. Run it without --lake (it uses"
            f" {DEMO_LAKE_PATH}) or give it another path"
        )
