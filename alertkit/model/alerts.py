"""Alert models: types, severities, lifecycle statuses, the alert itself, and alert queries.

Lifecycle (docs/domain.md §6)::

    ACTIVE --acknowledge--> ACKNOWLEDGED
    ACTIVE | ACKNOWLEDGED --resolve--> RESOLVED     (sets resolved_at)
    ACTIVE | ACKNOWLEDGED --dismiss--> DISMISSED    (sets resolved_at)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import auto
from types import MappingProxyType
from typing import Any, Final

from alertkit.model._enums import LowerStrEnum
from alertkit.model._events import check_history
from alertkit.model._ids import ALERT_ID_PATTERN, check_id_time
from alertkit.model._text import TextRule
from alertkit.model._time import to_utc
from alertkit.model.errors import InvalidTransitionError, ValidationError
from alertkit.model.status import OPEN_STATUSES, TERMINAL_STATUSES, AlertStatus

__all__ = [
    "FINGERPRINT",
    "MAX_QUERY_LIMIT",
    "MAX_TEXT",
    "OPEN_STATUSES",
    "SEVERITY_ORDER",
    "TERMINAL_STATUSES",
    "TEXT_RULES",
    "Alert",
    "AlertQuery",
    "AlertSeverity",
    "AlertStatus",
    "AlertType",
    "Fingerprint",
    "Transition",
    "fingerprint_columns",
    "next_status",
]

FINGERPRINT: Final[tuple[str, str, str]] = ("rule", "strategy_id", "symbol")
"""An alert's identity (docs/domain.md §6): the columns, and :attr:`Alert.fingerprint`'s order.
The same fingerprint while open is the same alert. Frames of decisions name the first column
``trigger``: :func:`fingerprint_columns` spells it so."""
Fingerprint = tuple[str, int | None, str | None]
"""One alert's :data:`FINGERPRINT` values: (trigger id, strategy_id, symbol)."""


def fingerprint_columns(trigger: str = "rule") -> tuple[str, str, str]:
    """:data:`FINGERPRINT` with its trigger column named ``trigger``: ``"rule"`` in the alerts
    table, ``"trigger"`` in a frame of decisions.

    Examples
    --------
    >>> fingerprint_columns("trigger")
    ('trigger', 'strategy_id', 'symbol')
    """
    return (trigger, *FINGERPRINT[1:])


INT64_MIN: Final = -(2**63)
INT64_MAX: Final = 2**63 - 1
MAX_TEXT: Final = 10_000
"""Longest title, message, rule, symbol or engine rule accepted (characters); alerts are
notifications, not documents."""
MAX_QUERY_LIMIT: Final = 2**32 - 1
"""Largest ``AlertQuery.limit``: the most rows a polars query can return (a 32-bit row index)."""

TEXT_RULES: Final[Mapping[str, TextRule]] = MappingProxyType(
    {
        "alert_id": TextRule(max_chars=128),  # and ALERT_ID_PATTERN
        "title": TextRule(max_chars=MAX_TEXT),
        "message": TextRule(blank=True, max_chars=MAX_TEXT),
        "rule": TextRule(max_chars=MAX_TEXT),
        "symbol": TextRule(nullable=True, max_chars=MAX_TEXT),
        "engine_rule": TextRule(nullable=True, max_chars=MAX_TEXT),
    }
)
"""The text fields of :class:`Alert` and what each accepts. The bulk-insert frame check
(:func:`alertkit.model.schema.check_alert_frame`) applies the same rules to its columns."""


class AlertType(LowerStrEnum):
    INFO = auto()
    WARNING = auto()
    CRITICAL = auto()


class AlertSeverity(LowerStrEnum):
    """How soon someone should look. Declared most urgent first: this is the one severity
    order (:data:`SEVERITY_ORDER`, :attr:`rank`); sorting the values as text would put
    ``high`` above ``immediate``."""

    IMMEDIATE = auto()
    HIGH = auto()
    NORMAL = auto()
    LOW = auto()

    @property
    def rank(self) -> int:
        """Higher is more urgent: IMMEDIATE 3, HIGH 2, NORMAL 1, LOW 0."""
        return len(SEVERITY_ORDER) - 1 - SEVERITY_ORDER.index(self.value)


SEVERITY_ORDER: Final[tuple[str, ...]] = tuple(s.value for s in AlertSeverity)
"""Severity values, most urgent first (``immediate``, ``high``, ``normal``, ``low``)."""


class Transition(LowerStrEnum):
    """A lifecycle action a person (or automation) takes on an alert."""

    ACKNOWLEDGE = auto()
    RESOLVE = auto()
    DISMISS = auto()

    @property
    def past_tense(self) -> str:
        """``acknowledged``, ``resolved``, ``dismissed``: how results and messages say it."""
        return _PAST_TENSE[self]


