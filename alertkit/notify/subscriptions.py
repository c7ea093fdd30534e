"""A subscription: one handler, what it wants to hear of, how it is grouped, retried and cut off.

:meth:`Subscription.create` checks everything at registration (``add_handler``), so a bad
argument registers nothing. The same object drives live delivery and the dry run over a
backtest (:mod:`alertkit.backtest.notifications`), so both group and remind alike.

Naming: a handler's ``name`` identifies its destination across processes (pending
notifications in the lake name the handler they are due to). Unnamed, a handler is named by
its own ``name`` attribute (alertkit's channels name themselves by destination, e.g.
``webhook http://127.0.0.1:9000/hook``), else ``module.qualname`` of the callable
(``mydesk.alerts.page_oncall``); a lambda or a callable object without a ``name`` must be
given one, as its name would not say where it delivers.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

from alertkit.model.alerts import Alert, AlertSeverity, AlertType
from alertkit.model.errors import ValidationError
from alertkit.notify.notification import REASONS, Notification, Reason

__all__ = [
    "DEFAULT_REASONS",
    "GROUP_FIELDS",
    "AlertHandler",
    "Subscription",
    "handler_name",
]

AlertHandler = (
    Callable[[Alert], None]
    | Callable[[Alert], Awaitable[None]]
    | Callable[[Notification], None]
    | Callable[[Notification], Awaitable[None]]
)
"""A handler: a sync or async callable taking an :class:`~alertkit.Alert` (ungrouped, the
seed's contract) or a :class:`Notification` (grouped, or a handler whose
``takes_notifications`` attribute is true, as alertkit's channels are)."""

GROUP_FIELDS: Final = ("rule", "symbol", "strategy_id", "severity", "type", "engine_rule")
"""The alert fields a subscription can group by (Alertmanager's ``group_by`` labels)."""

DEFAULT_REASONS: Final[frozenset[Reason]] = frozenset({"new", "reminder"})
"""What a handler hears of unless it says otherwise: new alerts, and reminders when it has a
``repeat_interval``. A handler with a ``reasons`` attribute (Alertmanager's, which must hear
of closes to resolve its alerts) uses that."""

FOLLOW_NEW: Final[frozenset[Reason]] = frozenset(
    {"silence_ended", "flapping_started", "flapping_stopped"}
)
"""Policy news a handler that hears of new alerts hears of too, unless it lists reasons that
leave ``new`` out: a silence's end stands for the news it held back, and a flap's start and
stop for the status changes it mutes. (``escalated`` goes to the handlers an
:class:`~alertkit.policy.Escalation` names.)"""

DEFAULT_MAX_ATTEMPTS: Final = 4
DEFAULT_BACKOFF: Final = timedelta(seconds=0.5)
DEFAULT_TIMEOUT: Final = timedelta(seconds=10)


def handler_name(handler: Any) -> str:
    """The name an unnamed handler is registered under (see the module docstring)."""
    own = getattr(handler, "name", None)
    if isinstance(own, str) and own:
        return own
    qualname = getattr(handler, "__qualname__", None)
    if not isinstance(qualname, str) or "<lambda>" in qualname:
        raise ValidationError(
            f"name: {handler!r} has no name that says where it delivers; pass"
            " add_handler(..., name='...') (it identifies the destination across processes)"
        )
    module = getattr(handler, "__module__", None)
    return f"{module}.{qualname}" if module else qualname


def _positive(value: Any, field: str, *, allow_none: bool) -> timedelta | None:
    if value is None and allow_none:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = timedelta(seconds=value)
    if not isinstance(value, timedelta):
        raise ValidationError(f"{field}: expected a timedelta or seconds, got {value!r}")
    if value <= timedelta(0):
        raise ValidationError(f"{field}: expected a positive interval, got {value}")
    return value


@dataclass(frozen=True, slots=True)
class Subscription:
    """One registered handler and its settings (build with :meth:`create`)."""

    name: str
    handler: AlertHandler
    severities: frozenset[AlertSeverity] | None = None
    types: frozenset[AlertType] | None = None
    group_by: tuple[str, ...] | None = None
    repeat_interval: timedelta | None = None
    reasons: frozenset[Reason] = DEFAULT_REASONS
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    backoff: timedelta = DEFAULT_BACKOFF
    timeout: timedelta = DEFAULT_TIMEOUT

    @classmethod
    def create(
        cls,
        handler: AlertHandler,
        *,
        name: str | None = None,
        severities: Collection[AlertSeverity | str] | None = None,
        types: Collection[AlertType | str] | None = None,
        group_by: Collection[str] | None = None,
        repeat_interval: timedelta | float | None = None,
        reasons: Collection[Reason | str] | None = None,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        backoff: timedelta | float = DEFAULT_BACKOFF,
        timeout: timedelta | float = DEFAULT_TIMEOUT,
    ) -> Subscription:
        """Check every argument (``ValidationError`` naming the first bad one) and build."""
        if not callable(handler):
            raise ValidationError(f"handler: expected a callable, got {handler!r}")
        if name is not None and (not isinstance(name, str) or not name.strip()):
            raise ValidationError(f"name: expected a non-empty str, got {name!r}")
        if isinstance(group_by, str):
            raise ValidationError(f"group_by: expected a tuple of fields, got one str {group_by!r}")
        groups = None if group_by is None else tuple(dict.fromkeys(group_by))
        unknown = [g for g in groups or () if g not in GROUP_FIELDS]
        if unknown or groups == ():
            raise ValidationError(
                f"group_by: expected fields among {GROUP_FIELDS}, got {tuple(group_by or ())}"
            )
        if reasons is None:
            reasons = getattr(handler, "reasons", DEFAULT_REASONS)
        wanted = frozenset(str(r) for r in reasons)
        if not wanted or not wanted <= set(REASONS):
            raise ValidationError(f"reasons: expected some of {REASONS}, got {sorted(wanted)}")
        if isinstance(max_attempts, bool) or not isinstance(max_attempts, int) or max_attempts < 1:
            raise ValidationError(f"max_attempts: expected an int >= 1, got {max_attempts!r}")
        return cls(
            name=name.strip() if name is not None else handler_name(handler),
            handler=handler,
            severities=None
            if severities is None
            else frozenset(AlertSeverity.parse(s, "severities") for s in severities),
            types=None if types is None else frozenset(AlertType.parse(t, "types") for t in types),
            group_by=groups,
            repeat_interval=_positive(repeat_interval, "repeat_interval", allow_none=True),
            reasons=wanted,  # type: ignore[arg-type]
            max_attempts=max_attempts,
            backoff=_positive(backoff, "backoff", allow_none=False),  # type: ignore[arg-type]
            timeout=_positive(timeout, "timeout", allow_none=False),  # type: ignore[arg-type]
        )

    def wants(self, alert: Alert, reason: Reason) -> bool:
        """Whether this handler hears of ``alert`` for ``reason`` (its filters)."""
        if reason not in self.reasons and not (reason in FOLLOW_NEW and "new" in self.reasons):
            return False
        if reason == "reminder" and self.repeat_interval is None:
            return False
        return self.accepts(alert)

    def accepts(self, alert: Alert) -> bool:
        """Whether this handler's severity and type filters let ``alert`` through."""
        return (self.severities is None or alert.severity in self.severities) and (
            self.types is None or alert.type in self.types
        )

    def group_of(self, alert: Alert) -> dict[str, Any]:
        """The ``group_by`` values of ``alert`` (empty when ungrouped)."""
        return {f: _field(alert, f) for f in self.group_by or ()}

    @property
    def takes_notifications(self) -> bool:
        """Whether the handler is called with a :class:`Notification` (grouped, or a handler
        that asks for them) rather than with the alert."""
        return self.group_by is not None or bool(
            getattr(self.handler, "takes_notifications", False)
        )

    def argument(self, notification: Notification) -> Alert | Notification:
        """What the handler is called with for ``notification``."""
        return notification if self.takes_notifications else notification.alert

    @property
    def is_async(self) -> bool:
        call = getattr(self.handler, "__call__", None)  # noqa: B004 - a callable object's method
        return inspect.iscoroutinefunction(self.handler) or inspect.iscoroutinefunction(call)


def _field(alert: Alert, name: str) -> Any:
    value = getattr(alert, name)
    return getattr(value, "value", value)  # enums as their stored text
