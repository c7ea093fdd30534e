"""Delivery after the commit: a background worker that sends, logs, then clears the outbox.

Every notification a commit makes due is first on the alert rows (:mod:`alertkit.live.outbox`),
in the commit itself. Then, off the committing thread:

1. the hub plans it (stages, grouping) and sends it, each subscription in a thread of its own
   so a slow handler holds up only itself, each call cut off at its timeout and retried
   with backoff (:meth:`NotificationHub.send`);
2. the outcomes are appended to the notification log (:mod:`alertkit.live.notification_log`);
3. only then are the settled entries removed from the alert rows, in one MERGE;
4. last, the log's automatic maintenance (its own ``auto_maintain`` counter; it never raises,
   the round having committed), so the log's months do not pile up small files.

A kill before 2 leaves the entries pending, and :meth:`Deliverer.deliver_pending` (run by the
next process, by ``Monitor`` at start and every tick, and by ``alertkit notify --pending``)
sends them: at least once across crashes. In one process all rounds run on the one worker
thread, in order, so an entry is never sent twice in normal operation. Reminders and the
policies' dues (a silence's end, an escalation, a flap change) are derived at each round asked
for them (:mod:`alertkit.live.reminders`, :mod:`alertkit.live.policy_dues`), and every due
passes the policy stages (silence, inhibition, snooze, flapping:
:mod:`alertkit.live.policy_stages`) before the hub's own.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

import polars as pl

from alertkit.lake.maintenance import auto_maintain
from alertkit.lake.store import AlertStore, audit
from alertkit.live.notification_log import NotificationLog, log_rows
from alertkit.live.outbox import COLUMN, pending_entries, without
from alertkit.live.policy_dues import may_be_due, policy_dues
from alertkit.live.policy_stages import RoundPolicies, round_stages
from alertkit.live.policy_store import PolicyStore
from alertkit.live.reminders import reminder_dues
from alertkit.live.transitions import rows_by_id
from alertkit.model.alerts import Alert
from alertkit.model.errors import StoreError
from alertkit.model.notification_log import NOTIFICATION_LOG_SCHEMA
from alertkit.model.schema import ALERT_SCHEMA, alert_from_row
from alertkit.notify import Delivery, Due, NotificationHub, Sent
from alertkit.policy import Policies

__all__ = ["Deliverer", "dues_of_alert", "dues_of_rows"]

_SETTLED_KEPT: Final = 100_000
"""How many settled dues the worker remembers, so one handed over twice is sent once."""

_IDLE_SECONDS: Final = 2.0
"""An idle worker exits after this long (and restarts on the next round), so a manager
that is dropped leaves no thread behind."""

log = logging.getLogger(__name__)


def _settle_key(due: Due) -> tuple[str, str, str, datetime]:
    return (*due.key, due.due_at)


def dues_of_alert(alert: Alert, pending: str | None) -> list[Due]:
    """The dues of one alert's ``notify_pending`` text."""
    return [Due(alert, e.reason, e.handler, e.due_at) for e in pending_entries(pending)]


def dues_of_rows(rows: pl.DataFrame) -> list[Due]:
    """Every due pending on alert ``rows`` (``ALERT_SCHEMA`` frames, as committed)."""
    dues = []
    for row in rows.filter(pl.col(COLUMN).is_not_null()).iter_rows(named=True):
        dues += dues_of_alert(alert_from_row(row), row[COLUMN])
    return dues


@dataclass
class _Round:
    dues: list[Due]
    rows: pl.DataFrame | None = None
    order: list[str] | None = None
    scan_outbox: bool = False
    remind_at: datetime | None = None
    done: Future[pl.DataFrame] = field(default_factory=Future)


