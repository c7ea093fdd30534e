"""Live equals replay with policies on: a history replayed through the live cycle, with a
clock at each cycle's instant, a stored silence and inhibition and the same in-process
policies, logs exactly what the backtest's dry run says (docs/policies.md): what each
handler was told, and what each policy muted, with the same reason, notification by
notification.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
from _managers import ManualClock

from alertkit import (
    Escalation,
    FlapDetection,
    Inhibition,
    Policies,
    Silence,
    SnoozeRule,
    SyncAlertManager,
)
from alertkit.backtest import dry_run_notifications, run_backtest, synthetic_history
from alertkit.notify import Subscription

QUIET = timedelta(hours=4)
START = datetime(2025, 2, 18, 15, tzinfo=UTC)
Identity = tuple[str, int, datetime]
Told = set[tuple[str, str, datetime, frozenset[Identity]]]
Muted = set[tuple[str, str, datetime, Identity, str, str]]


def busy_week() -> pl.DataFrame:
    """65 half-hour cycles of a busy week (notebook 02's): 36 alerts on SPY, QQQ and IWM."""
    history = synthetic_history(12, seed=7)
    return history.filter(
        pl.col("as_of").dt.date().is_between(date(2025, 2, 18), date(2025, 2, 24))
    )


SILENCE = Silence(
    {"rule": "=~vix_.*|delta_risk_.*"},
    datetime(2025, 2, 19, tzinfo=UTC),
    datetime(2025, 2, 21, 18, tzinfo=UTC),
    "ana",
    "the VIX move is known",
)
INHIBITION = Inhibition(
    {"rule": "catastrophe_*"},
    {"type": "warning", "rule": "!~vix_.*"},
    equal=("symbol",),
    created_by="risk",
    comment="a crash alert says it all",
    starts_at=START,
)
IN_PROCESS = Policies(
    snoozes=[SnoozeRule({"rule": "take_profit_*"}, timedelta(hours=2))],
    flapping=FlapDetection(changes=2, evaluations=10),
    escalation=Escalation(
        {"immediate": timedelta(hours=1), "high": timedelta(hours=3)}, handlers=["oncall"]
    ),
)


def settings() -> list[dict[str, object]]:
    return [
        {"name": "desk", "group_by": ("rule",), "repeat_interval": timedelta(hours=4)},
        {"name": "pager", "reasons": ["new", "resolved"], "severities": ["immediate", "high"]},
        {"name": "oncall", "reasons": ["escalated"]},
    ]


def _noop(notification: object) -> None:
    """A handler that accepts anything (the test compares what it was due, via the log)."""


def identities(alerts: pl.DataFrame) -> dict[str, Identity]:
    rows = alerts.select("alert_id", "rule", "strategy_id", "created_at").iter_rows()
    return {alert_id: (rule, sid, at) for alert_id, rule, sid, at in rows}


def why_of(why: str, ids: Mapping[str, Identity]) -> str:
    """The mute's reason with an inhibiting alert's id replaced by its identity (ids differ
    between live, random, and the replay, deterministic)."""
    stage, _, detail = why.partition(": ")
    return f"{stage}: {ids[detail]}" if stage == "inhibition" else why


def live(history: pl.DataFrame, lake: str) -> tuple[Told, Muted]:
    clock = ManualClock(START)
    manager = SyncAlertManager(lake, clock=clock, maintain_every=0)
    manager.initialize()
    for options in settings():
        manager.add_handler(_noop, **options)  # type: ignore[arg-type]
    stored = manager.create_silence(
        SILENCE.matchers,
        starts_at=SILENCE.starts_at,
        ends_at=SILENCE.ends_at,
        created_by=SILENCE.created_by,
        comment=SILENCE.comment,
    )
    manager.create_inhibition(
        INHIBITION.source_matchers,
        INHIBITION.target_matchers,
        INHIBITION.equal,
        created_by=INHIBITION.created_by,
        comment=INHIBITION.comment,
        starts_at=INHIBITION.starts_at,
    )
    manager.set_policies(IN_PROCESS)
    for (instant,), cycle in history.sort("as_of").group_by("as_of", maintain_order=True):
        clock.now = instant  # type: ignore[assignment]
        manager.run_cycle(cycle, quiet_period=QUIET, complete=True)
        assert manager.flush_notifications(60)
    ids = identities(manager.read_board())
    log = manager.notification_log()
    assert set(log["outcome"]) == {"sent", "suppressed", "inhibited"}
    told = {
        (handler, reason, at, frozenset(ids[i] for i in alert_ids))
        for handler, reason, at, alert_ids in log.filter(pl.col("outcome") == "sent")
        .group_by("notification_id")
        .agg(pl.first("handler", "reason", "at"), pl.col("alert_id"))
        .drop("notification_id")
        .iter_rows()
    }
    muted = {
        (
            handler,
            reason,
            at,
            ids[alert_id],
            outcome,
            why_of(error, ids).replace(stored.silence_id, "SILENCE"),
        )
        for handler, reason, at, alert_id, outcome, error in log.filter(pl.col("outcome") != "sent")
        .select("handler", "reason", "at", "alert_id", "outcome", "error")
        .iter_rows()
    }
    return told, muted


def replay(history: pl.DataFrame) -> tuple[Told, Muted]:
    policies = Policies(
        silences=[SILENCE],
        inhibitions=[INHIBITION],
        snoozes=IN_PROCESS.snoozes,
        flapping=IN_PROCESS.flapping,
        escalation=IN_PROCESS.escalation,
    )
    result = run_backtest(history, quiet_period=QUIET, policies=policies, progress=False)
    subscriptions = [Subscription.create(_noop, **o) for o in settings()]  # type: ignore[arg-type]
    ids = identities(result.alerts)
    dry = dry_run_notifications(result, subscriptions)
    told = {
        (handler, reason, at, frozenset(ids[i] for i in alert_ids))
        for handler, reason, at, alert_ids in dry.notifications.select(
            "handler", "reason", "at", "alert_ids"
        ).iter_rows()
    }
    muted = {
        (
            handler,
            reason,
            at,
            ids[alert_id],
            outcome,
            why_of(why, ids).replace(SILENCE.silence_id, "SILENCE"),
        )
        for handler, reason, at, alert_id, outcome, why in dry.suppressed.select(
            "handler", "reason", "at", "alert_id", "outcome", "why"
        ).iter_rows()
    }
    return told, muted


def test_live_delivery_with_policies_logs_what_the_replay_says(tmp_path: Path) -> None:
    history = busy_week()
    told, muted = replay(history)
    # every policy is exercised: each mutes something, and each derived reason is told
    stages = {why.split(":")[0] for *_, why in muted}
    assert stages == {"silence", "inhibition", "snooze", "flapping"}
    reasons = {reason for _, reason, _, _ in told}
    assert {"silence_ended", "escalated", "flapping_started", "flapping_stopped"} <= reasons
    live_told, live_muted = live(history, str(tmp_path / "alerts"))
    assert live_muted == muted
    assert live_told == told
