"""The policy stages of one delivery round: silence, inhibition, snooze, flapping, in that order.

docs/policies.md is the specification; this is its live half (the replay's is in
:mod:`alertkit.backtest`). Each round reads what the stages need once
(:meth:`RoundPolicies.read`: the stored silences and inhibitions, the flap state when flap
detection is on), and :func:`round_stages` builds, for that round's dues, one
:class:`~alertkit.notify.MuteStage` per policy that can mute any of them:

=============  ==========================================================================
stage          mutes a notification of alert A due at ``t`` (the due's ``due_at``) when
=============  ==========================================================================
silence        a silence active at ``t`` matches A (the first by ``starts_at``, then id):
               ``silence: <silence_id>``
inhibition     an inhibition active at ``t`` has a source alert B != A open at ``t``
               (created at or before, not closed at or before) with A a target and the
               ``equal`` fields alike: ``inhibition: <B's alert_id>``, the earliest-created
               such B (then by fingerprint); logged ``inhibited``
snooze         A is snoozed at ``t`` (``snoozed_at <= t < wakes_at``,
               :func:`alertkit.policy.snooze.wake_times`): ``snooze: until <wakes_at ISO>``
flapping       A's fingerprint is flapping at its latest evaluation at or before ``t``
               (``flapping_started`` and ``flapping_stopped`` pass):
               ``flapping: <changes> changes in the last <evaluations> evaluations``
=============  ==========================================================================

The hub runs the first stage that mutes a notification and asks no later one. A stage sees
:class:`~alertkit.notify.Notification` s, which carry no instant, so each muter is given the
round's instants per (alert, reason), as the hub keys its mutes.

The flap table keeps a fingerprint's latest state only (``flapping``, ``evaluated_at``,
``changed_at``): at a ``t`` at or after ``changed_at`` the fingerprint flaps iff it flaps now;
before it, iff it does not now (exact unless it changed twice since ``t``: a due that old
was left pending across two flap changes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

import polars as pl

from alertkit.lake.store import AlertStore
from alertkit.live.policy_store import PolicyStore
from alertkit.model.alerts import Alert, Fingerprint
from alertkit.model.notification_log import INHIBITED_STAGE
from alertkit.model.schema import alert_from_row
from alertkit.notify import Due, MuteStage, Notification, Stage
from alertkit.policy import FlapDetection, Inhibition, Policies, Silence
from alertkit.policy.snooze import wake_times

__all__ = ["POLICY_STAGES", "RoundPolicies", "round_stages"]

POLICY_STAGES: Final = ("silence", INHIBITED_STAGE, "snooze", "flapping")
"""The stage names, in the order they run (and the prefix of each muted due's ``error``)."""

_FLAP_NEWS: Final = frozenset({"flapping_started", "flapping_stopped"})

Instants = Mapping[tuple[str, str], datetime]
"""Per (alert_id, reason), the instant a round's due of it is due at."""


@dataclass(frozen=True, slots=True)
class RoundPolicies:
    """What one delivery round reads of the policies, once: the manager's in-process
    policies, the stored silences (by ``starts_at``, then id) and inhibitions, and the flap
    state (None when flap detection is off)."""

    policies: Policies
    silences: tuple[Silence, ...]
    inhibitions: tuple[Inhibition, ...]
    flaps: pl.DataFrame | None

    @classmethod
    def read(cls, store: PolicyStore, policies: Policies) -> RoundPolicies:
        flaps = store.flap_state() if policies.flapping is not None else None
        return cls(policies, tuple(store.silences()), tuple(store.inhibitions()), flaps)


def round_stages(view: RoundPolicies, alerts: AlertStore, dues: Sequence[Due]) -> list[Stage]:
    """The policy stages for ``dues`` (those of registered handlers), in order; a policy
    that cannot mute any of them (none stored, none active, nothing snoozed) is left out, so
    it reads nothing."""
    if not dues:
        return []
    # the last due of an (alert, reason) wins, as in the hub's mutes
    instants: dict[tuple[str, str], datetime] = {
        (d.alert.alert_id, d.reason): d.due_at for d in dues
    }
    stages: list[Stage] = []
    if view.silences:
        stages.append(MuteStage("silence", _Silences(view.silences, instants)))
    times = instants.values()
    active = [i for i in view.inhibitions if any(i.is_active(t) for t in times)]
    if active:
        sources = _open_sources(alerts, active, min(times), max(times))
        if sources:
            stages.append(MuteStage(INHIBITED_STAGE, _Inhibitions(active, sources, instants)))
    snoozed = [d.alert for d in dues if d.alert.snoozed_until is not None]
    if snoozed:
        stages.append(MuteStage("snooze", _Snoozes(_wakes(alerts, snoozed), instants)))
    detection = view.policies.flapping
    if detection is not None and view.flaps is not None and not view.flaps.is_empty():
        stages.append(MuteStage("flapping", _Flaps(detection, view.flaps, instants)))
    return stages


def _instant(instants: Instants, notification: Notification) -> datetime:
    return instants[(notification.alert.alert_id, notification.reason)]


@dataclass(frozen=True, slots=True)
class _Silences:
    silences: tuple[Silence, ...]
    instants: Instants

    def mutes(self, notification: Notification) -> str | None:
        at = _instant(self.instants, notification)
        for silence in self.silences:  # by starts_at, then id: the first covering one says
            if silence.covers(notification.alert, at):
                return silence.silence_id
        return None


def _open_sources(
    alerts: AlertStore, rules: Sequence[Inhibition], earliest: datetime, latest: datetime
) -> list[Alert]:
    """The alerts that may be a source of ``rules`` at some instant in [earliest, latest]:
    created by ``latest``, not closed by ``earliest``, matching some rule's source, by
    creation then id (one scan)."""
    matches = pl.lit(False)
    for rule in rules:
        matches |= rule.source.expr()
    rows = (
        alerts.scan()
        .filter(
            (pl.col("created_at") <= latest)
            & (pl.col("resolved_at").is_null() | (pl.col("resolved_at") > earliest))
        )
        .filter(matches)
        # earliest created, then by fingerprint, as the replay names it (not by random id)
        .sort("created_at", "rule", "strategy_id", "symbol", "alert_id", nulls_last=False)
        .collect()
    )
    return [alert_from_row(r) for r in rows.iter_rows(named=True)]


def _open_at(alert: Alert, at: datetime) -> bool:
    return alert.created_at <= at and (alert.resolved_at is None or alert.resolved_at > at)


@dataclass(frozen=True, slots=True)
class _Inhibitions:
    rules: Sequence[Inhibition]
    sources: Sequence[Alert]
    """By creation, then id: the first one that inhibits is the one named."""
    instants: Instants

    def mutes(self, notification: Notification) -> str | None:
        at = _instant(self.instants, notification)
        target = notification.alert
        rules = [r for r in self.rules if r.is_active(at) and r.target.matches(target)]
        if not rules:
            return None
        for source in self.sources:
            if _open_at(source, at) and any(r.inhibits(source, target) for r in rules):
                return source.alert_id
        return None


def _wakes(alerts: AlertStore, snoozed: Sequence[Alert]) -> dict[str, tuple[datetime, datetime]]:
    """Per snoozed alert id: (snoozed_at, wakes_at), from the stored rows of its position
    (the alerts that may wake it early), read in one scan."""
    ids = sorted({a.alert_id for a in snoozed})
    positions = sorted({a.strategy_id for a in snoozed if a.strategy_id is not None})
    rows = (
        alerts.scan()
        .filter(pl.col("alert_id").is_in(ids) | pl.col("strategy_id").is_in(positions))
        .collect()
    )
    times = wake_times(rows)
    return {
        i: (at, wakes)
        for i, at, wakes in times.select("alert_id", "snoozed_at", "wakes_at").iter_rows()
    }


@dataclass(frozen=True, slots=True)
class _Snoozes:
    wakes: Mapping[str, tuple[datetime, datetime]]
    instants: Instants

    def mutes(self, notification: Notification) -> str | None:
        found = self.wakes.get(notification.alert.alert_id)
        if found is None:
            return None
        at = _instant(self.instants, notification)
        snoozed_at, wakes_at = found
        return f"until {wakes_at.isoformat()}" if snoozed_at <= at < wakes_at else None


class _Flaps:
    """Flap muting from the stored state of each fingerprint."""

    def __init__(self, detection: FlapDetection, flaps: pl.DataFrame, instants: Instants) -> None:
        self.why = f"{detection.changes} changes in the last {detection.evaluations} evaluations"
        self.state: dict[Fingerprint, tuple[bool, datetime | None]] = {
            (trigger, sid, symbol): (flapping, changed)
            for trigger, sid, symbol, flapping, changed in flaps.select(
                "trigger", "strategy_id", "symbol", "flapping", "changed_at"
            ).iter_rows()
        }
        self.instants = instants

    def mutes(self, notification: Notification) -> str | None:
        if notification.reason in _FLAP_NEWS:
            return None
        alert = notification.alert
        found = self.state.get((alert.rule, alert.strategy_id, alert.symbol))
        if found is None:
            return None
        flapping, changed = found
        if changed is not None and _instant(self.instants, notification) < changed:
            flapping = not flapping  # before its latest change it was the other way
        return self.why if flapping else None
