"""A channel to any service `apprise <https://github.com/caronc/apprise>`_ speaks: Slack,
Telegram, Discord, e-mail, ntfy, Pushover, Matrix, a JSON endpoint... by URL.

Optional: ``pip install 'alertkit[notify]'``; apprise is imported only when a channel is made.

A notification becomes one apprise message (to every URL of the channel):

===========  ======================================================================
part         value
===========  ======================================================================
title        ``title`` if given; else one alert's own title (``"Reminder: "`` or
             ``"Closed: "`` before it for those reasons), or for several
             ``"3 new alerts: take_profit_full"`` (their trigger ids, in order)
body         one line per alert: ``SPY strategy 7 (take_profit_full): the message``
notify_type  from the most serious alert type: critical -> failure, warning ->
             warning, info -> info; a ``resolved`` notification is a success
===========  ======================================================================

Names never hold secrets: a channel is named by each URL as apprise prints it in privacy
mode (passwords and tokens masked), without its query (where apprise URLs carry headers and
keys), and messages name URLs the same way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from alertkit.model.alerts import Alert, AlertType
from alertkit.model.errors import NotificationError, ValidationError
from alertkit.notify._http import channel_name
from alertkit.notify.notification import Notification, Reason

if TYPE_CHECKING:
    import apprise

__all__ = ["AppriseHandler", "apprise_handler", "apprise_message"]

INSTALL_HINT: Final = "apprise_handler needs apprise: pip install 'alertkit[notify]'"

_NOTIFY_TYPES: Final = {  # apprise's NotifyType values
    AlertType.CRITICAL: "failure",
    AlertType.WARNING: "warning",
    AlertType.INFO: "info",
}
_SERIOUSNESS: Final = (AlertType.INFO, AlertType.WARNING, AlertType.CRITICAL)
_ONE_PREFIX: Final[dict[Reason, str]] = {"reminder": "Reminder: ", "resolved": "Closed: "}
_MANY_WORD: Final[dict[Reason, str]] = {
    "new": "new",
    "reminder": "open",
    "resolved": "closed",
    "escalated": "escalated",
}


def _import_apprise() -> Any:
    try:
        import apprise
    except ImportError as exc:
        raise ImportError(INSTALL_HINT) from exc
    return apprise


def _line(alert: Alert) -> str:
    where = [
        *([alert.symbol] if alert.symbol is not None else []),
        *([f"strategy {alert.strategy_id}"] if alert.strategy_id is not None else []),
        f"({alert.rule})",
    ]
    return f"{' '.join(where)}: {alert.message}"


def apprise_message(notification: Notification, title: str | None = None) -> dict[str, str]:
    """The ``title``, ``body`` and ``notify_type`` a notification is sent with (module
    docstring); ``title`` replaces the made-up one.

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> a = Alert(alert_id="a-1", type="critical", severity="high", status="active",
    ...           title="Close position: stop_loss_hard", message="down 4%", rule="stop_loss_hard",
    ...           symbol="SPY", strategy_id=7, metadata={}, created_at=datetime(2026, 1, 5, tzinfo=UTC))
    >>> apprise_message(Notification((a,)))
    {'title': 'Close position: stop_loss_hard', 'body': 'SPY strategy 7 (stop_loss_hard): down 4%', 'notify_type': 'failure'}
    """  # noqa: E501 - a doctest's output is one line
    alerts, reason = notification.alerts, notification.reason
    if title is None and len(alerts) == 1:
        title = _ONE_PREFIX.get(reason, "") + alerts[0].title
    elif title is None:
        word = _MANY_WORD.get(reason, reason.replace("_", " "))
        rules = ", ".join(dict.fromkeys(a.rule for a in alerts))
        title = f"{len(alerts)} {word} alerts: {rules}"
    worst = max((a.type for a in alerts), key=_SERIOUSNESS.index)
    return {
        "title": title,
        "body": "\n".join(_line(a) for a in alerts),
        "notify_type": "success" if reason == "resolved" else _NOTIFY_TYPES[worst],
    }


def _private(plugin: Any) -> str:
    # privacy=True masks passwords and tokens; the query is dropped too, as apprise keeps
    # custom headers (``-X-Token=...``) and some services' keys there, unmasked.
    return str(plugin.url(privacy=True)).partition("?")[0]


class AppriseHandler:
    """Sends each notification as one apprise message (build with :func:`apprise_handler`)."""

    takes_notifications: Final = True

    def __init__(self, urls: tuple[str, ...], *, name: str | None, title: str | None) -> None:
        apprise_ = _import_apprise()
        if not urls:
            raise ValidationError("urls: expected one or more apprise URLs, got none")
        if title is not None and (not isinstance(title, str) or not title.strip()):
            raise ValidationError(f"title: expected a non-empty str or None, got {title!r}")
        # In memory: apprise would otherwise keep a cache under the user's home directory.
        asset = apprise_.AppriseAsset(storage_mode="memory")
        self._apprise: apprise.Apprise = apprise_.Apprise(asset=asset)
        shown = []
        for i, url in enumerate(urls):
            plugin = (
                apprise_.Apprise.instantiate(url, asset=asset) if isinstance(url, str) else None
            )
            if plugin is None:
                scheme = url.partition("://")[0] if isinstance(url, str) else repr(url)
                raise ValidationError(
                    f"urls[{i}]: apprise cannot use this {scheme}:// URL (an unsupported"
                    " service, or a URL missing its parts; see https://appriseit.com/services/)"
                )
            self._apprise.add(plugin)
            shown.append(_private(plugin))
        self.name = channel_name(name, "apprise " + " ".join(shown))
        self.title = title

    def __call__(self, notification: Notification | Alert) -> None:
        """Deliver once; :class:`~alertkit.NotificationError` if any service refused it."""
        if isinstance(notification, Alert):
            notification = Notification((notification,))
        message = apprise_message(notification, self.title)
        result = self._apprise.notify(
            body=message["body"], title=message["title"], notify_type=message["notify_type"]
        )
        if not result:
            # with several services, say which refused (by their private URLs)
            several = len(result) > 1
            failed = [
                (f"{_private_url(r.url)}: " if several else "") + _last_message(r)
                for r in result
                if not r
            ]
            raise NotificationError(f"{self.name} failed: {'; '.join(failed) or 'no service'}")

    def __repr__(self) -> str:
        return f"<AppriseHandler {self.name!r}>"


def _private_url(url: object) -> str:
    return str(url).partition("?")[0]  # already in privacy mode; see _private


def _last_message(result: Any) -> str:
    messages = [entry.message for attempt in result for entry in attempt]
    return str(messages[-1]) if messages else "refused"


def apprise_handler(
    *urls: str, name: str | None = None, title: str | None = None
) -> AppriseHandler:
    """A handler that sends each notification to the apprise ``urls``.

    Every URL is checked now: one apprise cannot use, or none at all, is a
    :class:`~alertkit.ValidationError`. Sending is one attempt per call; a service that
    does not accept the message raises :class:`~alertkit.NotificationError`. Named
    ``apprise <urls>`` (secrets masked, module docstring) unless ``name`` is given.

    Examples
    --------
    >>> apprise_handler("json://user:hunter2@127.0.0.1:8000/hook?-X-Token=abc").name
    'apprise json://user:****@127.0.0.1:8000/hook'
    """
    return AppriseHandler(urls, name=name, title=title)
