"""AlertManager: the original async API (docs/domain.md) over the Delta-backed alert store.

The async adapter of the one core, :class:`~alertkit.live.sync_manager.SyncAlertManager`:
it offers exactly the core's operations (a test holds the two public surfaces equal, name by
name and parameter by parameter), each running the core's method in a worker thread so Delta
I/O never blocks a notebook's or an engine's event loop; the cheap ones that do no I/O
(``path``, ``scan_alerts``, the handler registry, ``set_policies``) are plain; the policy
operations are :class:`~alertkit.live.async_policing.AsyncPolicing`'s. Handlers of both run
on the core's delivery worker, after the commit (:mod:`alertkit.live.delivery`); an async
handler runs there on a loop of its own. Use ``manager.sync`` for the same operations from
synchronous code (widgets, the CLI).

Examples
--------
>>> import asyncio, tempfile
>>> from alertkit import AlertManager, Decision
>>> async def main(path):
...     manager = AlertManager(path)
...     await manager.initialize()
...     alert = await manager.create_alert(
...         Decision("close", "Stop loss hit", "stop_loss_hard", "immediate"),
...         {"symbol": "SPY", "strategy_id": 7})
...     return alert.type.value, await manager.get_alert_count()
>>> asyncio.run(main(tempfile.mkdtemp() + "/alerts"))
('critical', 1)
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from alertkit.lake.layout import LayoutMigration
from alertkit.lake.maintenance import DEFAULT_MAINTAIN_EVERY
from alertkit.lake.paths import DEFAULT_LAKE_PATH
from alertkit.lake.store import DEFAULT_MAX_RETRIES, TableVersion
from alertkit.live.async_policing import AsyncPolicing
from alertkit.live.cycle import CycleInput, CycleResult
from alertkit.live.lake_maintenance import LakeMaintenanceReport
from alertkit.live.sync_manager import SyncAlertManager
from alertkit.live.transitions import BulkResult
from alertkit.model._time import Clock, system_clock
from alertkit.model.alerts import (
    Alert,
    AlertQuery,
    AlertSeverity,
    AlertStatus,
    AlertType,
    Transition,
)
from alertkit.model.decisions import Decision
from alertkit.notify import AlertHandler, Reason
from alertkit.notify.subscriptions import DEFAULT_BACKOFF, DEFAULT_MAX_ATTEMPTS, DEFAULT_TIMEOUT
from alertkit.rules import Rule
from alertkit.rules.peaks import PeakBook

__all__ = ["AlertManager", "ManagerLike", "sync_manager_of"]


class AlertManager(AsyncPolicing):
    """Create, transition and query alerts kept in a Delta Lake table.

    Parameters
    ----------
    delta_lake_path
        A local path (default ``data/lake/alerts``) or an object-store URI (``s3://...``).
    storage_options
        Passed to deltalake and polars (credentials, endpoint, region, ``AWS_ALLOW_HTTP``...).
    clock
        Source of "now" for operations not given an explicit time (inject one in tests).
    maintain_every
        Check fragmentation after each commit of this manager once this many commits, by any
        writer, have landed since its last check (at most ``SMALL_FILES_PER_PARTITION``, 16,
        so fragmentation stays bounded however many processes write), and compact the
        partitions holding more than 16 files (0: never); the notification log likewise, after
        the delivery worker's commits. Local tables only: on object stores compaction is an
        explicit ``maintain()``.
    notification_log_path
        Where the notification log lives (default ``<delta_lake_path>_notifications``).
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
        self.sync = SyncAlertManager(
            delta_lake_path,
            storage_options=storage_options,
            clock=clock,
            maintain_every=maintain_every,
            max_retries=max_retries,
            notification_log_path=notification_log_path,
        )

    @classmethod
    def around(cls, core: SyncAlertManager) -> AlertManager:
        """The async adapter over an existing synchronous core (same table, handlers, peaks)."""
        manager = cls.__new__(cls)
        manager.sync = core
        return manager

    @property
    def path(self) -> str:
        return self.sync.path

    async def initialize(self) -> None:
        """Create the Delta table if it does not exist (and check it if it does)."""
        await asyncio.to_thread(self.sync.initialize)

    async def create_alert(
        self, decision: Decision, snapshot: Any = None, *, at: datetime | None = None
    ) -> Alert | None:
        """The alert ``decision`` raises (None for HOLD); a repeat firing of an open alert
        increments its occurrences instead of creating another. Handlers are told after
        the commit, off the caller's loop."""
        return await asyncio.to_thread(self.sync.create_alert, decision, snapshot, at=at)

    async def create_or_repeat(
        self, decision: Decision, snapshot: Any = None, *, at: datetime | None = None
    ) -> tuple[Alert | None, bool]:
        """:meth:`create_alert` without notifying; also says whether the alert is new."""
        return await asyncio.to_thread(self.sync.create_or_repeat, decision, snapshot, at=at)

    async def run_cycle(
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
        """Decide a portfolio's snapshots and commit every alert they raise, in one commit;
        see :meth:`SyncAlertManager.run_cycle` (``complete=True``: the snapshots carry the
        whole book). With ``notify``, what the commit makes due is delivered after it."""
        return await asyncio.to_thread(
            self.sync.run_cycle,
            snapshots,
            at=at,
            rules=rules,
            quiet_period=quiet_period,
            peaks=peaks,
            notify=notify,
            complete=complete,
        )

    async def insert_alerts(self, alerts: Iterable[Alert] | pl.DataFrame) -> int:
        """Write many alerts in one commit; see :meth:`SyncAlertManager.insert_alerts`."""
        return await asyncio.to_thread(self.sync.insert_alerts, alerts)

    async def check_insert(self, alerts: pl.DataFrame) -> pl.DataFrame:
        """Refuse what :meth:`insert_alerts` would refuse now, writing nothing."""
        return await asyncio.to_thread(self.sync.check_insert, alerts)

    async def overwrite_alerts(self, alerts: pl.DataFrame) -> int:
        """Replace every alert in one commit; see :meth:`SyncAlertManager.overwrite_alerts`."""
        return await asyncio.to_thread(self.sync.overwrite_alerts, alerts)

    async def acknowledge_alert(
        self,
        alert_id: str,
        *,
        by: str | None = None,
        note: str | None = None,
        at: datetime | None = None,
    ) -> Alert:
        """ACTIVE -> ACKNOWLEDGED, recording when, and optionally who and why."""
        return await self.transition(alert_id, Transition.ACKNOWLEDGE, by=by, note=note, at=at)

    async def resolve_alert(
        self,
        alert_id: str,
        *,
        by: str | None = None,
        note: str | None = None,
        at: datetime | None = None,
    ) -> Alert:
        """ACTIVE | ACKNOWLEDGED -> RESOLVED (sets resolved_at)."""
        return await self.transition(alert_id, Transition.RESOLVE, by=by, note=note, at=at)

    async def dismiss_alert(
        self,
        alert_id: str,
        *,
        by: str | None = None,
        note: str | None = None,
        at: datetime | None = None,
    ) -> Alert:
        """ACTIVE | ACKNOWLEDGED -> DISMISSED (sets resolved_at)."""
        return await self.transition(alert_id, Transition.DISMISS, by=by, note=note, at=at)

    async def transition(
        self,
        alert_id: str,
        action: Transition | str,
        *,
        by: str | None = None,
        note: str | None = None,
        at: datetime | None = None,
    ) -> Alert:
        """Apply a lifecycle action; an illegal one raises InvalidTransitionError."""
        return await asyncio.to_thread(
            self.sync.transition, alert_id, action, by=by, note=note, at=at
        )

    async def acknowledge_alerts(
        self,
        alert_ids: Iterable[str],
        *,
        by: str | None = None,
        note: str | None = None,
        at: datetime | None = None,
    ) -> BulkResult:
        """Acknowledge many alerts in one commit; failures are named in the result."""
        return await self.transition_many(
            alert_ids, Transition.ACKNOWLEDGE, by=by, note=note, at=at
        )

    async def resolve_alerts(
        self,
        alert_ids: Iterable[str],
        *,
        by: str | None = None,
        note: str | None = None,
        at: datetime | None = None,
    ) -> BulkResult:
        """Resolve many alerts in one commit; failures are named in the result."""
        return await self.transition_many(alert_ids, Transition.RESOLVE, by=by, note=note, at=at)

    async def dismiss_alerts(
        self,
        alert_ids: Iterable[str],
        *,
        by: str | None = None,
        note: str | None = None,
        at: datetime | None = None,
    ) -> BulkResult:
        """Dismiss many alerts in one commit; failures are named in the result."""
        return await self.transition_many(alert_ids, Transition.DISMISS, by=by, note=note, at=at)

    async def transition_many(
        self,
        alert_ids: Iterable[str],
        action: Transition | str,
        *,
        by: str | None = None,
        note: str | None = None,
        at: datetime | None = None,
    ) -> BulkResult:
        """Apply ``action`` to every alert that can take it, in one commit."""
        return await asyncio.to_thread(
            self.sync.transition_many, list(alert_ids), action, by=by, note=note, at=at
        )

    async def get_alert(self, alert_id: str, *, version: TableVersion | None = None) -> Alert:
        """One alert by id; AlertNotFoundError (a LookupError) when there is none."""
        return await asyncio.to_thread(self.sync.get_alert, alert_id, version=version)

    async def query_alerts(
        self, query: AlertQuery | None = None, *, version: TableVersion | None = None
    ) -> list[Alert]:
        """Alerts matching ``query``, newest first, at most ``query.limit``."""
        return await asyncio.to_thread(self.sync.query_alerts, query, version=version)

    async def get_active_alerts(self) -> list[Alert]:
        """Every ACTIVE alert, newest first."""
        return await asyncio.to_thread(self.sync.get_active_alerts)

    async def get_alert_count(self, status: AlertStatus | str | None = None) -> int:
        """The number of alerts with ``status`` (all when None)."""
        return await asyncio.to_thread(self.sync.get_alert_count, status)

    async def version(self) -> int:
        """The table's current version number."""
        return await asyncio.to_thread(self.sync.version)

    async def read_board(self, version: TableVersion | None = None) -> pl.DataFrame:
        """Every alert, newest first, as a DataFrame (as of a version or instant, if given)."""
        return await asyncio.to_thread(self.sync.read_board, version)

    def scan_alerts(self, version: TableVersion | None = None) -> pl.LazyFrame:
        """The alerts as a LazyFrame (nothing is read until it is collected)."""
        return self.sync.scan_alerts(version)

    async def commit_history(self, limit: int | None = None) -> list[dict[str, Any]]:
        """The table's commits, newest first; see :meth:`SyncAlertManager.commit_history`."""
        return await asyncio.to_thread(self.sync.commit_history, limit)

    async def maintain(self, *, vacuum_retention_hours: int | None = None) -> LakeMaintenanceReport:
        """Compact, checkpoint and optionally vacuum every table of the lake; see
        :meth:`SyncAlertManager.maintain`."""
        return await asyncio.to_thread(
            self.sync.maintain, vacuum_retention_hours=vacuum_retention_hours
        )

    async def migrate(self) -> list[LayoutMigration]:
        """Move the tables to the monthly layout; see :meth:`SyncAlertManager.migrate`."""
        return await asyncio.to_thread(self.sync.migrate)

    def add_handler(
        self,
        handler: AlertHandler,
        *,
        name: str | None = None,
        severities: Collection[AlertSeverity | str] | None = None,
        types: Collection[AlertType | str] | None = None,
        group_by: Collection[str] | None = None,
        repeat_interval: timedelta | float | None = None,
        reasons: Collection[Reason | str] | None = None,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        backoff: timedelta | float = DEFAULT_BACKOFF,
        timeout: timedelta | float = DEFAULT_TIMEOUT,
    ) -> str:
        """Tell ``handler`` (sync or async) of alerts after their commits; see
        :meth:`SyncAlertManager.add_handler`."""
        return self.sync.add_handler(
            handler,
            name=name,
            severities=severities,
            types=types,
            group_by=group_by,
            repeat_interval=repeat_interval,
            reasons=reasons,
            max_attempts=max_attempts,
            backoff=backoff,
            timeout=timeout,
        )

    def remove_handler(self, name: str) -> None:
        """Unregister the handler named ``name``."""
        self.sync.remove_handler(name)

    @property
    def handler_failures(self) -> dict[str, int]:
        """Failed notifications per handler name, from the notification log."""
        return self.sync.handler_failures

    async def deliver_pending(self) -> pl.DataFrame:
        """Deliver what earlier commits left pending, and due reminders; see
        :meth:`SyncAlertManager.deliver_pending`."""
        return await asyncio.to_thread(self.sync.deliver_pending)

    async def flush_notifications(self, timeout: float | None = None) -> bool:
        """Wait until every delivery queued so far is done (False: ``timeout`` ran out)."""
        return await asyncio.to_thread(self.sync.flush_notifications, timeout)

    async def notification_log(
        self,
        *,
        since: datetime | None = None,
        handler: str | None = None,
        alert_id: str | None = None,
    ) -> pl.DataFrame:
        """What handlers were told and what not; see
        :meth:`SyncAlertManager.notification_log`."""
        return await asyncio.to_thread(
            self.sync.notification_log, since=since, handler=handler, alert_id=alert_id
        )


ManagerLike = AlertManager | SyncAlertManager
"""What every consumer of a lake takes: either manager (see :func:`sync_manager_of`)."""


def sync_manager_of(manager: object) -> SyncAlertManager:
    """The synchronous core behind ``manager``: itself for a :class:`SyncAlertManager`, its
    ``.sync`` for an :class:`AlertManager`; anything else is a ``TypeError``.

    Every consumer (board, monitor, CLI, backtest lake writes) takes either object through
    this, so none of them can half-work with one of the two.
    """
    if isinstance(manager, SyncAlertManager):
        return manager
    if isinstance(manager, AlertManager):
        return manager.sync
    raise TypeError(
        "manager: expected an alertkit.AlertManager or alertkit.SyncAlertManager,"
        f" got {type(manager).__name__}"
    )
