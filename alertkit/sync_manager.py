"""The alert manager's synchronous core: decisions in, alerts and transitions out.

:class:`~alertkit.manager.AlertManager` wraps this for asyncio (running it in a worker thread
so Delta I/O never blocks a notebook's event loop); widgets and the CLI use it directly.

Cost of each operation does not grow with the table: a transition reads one row by id and
creation date (the id is time-ordered and names its partition) and rewrites only the file
holding it; a repeat firing does the same; only the first firing of a fingerprint reads the
open alerts of the whole table, inside a MERGE so two writers can never both insert it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import polars as pl
from deltalake import DeltaTable

from alertkit._identity import (
    audit,
    insert_first_firing,
    open_by_fingerprint,
    record_repeat,
    row_version,
)
from alertkit._ids import ALERT_ID_PATTERN, created_date_of
from alertkit._time import Clock, system_clock, to_utc
from alertkit.alerts import Alert, AlertQuery, AlertStatus, Transition, next_status
from alertkit.decisions import Decision
from alertkit.errors import AlertNotFoundError, ValidationError
from alertkit.maintenance import (
    DEFAULT_MAINTAIN_EVERY,
    MaintenanceReport,
    auto_maintain,
    maintain,
)
from alertkit.mapping import decision_to_alert
from alertkit.notify import NotificationHub
from alertkit.query import query_filter
from alertkit.schema import (
    ALERT_SCHEMA,
    OPEN_STATUSES,
    alert_from_row,
    alert_to_row,
    alerts_to_frame,
    check_alert_frame,
    history_event,
)
from alertkit.store import DEFAULT_MAX_RETRIES, AlertStore, StaleReadError, TableVersion

__all__ = ["DEFAULT_LAKE_PATH", "SyncAlertManager"]

log = logging.getLogger(__name__)

DEFAULT_LAKE_PATH: Final = "data/lake/alerts"


def _check_alert_id(alert_id: object) -> str:
    if not isinstance(alert_id, str):
        raise ValidationError(
            f"alert_id: expected a str, got {type(alert_id).__name__} {alert_id!r}"
        )
    if not ALERT_ID_PATTERN.match(alert_id):
        # Such an id can never have been stored (Alert validates the same pattern).
        raise AlertNotFoundError(alert_id)
    return alert_id


def _id_filter(alert_id: str) -> pl.Expr:
    expr = pl.col("alert_id") == alert_id
    day = created_date_of(alert_id)
    if day is not None:  # names the partition: the scan opens that day's files only
        expr = (pl.col("created_date") == day) & expr
    return expr


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
        After this many commits by this manager, check fragmentation and compact and
        checkpoint if needed (0 turns automatic maintenance off).
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
        """:meth:`create_alert` without notifying; also says whether the alert is new."""
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

        def step() -> tuple[Alert, bool]:
            table = self.store.table()
            found = open_by_fingerprint(table, alert)
            if found is not None:
                return record_repeat(self.store, table, found, when), False
            return insert_first_firing(self.store, table, alert, row, when)

        stored, is_new = self.store.retrying(step, f"create alert {alert.rule}")
        self._after_commit()
        return stored, is_new

    def insert_alerts(self, alerts: Iterable[Alert] | pl.DataFrame) -> int:
        """Write many alerts in one commit (backfills, backtests); returns how many.

        Refused as a whole, writing nothing, if any row is invalid, an id repeats, or an
        open alert's fingerprint is already open in the batch or in the table.
        """
        frame = alerts if isinstance(alerts, pl.DataFrame) else alerts_to_frame(list(alerts))
        frame = check_alert_frame(frame)
        if frame.is_empty():
            return 0
        keys = ["rule", "strategy_id", "symbol"]
        open_new = frame.filter(pl.col("status").is_in(OPEN_STATUSES)).select(keys)
        if not open_new.is_empty():
            clash = (
                self.store.scan()
                .filter(pl.col("status").is_in(OPEN_STATUSES))
                .select(keys)
                .join(open_new.lazy(), on=keys, how="semi", nulls_equal=True)
                .limit(5)
                .collect()
            )
            if not clash.is_empty():
                raise ValidationError(
                    "alerts: these fingerprints are already open in the table:"
                    f" {clash.rows()}; resolve them first or insert them closed"
                )
        self.store.append(frame, audit("insert", f"{frame.height} alerts", None))
        self._after_commit()
        return frame.height

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
        alert_id = _check_alert_id(alert_id)
        action = Transition.parse(action, "action")
        for name, value in (("by", by), ("note", note)):
            if value is not None and not isinstance(value, str):
                raise ValidationError(f"{name}: expected a str or None, got {value!r}")
        when = to_utc(at, "at") if at is not None else self.clock()

        def step() -> Alert:
            table = self.store.table()
            row = self._row_by_id(table, alert_id)
            alert = alert_from_row(row)
            new_status = next_status(alert_id, alert.status, action)
            alert.status = new_status
            if new_status is AlertStatus.ACKNOWLEDGED:
                alert.acknowledged_at = when
            else:
                alert.resolved_at = when
            alert.history.append(
                history_event(when, action.value, row["status"], new_status, by, note)
            )
            changed = self.store.update(
                table,
                row_version(row),
                {
                    "status": new_status.value,
                    "acknowledged_at": alert.acknowledged_at,
                    "resolved_at": alert.resolved_at,
                    "history": alert_to_row(alert)["history"],
                    "revision": row["revision"] + 1,
                },
                custom_metadata=audit(action.value, alert_id, by),
            )
            if changed != 1:  # changed since we read it: decide again
                raise StaleReadError(alert_id)
            return alert

        result = self.store.retrying(step, f"{action.value} {alert_id}")
        self._after_commit()
        return result

    # -- reading ---------------------------------------------------------------------------

    def get_alert(self, alert_id: str, *, version: TableVersion | None = None) -> Alert:
        """The alert with ``alert_id`` (at a table ``version`` or instant, if given)."""
        alert_id = _check_alert_id(alert_id)
        return alert_from_row(self._row_by_id(self.store.table(version), alert_id))

    def query_alerts(
        self, query: AlertQuery | None = None, *, version: TableVersion | None = None
    ) -> list[Alert]:
        """Alerts matching ``query``, newest first, at most ``query.limit``."""
        query = query or AlertQuery()
        if not isinstance(query, AlertQuery):
            raise ValidationError(f"query: expected an AlertQuery, got {type(query).__name__}")
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
        return int(scan.select(pl.len()).collect().item())

    def version(self) -> int:
        """The table's current version number (pass it to ``board``/``query_alerts`` later
        to see the table as it is now)."""
        return int(self.store.table().version())

    def scan_alerts(self, version: TableVersion | None = None) -> pl.LazyFrame:
        """Every alert's current state (or as of ``version``) as a LazyFrame."""
        return self.store.scan(version)

    def board(self, version: TableVersion | None = None) -> pl.DataFrame:
        """The board: every alert, newest first, as a polars DataFrame (time travel with
        ``version`` = a table version number or an instant)."""
        return self.store.scan(version).sort(["created_at", "alert_id"], descending=True).collect()

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
        scan = pl.scan_delta(table)
        rows = scan.filter(_id_filter(alert_id)).collect()
        if rows.is_empty() and created_date_of(alert_id) is not None:
            # A UUIDv7 minted at another time than created_at (bulk-inserted from elsewhere)
            # lives in another partition: fall back to the id alone (file stats still prune).
            rows = scan.filter(pl.col("alert_id") == alert_id).collect()
        if rows.is_empty():
            raise AlertNotFoundError(alert_id)
        return rows.row(0, named=True)

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
