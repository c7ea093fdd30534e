"""alertkit: alerts from options-position decision rules, kept in a Delta Lake table.

Layers, lowest first: models (alerts, decisions, snapshot) -> rules and engine -> manager
and store -> query -> backtest -> charts and widgets (imported on demand, not here).
"""

from alertkit.alerts import Alert, AlertQuery, AlertSeverity, AlertStatus, AlertType, Transition
from alertkit.decisions import Decision, DecisionAction, Urgency
from alertkit.engine import DecisionEngine
from alertkit.errors import (
    AlertkitError,
    AlertNotFoundError,
    AlertWriteError,
    InvalidTransitionError,
    MetadataError,
    NotificationError,
    SchemaMismatchError,
    StoreError,
    TableNotFoundError,
    ValidationError,
    WriteConflictError,
)
from alertkit.manager import AlertManager
from alertkit.monitor import Monitor
from alertkit.portfolio import (
    Leg,
    OpenPosition,
    PortfolioRisk,
    portfolio_risk,
    with_portfolio_columns,
)
from alertkit.query import scan_alerts, scan_transitions
from alertkit.rules import decision_from_row, default_rules, evaluate_frame
from alertkit.snapshot import SNAPSHOT_SCHEMA, PositionSnapshot
from alertkit.sync_manager import SyncAlertManager
from alertkit.triage_stats import time_to_acknowledge, time_to_resolve

__all__ = [
    "SNAPSHOT_SCHEMA",
    "Alert",
    "AlertManager",
    "AlertNotFoundError",
    "AlertQuery",
    "AlertSeverity",
    "AlertStatus",
    "AlertType",
    "AlertWriteError",
    "AlertkitError",
    "Decision",
    "DecisionAction",
    "DecisionEngine",
    "InvalidTransitionError",
    "Leg",
    "MetadataError",
    "Monitor",
    "NotificationError",
    "OpenPosition",
    "PortfolioRisk",
    "PositionSnapshot",
    "SchemaMismatchError",
    "StoreError",
    "SyncAlertManager",
    "TableNotFoundError",
    "Transition",
    "Urgency",
    "ValidationError",
    "WriteConflictError",
    "decision_from_row",
    "default_rules",
    "evaluate_frame",
    "portfolio_risk",
    "scan_alerts",
    "scan_transitions",
    "time_to_acknowledge",
    "time_to_resolve",
    "with_portfolio_columns",
]
