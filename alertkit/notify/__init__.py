"""Notifications: what happens after an alert is committed.

Every delivery of both managers goes through one pipeline (:class:`NotificationHub`, see
:mod:`alertkit.notify.hub`): what is due (:class:`Due`), then stages that may mute it
(silences, inhibition and flap muting plug in as :class:`MuteStage` s of a :class:`Muter`),
then grouping per :class:`Subscription` into :class:`Notification` s, then the handler, with
retries and a timeout. What is due is kept durably by the managers (:mod:`alertkit.live.outbox`,
:mod:`alertkit.live.delivery`). Handlers that come with alertkit are in
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
    "DEFAULT_REASONS",
    "GROUP_FIELDS",
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
    "handler_name",
    "logging_handler",
    "webhook_handler",
]
