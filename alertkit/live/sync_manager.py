"""The alert manager's synchronous core: decisions in, alerts and transitions out.

:class:`~alertkit.live.manager.AlertManager` wraps this for asyncio (running it in a worker thread
so Delta I/O never blocks a notebook's event loop); widgets and the CLI use it directly.

Every write is one MERGE decided on one table version: firings (``create_alert``,
``run_cycle``) through :mod:`alertkit.live.firings`, transitions (one or many) through
:mod:`alertkit.live.transitions`, bulk inserts guarded against the whole table. A transition reads
its alerts by id and creation date (the id is time-ordered and names its partition) and
rewrites only the files holding them; a firing reads the open alerts of its fingerprints.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from alertkit.lake.layout import LayoutMigration
from alertkit.lake.maintenance import DEFAULT_MAINTAIN_EVERY, auto_maintain
from alertkit.lake.paths import DEFAULT_LAKE_PATH
from alertkit.lake.store import DEFAULT_MAX_RETRIES, AlertStore
from alertkit.live import inserts, reads
from alertkit.live.cycle import CycleInput, CycleResult, commit_cycle, cycle_result
from alertkit.live.delivery import Deliverer, dues_of_alert
from alertkit.live.firings import commit_decision
from alertkit.live.lake_maintenance import LakeMaintenanceReport, maintain_lake
from alertkit.live.notification_log import NotificationLog
from alertkit.live.notifying import Notifying
from alertkit.live.outbox import Outbox
from alertkit.live.policing import Policing
from alertkit.live.policy_store import PolicyStore
from alertkit.live.reading import Reading
from alertkit.live.transitions import BulkResult, commit_transitions
from alertkit.model._text import check_free_text
from alertkit.model._time import Clock, system_clock, to_utc
from alertkit.model.alerts import (
    Alert,
    Transition,
)
from alertkit.model.decisions import Decision
from alertkit.model.errors import ValidationError
from alertkit.notify import NotificationHub
from alertkit.policy import Policies
from alertkit.rules import Rule
from alertkit.rules.peaks import PeakBook

__all__ = ["SyncAlertManager"]

log = logging.getLogger(__name__)


class SyncAlertManager(Reading, Notifying, Policing):
    """Alerts in a Delta table, synchronously. See :class:`alertkit.AlertManager`.

    Parameters
    ----------
    delta_lake_path
        Table location: a local path (default ``data/lake/alerts``) or ``s3://``, ``az://``,
        ``gs://`` URI.
    storage_options
        Credentials and endpoint settings passed to deltalake and polars.
    clock
        Where "now" comes from when an operation is not given an explicit time.
    notification_log_path
        Where the notification log lives (default: beside the table, at
        ``<delta_lake_path>_notifications``; :mod:`alertkit.live.notification_log`).
    maintain_every
        Check fragmentation after each commit of this manager once this many commits, by any
        writer, have landed since its last check (at most ``SMALL_FILES_PER_PARTITION``, 16,
        so fragmentation stays bounded however many processes write), and compact the
        partitions holding more than 16 files (0: never); the delivery worker does the same
        for the notification log after its commits. Local tables only: on object stores
        compaction is an explicit ``maintain()``.
    """

    def __init__(
        self,
        delta_lake_path: str | Path = DEFAULT_LAKE_PATH,
        *,
        storage_options: Mapping[str, str] | None = None,
        clock: Clock = system_clock,
        maintain_every: int = DEFAULT_MAINTAIN_EVERY,
        max_retries: int = DEFAULT_MAX_RETRIES,
        notification_log_path: str | Path | None = None,
    ) -> None:
        self.store = AlertStore(delta_lake_path, storage_options, max_retries=max_retries)
        self.clock = clock
        self.notifications = NotificationHub()
        self.log_store = NotificationLog.beside(self.store, notification_log_path, storage_options)
        self.policy_store = PolicyStore.beside(self.store, storage_options)
        """Silences, inhibitions and flap state, in tables beside the alerts."""
        self._policies = Policies()  # the ``policies`` property; ``set_policies`` sets it
        self.delivery = Deliverer(
            self.notifications,
            self.store,
            self.log_store,
            clock,
            policy_store=self.policy_store,
            policies=lambda: self.policies,
            maintain_every=lambda: self.maintain_every,
        )
        self.peaks = PeakBook()
        """Trailing-stop peaks :meth:`run_cycle` carries from one cycle to the next."""
        self.maintain_every = maintain_every
        self._commits_at_last_check = 0

    @property
    def path(self) -> str:
        return self.store.uri

    def initialize(self) -> None:
        """Create the table if it does not exist; check its schema if it does."""
        self.store.ensure_table()

    # -- creating --------------------------------------------------------------------------

    def create_alert(
        self, decision: Decision, snapshot: Any = None, *, at: datetime | None = None
    ) -> Alert | None:
        """Raise (or repeat) the alert for ``decision``; None for HOLD, writing nothing.

        The alert's time is ``at``, else the snapshot's ``as_of``, else the clock. While an
        alert with the same fingerprint (trigger id, strategy_id, symbol) is open, a new
        firing only increments its ``occurrences`` and moves ``last_seen_at``. Stored
        silences and snooze rules mark it in the same commit; it is no flap evaluation.
        """
        outbox = self._outbox()
        alert, is_new = self._commit_decision(decision, snapshot, at, outbox)
        if alert is not None and is_new and outbox:
            due = outbox.text_for(alert, "new")  # what the commit wrote on the row
            self.delivery.submit(dues_of_alert(alert, due))
        return alert

    def create_or_repeat(
        self, decision: Decision, snapshot: Any = None, *, at: datetime | None = None
    ) -> tuple[Alert | None, bool]:
        """:meth:`create_alert` without notifying; also says whether the alert is new.

        The one-firing case of :meth:`run_cycle`: the same identity code, one commit.
        """
        return self._commit_decision(decision, snapshot, at, None)

    def _commit_decision(
        self, decision: Decision, snapshot: Any, at: datetime | None, outbox: Outbox | None
    ) -> tuple[Alert | None, bool]:
        if not isinstance(decision, Decision):
            raise ValidationError(
                f"decision: expected a Decision, got {type(decision).__name__} {decision!r}"
            )
        when = self._instant(at, snapshot)
        marks = self._marks(cycle=False)
        alert, is_new = commit_decision(self.store, decision, snapshot, when, outbox, marks)
        if alert is not None:
            self._after_commit()
        return alert, is_new

    def run_cycle(
        self,
        snapshots: CycleInput,
        *,
        at: datetime | None = None,
        rules: Iterable[Rule] | None = None,
        quiet_period: timedelta | None = None,
        peaks: PeakBook | None = None,
        notify: bool = True,
        complete: bool = False,
    ) -> CycleResult:
        """Decide a portfolio's snapshots and commit every alert they raise, at once.

        Parameters
        ----------
        snapshots
            The positions at one instant, or several instants in time order: a polars frame
            (snapshot columns) or a sequence of snapshots or dicts.
        at
            The instant of snapshots that carry no ``as_of`` (default: the clock).
        rules
            The rules to run (default :func:`~alertkit.rules.default_rules`).
        quiet_period
            Resolve an open alert of a position in the cycle once its trigger has not fired
            for this long; None keeps alerts open.
        peaks
            Trailing-stop peaks to carry between cycles (default: this manager's own).
        notify
            Record in the commit the notifications it makes due (new alerts, and closes
            for handlers that hear of them), deliver them after it in the background, and
            look for due reminders; False: the cycle makes nothing due.
        complete
            The snapshots carry the whole book: every open alert of a position absent from
            their latest instant resolves, with the note "position left the history", at
            that position's last snapshot, as a backtest resolves an alert whose position
            left its history. The last snapshot is the position's latest row in this cycle,
            else the latest one ``peaks`` saw in an earlier cycle of this process, else
            (a new process) the alert's ``last_seen_at``. Alerts without a strategy_id stay
            open. False (default): a cycle may hold part of the book; absent positions are
            left alone.

        Returns
        -------
        CycleResult
            The decisions, and the alerts opened, repeated and resolved, as committed in
            one Delta commit (none when nothing fired or resolved). The commit holds the
            notifications it made due (the outbox); they are delivered after it, off this
            thread, so the cycle never waits for a handler (:meth:`flush_notifications`
            waits).

        Notes
        -----
        A cycle dated before events already in the lake is not refused: its events are
        dated no earlier than their alert's (and fingerprint's) latest event, so a
        resolution never precedes an acknowledgement and a fingerprint never has two alerts
        open at one instant; ``CycleResult.redated`` counts such events
        (:mod:`alertkit.live.firings`).
        """
        now = self.clock()
        outbox = self._outbox() if notify else None
        decisions, commit = commit_cycle(
            self.store,
            snapshots,
            at=at,
            now=now,
            rules=rules,
            quiet_period=quiet_period,
            peaks=peaks or self.peaks,
            complete=complete,
            outbox=outbox,
            marks=self._marks(cycle=True),
        )
        if commit.written:
            self._after_commit()
        result = cycle_result(decisions, commit)
        if notify:
            # told in the result's order: new alerts as listed, then closes; reminders and
            # policy dues looked for when any could be due
            self.delivery.submit(
                rows=pl.concat([commit.new, commit.continued]),
                order=[a.alert_id for a in result.new_alerts],
                remind_at=now if self.delivery.derives() else None,
            )
        return result

    def insert_alerts(self, alerts: Iterable[Alert] | pl.DataFrame) -> int:
        """Write many alerts in one commit (backfills, backtests); returns how many.

        Refused as a whole, writing nothing, if any row is invalid, an id is already in the
        batch or the table, or an open alert's fingerprint is already open in the batch or in
        the table (:func:`alertkit.live.inserts.insert_alerts`).
        """
        count = inserts.insert_alerts(self.store, alerts)
        if count:
            self._after_commit()
        return count

    def check_insert(self, alerts: pl.DataFrame) -> pl.DataFrame:
        """Refuse what :meth:`insert_alerts` would refuse on the table as it is now, writing
        nothing; returns the checked frame. A write in several commits checks the whole first.
        """
        return inserts.check_insert(self.store, alerts)

    def overwrite_alerts(self, alerts: pl.DataFrame) -> int:
        """Replace every alert in the table with ``alerts`` in one commit; returns its version.

        For a backtest re-run into a lake of its own: the rows are checked as
        :meth:`insert_alerts` checks them (not against the alerts they replace), and the
        earlier contents stay readable by time travel until a vacuum.
        """
        version = inserts.overwrite_alerts(self.store, alerts)
        self._after_commit()
        return version

    # -- lifecycle -------------------------------------------------------------------------

    def acknowledge_alert(
        self,
        alert_id: str,
        *,
        by: str | None = None,
        note: str | None = None,
        at: datetime | None = None,
    ) -> Alert:
        """ACTIVE -> ACKNOWLEDGED; any other start is an InvalidTransitionError."""
        return self.transition(alert_id, Transition.ACKNOWLEDGE, by=by, note=note, at=at)

    def resolve_alert(
        self,
        alert_id: str,
        *,
        by: str | None = None,
        note: str | None = None,
        at: datetime | None = None,
    ) -> Alert:
        """ACTIVE | ACKNOWLEDGED -> RESOLVED (sets resolved_at)."""
        return self.transition(alert_id, Transition.RESOLVE, by=by, note=note, at=at)

    def dismiss_alert(
        self,
        alert_id: str,
        *,
        by: str | None = None,
        note: str | None = None,
        at: datetime | None = None,
    ) -> Alert:
        """ACTIVE | ACKNOWLEDGED -> DISMISSED (sets resolved_at)."""
        return self.transition(alert_id, Transition.DISMISS, by=by, note=note, at=at)

    def transition(
        self,
        alert_id: str,
        action: Transition | str,
        *,
        by: str | None = None,
        note: str | None = None,
        at: datetime | None = None,
    ) -> Alert:
        """Apply a lifecycle ``action``; illegal moves raise and change nothing."""
        result = self.transition_many([alert_id], action, by=by, note=note, at=at)
        if result.failed:
            raise next(iter(result.failed.values()))
        return result.changed[0]

    def acknowledge_alerts(
        self,
        alert_ids: Iterable[str],
        *,
        by: str | None = None,
        note: str | None = None,
        at: datetime | None = None,
    ) -> BulkResult:
        """Acknowledge every ACTIVE alert of ``alert_ids`` in one commit; see
        :meth:`transition_many`."""
        return self.transition_many(alert_ids, Transition.ACKNOWLEDGE, by=by, note=note, at=at)

    def resolve_alerts(
        self,
        alert_ids: Iterable[str],
        *,
        by: str | None = None,
        note: str | None = None,
        at: datetime | None = None,
    ) -> BulkResult:
        """Resolve every open alert of ``alert_ids`` in one commit."""
        return self.transition_many(alert_ids, Transition.RESOLVE, by=by, note=note, at=at)

    def dismiss_alerts(
        self,
        alert_ids: Iterable[str],
        *,
        by: str | None = None,
        note: str | None = None,
        at: datetime | None = None,
    ) -> BulkResult:
        """Dismiss every open alert of ``alert_ids`` in one commit."""
        return self.transition_many(alert_ids, Transition.DISMISS, by=by, note=note, at=at)

    def transition_many(
        self,
        alert_ids: Iterable[str],
        action: Transition | str,
        *,
        by: str | None = None,
        note: str | None = None,
        at: datetime | None = None,
    ) -> BulkResult:
        """Apply ``action`` to every alert of ``alert_ids`` that can take it, in one commit.

        An alert that cannot (illegal move, unknown id, ``at`` before its latest event) is
        named in the result's ``failed`` with the reason, and the others still proceed.
        """
        if isinstance(alert_ids, str):
            raise ValidationError("alert_ids: expected a collection of ids, got one str")
        ids = [reads.check_alert_id(i) for i in alert_ids]
        action = Transition.parse(action, "action")
        check_free_text(by, "by")
        check_free_text(note, "note")
        when = to_utc(at, "at") if at is not None else self.clock()
        if not ids:
            return BulkResult(action, ())
        result = commit_transitions(
            self.store, ids, action, at=when, by=by, note=note, outbox=self._outbox()
        )
        if result.version is not None:
            self._after_commit()
        self.delivery.submit(
            d for alert, text in result.pending for d in dues_of_alert(alert, text)
        )
        return result

    # -- maintenance -----------------------------------------------------------------------

    def maintain(self, *, vacuum_retention_hours: int | None = None) -> LakeMaintenanceReport:
        """Compact small files, write a checkpoint and optionally vacuum, in the alerts table
        (the report's own fields) and each table beside it (``side_tables``), after pruning
        flap state no later evaluation needs; see :mod:`alertkit.live.lake_maintenance`."""
        policies = self.policy_store
        side = [self.log_store.store, policies.silence_table, policies.inhibition_table]
        return maintain_lake(
            self.store,
            [*side, policies.flap_table],
            policies,
            now=self.clock(),
            vacuum_retention_hours=vacuum_retention_hours,
        )

    def migrate(self) -> list[LayoutMigration]:
        """Move the alerts table and its notification log to this alertkit's partition
        layout (by month; :mod:`alertkit.lake.layout`), one commit each, and say what moved
        (nothing when both have it). Opening a table for writing does this by itself."""
        done = [self.store.migrate()]
        if self.log_store.store.exists():  # a lake that never notified has no log
            done.append(self.log_store.store.migrate())
        return [m for m in done if m is not None]

    # -- internals -------------------------------------------------------------------------

    def _instant(self, at: datetime | None, snapshot: Any) -> datetime:
        if at is not None:
            return to_utc(at, "at")
        as_of = (
            snapshot.get("as_of")
            if isinstance(snapshot, dict)
            else getattr(snapshot, "as_of", None)
        )
        if as_of is not None:
            return to_utc(as_of, "snapshot.as_of")
        return self.clock()

    def _after_commit(self) -> None:
        # Due once SMALL_FILES_PER_PARTITION commits by anyone, or maintain_every of ours,
        # have landed since our last check (so fragmentation stays bounded however many
        # processes write); _commits_at_last_check holds the table version of that check.
        if not self.maintain_every:
            return
        self._commits_at_last_check, report = auto_maintain(
            self.store, checked_at=self._commits_at_last_check, every=self.maintain_every
        )
        if report is not None:
            log.info("automatic maintenance on %s: %s", self.path, report.describe())
