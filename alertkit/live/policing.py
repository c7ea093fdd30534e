"""The policy half of the manager: silences, inhibitions, snoozes, assignees, policies.

:class:`Policing` is a mixin of :class:`~alertkit.live.sync_manager.SyncAlertManager` (and
so of the async adapter, which delegates to it). Silences and inhibitions are rows of tables
beside the alerts (:class:`~alertkit.live.policy_store.PolicyStore`), shared by every
process on the lake; snooze rules, flap detection and escalation are this process's
(:meth:`Policing.set_policies`). The semantics are docs/policies.md's: a cycle or a
``create_alert`` marks its rows in its own commit (:mod:`alertkit.live.policy_marks`), the
delivery worker mutes and derives dues from them.

A bad argument raises :class:`~alertkit.model.errors.ValidationError` naming it, and writes
nothing.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Final

import polars as pl

from alertkit.lake.store import AlertStore
from alertkit.live import reads
from alertkit.live.alert_edits import ASSIGNEE_RULE, assign, commit_edit, snooze
from alertkit.live.notification_log import NotificationLog
from alertkit.live.policy_marks import FlapMarks, PolicyMarks, flap_marks
from alertkit.live.policy_store import PolicyStore
from alertkit.model._text import check_free_text
from alertkit.model._time import Clock, to_utc
from alertkit.model.alerts import Alert
from alertkit.model.errors import SilenceTooBroadError, ValidationError
from alertkit.model.status import OPEN_STATUSES
from alertkit.policy import (
    DEFAULT_MAX_SHARE,
    FlapDetection,
    Inhibition,
    Matchers,
    Policies,
    Silence,
)

__all__ = ["Policing"]

_SILENCE_PREFIX: Final = "silence: "
"""The notification log's ``error`` of a notification a silence muted, before its id."""


def _state_expr(at: datetime) -> pl.Expr:
    """pending / active / expired at ``at`` (``ends_at`` null: until expired)."""
    return (
        pl.when(pl.col("starts_at") > at)
        .then(pl.lit("pending"))
        .when(pl.col("ends_at").is_null() | (pl.col("ends_at") > at))
        .then(pl.lit("active"))
        .otherwise(pl.lit("expired"))
    )


def _duration(value: object) -> timedelta:
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    else:
        raise ValidationError(
            f"duration: expected a timedelta or a number of seconds, got"
            f" {type(value).__name__} {value!r}"
        )
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValidationError(f"duration: expected a positive length of time, got {value!r}")
    return value if isinstance(value, timedelta) else timedelta(seconds=seconds)


def _after_now(value: datetime, name: str, now: datetime) -> datetime:
    when = to_utc(value, name)
    if when <= now:
        raise ValidationError(f"{name}: {when.isoformat()} is not after now ({now.isoformat()})")
    return when


