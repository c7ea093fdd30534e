"""The policies' derived dues: a silence's end, an escalation, a fingerprint's flap start or stop.

docs/policies.md is the specification. As with reminders (:mod:`alertkit.live.reminders`),
whether one is due is derived from the alerts, the stored policies, the log and the clock, and
never stored, so a kill cannot lose one: the next round finds it due again. A round asked for
reminders (``remind_at``) asks for these too, at the same instant ``now``:

=================  =========================================================================
reason             due, once, to each handler that wants it
=================  =========================================================================
silence_ended      an open alert whose ``silenced_by`` names a stored silence with
                   ``ends_at <= now`` (to handlers that hear of ``new``:
                   :meth:`Subscription.wants`); due at ``now``
escalated          an ACTIVE alert whose severity has a timeout ``T`` in the manager's
                   :class:`~alertkit.policy.Escalation` and ``created_at + T <= now``, to
                   the handlers it names that are registered here and accept the alert
                   (:meth:`Subscription.accepts`); due at ``now``
flapping_started,  a fingerprint whose stored flap state changed (``changed_at``): its latest
flapping_stopped   alert created at or before ``changed_at``, to handlers that hear of
                   ``new``; due at ``changed_at``, once per change
=================  =========================================================================

*Once* is settled by the log: a (alert, handler, reason) already logged with any outcome
(for a flap change: with that ``due_at``) is not due again, whether it was sent, failed or
muted. The dues then pass the policy stages like any other (:mod:`alertkit.live.policy_stages`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Final

import polars as pl

from alertkit.lake.store import AlertStore
from alertkit.live.notification_log import NotificationLog
from alertkit.live.policy_stages import RoundPolicies
from alertkit.live.policy_store import PolicyStore
from alertkit.model.alerts import FINGERPRINT, OPEN_STATUSES, AlertSeverity, AlertStatus
from alertkit.model.schema import alert_from_row
from alertkit.notify import Due, Reason, Subscription
from alertkit.policy import Policies

__all__ = ["POLICY_REASONS", "may_be_due", "policy_dues"]

POLICY_REASONS: Final = ("silence_ended", "escalated", "flapping_started", "flapping_stopped")
_PER_CHANGE: Final = frozenset({"flapping_started", "flapping_stopped"})
"""Reasons that may recur for one alert: settled per ``due_at`` (the flap change)."""


def may_be_due(store: PolicyStore, policies: Policies) -> bool:
    """Whether any policy could make something due: a silences table exists (a silence
    could end), or the manager escalates or detects flapping."""
    return (
        policies.escalation is not None
        or policies.flapping is not None
        or store.silence_table.exists()
    )


def policy_dues(
    view: RoundPolicies,
    alerts: AlertStore,
    log: NotificationLog,
    subscriptions: Sequence[Subscription],
    now: datetime,
) -> list[Due]:
    """Every derived policy due at ``now`` to ``subscriptions`` not yet settled by the log."""
    if not subscriptions:
        return []
    dues = [
        *_silence_ends(view, alerts, subscriptions, now),
        *_escalations(view, alerts, subscriptions, now),
        *_flap_changes(view, alerts, subscriptions),
    ]
    if not dues:
        return []
    logged = log.logged([s.name for s in subscriptions], POLICY_REASONS)
    once: set[tuple[str, str, str]] = set()
    each: set[tuple[str, str, str, datetime]] = set()
    for alert_id, handler, reason, due_at in logged.iter_rows():
        if reason in _PER_CHANGE:
            each.add((alert_id, handler, reason, due_at))
        else:
            once.add((alert_id, handler, reason))
    return [
        d
        for d in dues
        if (d.reason in _PER_CHANGE and (*d.key, d.due_at) not in each)
        or (d.reason not in _PER_CHANGE and d.key not in once)
    ]


def _silence_ends(
    view: RoundPolicies, alerts: AlertStore, subscriptions: Sequence[Subscription], now: datetime
) -> list[Due]:
    ended = [s.silence_id for s in view.silences if s.ends_at <= now]
    if not ended:
        return []
    rows = (
        alerts.scan()
        .filter(pl.col("status").is_in(OPEN_STATUSES) & pl.col("silenced_by").is_in(ended))
        .sort("created_at", "alert_id")
        .collect()
    )
    dues = []
    for row in rows.iter_rows(named=True):
        alert = alert_from_row(row)
        dues += [
            Due(alert, "silence_ended", s.name, now, from_outbox=False)
            for s in subscriptions
            if s.wants(alert, "silence_ended")
        ]
    return dues


def _escalations(
    view: RoundPolicies, alerts: AlertStore, subscriptions: Sequence[Subscription], now: datetime
) -> list[Due]:
    escalation = view.policies.escalation
    if escalation is None:
        return []
    targets = [s for s in subscriptions if s.name in escalation.handlers]
    if not targets:
        return []
    late = pl.lit(False)
    for severity, timeout in escalation.after.items():
        level = AlertSeverity(severity).value
        late |= (pl.col("severity") == level) & (pl.col("created_at") <= now - timeout)
    rows = (
        alerts.scan()
        .filter((pl.col("status") == AlertStatus.ACTIVE.value) & late)
        .sort("created_at", "alert_id")
        .collect()
    )
    dues = []
    for row in rows.iter_rows(named=True):
        alert = alert_from_row(row)
        dues += [
            Due(alert, "escalated", s.name, now, from_outbox=False)
            for s in targets
            if s.accepts(alert)
        ]
    return dues


def _flap_changes(
    view: RoundPolicies, alerts: AlertStore, subscriptions: Sequence[Subscription]
) -> list[Due]:
    if view.flaps is None:
        return []
    changes = view.flaps.filter(pl.col("changed_at").is_not_null()).select(
        pl.col("trigger").alias(FINGERPRINT[0]),
        *FINGERPRINT[1:],
        changed=pl.col("changed_at"),
        started=pl.col("flapping"),
    )
    if changes.is_empty():
        return []
    rows = (
        alerts.scan()
        .join(changes.lazy(), on=list(FINGERPRINT), how="inner", nulls_equal=True)
        .filter(pl.col("created_at") <= pl.col("changed"))
        .sort("created_at", "alert_id")
        .group_by(list(FINGERPRINT), maintain_order=True)
        .last()  # the fingerprint's latest alert created at or before the change
        .sort("changed", "alert_id")
        .collect()
    )
    dues = []
    for row in rows.iter_rows(named=True):
        alert = alert_from_row(row)
        reason: Reason = "flapping_started" if row["started"] else "flapping_stopped"
        dues += [
            Due(alert, reason, s.name, row["changed"], from_outbox=False)
            for s in subscriptions
            if s.wants(alert, reason)
        ]
    return dues
