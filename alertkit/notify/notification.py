"""What a handler is told: a :class:`Notification` of one or more alerts, and why.

A notification is due because of something that happened to its alerts (``reason``):

=================  ==================================================================
reason             due when
=================  ==================================================================
new                a commit opened the alert
reminder           the alert is still open and unacknowledged ``repeat_interval`` after
                   the handler was last told of it
resolved           a commit closed the alert (resolved or dismissed), for a handler that
                   asks for closes (``reasons``)
silence_ended, flapping_started, flapping_stopped, escalated
                   reserved for the policy stages
=================  ==================================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final, Literal, get_args

from alertkit.model.alerts import Alert
from alertkit.model.errors import ValidationError

__all__ = ["REASONS", "Notification", "Reason"]

Reason = Literal[
    "new",
    "reminder",
    "resolved",
    "silence_ended",
    "flapping_started",
    "flapping_stopped",
    "escalated",
]
REASONS: Final[tuple[Reason, ...]] = get_args(Reason)


@dataclass(frozen=True, slots=True)
class Notification:
    """Alerts due to be told to one handler, why, and the ``group_by`` values they share.

    An ungrouped handler's notification holds one alert and an empty ``group``.
    """

    alerts: tuple[Alert, ...]
    reason: Reason = "new"
    group: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if isinstance(self.alerts, Alert):
            object.__setattr__(self, "alerts", (self.alerts,))
        else:
            object.__setattr__(self, "alerts", tuple(self.alerts))
        if not self.alerts or not all(isinstance(a, Alert) for a in self.alerts):
            raise ValidationError(f"alerts: expected one or more Alert, got {self.alerts!r}"[:200])
        if self.reason not in REASONS:
            raise ValidationError(f"reason: expected one of {REASONS}, got {self.reason!r}")
        object.__setattr__(self, "group", MappingProxyType(dict(self.group)))

    @property
    def alert(self) -> Alert:
        """The first (for an ungrouped notification, the only) alert."""
        return self.alerts[0]
