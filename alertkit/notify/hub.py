"""The notification pipeline: every delivery of every manager goes through one hub.

Modelled on Prometheus Alertmanager's ``notify`` package: what is due passes a list of
stages in order, then is grouped per subscription, then sent, with retries and a timeout.

    due (alert, reason, handler) -> stage 1 -> ... -> stage n -> group -> send (retry, timeout)
                                       |                 |
                                  suppressed (why)  suppressed (why)

- A :class:`Due` is one alert due to be told to one handler, with the ``reason``.
- A stage takes per-alert :class:`Notification` s and returns those that go on, and those
  it muted with why (:class:`Muted`). :class:`MuteStage` turns any :class:`Muter`
  (``mutes(notification) -> reason or None``, Alertmanager's ``Muter``) into a stage:
  silences, inhibition and flap muting plug in that way.
- :meth:`NotificationHub.plan` groups what is left per subscription: one notification per
  (reason, ``group_by`` values) for a grouped handler, one per alert otherwise.
- :meth:`NotificationHub.send` calls the handler in a thread of its own, so a handler that
  hangs is cut off after its ``timeout`` and one that raises anything (even
  ``KeyboardInterrupt``) is a failed attempt; failed attempts are retried with exponential
  backoff up to ``max_attempts``.

What is due, and what became of it, is kept by the caller (:mod:`alertkit.live.delivery`:
the outbox on the alert rows, and the notification log).
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from alertkit.model.alerts import Alert, AlertSeverity, AlertType
from alertkit.model.errors import NotificationError, ValidationError
from alertkit.notify.notification import Notification, Reason
from alertkit.notify.subscriptions import AlertHandler, Subscription

__all__ = [
    "Delivery",
    "Due",
    "MuteStage",
    "Muted",
    "Muter",
    "NotificationHub",
    "Sent",
    "Stage",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Due:
    """One alert due to be told to the handler named ``handler``, why, and since when."""

    alert: Alert
    reason: Reason
    handler: str
    due_at: datetime
    from_outbox: bool = True
    """Recorded on the alert row (new, resolved); False for what is derived (reminders)."""

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.alert.alert_id, self.handler, self.reason)


@dataclass(frozen=True, slots=True)
class Muted:
    """A notification a stage held back: which stage, and why (e.g. a silence's id)."""

    notification: Notification
    stage: str
    why: str


class Stage(Protocol):
    """One step of the pipeline: per-alert notifications in, those that go on and those
    muted out."""

    @property
    def name(self) -> str: ...  # read-only, so a frozen dataclass (MuteStage) is a Stage

    def __call__(self, due: list[Notification]) -> tuple[list[Notification], list[Muted]]: ...


class Muter(Protocol):
    """Says why a notification must not be sent now, or None (Alertmanager's ``Muter``)."""

    def mutes(self, notification: Notification) -> str | None: ...


@dataclass(frozen=True, slots=True)
class MuteStage:
    """A stage that holds back every notification its :class:`Muter` mutes."""

    name: str
    muter: Muter

    def __call__(self, due: list[Notification]) -> tuple[list[Notification], list[Muted]]:
        kept: list[Notification] = []
        muted: list[Muted] = []
        for notification in due:
            why = self.muter.mutes(notification)
            if why is None:
                kept.append(notification)
            else:
                muted.append(Muted(notification, self.name, why))
        return kept, muted


@dataclass(frozen=True, slots=True)
class Delivery:
    """One notification for one subscription, and the dues it settles."""

    subscription: Subscription
    notification: Notification
    dues: tuple[Due, ...]

    @property
    def group_json(self) -> str | None:
        group = self.notification.group
        return (
            json.dumps(dict(group), separators=(",", ":")) if group else None
        )  # group_by order, as the dry run


@dataclass(frozen=True, slots=True)
class Sent:
    """What became of a :class:`Delivery`: sent or failed, after how many attempts."""

    delivery: Delivery
    outcome: Literal["sent", "failed"]
    attempts: int
    error: str | None = None


class NotificationHub:
    """The stages and subscriptions of one manager, with delivery, failure and mute counts."""

    def __init__(self, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self._subscriptions: dict[str, Subscription] = {}
        self._stages: list[Stage] = []
        self._sleep = sleep
        self.delivered: Counter[str] = Counter()
        """Notifications sent, per handler name (this process)."""
        self.failures: Counter[str] = Counter()
        """Notifications that failed every attempt, per handler name (this process)."""
        self.muted: Counter[str] = Counter()
        """Notifications held back, per stage name (this process)."""

    # -- subscriptions ---------------------------------------------------------------------

    def add(
        self,
        handler: AlertHandler,
        *,
        name: str | None = None,
        severities: Collection[AlertSeverity | str] | None = None,
        types: Collection[AlertType | str] | None = None,
        group_by: Collection[str] | None = None,
        repeat_interval: timedelta | float | None = None,
        **settings: Any,
    ) -> str:
        """Register ``handler`` (:meth:`Subscription.create` checks every argument, and a bad
        one registers nothing); returns its name. Names are unique: a name identifies a
        destination across processes."""
        sub = Subscription.create(
            handler,
            name=name,
            severities=severities,
            types=types,
            group_by=group_by,
            repeat_interval=repeat_interval,
            **settings,
        )
        if sub.name in self._subscriptions:
            raise ValidationError(
                f"name: a handler named {sub.name!r} is already registered; remove it first or"
                " pass another name="
            )
        self._subscriptions[sub.name] = sub
        return sub.name

    def remove(self, name: str) -> None:
        """Unregister the handler named ``name`` (what is pending for it stays pending)."""
        self._subscriptions.pop(name, None)

    @property
    def subscriptions(self) -> tuple[Subscription, ...]:
        return tuple(self._subscriptions.values())

    # -- stages ----------------------------------------------------------------------------

    def add_stage(self, stage: Stage) -> None:
        """Append ``stage`` to the pipeline (stages run in the order they were added)."""
        name = getattr(stage, "name", None)
        if not isinstance(name, str) or not name or not callable(stage):
            raise ValidationError(f"stage: expected a named callable stage, got {stage!r}")
        if any(s.name == name for s in self._stages):
            raise ValidationError(f"stage: a stage named {name!r} is already in the pipeline")
        self._stages.append(stage)

    def remove_stage(self, name: str) -> None:
        """Take the stage named ``name`` out of the pipeline."""
        self._stages = [s for s in self._stages if s.name != name]

    @property
    def stages(self) -> tuple[Stage, ...]:
        return tuple(self._stages)

    # -- planning --------------------------------------------------------------------------

    def plan(
        self, dues: Iterable[Due], *, stages: Sequence[Stage] = ()
    ) -> tuple[list[Delivery], list[tuple[Due, Muted]]]:
        """What to send to whom: the dues of registered handlers through ``stages`` (a
        round's own, e.g. the policy stages of :mod:`alertkit.live.policy_stages`), then the
        registered ones (:meth:`add_stage`), then grouped per subscription (a due for a
        handler not registered here is left out: it stays pending for the process that has
        it)."""
        mine = [d for d in dues if d.handler in self._subscriptions]
        held = self._muted(
            {(d.alert.alert_id, d.reason): d for d in mine}.values(), [*stages, *self._stages]
        )
        muted = [
            (d, held[(d.alert.alert_id, d.reason)])
            for d in mine
            if (d.alert.alert_id, d.reason) in held
        ]
        for _, m in muted:
            self.muted[m.stage] += 1
        groups: dict[tuple[Any, ...], list[Due]] = {}
        for due in mine:
            if (due.alert.alert_id, due.reason) in held:
                continue
            sub = self._subscriptions[due.handler]
            if sub.group_by is None:
                key: tuple[Any, ...] = (sub.name, due.reason, due.alert.alert_id)
            else:
                key = (sub.name, due.reason, *sub.group_of(due.alert).values())
            groups.setdefault(key, []).append(due)
        deliveries = []
        for members in groups.values():
            sub = self._subscriptions[members[0].handler]
            notification = Notification(
                tuple(d.alert for d in members), members[0].reason, sub.group_of(members[0].alert)
            )
            deliveries.append(Delivery(sub, notification, tuple(members)))
        return deliveries, muted

    @staticmethod
    def _muted(dues: Iterable[Due], stages: Sequence[Stage]) -> dict[tuple[str, str], Muted]:
        notifications = [Notification((d.alert,), d.reason) for d in dues]
        held: dict[tuple[str, str], Muted] = {}
        for stage in stages:  # the first stage that mutes a notification has the say
            notifications, muted = stage(notifications)
            for m in muted:
                held[(m.notification.alert.alert_id, m.notification.reason)] = m
        return held

    # -- sending ---------------------------------------------------------------------------

    def send(self, delivery: Delivery) -> Sent:
        """Call the handler, retrying a failed attempt with exponential backoff."""
        sub = delivery.subscription
        argument = sub.argument(delivery.notification)
        error = ""
        for attempt in range(1, sub.max_attempts + 1):
            try:
                _call_with_timeout(sub, argument)
            except NotificationError as exc:
                error = str(exc)
            else:
                self.delivered[sub.name] += 1
                return Sent(delivery, "sent", attempt)
            log.warning("handler %r attempt %d failed: %s", sub.name, attempt, error)
            if attempt < sub.max_attempts:
                self._sleep(sub.backoff.total_seconds() * 2 ** (attempt - 1))
        self.failures[sub.name] += 1
        return Sent(delivery, "failed", sub.max_attempts, error)


def _call_with_timeout(sub: Subscription, argument: Alert | Notification) -> None:
    """Run the handler in a daemon thread of its own and wait at most its timeout.

    A thread cannot be killed: one that overruns is abandoned (its result ignored), so it
    never holds up a commit, another handler or a stop. Anything it raises, BaseException
    included, is a failed attempt (NotificationError)."""
    failure: list[BaseException] = []

    def run() -> None:
        try:
            result = sub.handler(argument)  # type: ignore[arg-type]
            if inspect.isawaitable(result):
                asyncio.run(_awaited(result))
        except BaseException as exc:  # a handler's failure, whatever it is, is data here
            failure.append(exc)

    worker = threading.Thread(target=run, name=f"alertkit-handler-{sub.name}", daemon=True)
    worker.start()
    worker.join(sub.timeout.total_seconds())
    if worker.is_alive():
        raise NotificationError(
            f"handler {sub.name!r} did not return within {sub.timeout.total_seconds():g} s"
        )
    if failure:
        exc = failure[0]
        raise NotificationError(f"{type(exc).__name__}: {exc}"[:500]) from exc


async def _awaited(result: Any) -> None:
    await result
