"""The lifecycle statuses of an alert, and which of them are open or terminal: the one owner.

"Open" means ACTIVE or ACKNOWLEDGED (the alert still asks for attention), "terminal" RESOLVED
or DISMISSED (docs/domain.md §6). Everything else that needs these sets (the model's checks,
the history-event format, identity, the lake's read guard, the board) derives them from here:
:data:`OPEN_STATUSES` and :data:`TERMINAL_STATUSES` are the stored (string) values, for polars
``is_in`` and SQL; :attr:`AlertStatus.is_open` and :attr:`AlertStatus.is_terminal` the same
sets on a member.

Examples
--------
>>> OPEN_STATUSES, TERMINAL_STATUSES
(('active', 'acknowledged'), ('resolved', 'dismissed'))
>>> AlertStatus.parse("Dismissed", "status").is_terminal
True
"""

from __future__ import annotations

from enum import auto
from typing import Final

from alertkit.model._enums import LowerStrEnum

__all__ = ["OPEN_STATUSES", "TERMINAL_STATUSES", "AlertStatus"]


class AlertStatus(LowerStrEnum):
    """Where an alert is in its lifecycle; declared open ones first."""

    ACTIVE = auto()
    ACKNOWLEDGED = auto()
    RESOLVED = auto()
    DISMISSED = auto()

    @property
    def is_open(self) -> bool:
        """ACTIVE or ACKNOWLEDGED: the alert still asks for attention."""
        return self.value in OPEN_STATUSES

    @property
    def is_terminal(self) -> bool:
        """RESOLVED or DISMISSED: no transition leaves it, and ``resolved_at`` is set."""
        return not self.is_open


OPEN_STATUSES: Final[tuple[str, ...]] = (AlertStatus.ACTIVE.value, AlertStatus.ACKNOWLEDGED.value)
"""The stored values of the open statuses (``active``, ``acknowledged``)."""
TERMINAL_STATUSES: Final[tuple[str, ...]] = tuple(
    s.value for s in AlertStatus if s.value not in OPEN_STATUSES
)
"""The stored values of the terminal statuses (``resolved``, ``dismissed``)."""
