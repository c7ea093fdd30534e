"""Notifications: callables run after an alert is persisted (new alerts, not repeat firings).

A handler is any sync or async callable taking the :class:`Alert`, optionally limited to some
severities and types. A failing handler is logged and counted; it never loses the alert (which
is already committed) and never stops the other handlers.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import json
import logging
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, Final

from alertkit.model._json import dumps_metadata
from alertkit.model.alerts import Alert, AlertSeverity, AlertType
from alertkit.model.errors import NotificationError, ValidationError

__all__ = [
    "PAYLOAD_SCHEMA",
    "AlertHandler",
    "NotificationHub",
    "alert_payload",
    "logging_handler",
    "webhook_handler",
]

log = logging.getLogger(__name__)

AlertHandler = Callable[[Alert], None] | Callable[[Alert], Awaitable[None]]


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
    """The handlers registered on a manager, with per-handler delivery and failure counts."""

    def __init__(self) -> None:
        self._subscriptions: list[_Subscription] = []
        self.delivered: Counter[str] = Counter()
        self.failures: Counter[str] = Counter()

    def add(
        self,
        handler: AlertHandler,
        *,
        severities: Collection[AlertSeverity | str] | None = None,
        types: Collection[AlertType | str] | None = None,
        name: str | None = None,
    ) -> str:
        """Register ``handler``; returns its name (used in the counters and by :meth:`remove`)."""
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
        self._subscriptions = [s for s in self._subscriptions if s.name != name]

    def dispatch(self, alert: Alert) -> None:
        """Run every interested handler; async handlers run to completion on a fresh loop."""
        for sub in self._subscriptions:
            if not sub.wants(alert):
                continue
            try:
                _call_blocking(sub.handler, alert)
            except Exception:
                self._failed(sub, alert)
            else:
                self.delivered[sub.name] += 1

    async def adispatch(self, alert: Alert) -> None:
        """Run every interested handler from async code (sync ones in a worker thread)."""
        for sub in self._subscriptions:
            if not sub.wants(alert):
                continue
            try:
                if inspect.iscoroutinefunction(sub.handler):
                    await sub.handler(alert)
                else:
                    result = await asyncio.to_thread(sub.handler, alert)
                    if inspect.isawaitable(result):
                        await result
            except Exception:
                self._failed(sub, alert)
            else:
                self.delivered[sub.name] += 1

    def _failed(self, sub: _Subscription, alert: Alert) -> None:
        self.failures[sub.name] += 1
        log.exception("alert handler %r failed on alert %s", sub.name, alert.alert_id)


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


PAYLOAD_SCHEMA: Final = "alertkit.alert/1"
"""The ``schema`` key of every webhook payload; it changes only when the shape does."""


def alert_payload(alert: Alert) -> dict[str, Any]:
    """The JSON object a webhook receives for a new alert.

    Its own shape, not the table row, so a change to storage never changes what receivers
    get. Shape ``alertkit.alert/1``:

    ============  ==============================================================
    key           value
    ============  ==============================================================
    schema        ``"alertkit.alert/1"``
    alert_id      the alert's id (a UUIDv7 string)
    type          ``"info"``, ``"warning"`` or ``"critical"``
    severity      ``"immediate"``, ``"high"``, ``"normal"`` or ``"low"``
    status        ``"active"`` for a new alert
    title         e.g. ``"Close position: stop_loss_hard"``
    message       the decision's reason
    rule          the trigger id (``take_profit_full``)
    engine_rule   the engine rule that fired (``take_profit``), or null
    symbol        the underlying, or null
    strategy_id   the position, or null
    created_at    ISO-8601 with offset, UTC (``2026-01-05T15:00:00+00:00``)
    occurrences   firings counted so far (1 for a new alert)
    metadata      the decision's inputs and thresholds, a JSON object
    ============  ==============================================================
    """
    return {
        "schema": PAYLOAD_SCHEMA,
        "alert_id": alert.alert_id,
        "type": alert.type.value,
        "severity": alert.severity.value,
        "status": alert.status.value,
        "title": alert.title,
        "message": alert.message,
        "rule": alert.rule,
        "engine_rule": alert.engine_rule,
        "symbol": alert.symbol,
        "strategy_id": alert.strategy_id,
        "created_at": alert.created_at.isoformat(),
        "occurrences": alert.occurrences,
        # datetimes, Decimals and numpy scalars encoded as the table encodes them
        "metadata": json.loads(dumps_metadata(alert.metadata)),
    }


def logging_handler(
    logger: logging.Logger | None = None, level: int = logging.WARNING
) -> Callable[[Alert], None]:
    """A handler that logs one line per alert."""
    target = logger or logging.getLogger("alertkit.model.alerts")

    def log_alert(alert: Alert) -> None:
        target.log(
            level,
            "[%s/%s] %s (%s %s): %s",
            alert.type.value,
            alert.severity.value,
            alert.title,
            alert.symbol,
            alert.strategy_id,
            alert.message,
        )

    return log_alert


def webhook_handler(
    url: str, *, headers: Mapping[str, str] | None = None, timeout: float = 5.0
) -> Callable[[Alert], None]:
    """A handler that POSTs each alert as JSON to ``url``.

    A non-2xx answer, or no answer, raises :class:`~alertkit.NotificationError` (an
    ``OSError``), which the hub logs and counts.
    """
    if not url.startswith(("http://", "https://")):
        raise ValidationError(f"url: expected an http(s) URL, got {url!r}")

    def post_alert(alert: Alert) -> None:
        body = json.dumps(alert_payload(alert)).encode()
        request = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status = response.status
        except urllib.error.HTTPError as exc:  # how urllib reports most non-2xx answers
            exc.close()  # it holds the open response
            status = exc.code
        except OSError as exc:  # no answer: refused, unreachable, timed out
            raise NotificationError(f"webhook {url} failed: {exc}") from exc
        if not 200 <= status < 300:
            raise NotificationError(f"webhook {url} answered {status}")

    return post_alert
