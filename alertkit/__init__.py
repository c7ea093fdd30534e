"""alertkit: alerts from options-position decision rules, kept in a Delta Lake table."""

from alertkit.alerts import Alert, AlertQuery, AlertSeverity, AlertStatus, AlertType, Transition
from alertkit.decisions import Decision, DecisionAction, Urgency
from alertkit.errors import (
    AlertkitError,
    AlertNotFoundError,
    InvalidTransitionError,
    MetadataError,
    SchemaMismatchError,
    StoreError,
    TableNotFoundError,
    ValidationError,
    WriteConflictError,
)
from alertkit.manager import AlertManager
from alertkit.snapshot import SNAPSHOT_SCHEMA, PositionSnapshot
from alertkit.sync_manager import SyncAlertManager

__all__ = [
    "SNAPSHOT_SCHEMA",
    "Alert",
    "AlertManager",
    "AlertNotFoundError",
    "AlertQuery",
    "AlertSeverity",
    "AlertStatus",
    "AlertType",
    "AlertkitError",
    "Decision",
    "DecisionAction",
    "InvalidTransitionError",
    "MetadataError",
    "PositionSnapshot",
    "SchemaMismatchError",
    "StoreError",
    "SyncAlertManager",
    "TableNotFoundError",
    "Transition",
    "Urgency",
    "ValidationError",
    "WriteConflictError",
]
