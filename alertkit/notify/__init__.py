"""Notifications: what happens after an alert is committed.

Every delivery of both managers goes through one pipeline (:class:`NotificationHub`, see
:mod:`alertkit.notify.hub`): due notifications, then stages that may mute them (silences,
inhibition and flap muting plug in as :class:`MuteStage` s of a :class:`Muter`), then each
handler's severity and type filter, then the handler. Handlers that come with alertkit (each
makes one delivery per call and raises :class:`~alertkit.NotificationError` on failure):

- ``webhook_handler`` (:mod:`alertkit.notify.handlers`): JSON, shapes :data:`PAYLOAD_SCHEMA`
  for one alert and :data:`NOTIFICATION_SCHEMA` for a grouped notification;
- ``alertmanager_handler`` (:mod:`alertkit.notify.alertmanager`): Prometheus Alertmanager's
  API v2;
- ``apprise_handler`` (:mod:`alertkit.notify.apprise_channel`): any service apprise speaks,
  with ``pip install 'alertkit[notify]'``;
- ``logging_handler``: one log line per alert.
"""

from alertkit.notify.alertmanager import ALERTMANAGER_REASONS, alertmanager_handler
from alertkit.notify.apprise_channel import apprise_handler
from alertkit.notify.handlers import (
    NOTIFICATION_SCHEMA,
    PAYLOAD_SCHEMA,
    alert_payload,
    logging_handler,
    notification_payload,
    webhook_handler,
)
from alertkit.notify.hub import (
    AlertHandler,
    Muted,
    Muter,
    MuteStage,
    Notification,
    NotificationHub,
    Reason,
    Stage,
)

__all__ = [
    "ALERTMANAGER_REASONS",
    "NOTIFICATION_SCHEMA",
    "PAYLOAD_SCHEMA",
    "AlertHandler",
    "MuteStage",
    "Muted",
    "Muter",
    "Notification",
    "NotificationHub",
    "Reason",
    "Stage",
    "alert_payload",
    "alertmanager_handler",
    "apprise_handler",
    "logging_handler",
    "notification_payload",
    "webhook_handler",
]
