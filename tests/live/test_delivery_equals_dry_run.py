"""Live delivery equals the dry run: a history replayed through the live cycle, with a clock
at each cycle's instant, tells each handler exactly what ``dry_run_notifications`` says it
would have been told over the backtest of that history (grouping, reminders and closes).
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl
from _managers import ManualClock

from alertkit import SyncAlertManager
from alertkit.backtest import dry_run_notifications, run_backtest, synthetic_history
from alertkit.live.episodes import GONE_NOTE
from alertkit.notify import Subscription

QUIET = timedelta(hours=4)
Told = set[tuple[str, str, datetime, frozenset[tuple[str, int, datetime]]]]


def busy_week() -> pl.DataFrame:
    """65 half-hour cycles of a busy week (notebook 02's): 36 alerts, some closed by the quiet
    period, some because their position left the history."""
    history = synthetic_history(12, seed=7)
    return history.filter(
        pl.col("as_of").dt.date().is_between(date(2025, 2, 18), date(2025, 2, 24))
    )


def identities(alerts: pl.DataFrame) -> dict[str, tuple[str, int, datetime]]:
    rows = alerts.select("alert_id", "rule", "strategy_id", "created_at").iter_rows()
    return {alert_id: (rule, sid, at) for alert_id, rule, sid, at in rows}


def settings() -> list[dict[str, object]]:
    return [
        {"name": "desk", "group_by": ("rule",), "repeat_interval": timedelta(hours=4)},
        {"name": "pager", "reasons": ["new", "resolved"], "severities": ["immediate", "high"]},
    ]


def told_live(history: pl.DataFrame, lake: str) -> Told:
    clock = ManualClock(history["as_of"].min())
    manager = SyncAlertManager(lake, clock=clock, maintain_every=0)
    manager.initialize()
    for options in settings():
        manager.add_handler(_noop, **options)  # type: ignore[arg-type]
    for (instant,), cycle in history.sort("as_of").group_by("as_of", maintain_order=True):
        clock.now = instant  # type: ignore[assignment]
        manager.run_cycle(cycle, quiet_period=QUIET, complete=True)
        assert manager.flush_notifications(60)
    ids = identities(manager.read_board())
    log = manager.notification_log()
    assert set(log["outcome"]) == {"sent"}
    return {
        (handler, reason, at, frozenset(ids[i] for i in alert_ids))
        for handler, reason, at, alert_ids in log.group_by("notification_id")
        .agg(pl.first("handler", "reason", "at"), pl.col("alert_id"))
        .drop("notification_id")
        .iter_rows()
    }


def _noop(notification: object) -> None:
    """A handler that accepts anything (the test compares what it was due, via the log)."""


def told_dry(history: pl.DataFrame) -> Told:
    result = run_backtest(history, quiet_period=QUIET, progress=False)
    subscriptions = [Subscription.create(_noop, **o) for o in settings()]  # type: ignore[arg-type]
    ids = identities(result.alerts)
    rows = dry_run_notifications(result, subscriptions).notifications
    return {
        (handler, reason, at, frozenset(ids[i] for i in alert_ids))
        for handler, reason, at, alert_ids in rows.select(
            "handler", "reason", "at", "alert_ids"
        ).iter_rows()
    }


def test_live_delivery_tells_what_the_dry_run_says(tmp_path: Path) -> None:
    history = busy_week()
    expected = told_dry(history)
    reasons = sorted({(handler, reason) for handler, reason, _, _ in expected})
    assert reasons == [
        ("desk", "new"),
        ("desk", "reminder"),
        ("pager", "new"),
        ("pager", "resolved"),
    ]
    result = run_backtest(history, quiet_period=QUIET, progress=False)
    gone = result.alerts["history"].str.contains(json.dumps(GONE_NOTE), literal=True)
    assert 0 < gone.sum() < result.alerts["resolved_at"].is_not_null().sum()
    assert told_live(history, str(tmp_path / "alerts")) == expected
