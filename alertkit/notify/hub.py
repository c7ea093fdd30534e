"""The notification pipeline: every delivery of every manager goes through one hub.

Modelled on Prometheus Alertmanager's ``notify`` package: what a commit makes due passes a
list of stages in order, then each subscription's filter, then its handler.

    commit -> due notifications -> stage 1 -> ... -> stage n -> subscriptions -> handlers
                                      |                 |
                                   muted (why)       muted (why)

- A :class:`Notification` is one alert due to be told, with the ``reason`` it is due ("new":
  the alert was opened by the commit).
- A stage takes the due notifications and returns those that go on, and those it muted with
  why (:class:`Muted`). :class:`MuteStage` turns any :class:`Muter` (``mutes(notification)
  -> reason or None``, Alertmanager's ``Muter``) into a stage: silences, inhibition and flap
  muting plug in that way, with nothing else to change.
- A subscription (``add``: a handler, optionally limited to severities and types) receives the
  notifications that reached the end. A handler that raises is logged and counted; it never
  loses the alert (already committed) and never stops the other handlers.

:meth:`NotificationHub.deliver` runs the handlers in the calling thread (sync or async
handlers; an async one on a loop of its own); :meth:`NotificationHub.adeliver` awaits them
on the caller's loop (the async manager). Both walk the same plan (:meth:`plan`), so the
stages and filters are applied in one place.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Literal, Protocol

from alertkit.model.alerts import Alert, AlertSeverity, AlertType
from alertkit.model.errors import ValidationError

__all__ = [
    "AlertHandler",
    "MuteStage",
    "Muted",
    "Muter",
    "Notification",
    "NotificationHub",
    "Reason",
    "Stage",
]

log = logging.getLogger(__name__)

AlertHandler = Callable[[Alert], None] | Callable[[Alert], Awaitable[None]]
"""A handler: a sync or async callable taking the alert."""

Reason = Literal["new"]
"""Why a notification is due. "new": the commit opened the alert."""


@dataclass(frozen=True, slots=True)
class Notification:
    """One alert due to be told, and why."""

    alert: Alert
    reason: Reason = "new"


@dataclass(frozen=True, slots=True)
class Muted:
    """A notification a stage held back: which stage, and why (e.g. a silence's id)."""

    notification: Notification
    stage: str
    why: str


class Stage(Protocol):
    """One step of the pipeline: the due notifications in, those that go on and those
    muted out."""

    name: str

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
class _Subscription:
    name: str
    handler: AlertHandler
    severities: frozenset[AlertSeverity] | None
    types: frozenset[AlertType] | None

    def wants(self, alert: Alert) -> bool:
        return (self.severities is None or alert.severity in self.severities) and (
            self.types is None or alert.type in self.types
        )


class NotificationHub:
    """The stages and handlers of one manager, with delivery, failure and mute counts."""

    def __init__(self) -> None:
        self._subscriptions: list[_Subscription] = []
        self._stages: list[Stage] = []
        self.delivered: Counter[str] = Counter()
        """Deliveries per handler name."""
        self.failures: Counter[str] = Counter()
        """Handler calls that raised, per handler name."""
        self.muted: Counter[str] = Counter()
        """Notifications held back, per stage name."""

    # -- subscriptions ---------------------------------------------------------------------

    def add(
        self,
        handler: AlertHandler,
        *,
        severities: Collection[AlertSeverity | str] | None = None,
        types: Collection[AlertType | str] | None = None,
        name: str | None = None,
    ) -> str:
        """Register ``handler``; returns its name (the counters' key, and what :meth:`remove`
        takes): ``name``, else the callable's ``__name__``, else its ``repr``."""
        if not callable(handler):
            raise ValidationError(f"handler: expected a callable, got {handler!r}")
        label = str(name or getattr(handler, "__name__", repr(handler)))
        self._subscriptions.append(
            _Subscription(
                label,
                handler,
                None
                if severities is None
                else frozenset(AlertSeverity.parse(s, "severities") for s in severities),
                None if types is None else frozenset(AlertType.parse(t, "types") for t in types),
            )
        )
        return label

    def remove(self, name: str) -> None:
        """Unregister every handler named ``name``."""
        self._subscriptions = [s for s in self._subscriptions if s.name != name]

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

    # -- delivering ------------------------------------------------------------------------

    def plan(
        self, alerts: Iterable[Alert], reason: Reason = "new"
    ) -> list[tuple[_Subscription, Notification]]:
        """What to deliver to whom: the due notifications through every stage, then every
        subscription's filter. Muted notifications are counted (and logged at debug)."""
        due = [Notification(alert, reason) for alert in alerts]
        for stage in self._stages:
            due, muted = stage(due)
            for held in muted:
                self.muted[held.stage] += 1
                log.debug(
                    "notification of %s muted by %s: %s",
                    held.notification.alert.alert_id,
                    held.stage,
                    held.why,
                )
        return [(sub, n) for n in due for sub in self._subscriptions if sub.wants(n.alert)]

    def deliver(self, alerts: Iterable[Alert], reason: Reason = "new") -> None:
        """Deliver from synchronous code; async handlers run to completion on a loop of their
        own."""
        for sub, notification in self.plan(alerts, reason):
            try:
                _call_blocking(sub.handler, notification.alert)
            except Exception:
                self._failed(sub, notification)
            else:
                self.delivered[sub.name] += 1

    async def adeliver(self, alerts: Iterable[Alert], reason: Reason = "new") -> None:
        """Deliver from async code: async handlers on the caller's loop, sync ones in a worker
        thread."""
        for sub, notification in self.plan(alerts, reason):
            try:
                if inspect.iscoroutinefunction(sub.handler):
                    await sub.handler(notification.alert)
                else:
                    result = await asyncio.to_thread(sub.handler, notification.alert)
                    if inspect.isawaitable(result):
                        await result
            except Exception:
                self._failed(sub, notification)
            else:
                self.delivered[sub.name] += 1

    def _failed(self, sub: _Subscription, notification: Notification) -> None:
        self.failures[sub.name] += 1
        log.exception("alert handler %r failed on alert %s", sub.name, notification.alert.alert_id)


def _call_blocking(handler: AlertHandler, alert: Alert) -> None:
    result = handler(alert)
    if not inspect.isawaitable(result):
        return

    async def wait() -> None:
        await result

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(wait())
        return
    # Called from synchronous code inside a running loop (a notebook cell, a widget callback):
    # asyncio.run would refuse, so the handler gets a loop of its own in a worker thread.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, wait()).result()
