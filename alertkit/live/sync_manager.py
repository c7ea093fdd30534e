"""The alert manager's synchronous core: decisions in, alerts and transitions out.

:class:`~alertkit.live.manager.AlertManager` wraps this for asyncio (running it in a worker thread
so Delta I/O never blocks a notebook's event loop); widgets and the CLI use it directly.

Every write is one MERGE decided on one table snapshot: firings (``create_alert``,
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
from typing import Any, Final

import polars as pl
from deltalake import DeltaTable

from alertkit.lake._versions import version_read_errors
from alertkit.lake.maintenance import (
    DEFAULT_MAINTAIN_EVERY,
    MaintenanceReport,
    auto_maintain,
    maintain,
)
from alertkit.lake.query import query_filter
from alertkit.lake.store import DEFAULT_MAX_RETRIES, AlertStore, TableVersion, audit
from alertkit.live.cycle import CycleInput, CycleResult, cycle_decisions, cycle_result
from alertkit.live.episodes import episode_alerts
from alertkit.live.firings import commit_firings, refuse_clashes
from alertkit.live.notify import NotificationHub
from alertkit.live.transitions import BulkResult, commit_transitions, rows_by_id
from alertkit.model._ids import ALERT_ID_PATTERN
from alertkit.model._text import check_free_text
from alertkit.model._time import Clock, system_clock, to_utc
from alertkit.model.alerts import Alert, AlertQuery, AlertStatus, Transition
from alertkit.model.decisions import Decision
from alertkit.model.errors import AlertNotFoundError, StoreError, ValidationError
from alertkit.model.mapping import decision_to_alert
from alertkit.model.schema import (
    ALERT_SCHEMA,
    alert_from_row,
    alert_to_row,
    alerts_to_frame,
    check_alert_frame,
    history_event,
)
from alertkit.rules import Rule, default_rules
from alertkit.rules.peaks import PeakBook

__all__ = ["DEFAULT_LAKE_PATH", "SyncAlertManager"]

log = logging.getLogger(__name__)

DEFAULT_LAKE_PATH: Final = "data/lake/alerts"

_LIVE: Final = "alertkit"
"""The ``by`` of a quiet-period resolution made by a live cycle."""
_FIRING_SCHEMA: Final[dict[str, pl.DataType]] = {
    "as_of": ALERT_SCHEMA["created_at"],
    "trigger": pl.String(),
    "strategy_id": pl.Int64(),
    "symbol": pl.String(),
}


def _check_alert_id(alert_id: object) -> str:
    if not isinstance(alert_id, str):
        raise ValidationError(
            f"alert_id: expected a str, got {type(alert_id).__name__} {alert_id!r}"
        )
    if not ALERT_ID_PATTERN.match(alert_id):
        # Such an id can never have been stored (Alert validates the same pattern).
        raise AlertNotFoundError(alert_id)
    return alert_id


def _check_quiet_period(value: object) -> timedelta | None:
    if value is None or (isinstance(value, timedelta) and value > timedelta(0)):
        return value
    raise ValidationError(f"quiet_period: expected a positive timedelta or None, got {value!r}")


class SyncAlertManager:
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
    maintain_every
        Check fragmentation after each commit of this manager once this many commits, by any
        writer, have landed since its last check (at most ``SMALL_FILES_PER_PARTITION``, 16,
        so fragmentation stays bounded however many processes write), and compact the
        partitions holding more than 16 files (0: never). Local tables only: on object stores
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
    ) -> None:
        self.store = AlertStore(delta_lake_path, storage_options, max_retries=max_retries)
        self.clock = clock
        self.notifications = NotificationHub()
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
        firing only increments its ``occurrences`` and moves ``last_seen_at``.
        """
        alert, is_new = self.create_or_repeat(decision, snapshot, at=at)
        if alert is not None and is_new:
            self.notifications.dispatch(alert)
        return alert

    def create_or_repeat(
        self, decision: Decision, snapshot: Any = None, *, at: datetime | None = None
    ) -> tuple[Alert | None, bool]:
        """:meth:`create_alert` without notifying; also says whether the alert is new.

        The one-firing case of :meth:`run_cycle`: the same identity code, one commit.
        """
        if not isinstance(decision, Decision):
            raise ValidationError(
                f"decision: expected a Decision, got {type(decision).__name__} {decision!r}"
            )
        when = self._instant(at, snapshot)
        alert = decision_to_alert(decision, snapshot, when)
        if alert is None:
            return None, False
        alert.history = [history_event(when, "create", None, AlertStatus.ACTIVE, None, None)]
        row = pl.DataFrame([alert_to_row(alert)], schema=ALERT_SCHEMA)  # encodes metadata now
        firing = pl.DataFrame(
            {
                "as_of": [when],
                "trigger": [alert.rule],
                "strategy_id": [alert.strategy_id],
                "symbol": [alert.symbol],
            },
            schema=_FIRING_SCHEMA,
        )

        def new_row(opened: pl.DataFrame) -> pl.DataFrame:
            at = opened.get_column("created_at")[0]
            if at == when:
                return row
            # Redated after a later close of its fingerprint (see alertkit.live.firings): mint
            # the alert at its new instant, so its id names its partition.
            later = decision_to_alert(decision, snapshot, at)
            assert later is not None  # the same decision, not HOLD
            later.history = [history_event(at, "create", None, AlertStatus.ACTIVE, None, None)]
            return pl.DataFrame([alert_to_row(later)], schema=ALERT_SCHEMA)

        commit = commit_firings(
            self.store, firing, new_row, operation="create", subject=alert.alert_id
        )
        self._after_commit()
        if not commit.new.is_empty():
            if commit.redated:
                return alert_from_row(commit.new.row(0, named=True)), True
            return alert, True
        return alert_from_row(commit.continued.row(0, named=True)), False

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
            Run the notification handlers for each new alert after the commit (the async
            manager passes False and runs them on its own loop).
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
            one Delta commit (none when nothing fired or resolved). Each new alert is
            notified once, after the commit.

        Notes
        -----
        A cycle dated before events already in the lake is not refused: its events are
        dated no earlier than their alert's (and fingerprint's) latest event, so a
        resolution never precedes an acknowledgement and a fingerprint never has two alerts
        open at one instant; ``CycleResult.redated`` counts such events
        (:mod:`alertkit.live.firings`).
        """
        rule_list = default_rules() if rules is None else list(rules)
        quiet_period = _check_quiet_period(quiet_period)
        if not isinstance(complete, bool):
            raise ValidationError(f"complete: expected True or False, got {complete!r}")
        book = peaks or self.peaks
        # The positions' last snapshots before this cycle (for those that left it).
        seen_before = book.last_snapshots() if complete else None
        decisions = cycle_decisions(snapshots, at=at, rules=rule_list, peaks=book, now=self.clock())
        commit = commit_firings(
            self.store,
            decisions,
            lambda opened: episode_alerts(
                decisions, opened, rule_list, quiet_period, ids="random", resolved_by=_LIVE
            ),
            quiet_period=quiet_period,
            resolved_by=_LIVE,
            complete=complete,
            last_snapshots=seen_before,
            operation="cycle",
            subject=f"{decisions.height} snapshots",
        )
        if commit.written:
            self._after_commit()
        result = cycle_result(decisions, commit)
        if notify:
            for alert in result.new_alerts:
                self.notifications.dispatch(alert)
        return result

    def insert_alerts(self, alerts: Iterable[Alert] | pl.DataFrame) -> int:
        """Write many alerts in one commit (backfills, backtests); returns how many.

        Refused as a whole, writing nothing, if any row is invalid, an id is already in the
        batch or the table, or an open alert's fingerprint is already open in the batch or in
        the table. The check and the write happen on one table snapshot that the commit
        guards: a concurrent write makes it decide again.
        """
        frame = alerts if isinstance(alerts, pl.DataFrame) else alerts_to_frame(list(alerts))
        frame = check_alert_frame(frame)
        if frame.is_empty():
            return 0
        rows = frame.with_columns(expected_revision=pl.lit(None, pl.Int64))

        def attempt() -> int:
            table = self.store.table()
            refuse_clashes(table, frame)
            outcome = self.store.merge_alerts(
                table,
                rows,
                reads="table",
                custom_metadata=audit("insert", f"{frame.height} alerts", None),
            )
            if outcome.inserted != frame.height:  # cannot happen: see refuse_clashes
                raise StoreError(f"insert of {frame.height} alerts did {outcome}")
            return outcome.version

        self.store.retrying(attempt, f"insert {frame.height} alerts")
        self._after_commit()
        return frame.height

    def check_insert(self, alerts: pl.DataFrame) -> pl.DataFrame:
        """Refuse what :meth:`insert_alerts` would refuse on the table as it is now, writing
        nothing; returns the checked frame. A write in several commits checks the whole first.
        """
        frame = check_alert_frame(alerts)
        refuse_clashes(self.store.table(), frame)
        return frame

    def overwrite_alerts(self, alerts: pl.DataFrame) -> int:
        """Replace every alert in the table with ``alerts`` in one commit; returns its version.

        For a backtest re-run into a lake of its own: the rows are checked as
        :meth:`insert_alerts` checks them (not against the alerts they replace), and the
        earlier contents stay readable by time travel until a vacuum.
        """
        frame = check_alert_frame(alerts)
        meta = audit("backtest-overwrite", f"{frame.height} alerts", None)
        version = self.store.retrying(
            lambda: self.store.overwrite(frame, meta), f"overwrite {self.path}"
        )
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
        ids = [_check_alert_id(i) for i in alert_ids]
        action = Transition.parse(action, "action")
        check_free_text(by, "by")
        check_free_text(note, "note")
        when = to_utc(at, "at") if at is not None else self.clock()
        if not ids:
            return BulkResult(action, ())
        result = commit_transitions(self.store, ids, action, at=when, by=by, note=note)
        if result.version is not None:
            self._after_commit()
        return result

    # -- reading ---------------------------------------------------------------------------

    def get_alert(self, alert_id: str, *, version: TableVersion | None = None) -> Alert:
        """The alert with ``alert_id`` (at a table ``version`` or instant, if given)."""
        alert_id = _check_alert_id(alert_id)
        with version_read_errors(self.store.uri, version):
            return alert_from_row(self._row_by_id(self.store.table(version), alert_id))

    def query_alerts(
        self, query: AlertQuery | None = None, *, version: TableVersion | None = None
    ) -> list[Alert]:
        """Alerts matching ``query``, newest first, at most ``query.limit``."""
        query = query or AlertQuery()
        if not isinstance(query, AlertQuery):
            raise ValidationError(f"query: expected an AlertQuery, got {type(query).__name__}")
        with version_read_errors(self.store.uri, version):
            rows = (
                self.store.scan(version)
                .filter(query_filter(query))
                .sort(["created_at", "alert_id"], descending=True)
                .head(query.limit)
                .collect()
            )
        return [alert_from_row(r) for r in rows.iter_rows(named=True)]

    def get_active_alerts(self) -> list[Alert]:
        """Every alert whose status is ACTIVE, newest first."""
        with version_read_errors(self.store.uri, None):
            rows = (
                self.store.scan()
                .filter(pl.col("status") == AlertStatus.ACTIVE.value)
                .sort(["created_at", "alert_id"], descending=True)
                .collect()
            )
        return [alert_from_row(r) for r in rows.iter_rows(named=True)]

    def get_alert_count(self, status: AlertStatus | str | None = None) -> int:
        """How many alerts have ``status`` (all alerts when None)."""
        scan = self.store.scan()
        if status is not None:
            scan = scan.filter(pl.col("status") == AlertStatus.parse(status, "status").value)
        with version_read_errors(self.store.uri, None):
            return int(scan.select(pl.len()).collect().item())

    def version(self) -> int:
        """The table's current version number (pass it to ``board``/``query_alerts`` later
        to see the table as it is now)."""
        return int(self.store.table().version())

    def scan_alerts(self, version: TableVersion | None = None) -> pl.LazyFrame:
        """Every alert's current state (or as of ``version``) as a LazyFrame."""
        return self.store.scan(version)

    def commit_history(self, limit: int | None = None) -> list[dict[str, Any]]:
        """The table's commits, newest first: ``version``, ``timestamp``, ``operation`` and
        alertkit's audit (``alertkit.operation``, ``alertkit.subject``, ``alertkit.by``)."""
        return self.store.history(limit)

    def board(self, version: TableVersion | None = None) -> pl.DataFrame:
        """The board: every alert, newest first, as a polars DataFrame (time travel with
        ``version`` = a table version number or an instant)."""
        with version_read_errors(self.store.uri, version):
            return (
                self.store.scan(version).sort(["created_at", "alert_id"], descending=True).collect()
            )

    # -- maintenance -----------------------------------------------------------------------

    def maintain(self, *, vacuum_retention_hours: int | None = None) -> MaintenanceReport:
        """Compact small files, write a checkpoint and optionally vacuum; see maintenance."""
        return maintain(self.store, vacuum_retention_hours=vacuum_retention_hours)

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

    def _row_by_id(self, table: DeltaTable, alert_id: str) -> dict[str, Any]:
        row = rows_by_id(table, [alert_id]).get(alert_id)
        if row is None:
            raise AlertNotFoundError(alert_id)
        return row

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
