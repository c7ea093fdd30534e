"""Registering a set of handlers on a manager all at once, or none of them.

The set usually comes from a desk's handlers file (:func:`alertkit.notify.config.load_handlers`);
the CLI's ``notify --pending`` and ``watch --handlers`` register it this way.
"""

from __future__ import annotations

from collections.abc import Iterable

from alertkit.live.manager import sync_manager_of
from alertkit.model.errors import ValidationError
from alertkit.notify import Subscription

__all__ = ["register_handlers"]


def register_handlers(manager: object, subscriptions: Iterable[Subscription]) -> list[str]:
    """Register every subscription on ``manager`` (either manager); returns their names.

    A name already registered on the manager, or given twice, is a
    :class:`~alertkit.ValidationError` raised before anything is registered: a half-registered
    desk would deliver some of what is pending and silently leave the rest.

    Examples
    --------
    >>> import tempfile
    >>> from alertkit import SyncAlertManager
    >>> from alertkit.notify import Subscription, webhook_handler
    >>> manager = SyncAlertManager(tempfile.mkdtemp() + "/alerts")
    >>> hook = Subscription.create(webhook_handler("http://127.0.0.1:9000/hook"), name="desk")
    >>> register_handlers(manager, [hook])
    ['desk']
    """
    core = sync_manager_of(manager)
    wanted = list(subscriptions)
    taken = {s.name for s in core.notifications.subscriptions}
    for index, sub in enumerate(wanted):
        if sub.name in taken:
            raise ValidationError(
                f"handlers[{index}]: name: a handler named {sub.name!r} is already registered"
            )
        taken.add(sub.name)
    # Subscription.create checked every value already; add_handler checks them again, cheaply,
    # and is the one way in, so the hub never holds a subscription it did not build itself.
    return [
        core.add_handler(
            sub.handler,
            name=sub.name,
            severities=sub.severities,
            types=sub.types,
            group_by=sub.group_by,
            repeat_interval=sub.repeat_interval,
            reasons=sub.reasons,
            max_attempts=sub.max_attempts,
            backoff=sub.backoff,
            timeout=sub.timeout,
        )
        for sub in wanted
    ]
