"""A channel to Prometheus Alertmanager: each notification's alerts POSTed to its API v2.

Alertmanager then groups, silences, inhibits and routes them to its own receivers, and knows
an alert by its labels. Each alertkit alert becomes one Alertmanager alert:

=================  =========================================================================
field              value
=================  =========================================================================
labels             ``alertname`` (the trigger id, ``alert.rule``), ``symbol``,
                   ``strategy_id`` (as text), ``severity``, ``type``, ``engine_rule``; a
                   field that is None is left out (label values are strings, and an empty
                   one means "no label" to Alertmanager)
annotations        ``title``, ``message``, ``alert_id``
startsAt           ``created_at``
endsAt             ``resolved_at`` once the alert is closed (resolved or dismissed), so
                   Alertmanager resolves it too; for an open alert, see below
generatorURL       ``generator_url`` if given (``{alert_id}`` in it replaced by the id)
=================  =========================================================================

When an open alert ends in Alertmanager. Posted without ``endsAt`` (the default),
Alertmanager ends it ``resolve_timeout`` (its global setting, 5m unless configured) after
the last post unless posted again: Prometheus' own contract, under which a sender that dies
stops paging. So subscribe with a ``repeat_interval`` below that ``resolve_timeout``
(``add_handler(alertmanager_handler(url), repeat_interval=timedelta(minutes=4))``): the
reminders re-post the alert and keep it firing. Reminders are only sent for unacknowledged
alerts, so an alert acknowledged in alertkit ends in Alertmanager ``resolve_timeout`` later.
For longer intervals, give ``hold``: an open alert is posted with ``endsAt`` = now + ``hold``
(now from ``clock``, read once per delivery), and ``repeat_interval`` must be below ``hold``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from alertkit.model.alerts import Alert
from alertkit.model.errors import ValidationError
from alertkit.notify._http import channel_name, check_http_url, check_timeout, post_json, redacted
from alertkit.notify.notification import Notification, Reason

__all__ = [
    "ALERTMANAGER_REASONS",
    "AlertmanagerHandler",
    "alertmanager_alert",
    "alertmanager_handler",
]

ALERTMANAGER_REASONS: Final[frozenset[Reason]] = frozenset({"new", "reminder", "resolved"})
"""What an Alertmanager channel hears of by default: it must hear of closes to resolve its
alerts, and reminders keep open ones from ending (module docstring)."""

API_PATH: Final = "/api/v2/alerts"


def _utc_now() -> datetime:
    return datetime.now(UTC)


def alertmanager_alert(
    alert: Alert, *, generator_url: str | None = None, ends_at: datetime | None = None
) -> dict[str, Any]:
    """One alert as an Alertmanager API v2 ``postableAlert`` (table in the module docstring).

    ``ends_at`` is the ``endsAt`` of an open alert (None: left to Alertmanager); a closed
    alert always ends at its ``resolved_at``.

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> a = Alert(alert_id="a-1", type="warning", severity="high", status="active",
    ...           title="Delta limit", message="delta 0.28", rule="delta_risk", symbol="SPY",
    ...           strategy_id=7, metadata={}, created_at=datetime(2026, 1, 5, 15, tzinfo=UTC))
    >>> alertmanager_alert(a)["labels"]
    {'alertname': 'delta_risk', 'symbol': 'SPY', 'strategy_id': '7', 'severity': 'high', 'type': 'warning'}
    """  # noqa: E501 - a doctest's output is one line
    labels = {
        "alertname": alert.rule,
        "symbol": alert.symbol,
        "strategy_id": None if alert.strategy_id is None else str(alert.strategy_id),
        "severity": alert.severity.value,
        "type": alert.type.value,
        "engine_rule": alert.engine_rule,
    }
    posted: dict[str, Any] = {
        "labels": {k: v for k, v in labels.items() if v is not None},
        "annotations": {"title": alert.title, "message": alert.message, "alert_id": alert.alert_id},
        "startsAt": alert.created_at.isoformat(),
    }
    end = ends_at if alert.is_open else alert.resolved_at
    if end is not None:
        posted["endsAt"] = end.isoformat()
    if generator_url is not None:
        posted["generatorURL"] = generator_url.replace("{alert_id}", alert.alert_id)
    return posted


class AlertmanagerHandler:
    """POSTs each notification's alerts to one Alertmanager (build with
    :func:`alertmanager_handler`)."""

    takes_notifications: Final = True
    reasons: Final = ALERTMANAGER_REASONS

    def __init__(
        self,
        url: str,
        *,
        timeout: float,
        name: str | None,
        generator_url: str | None,
        hold: timedelta | float | None,
        clock: Callable[[], datetime] | None,
    ) -> None:
        self.url = check_http_url(url).rstrip("/")
        self.timeout = check_timeout(timeout)
        self.name = channel_name(name, f"alertmanager {redacted(self.url)}")
        if generator_url is not None:
            check_http_url(generator_url, "generator_url")
        self.generator_url = generator_url
        if isinstance(hold, int | float) and not isinstance(hold, bool):
            hold = timedelta(seconds=hold)
        if hold is not None and (not isinstance(hold, timedelta) or hold <= timedelta(0)):
            raise ValidationError(f"hold: expected a positive timedelta or seconds, got {hold!r}")
        self.hold = hold
        if clock is not None and not callable(clock):
            raise ValidationError(f"clock: expected a callable returning a datetime, got {clock!r}")
        self.clock = clock or _utc_now

    def __call__(self, notification: Notification | Alert) -> None:
        """Deliver once; :class:`~alertkit.NotificationError` if Alertmanager refused it."""
        if isinstance(notification, Alert):
            notification = Notification((notification,))
        ends_at = None if self.hold is None else self.clock() + self.hold
        post_json(
            self.url + API_PATH,
            [
                alertmanager_alert(a, generator_url=self.generator_url, ends_at=ends_at)
                for a in notification.alerts
            ],
            what=self.name,
            timeout=self.timeout,
        )

    def __repr__(self) -> str:
        return f"<AlertmanagerHandler {self.name!r}>"


def alertmanager_handler(
    url: str,
    *,
    timeout: float = 5.0,
    name: str | None = None,
    generator_url: str | None = None,
    hold: timedelta | float | None = None,
    clock: Callable[[], datetime] | None = None,
) -> AlertmanagerHandler:
    """A handler that POSTs each notification's alerts to the Alertmanager at ``url``.

    ``url`` is Alertmanager's base URL (``http://127.0.0.1:9093``); alerts go to
    ``<url>/api/v2/alerts`` as one JSON list per notification. Named ``alertmanager <url>``
    unless ``name`` is given; it hears of new alerts, reminders and closes
    (:data:`ALERTMANAGER_REASONS`). How open alerts stay firing, and ``hold``: the module
    docstring.

    One attempt per call: a non-2xx answer (the message carries the first line of
    Alertmanager's answer, which says what it refused), a redirect or no answer within
    ``timeout`` seconds raises :class:`~alertkit.NotificationError`.

    Examples
    --------
    >>> am = alertmanager_handler("http://127.0.0.1:9093/")
    >>> am.name, sorted(am.reasons)
    ('alertmanager http://127.0.0.1:9093', ['new', 'reminder', 'resolved'])
    """
    return AlertmanagerHandler(
        url, timeout=timeout, name=name, generator_url=generator_url, hold=hold, clock=clock
    )
