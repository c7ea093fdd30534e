"""The notification half of the manager: handlers, delivery of what is pending, the log.

:class:`Notifying` is a mixin of :class:`~alertkit.live.sync_manager.SyncAlertManager` (and
so of the async adapter, which delegates to it): it reads the manager's hub, delivery worker,
log and clock, and owns no state of its own.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

import polars as pl

from alertkit.live import reads
from alertkit.live.delivery import Deliverer
from alertkit.live.notification_log import NotificationLog
from alertkit.live.outbox import Outbox
from alertkit.model._time import Clock, to_utc
from alertkit.model.alerts import AlertSeverity, AlertType
from alertkit.notify import AlertHandler, NotificationHub, Reason
from alertkit.notify.subscriptions import DEFAULT_BACKOFF, DEFAULT_MAX_ATTEMPTS, DEFAULT_TIMEOUT

__all__ = ["Notifying"]


class Notifying:
    """Handlers, pending deliveries and the notification log of a manager."""

    notifications: NotificationHub
    delivery: Deliverer
    log_store: NotificationLog
    clock: Clock

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
        """Tell ``handler`` (sync or async) of alerts, after their commits; returns its name.

        Parameters
        ----------
        handler
            Called with the :class:`~alertkit.Alert` for each new alert (ungrouped), or with
            a :class:`~alertkit.notify.Notification` (grouped, or a handler whose
            ``takes_notifications`` is true, as alertkit's channels are).
        name
            Identifies the destination across processes: pending notifications in the lake
            name it, and a later process delivers them to its handler of that name. Default:
            the handler's ``name`` attribute, else ``module.qualname``
            (:func:`alertkit.notify.handler_name`; a lambda must be named).
        severities, types
            Only alerts of these severities and types (default: all).
        group_by
            Alert fields (:data:`alertkit.notify.GROUP_FIELDS`), e.g. ``("rule",)``: one
            notification per group per cycle, so a VIX spike across 200 positions is one
            call. None: one call per alert.
        repeat_interval
            Remind of open, unacknowledged alerts at the first cycle (or
            :meth:`deliver_pending`) at least this long after the handler was last told,
            e.g. ``timedelta(hours=4)`` as Alertmanager does; None: never.
        reasons
            What the handler hears of (:data:`alertkit.notify.REASONS`; default: the
            handler's ``reasons`` attribute, else new alerts and reminders).
        max_attempts, backoff, timeout
            A failing call is retried after ``backoff``, doubling, up to ``max_attempts``
            calls, then recorded as failed with its error; a call is cut off after
            ``timeout`` (seconds or timedelta).

        A bad argument raises ``ValidationError`` and registers nothing.
        """
        return self.notifications.add(
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
        """Unregister the handler named ``name`` (what is pending for it stays pending)."""
        self.notifications.remove(name)

    @property
    def handler_failures(self) -> dict[str, int]:
        """Notifications that failed every attempt, per handler name, as the notification
        log records them (whichever process delivered them)."""
        failed = self.log_store.scan().filter(pl.col("outcome") == "failed")
        counts = failed.group_by("handler").agg(pl.col("notification_id").n_unique()).collect()
        return dict(sorted(counts.iter_rows()))

    def deliver_pending(self) -> pl.DataFrame:
        """Deliver what an earlier commit (of any process) left pending for this manager's
        handlers, and the reminders due now; waits, and returns the log rows of what was
        done (``sent``, ``failed`` or ``suppressed``; :meth:`notification_log` columns)."""
        return self.delivery.deliver_pending(self.clock())

    def flush_notifications(self, timeout: float | None = None) -> bool:
        """Wait until every delivery queued so far is done; False if ``timeout`` (seconds)
        ran out first."""
        return self.delivery.flush(timeout)

    def notification_log(
        self,
        *,
        since: datetime | None = None,
        handler: str | None = None,
        alert_id: str | None = None,
    ) -> pl.DataFrame:
        """What handlers were told and what not, oldest first: one row per delivery outcome
        (``sent``, ``failed``, ``suppressed``) and per notification still ``pending``.

        Columns (:data:`alertkit.model.notification_log.NOTIFICATION_LOG_SCHEMA`):
        ``alert_id``, ``handler``, ``reason``, ``outcome``, ``attempts``, ``at``,
        ``error``, ``notification_id`` (shared by one grouped notification's rows),
        ``group``, ``due_at``, ``entry_id``, ``date``.
        """
        return self.log_store.read(
            since=None if since is None else to_utc(since, "since"),
            handler=handler,
            alert_id=None if alert_id is None else reads.check_alert_id(alert_id),
        )

    def _outbox(self) -> Outbox | None:
        """What a commit of now makes due to the registered handlers (None: no handler)."""
        subscriptions = self.notifications.subscriptions
        return Outbox(subscriptions, self.clock()) if subscriptions else None
