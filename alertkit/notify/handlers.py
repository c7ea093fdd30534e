"""Handlers that come with alertkit: a webhook, the log, and the webhook's payload shape.

A handler is any sync or async callable taking one :class:`~alertkit.Alert`; register it with
``manager.add_handler`` (:class:`alertkit.notify.NotificationHub`).
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any, Final

from alertkit.model._json import dumps_metadata
from alertkit.model.alerts import Alert
from alertkit.model.errors import NotificationError, ValidationError

__all__ = [
    "PAYLOAD_SCHEMA",
    "alert_payload",
    "logging_handler",
    "webhook_handler",
]

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