class Deliverer:
    """The delivery worker of one manager (started on first use, a daemon thread)."""

    def __init__(
        self,
        hub: NotificationHub,
        store: AlertStore,
        log_store: NotificationLog,
        clock: Callable[[], datetime],
        *,
        policy_store: PolicyStore | None = None,
        policies: Callable[[], Policies] = Policies,
        maintain_every: Callable[[], int] = int,
    ) -> None:
        self.hub = hub
        self.store = store
        self.log = log_store
        self.clock = clock
        self.policy_store = policy_store if policy_store is not None else PolicyStore.beside(store)
        self.policies = policies
        """The manager's current in-process policies (read at each round)."""
        self.maintain_every = maintain_every
        """The manager's ``maintain_every``, for the log's automatic maintenance (default 0:
        none)."""
        self._log_checked_at = 0
        """The log's table version at this worker's last fragmentation check."""
        self._rounds: queue.Queue[_Round] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._settled: OrderedDict[tuple[str, str, str, datetime], None] = OrderedDict()
        """What this worker settled lately (only the worker thread touches it)."""

    # -- asking ----------------------------------------------------------------------------

    def submit(
        self,
        dues: Iterable[Due] = (),
        *,
        rows: pl.DataFrame | None = None,
        order: list[str] | None = None,
        scan_outbox: bool = False,
        remind_at: datetime | None = None,
    ) -> Future[pl.DataFrame]:
        """Queue a round: ``dues``, and those pending on committed alert ``rows`` (told in
        the ``order`` of their ids, when given), plus with ``scan_outbox`` whatever the
        outbox holds for our handlers, plus reminders and policy dues (a silence's end, an
        escalation, a flap change) due at ``remind_at``. Returns at once
        (the rows are read into alerts on the worker, not on the committing thread); the
        future gives the round's log rows."""
        job = _Round(list(dues), rows, order, scan_outbox, remind_at)
        empty = rows is None or rows.is_empty()
        if not job.dues and empty and not scan_outbox and remind_at is None:
            job.done.set_result(pl.DataFrame(schema=NOTIFICATION_LOG_SCHEMA))
            return job.done
        self._rounds.put(job)
        self._ensure_worker()
        return job.done

    def deliver_pending(self, now: datetime) -> pl.DataFrame:
        """Deliver what the outbox holds for our handlers and the reminders due ``now``,
        and wait; returns the log rows of what was done."""
        return self.submit((), scan_outbox=True, remind_at=now).result()

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every round queued so far is done; False if ``timeout`` ran out."""
        fence = _Round([])  # an empty round, done once every round before it is
        self._rounds.put(fence)
        self._ensure_worker()
        try:
            fence.done.result(timeout)
        except TimeoutError:
            return False
        return True

    # -- the worker ------------------------------------------------------------------------

    def _ensure_worker(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._work, name="alertkit-delivery", daemon=True
                )
                self._thread.start()

    def _work(self) -> None:
        while True:
            try:
                job = self._rounds.get(timeout=_IDLE_SECONDS)
            except queue.Empty:
                with self._lock:  # exit only if nothing was queued meanwhile
                    if self._rounds.empty():
                        self._thread = None
                        return
                continue
            try:
                job.done.set_result(self._run(job))
            except BaseException as exc:  # reported to whoever waits; the worker goes on
                log.exception("notification delivery round failed")
                job.done.set_exception(exc)

    def _run(self, job: _Round) -> pl.DataFrame:
        dues = list(job.dues)
        if job.rows is not None:
            committed = dues_of_rows(job.rows)
            if job.order is not None:
                rank = {alert_id: i for i, alert_id in enumerate(job.order)}
                committed.sort(key=lambda d: rank.get(d.alert.alert_id, len(rank)))
            dues += committed
        if job.scan_outbox:
            dues += self._outbox_dues()
        subscriptions = self.hub.subscriptions
        view: RoundPolicies | None = None  # read once per round, when needed
        if job.remind_at is not None and subscriptions:
            view = RoundPolicies.read(self.policy_store, self.policies())
            dues += reminder_dues(self.store, self.log, subscriptions, job.remind_at)
            dues += policy_dues(view, self.store, self.log, subscriptions, job.remind_at)
        # Each due once: a round may hold one twice (the outbox scanned after the commit that
        # also handed it over), and an earlier round may have settled it already.
        unique: dict[tuple[str, str, str, datetime], Due] = {}
        for due in dues:
            unique.setdefault(_settle_key(due), due)
        dues = [d for k, d in unique.items() if k not in self._settled]
        if not dues:
            return pl.DataFrame(schema=NOTIFICATION_LOG_SCHEMA)
        names = {s.name for s in subscriptions}
        mine = [d for d in dues if d.handler in names]
        if mine and view is None:
            view = RoundPolicies.read(self.policy_store, self.policies())
        stages = round_stages(view, self.store, mine) if view is not None else []
        # only the dues the stages were built for (a handler added since waits a round)
        deliveries, muted = self.hub.plan(mine, stages=stages)
        sent = self._send(deliveries)
        rows = log_rows(sent, muted, self.clock())
        self.log.append(rows)  # first the log: a kill after it only repeats a delivery
        settled = [d for s in sent for d in s.delivery.dues] + [d for d, _ in muted]
        self._clear([d for d in settled if d.from_outbox])
        for due in settled:
            self._settled[_settle_key(due)] = None
        while len(self._settled) > _SETTLED_KEPT:
            self._settled.popitem(last=False)
        if not rows.is_empty():  # a log commit landed
            self._maintain_log()
        return rows

    def _maintain_log(self) -> None:
        """The log's automatic maintenance, once the round has committed and settled (it
        never raises: see :func:`~alertkit.lake.maintenance.auto_maintain`)."""
        every = self.maintain_every()
        if not every:
            return
        self._log_checked_at, report = auto_maintain(
            self.log.store, checked_at=self._log_checked_at, every=every
        )
        if report is not None:
            log.info("automatic maintenance on %s: %s", self.log.store.uri, report.describe())

    def derives(self) -> bool:
        """Whether a round should look for derived dues (``remind_at``): a handler has a
        repeat interval, or a policy could make something due (:func:`may_be_due`)."""
        subscriptions = self.hub.subscriptions
        return bool(subscriptions) and (
            any(s.repeat_interval for s in subscriptions)
            or may_be_due(self.policy_store, self.policies())
        )

    def _outbox_dues(self) -> list[Due]:
        mine = {s.name for s in self.hub.subscriptions}
        rows = self.store.scan().filter(pl.col(COLUMN).is_not_null()).collect()
        return [d for d in dues_of_rows(rows) if d.handler in mine]

    def _send(self, deliveries: list[Delivery]) -> list[Sent]:
        by_handler: dict[str, list[Delivery]] = {}
        for delivery in deliveries:
            by_handler.setdefault(delivery.subscription.name, []).append(delivery)

        def send_all(batch: list[Delivery]) -> list[Sent]:
            return [self.hub.send(d) for d in batch]

        if len(by_handler) <= 1:  # none (all muted), or one handler: no pool needed
            return send_all(deliveries)
        with ThreadPoolExecutor(len(by_handler), thread_name_prefix="alertkit-send") as pool:
            return [s for batch in pool.map(send_all, by_handler.values()) for s in batch]

    def _clear(self, settled: list[Due]) -> None:
        """Remove the settled entries from their alert rows, in one MERGE (retried)."""
        done: dict[str, set[tuple[str, str]]] = {}
        for due in settled:
            done.setdefault(due.alert.alert_id, set()).add((due.handler, due.reason))
        if not done:
            return

        def attempt() -> None:
            table = self.store.table()
            found = rows_by_id(table, list(done))
            rows = []
            for alert_id, keys in done.items():
                row = found.get(alert_id)
                if row is None or without(row[COLUMN], keys) == row[COLUMN]:
                    continue
                rows.append(
                    {
                        **row,
                        COLUMN: without(row[COLUMN], keys),
                        "revision": row["revision"] + 1,
                        "expected_revision": row["revision"],
                    }
                )
            if not rows:
                return
            frame = pl.DataFrame(rows, schema={**ALERT_SCHEMA, "expected_revision": pl.Int64()})
            outcome = self.store.merge_rows(
                table,
                frame,
                reads="partitions",
                custom_metadata=audit("notified", f"{len(rows)} alerts", None),
            )
            if outcome.updated != len(rows):
                raise StoreError(f"clearing {len(rows)} delivered notifications did {outcome}")

        self.store.retrying(attempt, "record delivered notifications")
