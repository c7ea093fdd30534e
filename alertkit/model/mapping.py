"""From a decision to an alert (docs/domain.md §5)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from alertkit.model._ids import new_alert_id
from alertkit.model.alerts import Alert, AlertSeverity, AlertStatus, AlertType
from alertkit.model.decisions import Decision, DecisionAction, Urgency

__all__ = ["alert_kind", "alert_title", "decision_to_alert", "snapshot_identity"]

_CLOSE: Final = {
    Urgency.IMMEDIATE: (AlertType.CRITICAL, AlertSeverity.IMMEDIATE),
    Urgency.HIGH: (AlertType.WARNING, AlertSeverity.HIGH),
    Urgency.NORMAL: (AlertType.WARNING, AlertSeverity.NORMAL),
    Urgency.MEDIUM: (AlertType.WARNING, AlertSeverity.NORMAL),
    Urgency.LOW: (AlertType.WARNING, AlertSeverity.LOW),
}
_REDUCE_OR_ADJUST: Final = {
    Urgency.IMMEDIATE: (AlertType.WARNING, AlertSeverity.IMMEDIATE),
    Urgency.HIGH: (AlertType.WARNING, AlertSeverity.HIGH),
    Urgency.NORMAL: (AlertType.INFO, AlertSeverity.NORMAL),
    Urgency.MEDIUM: (AlertType.INFO, AlertSeverity.NORMAL),
    Urgency.LOW: (AlertType.INFO, AlertSeverity.LOW),
}
_TITLE_PREFIX: Final = {
    DecisionAction.CLOSE: "Close position",
    DecisionAction.ROLL: "Roll position",
    DecisionAction.REDUCE: "Reduce position",
    DecisionAction.ADJUST: "Adjust position",
}


def alert_kind(action: DecisionAction, urgency: Urgency) -> tuple[AlertType, AlertSeverity] | None:
    """(type, severity) for a decision, or None for HOLD, which never alerts."""
    if action is DecisionAction.HOLD:
        return None
    if action is DecisionAction.CLOSE:
        return _CLOSE[urgency]
    if action is DecisionAction.ROLL:
        return (AlertType.INFO, AlertSeverity.NORMAL)
    return _REDUCE_OR_ADJUST[urgency]


def alert_title(decision: Decision) -> str:
    """A short action phrase plus the trigger, e.g. ``Close position: stop_loss_hard``."""
    return f"{_TITLE_PREFIX[decision.action]}: {decision.rule}"


def snapshot_identity(snapshot: Any) -> tuple[str | None, int | None]:
    """(symbol, strategy_id) of a snapshot given as a model, a dict, a polars row, or None."""
    if snapshot is None:
        return (None, None)
    if isinstance(snapshot, dict):
        return (snapshot.get("symbol"), snapshot.get("strategy_id"))
    return (getattr(snapshot, "symbol", None), getattr(snapshot, "strategy_id", None))


def decision_to_alert(decision: Decision, snapshot: Any, created_at: datetime) -> Alert | None:
    """The ACTIVE alert a decision raises at ``created_at``, or None for HOLD."""
    kind = alert_kind(decision.action, decision.urgency)
    if kind is None:
        return None
    symbol, strategy_id = snapshot_identity(snapshot)
    return Alert(
        alert_id=new_alert_id(created_at),
        type=kind[0],
        severity=kind[1],
        status=AlertStatus.ACTIVE,
        title=alert_title(decision),
        message=decision.reason,
        rule=decision.rule,
        symbol=symbol,
        strategy_id=strategy_id,
        metadata=dict(decision.metadata),
        created_at=created_at,
        engine_rule=decision.engine_rule,
        rule_priority=decision.priority,
    )
