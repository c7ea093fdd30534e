"""Decisions: what a rule concluded about a position (docs/domain.md §1)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import auto
from typing import Any, Final

from alertkit.model._enums import LowerStrEnum
from alertkit.model._text import check_unicode
from alertkit.model.errors import ValidationError

__all__ = ["Decision", "DecisionAction", "Urgency"]


class DecisionAction(LowerStrEnum):
    HOLD = auto()
    CLOSE = auto()
    ROLL = auto()
    ADJUST = auto()
    REDUCE = auto()


class Urgency(LowerStrEnum):
    IMMEDIATE = auto()
    HIGH = auto()
    NORMAL = auto()
    MEDIUM = auto()
    LOW = auto()

    @property
    def rank(self) -> int:
        """Higher is more urgent: IMMEDIATE > HIGH > NORMAL >= MEDIUM > LOW."""
        return _URGENCY_RANK[self]


_URGENCY_RANK: Final = {
    Urgency.IMMEDIATE: 4,
    Urgency.HIGH: 3,
    Urgency.NORMAL: 2,
    Urgency.MEDIUM: 2,
    Urgency.LOW: 1,
}


@dataclass(slots=True)
class Decision:
    """A rule's conclusion about one position.

    ``rule`` is the trigger id (e.g. ``take_profit_partial``); ``engine_rule`` and ``priority``
    name the engine rule that produced it (e.g. ``take_profit``, 2.0), so an alert can name both.

    Examples
    --------
    >>> d = Decision(action="close", reason="Stop loss hit", rule="stop_loss_hard",
    ...              urgency="immediate")
    >>> d.action, d.urgency.rank
    (<DecisionAction.CLOSE: 'close'>, 4)
    """

    action: DecisionAction
    reason: str
    rule: str
    urgency: Urgency = Urgency.NORMAL
    metadata: dict[str, Any] = field(default_factory=dict)
    engine_rule: str | None = None
    priority: float | None = None

    def __post_init__(self) -> None:
        self.action = DecisionAction.parse(self.action, "action")
        self.urgency = Urgency.parse(self.urgency, "urgency")
        for name in ("reason", "rule"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ValidationError(f"{name}: expected a non-empty str, got {value!r}")
            check_unicode(value, name)  # storable as UTF-8 (no lone surrogates)
        if not isinstance(self.metadata, dict):
            raise ValidationError(
                f"metadata: expected a dict, got {type(self.metadata).__name__} {self.metadata!r}"
            )
        if self.priority is not None and (
            isinstance(self.priority, bool) or not isinstance(self.priority, int | float)
        ):
            raise ValidationError(f"priority: expected a number or None, got {self.priority!r}")

    @classmethod
    def hold(cls) -> Decision:
        """The decision when no rule fires (docs/domain.md §2)."""
        return cls(DecisionAction.HOLD, "No rule triggered", "none", Urgency.NORMAL)
