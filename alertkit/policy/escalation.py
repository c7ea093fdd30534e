"""Escalation: an alert nobody acknowledged in time is told to a second set of handlers.

PagerDuty's escalation. Each severity may have an acknowledgement timeout, e.g. IMMEDIATE
after 5 minutes. An alert still ACTIVE (not acknowledged, not closed) at ``created_at`` plus
its severity's timeout escalates: the handlers named in :attr:`Escalation.handlers` are told
of it once, with reason ``escalated`` (their severity and type filters apply; their
``reasons`` need not list it). The alert itself does not change: alertkit notifies a second
handler set rather than raising the severity, so an escalation never rewrites what the rules
decided and needs no write to the alerts table (like a reminder, whether it is due is derived
from the alert, the log and the clock, so a kill cannot lose it).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import timedelta

from alertkit.model.alerts import Alert, AlertSeverity
from alertkit.model.errors import ValidationError

__all__ = ["Escalation"]


@dataclass(frozen=True, slots=True)
class Escalation:
    """``Escalation({"immediate": timedelta(minutes=5)}, handlers=["pager"])``."""

    after: Mapping[AlertSeverity | str, timedelta]
    handlers: Collection[str]

    def __post_init__(self) -> None:
        if not isinstance(self.after, Mapping) or not self.after:
            raise ValidationError(
                "after: expected a dict of severity to timeout, e.g."
                f" {{'immediate': timedelta(minutes=5)}}, got {self.after!r}"
            )
        timeouts: dict[AlertSeverity, timedelta] = {}
        for severity, timeout in self.after.items():
            try:
                level = AlertSeverity(severity)
            except ValueError:
                raise ValidationError(
                    f"after: unknown severity {severity!r}; expected some of"
                    f" {', '.join(s.value for s in AlertSeverity)}"
                ) from None
            if not isinstance(timeout, timedelta) or timeout <= timedelta(0):
                raise ValidationError(
                    f"after[{level.value!r}]: expected a positive timedelta, got {timeout!r}"
                )
            timeouts[level] = timeout
        object.__setattr__(self, "after", timeouts)
        if isinstance(self.handlers, str) or not isinstance(self.handlers, Collection):
            raise ValidationError(f"handlers: expected handler names, got {self.handlers!r}")
        names = tuple(dict.fromkeys(self.handlers))
        if not names or not all(isinstance(n, str) and n for n in names):
            raise ValidationError(
                f"handlers: expected one or more handler names, got {self.handlers!r}"
            )
        object.__setattr__(self, "handlers", names)

    def timeout_of(self, alert: Alert) -> timedelta | None:
        """The acknowledgement timeout of ``alert``'s severity (None: never escalates)."""
        return self.after.get(alert.severity)

    def timeout_micros(self) -> dict[str, int]:
        """Per severity value, the timeout in microseconds (for frame computations)."""
        micro = timedelta(microseconds=1)
        return {
            str(s.value if isinstance(s, AlertSeverity) else s): t // micro
            for s, t in self.after.items()
        }
