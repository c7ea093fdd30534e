"""Handlers that come with alertkit: a webhook, the log, and the webhook's payload shapes.

A handler is any sync or async callable taking one :class:`~alertkit.Alert`, or a
:class:`~alertkit.notify.notification.Notification` when it says ``takes_notifications``
(as the webhook does); register it with ``manager.add_handler``. Other channels:
:mod:`alertkit.notify.alertmanager`, :mod:`alertkit.notify.apprise_channel`.

Payload shapes (the ``schema`` key; a shape changes only under a new name):

- ``alertkit.alert/1`` (:func:`alert_payload`): one alert. What a webhook receives for a
  notification of one alert with no group, exactly as before notifications were grouped.
- ``alertkit.notification/1`` (:func:`notification_payload`): a grouped notification.

alert/1 has no ``reason`` key, and gets none: receivers validate that shape, and a one-alert
notification's reason shows in the alert itself (``status`` says open or closed,
``occurrences`` counts repeats). Every webhook POST also carries the reason in the
``X-Alertkit-Reason`` header, which changes no body.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any, Final

from alertkit.model._json import dumps_metadata
from alertkit.model.alerts import Alert
from alertkit.notify._http import (
    channel_name,
    check_http_url,
    check_timeout,
    post_json,
    redacted,
)
from alertkit.notify.notification import Notification

__all__ = [
    "NOTIFICATION_SCHEMA",
    "PAYLOAD_SCHEMA",
    "WebhookHandler",
    "alert_payload",
    "logging_handler",
    "notification_payload",
    "webhook_handler",
]

PAYLOAD_SCHEMA: Final = "alertkit.alert/1"
"""The ``schema`` key of a one-alert webhook payload; it changes only when the shape does."""
NOTIFICATION_SCHEMA: Final = "alertkit.notification/1"
"""The ``schema`` key of a grouped notification's webhook payload."""


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


def notification_payload(notification: Notification) -> dict[str, Any]:
    """The JSON object a webhook receives for a grouped notification.

    Shape ``alertkit.notification/1``:

    ============  ==============================================================
    key           value
    ============  ==============================================================
    schema        ``"alertkit.notification/1"``
    reason        why it is due: ``"new"``, ``"reminder"``, ``"resolved"``, ...
    group         the ``group_by`` values the alerts share (``{}`` when none)
    alerts        one ``alertkit.alert/1`` object per alert (:func:`alert_payload`)
    ============  ==============================================================
    """
    return {
        "schema": NOTIFICATION_SCHEMA,
        "reason": notification.reason,
        "group": {k: getattr(v, "value", v) for k, v in notification.group.items()},
        "alerts": [alert_payload(alert) for alert in notification.alerts],
    }


class WebhookHandler:
    """POSTs each notification as JSON to one URL (build with :func:`webhook_handler`)."""

    takes_notifications: Final = True

    def __init__(
        self, url: str, *, headers: Mapping[str, str] | None, timeout: float, name: str | None
    ) -> None:
        self.url = check_http_url(url)
        self.timeout = check_timeout(timeout)
        self.headers = dict(headers or {})
        self.name = channel_name(name, f"webhook {redacted(url)}")

    def __call__(self, notification: Notification | Alert) -> None:
        """Deliver once; :class:`~alertkit.NotificationError` if the receiver did not take it."""
        if isinstance(notification, Alert):  # a handler registered before notifications
            notification = Notification((notification,))
        grouped = len(notification.alerts) > 1 or bool(notification.group)
        post_json(
            self.url,
            notification_payload(notification) if grouped else alert_payload(notification.alert),
            what=self.name,
            timeout=self.timeout,
            headers={"X-Alertkit-Reason": notification.reason, **self.headers},
        )

    def __repr__(self) -> str:
        return f"<WebhookHandler {self.name!r}>"


def webhook_handler(
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    timeout: float = 5.0,
    name: str | None = None,
) -> WebhookHandler:
    """A handler that POSTs each notification as JSON to ``url``.

    A notification of one alert with no group posts :func:`alert_payload` (``alertkit.alert/1``);
    a grouped one posts :func:`notification_payload` (``alertkit.notification/1``). It is named
    ``webhook <url>`` (any password in the URL shown as ``***``) unless ``name`` is given.

    One attempt per call: a non-2xx answer, a redirect (not followed: urllib would re-send it
    as a GET without the body), or no answer within ``timeout`` seconds raises
    :class:`~alertkit.NotificationError` (an ``OSError``); the hub retries and counts.
    A URL that is not http(s) or has no host is a :class:`~alertkit.ValidationError` here.

    Examples
    --------
    >>> hook = webhook_handler("http://127.0.0.1:9000/hook")
    >>> hook.name, hook.takes_notifications
    ('webhook http://127.0.0.1:9000/hook', True)
    """
    return WebhookHandler(url, headers=headers, timeout=timeout, name=name)