_PAST_TENSE: Final = {
    Transition.ACKNOWLEDGE: "acknowledged",
    Transition.RESOLVE: "resolved",
    Transition.DISMISS: "dismissed",
}

_NEXT_STATUS: Final[dict[tuple[AlertStatus, Transition], AlertStatus]] = {
    (AlertStatus.ACTIVE, Transition.ACKNOWLEDGE): AlertStatus.ACKNOWLEDGED,
    (AlertStatus.ACTIVE, Transition.RESOLVE): AlertStatus.RESOLVED,
    (AlertStatus.ACKNOWLEDGED, Transition.RESOLVE): AlertStatus.RESOLVED,
    (AlertStatus.ACTIVE, Transition.DISMISS): AlertStatus.DISMISSED,
    (AlertStatus.ACKNOWLEDGED, Transition.DISMISS): AlertStatus.DISMISSED,
}


def next_status(alert_id: str, current: AlertStatus, action: Transition) -> AlertStatus:
    """The status ``action`` leads to from ``current``, or :class:`InvalidTransitionError`."""
    try:
        return _NEXT_STATUS[(current, action)]
    except KeyError:
        raise InvalidTransitionError(
            alert_id, current.value, action.value, terminal=current.is_terminal
        ) from None


def _optional_strategy_id(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(
            f"strategy_id: expected an int or None, got {type(value).__name__} {value!r}"
        )
    if not INT64_MIN <= value <= INT64_MAX:
        raise ValidationError(f"strategy_id: expected a value within int64, got {value}")
    return value


def _optional_utc(value: datetime | None, name: str) -> datetime | None:
    return None if value is None else to_utc(value, name)


@dataclass(slots=True)
class Alert:
    """One alert: what a rule decided about a position, and where it is in its lifecycle.

    Datetimes are stored timezone-aware in UTC; a naive datetime is taken as local time
    (what ``datetime.now()`` returns) and converted to UTC. Enum fields accept members or
    their names in any case. ``occurrences`` and ``last_seen_at`` count repeat firings of the
    same fingerprint (``rule``, ``strategy_id``, ``symbol``) while the alert stays open.

    Refused with :class:`~alertkit.model.errors.ValidationError` naming the field: text that breaks
    :data:`TEXT_RULES` (empty where it must not be, over :data:`MAX_TEXT` characters, or
    holding a lone surrogate, which is not UTF-8), an ``alert_id`` outside
    ``ALERT_ID_PATTERN``, a ``created_at`` before 1970 (alert ids cannot encode it), a
    non-finite ``rule_priority``, timestamps that disagree with the status, and ``history``
    events not in the stored form (see :mod:`alertkit.model._events`).

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> a = Alert(alert_id="a-1", type="warning", severity="HIGH", status="active",
    ...           title="Delta limit approaching", message="SPY delta 0.28", rule="delta_risk",
    ...           symbol="SPY", strategy_id=123, metadata={"delta": 0.28},
    ...           created_at=datetime(2026, 1, 2, 15, 30, tzinfo=UTC))
    >>> a.type, a.severity, a.is_open
    (<AlertType.WARNING: 'warning'>, <AlertSeverity.HIGH: 'high'>, True)
    """

    alert_id: str
    type: AlertType
    severity: AlertSeverity
    status: AlertStatus
    title: str
    message: str
    rule: str
    symbol: str | None
    strategy_id: int | None
    metadata: dict[str, Any]
    created_at: datetime
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None
    # Beyond the original API's fields: identity, provenance and audit (extra table columns).
    occurrences: int = 1
    last_seen_at: datetime | None = None
    engine_rule: str | None = None
    rule_priority: float | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    # Policies (alertkit.policy): the silence that covered a firing of it, a snooze, who owns
    # it, and whether its fingerprint was flapping at its last evaluation.
    silenced_by: str | None = None
    snoozed_until: datetime | None = None
    snoozed_at: datetime | None = None
    assignee: str | None = None
    flapping: bool = False

    def __post_init__(self) -> None:
        for name, rule in TEXT_RULES.items():
            setattr(self, name, rule.check(getattr(self, name), name))
        if not ALERT_ID_PATTERN.match(self.alert_id):
            raise ValidationError(
                "alert_id: expected 1-128 letters, digits or '._:-' starting with a letter or"
                f" digit, got {self.alert_id!r}"
            )
        self.type = AlertType.parse(self.type, "type")
        self.severity = AlertSeverity.parse(self.severity, "severity")
        self.status = AlertStatus.parse(self.status, "status")
        self.strategy_id = _optional_strategy_id(self.strategy_id)
        if not isinstance(self.metadata, dict):
            raise ValidationError(
                f"metadata: expected a dict, got {type(self.metadata).__name__} {self.metadata!r}"
            )
        self.created_at = check_id_time(to_utc(self.created_at, "created_at"))
        self.acknowledged_at = _optional_utc(self.acknowledged_at, "acknowledged_at")
        self.resolved_at = _optional_utc(self.resolved_at, "resolved_at")
        self.last_seen_at = _optional_utc(self.last_seen_at, "last_seen_at") or self.created_at
        if isinstance(self.occurrences, bool) or not isinstance(self.occurrences, int):
            raise ValidationError(f"occurrences: expected an int, got {self.occurrences!r}")
        if self.occurrences < 1:
            raise ValidationError(f"occurrences: expected >= 1, got {self.occurrences}")
        if self.rule_priority is not None and not (
            isinstance(self.rule_priority, int | float) and math.isfinite(self.rule_priority)
        ):
            raise ValidationError(
                f"rule_priority: expected a finite number or None, got {self.rule_priority!r}"
            )
        self.history = check_history(self.history)
        self.snoozed_until = _optional_utc(self.snoozed_until, "snoozed_until")
        self.snoozed_at = _optional_utc(self.snoozed_at, "snoozed_at")
        if (self.snoozed_until is None) != (self.snoozed_at is None):
            raise ValidationError("snoozed_until, snoozed_at: expected both or neither")
        if not isinstance(self.flapping, bool):
            raise ValidationError(f"flapping: expected a bool, got {self.flapping!r}")
        self._check_timestamps_agree_with_status()

    def _check_timestamps_agree_with_status(self) -> None:
        terminal = self.status.is_terminal
        if terminal and self.resolved_at is None:
            raise ValidationError(
                f"resolved_at: expected a datetime for status {self.status.value!r}, got None"
            )
        if not terminal and self.resolved_at is not None:
            raise ValidationError(
                f"resolved_at: expected None for status {self.status.value!r},"
                f" got {self.resolved_at!r}"
            )
        if self.status is AlertStatus.ACKNOWLEDGED and self.acknowledged_at is None:
            raise ValidationError("acknowledged_at: expected a datetime for status 'acknowledged'")

    @property
    def is_open(self) -> bool:
        """ACTIVE or ACKNOWLEDGED."""
        return self.status.is_open

    @property
    def fingerprint(self) -> Fingerprint:
        """Identity of the condition (:data:`FINGERPRINT`): the same fingerprint while open is
        the same alert."""
        rule, strategy_id, symbol = (getattr(self, name) for name in FINGERPRINT)
        return (rule, strategy_id, symbol)


@dataclass(slots=True)
class AlertQuery:
    """Filters for :meth:`AlertManager.query_alerts`; ``None`` means "any".

    A falsy value (``strategy_id=0``, ``symbol=""``) is a filter like any other. Time bounds
    apply to ``created_at`` and are inclusive; naive datetimes are taken as local time.
    ``assignee`` matches the stored assignee exactly (surrounding spaces aside, as
    ``assign_alert`` strips them).
    """

    symbol: str | None = None
    strategy_id: int | None = None
    status: AlertStatus | None = None
    type: AlertType | None = None
    severity: AlertSeverity | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    limit: int = 100
    assignee: str | None = None

    def __post_init__(self) -> None:
        # Any text, "" included, is a filter; but a lone surrogate could never match.
        self.symbol = TextRule(nullable=True, blank=True, max_chars=MAX_TEXT).check(
            self.symbol, "symbol"
        )
        self.strategy_id = _optional_strategy_id(self.strategy_id)
        assignee = TextRule(nullable=True, max_chars=200).check(self.assignee, "assignee")
        self.assignee = None if assignee is None else assignee.strip()
        if self.status is not None:
            self.status = AlertStatus.parse(self.status, "status")
        if self.type is not None:
            self.type = AlertType.parse(self.type, "type")
        if self.severity is not None:
            self.severity = AlertSeverity.parse(self.severity, "severity")
        if (
            isinstance(self.start_time, datetime)
            and isinstance(self.end_time, datetime)
            and (self.start_time.tzinfo is None) != (self.end_time.tzinfo is None)
        ):
            # One bound in local time and one in UTC is almost always a mistake upstream.
            raise ValidationError(
                "start_time/end_time: expected both naive (local time) or both timezone-aware,"
                f" got start_time={self.start_time!r} and end_time={self.end_time!r}"
            )
        self.start_time = _optional_utc(self.start_time, "start_time")
        self.end_time = _optional_utc(self.end_time, "end_time")
        if self.start_time and self.end_time and self.start_time > self.end_time:
            raise ValidationError(
                f"start_time: expected <= end_time, got start_time={self.start_time.isoformat()}"
                f" > end_time={self.end_time.isoformat()}"
            )
        if (
            isinstance(self.limit, bool)
            or not isinstance(self.limit, int)
            or not 0 < self.limit <= MAX_QUERY_LIMIT
        ):
            raise ValidationError(
                f"limit: expected a positive int up to {MAX_QUERY_LIMIT}, got {self.limit!r}"
            )