class Policing:
    """Silences, inhibitions, snoozes, assignees and the in-process policies of a manager."""

    store: AlertStore
    clock: Clock
    log_store: NotificationLog
    policy_store: PolicyStore
    _policies: Policies

    # -- silences --------------------------------------------------------------------------

    def create_silence(
        self,
        matchers: Mapping[str, Any],
        *,
        ends_at: datetime | None = None,
        duration: timedelta | float | None = None,
        starts_at: datetime | None = None,
        created_by: str,
        comment: str,
        confirm: bool = False,
        max_share: float = DEFAULT_MAX_SHARE,
    ) -> Silence:
        """Store a silence: alerts matching ``matchers`` are still recorded but not
        notified from ``starts_at`` (default now) until ``ends_at``, or for ``duration``
        (a timedelta or seconds; give exactly one of the two).

        ``matchers`` is a dict such as ``{"symbol": "SPY", "rule": "=~vix_.*"}``
        (:mod:`alertkit.policy.matchers`). A silence matching more than ``max_share`` (in
        (0, 1]) of the open alerts is refused unless ``confirm=True``: a silence that broad
        hides what matters. Every process on the lake applies it from its next commit.
        """
        now = self.clock()
        if (ends_at is None) == (duration is None):
            raise ValidationError(
                "ends_at, duration: expected exactly one of them, got"
                f" ends_at={ends_at!r} and duration={duration!r}"
            )
        if not isinstance(confirm, bool):
            raise ValidationError(f"confirm: expected True or False, got {confirm!r}")
        if (
            isinstance(max_share, bool)
            or not isinstance(max_share, int | float)
            or not 0 < max_share <= 1
        ):
            raise ValidationError(f"max_share: expected a number in (0, 1], got {max_share!r}")
        starts = now if starts_at is None else to_utc(starts_at, "starts_at")
        ends = starts + _duration(duration) if ends_at is None else to_utc(ends_at, "ends_at")
        silence = Silence(matchers, starts, ends, created_by, comment, created_at=now)
        _after_now(silence.ends_at, "ends_at", now)
        if not confirm:
            self._refuse_too_broad(silence.match, max_share)
        return self.policy_store.add_silence(silence)

    def _refuse_too_broad(self, matchers: Matchers, max_share: float) -> None:
        if not self.store.exists():
            return
        total, matched = (
            self.store.scan()
            .filter(pl.col("status").is_in(OPEN_STATUSES))
            .with_columns(matched=matchers.expr())  # a column even where it is a literal
            .select(total=pl.len(), matched=pl.col("matched").sum())
            .collect()
            .row(0)
        )
        if total and matched > max_share * total:
            raise SilenceTooBroadError(matched, total, max_share)

    def list_silences(
        self, *, active_at: datetime | None = None, include_expired: bool = False
    ) -> pl.DataFrame:
        """The stored silences, by ``starts_at`` then id.

        Default: those not expired now (pending and active). ``include_expired=True``:
        every stored silence. ``active_at=t``: those active at ``t`` (whatever became of
        them since; ``include_expired`` does not apply), their ``state`` at ``t``.

        Columns: ``silence_id``, ``state`` (``pending``, ``active`` or ``expired``, at
        ``active_at`` or now), ``matchers`` (JSON text), ``starts_at``, ``ends_at``,
        ``created_by``, ``comment``, ``created_at``, ``expired_at``, ``expired_by``,
        ``suppressed_alerts`` (alerts whose ``silenced_by`` names it) and
        ``suppressed_notifications`` (notification log rows it muted).
        """
        at = self.clock() if active_at is None else to_utc(active_at, "active_at")
        if not isinstance(include_expired, bool):
            raise ValidationError(
                f"include_expired: expected True or False, got {include_expired!r}"
            )
        frame = self.policy_store.silences_frame().with_columns(state=_state_expr(at))
        if active_at is not None:
            frame = frame.filter(pl.col("state") == "active")
        elif not include_expired:
            frame = frame.filter(pl.col("state") != "expired")
        ids = frame["silence_id"].to_list()
        return (
            frame.join(self._suppressed_alerts(ids), on="silence_id", how="left")
            .join(self._suppressed_notifications(ids), on="silence_id", how="left")
            .select(
                "silence_id",
                "state",
                "matchers",
                "starts_at",
                "ends_at",
                "created_by",
                "comment",
                "created_at",
                "expired_at",
                "expired_by",
                pl.col("suppressed_alerts").fill_null(0),
                pl.col("suppressed_notifications").fill_null(0),
            )
            .sort("starts_at", "silence_id")
        )

    def _suppressed_alerts(self, ids: list[str]) -> pl.DataFrame:
        schema = {"silence_id": pl.String(), "suppressed_alerts": pl.Int64()}
        if not ids or not self.store.exists():
            return pl.DataFrame(schema=schema)
        return (
            self.store.scan()
            .filter(pl.col("silenced_by").is_in(ids))
            .group_by(silence_id="silenced_by")
            .agg(suppressed_alerts=pl.len().cast(pl.Int64))
            .collect()
        )

    def _suppressed_notifications(self, ids: list[str]) -> pl.DataFrame:
        schema = {"silence_id": pl.String(), "suppressed_notifications": pl.Int64()}
        if not ids:
            return pl.DataFrame(schema=schema)
        return (
            self.log_store.scan()
            .filter(
                (pl.col("outcome") == "suppressed")
                & pl.col("error").is_in([_SILENCE_PREFIX + i for i in ids])
            )
            .group_by(silence_id=pl.col("error").str.strip_prefix(_SILENCE_PREFIX))
            .agg(suppressed_notifications=pl.len().cast(pl.Int64))
            .collect()
        )

    def expire_silence(self, silence_id: str, *, by: str | None = None) -> Silence:
        """End the silence now (kept, with ``expired_at`` and ``expired_by``); a silence
        already over, or unknown, is refused. Its alerts still open are then told once
        (reason ``silence_ended``) by the delivery worker."""
        check_free_text(by, "by")
        return self.policy_store.expire_silence(silence_id, self.clock(), by)

    def silences_matching(self, alert_id: str, *, include_expired: bool = True) -> list[Silence]:
        """The stored silences whose matchers match the alert (whether or not they were
        active when it fired), by start then id; ``include_expired=False`` keeps those not
        expired now."""
        alert = reads.get_alert(self.store, alert_id)
        now = self.clock()
        return [
            s
            for s in self.policy_store.silences()
            if s.match.matches(alert) and (include_expired or s.ends_at > now)
        ]

    # -- inhibitions -----------------------------------------------------------------------

    def create_inhibition(
        self,
        source_matchers: Mapping[str, Any],
        target_matchers: Mapping[str, Any],
        equal: Collection[str] = (),
        *,
        created_by: str,
        comment: str,
        starts_at: datetime | None = None,
        ends_at: datetime | None = None,
    ) -> Inhibition:
        """Store an inhibition rule: while an open alert matches ``source_matchers``, the
        notifications of other alerts matching ``target_matchers`` with the same ``equal``
        fields are muted, from ``starts_at`` (default now) until ``ends_at`` (None: until
        expired)."""
        now = self.clock()
        inhibition = Inhibition(
            source_matchers,
            target_matchers,
            equal,
            created_by=created_by,
            comment=comment,
            starts_at=now if starts_at is None else starts_at,
            ends_at=ends_at,
            created_at=now,
        )
        if inhibition.ends_at is not None:
            _after_now(inhibition.ends_at, "ends_at", now)
        return self.policy_store.add_inhibition(inhibition)

    def list_inhibitions(self, *, include_expired: bool = False) -> pl.DataFrame:
        """The stored inhibitions, by ``starts_at`` then id: those not expired now (every one
        with ``include_expired``). Columns: ``inhibition_id``, ``state`` (now),
        ``source_matchers`` and ``target_matchers`` (JSON text), ``equal`` (the fields,
        comma-separated), ``starts_at``, ``ends_at``, ``created_by``, ``comment``,
        ``created_at``, ``expired_at``, ``expired_by``."""
        if not isinstance(include_expired, bool):
            raise ValidationError(
                f"include_expired: expected True or False, got {include_expired!r}"
            )
        frame = self.policy_store.inhibitions_frame().with_columns(state=_state_expr(self.clock()))
        if not include_expired:
            frame = frame.filter(pl.col("state") != "expired")
        return frame.select(
            "inhibition_id",
            "state",
            *(c for c in frame.columns if c not in ("inhibition_id", "state", "revision")),
        ).sort("starts_at", "inhibition_id")

    def expire_inhibition(self, inhibition_id: str, *, by: str | None = None) -> Inhibition:
        """End the inhibition now (kept, with ``expired_at``); one already over, or unknown,
        is refused."""
        check_free_text(by, "by")
        return self.policy_store.expire_inhibition(inhibition_id, self.clock(), by)

    # -- one alert -------------------------------------------------------------------------

    def snooze_alert(
        self, alert_id: str, *, until: datetime, by: str | None = None, note: str | None = None
    ) -> Alert:
        """Send nothing of the open alert until ``until`` (after now), or until a more
        severe alert opens on its position; a history event ``snooze`` records who and why.
        The alert keeps its status. Returns it as stored."""
        reads.check_alert_id(alert_id)
        now = self.clock()
        when = _after_now(until, "until", now)
        check_free_text(by, "by")
        check_free_text(note, "note")
        return commit_edit(
            self.store, alert_id, "snooze", snooze(now, when), at=now, by=by, note=note
        )

    def assign_alert(
        self, alert_id: str, assignee: str | None, *, by: str | None = None, note: str | None = None
    ) -> Alert:
        """Give the alert an owner (``assignee``, at most 200 characters; None: nobody), with
        a history event ``assign``. Returns the alert as stored."""
        reads.check_alert_id(alert_id)
        name = ASSIGNEE_RULE.check(assignee, "assignee")
        name = None if name is None else name.strip()  # as AlertQuery(assignee=) strips
        check_free_text(by, "by")
        check_free_text(note, "note")
        return commit_edit(
            self.store, alert_id, "assign", assign(name), at=self.clock(), by=by, note=note
        )

    # -- in-process policies ---------------------------------------------------------------

    @property
    def policies(self) -> Policies:
        """The policies this process applies besides the stored ones: snooze rules, flap
        detection and escalation (:meth:`set_policies`)."""
        return self._policies

    def set_policies(self, policies: Policies) -> None:
        """Apply ``policies``' snooze rules, flap detection and escalation from the next
        commit (and delivery round) on. Silences and inhibitions are stored instead
        (:meth:`create_silence`, :meth:`create_inhibition`), and ``ack_delay`` is a
        replay's only: a ``Policies`` holding them is refused."""
        if not isinstance(policies, Policies):
            raise ValidationError(
                f"policies: expected a Policies, got {type(policies).__name__} {policies!r}"[:200]
            )
        if policies.silences or policies.inhibitions:
            raise ValidationError(
                "policies: silences and inhibitions are not set here; store them with"
                " create_silence/create_inhibition: live silences are shared through the lake"
            )
        if policies.ack_delay is not None:
            raise ValidationError(
                "policies: ack_delay simulates a desk in a replay (run_backtest); a live"
                " manager's alerts are acknowledged by people"
            )
        self._policies = policies

    def _marks(self, *, cycle: bool) -> PolicyMarks:
        """What this process's commits mark on their rows; a cycle (not ``create_alert``,
        which is no evaluation) also advances the flap state, with flap detection."""
        detection = self._policies.flapping
        advance = partial(self._flap_marks, detection) if cycle and detection else None
        return PolicyMarks(self.policy_store.silences_frame, tuple(self._policies.snoozes), advance)

    def _flap_marks(self, detection: FlapDetection, decisions: pl.DataFrame) -> FlapMarks:
        advanced = self.policy_store.advance_flaps(decisions, detection)
        return flap_marks(decisions, advanced, self.policy_store.flap_state)
