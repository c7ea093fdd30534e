"""alertkit: alerts from options-position decision rules, kept in a Delta Lake table.

Layers, lowest first: models (alerts, decisions, snapshot) -> rules and engine -> manager
and store -> query -> backtest -> charts and widgets (imported on demand, not here).
"""

from alertkit.lake.query import scan_alerts, scan_transitions
from alertkit.live.manager import AlertManager
from alertkit.live.monitor import Monitor
from alertkit.live.sync_manager import SyncAlertManager
from alertkit.model.alerts import (
    Alert,
    AlertQuery,
    AlertSeverity,
    AlertStatus,
    AlertType,
    Transition,
)
from alertkit.model.decisions import Decision, DecisionAction, Urgency
from alertkit.model.errors import (
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
from alertkit.model.portfolio import (
    Leg,
    OpenPosition,
    PortfolioRisk,
    portfolio_risk,
    with_portfolio_columns,
)
from alertkit.model.snapshot import PositionSnapshot
from alertkit.model.snapshot_schema import SNAPSHOT_SCHEMA
from alertkit.model.triage_stats import time_to_acknowledge, time_to_resolve
from alertkit.rules import decision_from_row, default_rules, evaluate_frame
from alertkit.rules.engine import DecisionEngine

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
