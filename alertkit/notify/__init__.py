"""Notifications: what happens after an alert is committed.

Every delivery of both managers goes through one pipeline (:class:`NotificationHub`, see
:mod:`alertkit.notify.hub`): what is due (:class:`Due`), then stages that may mute it
(silences, inhibition and flap muting plug in as :class:`MuteStage` s of a :class:`Muter`),
then grouping per :class:`Subscription` into :class:`Notification` s, then the handler, with
retries and a timeout. What is due is kept durably by the managers (:mod:`alertkit.live.outbox`,
:mod:`alertkit.live.delivery`). Handlers that come with alertkit (each makes one delivery per
call and raises :class:`~alertkit.NotificationError` on failure):

- ``webhook_handler`` (:mod:`alertkit.notify.handlers`): JSON, shapes :data:`PAYLOAD_SCHEMA`
  for one alert and :data:`NOTIFICATION_SCHEMA` for a grouped notification;
- ``alertmanager_handler`` (:mod:`alertkit.notify.alertmanager`): Prometheus Alertmanager's
  API v2;
- ``apprise_handler`` (:mod:`alertkit.notify.apprise_channel`): any service apprise speaks,
  with ``pip install 'alertkit[notify]'``;
- ``logging_handler``: one log line per alert.

A desk's handlers can also be described in a TOML file and read with :func:`load_handlers`
(:mod:`alertkit.notify.config`).
"""

from alertkit.notify.alertmanager import ALERTMANAGER_REASONS, alertmanager_handler
from alertkit.notify.apprise_channel import apprise_handler
from alertkit.notify.config import load_handlers, parse_duration
from alertkit.notify.handlers import (
    NOTIFICATION_SCHEMA,
    PAYLOAD_SCHEMA,
    alert_payload,
    logging_handler,
    notification_payload,
    webhook_handler,
)
from alertkit.notify.hub import (
    Delivery,
    Due,
    Muted,
    Muter,
    MuteStage,
    NotificationHub,
    Sent,
    Stage,
)
from alertkit.notify.notification import REASONS, Notification, Reason
from alertkit.notify.subscriptions import (
    DEFAULT_REASONS,
    GROUP_FIELDS,
    AlertHandler,
    Subscription,
    handler_name,
)

__all__ = [
    "ALERTMANAGER_REASONS",
    "DEFAULT_REASONS",
    "GROUP_FIELDS",
    "NOTIFICATION_SCHEMA",
    "PAYLOAD_SCHEMA",
    "REASONS",
    "AlertHandler",
    "Delivery",
    "Due",
    "MuteStage",
    "Muted",
    "Muter",
    "Notification",
    "NotificationHub",
    "Reason",
    "Sent",
    "Stage",
    "Subscription",
    "alert_payload",
    "alertmanager_handler",
    "apprise_handler",
    "handler_name",
    "load_handlers",
    "logging_handler",
    "notification_payload",
    "parse_duration",
    "webhook_handler",
]
