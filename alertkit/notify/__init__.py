"""Notifications: what happens after an alert is committed.

Every delivery of both managers goes through one pipeline (:class:`NotificationHub`, see
:mod:`alertkit.notify.hub`): due notifications, then stages that may mute them (silences,
inhibition and flap muting plug in as :class:`MuteStage` s of a :class:`Muter`), then each
handler's severity and type filter, then the handler. Handlers that come with alertkit are in
:mod:`alertkit.notify.handlers`: ``webhook_handler`` (JSON, shape :data:`PAYLOAD_SCHEMA`) and
``logging_handler``.
"""

from alertkit.notify.handlers import (
    PAYLOAD_SCHEMA,
    alert_payload,
    logging_handler,
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
    "logging_handler",
    "webhook_handler",
]
