"""A policy set: everything that decides what is notified after an alert is decided.

:class:`Policies` gathers silences, inhibitions, snooze rules, flap detection, escalation
timeouts and (for a replay only) a simulated delay before acknowledgement. The same object
drives a replay (``run_backtest(..., policies=...)``, ``compare_policies``) and, less its
stored parts, a live manager (``manager.set_policies``: silences and inhibitions live in the
lake there, created with ``create_silence`` and ``create_inhibition``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from alertkit.model.errors import ValidationError
from alertkit.policy.escalation import Escalation
from alertkit.policy.flapping import FlapDetection
from alertkit.policy.inhibitions import Inhibition
from alertkit.policy.silences import Silence
from alertkit.policy.snooze import SnoozeRule

__all__ = ["Policies"]


def _tuple_of(value: Iterable[object], kind: type, name: str) -> tuple[object, ...]:
    if isinstance(value, kind):
        value = (value,)
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise ValidationError(f"{name}: expected {kind.__name__} objects, got {value!r}"[:200])
    items = tuple(value)
    wrong = [v for v in items if not isinstance(v, kind)]
    if wrong:
        raise ValidationError(
            f"{name}: expected {kind.__name__} objects, got {type(wrong[0]).__name__} {wrong[0]!r}"[
                :200
            ]
        )
    return items


@dataclass(frozen=True, slots=True)
class Policies:
    """Silences, inhibitions, snooze rules, flap detection, escalation and ack delay."""

    silences: Iterable[Silence] = ()
    inhibitions: Iterable[Inhibition] = ()
    snoozes: Iterable[SnoozeRule] = ()
    flapping: FlapDetection | None = None
    escalation: Escalation | None = None
    ack_delay: timedelta | None = None
    """Replay only: every alert is acknowledged this long after it opens (if still open),
    which stops its reminders and its escalation, as a desk that answers in that time."""
    name: str = field(default="policies")

    def __post_init__(self) -> None:
        object.__setattr__(self, "silences", _tuple_of(self.silences, Silence, "silences"))
        object.__setattr__(
            self, "inhibitions", _tuple_of(self.inhibitions, Inhibition, "inhibitions")
        )
        object.__setattr__(self, "snoozes", _tuple_of(self.snoozes, SnoozeRule, "snoozes"))
        if self.flapping is not None and not isinstance(self.flapping, FlapDetection):
            raise ValidationError(f"flapping: expected a FlapDetection, got {self.flapping!r}")
        if self.escalation is not None and not isinstance(self.escalation, Escalation):
            raise ValidationError(f"escalation: expected an Escalation, got {self.escalation!r}")
        if self.ack_delay is not None and (
            not isinstance(self.ack_delay, timedelta) or self.ack_delay < timedelta(0)
        ):
            raise ValidationError(
                f"ack_delay: expected a non-negative timedelta, got {self.ack_delay!r}"
            )
        ids = [s.silence_id for s in self.silences] + [i.inhibition_id for i in self.inhibitions]
        if len(set(ids)) != len(ids):
            raise ValidationError("silences, inhibitions: the same id appears twice")

    @property
    def is_empty(self) -> bool:
        return not (
            self.silences
            or self.inhibitions
            or self.snoozes
            or self.flapping
            or self.escalation
            or self.ack_delay is not None
        )
