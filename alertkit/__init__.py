"""alertkit: alerts from options-position decision rules, kept in a Delta Lake table.

The subpackages are layers, lowest first; a layer imports only the ones below it, and
import-linter holds each boundary (``[tool.importlinter]`` in pyproject.toml)::

    model       alerts, statuses, decisions, snapshots, errors, the table's schema
    rules | lake    the rules and engine | the Delta store, paths, queries (siblings:
                    a rule never reads a table, a table never runs a rule)
    live        identity (episodes, firings), transitions, the cycle, the managers, monitor
    backtest    replaying histories through the rules, into a lake
    charts : widgets    Altair charts and the triage board (imported on demand, not here)
    demo, _console, cli    the demo, its console board, the command line

This module re-exports the public surface; charts and widgets stay out of it, so
``import alertkit`` does not import altair or ipywidgets.
"""

from alertkit.lake.query import scan_alerts, scan_transitions
from alertkit.live.cycle import CycleResult
from alertkit.live.manager import AlertManager
from alertkit.live.monitor import HistoryReplay, Monitor
from alertkit.live.sync_manager import SyncAlertManager
from alertkit.live.transitions import BulkResult
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
    PartialWriteError,
    SchemaMismatchError,
    SilenceTooBroadError,
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
from alertkit.model.status import OPEN_STATUSES, TERMINAL_STATUSES
from alertkit.model.triage_stats import time_to_acknowledge, time_to_resolve
from alertkit.policy import (
    Escalation,
    FlapDetection,
    Inhibition,
    Policies,
    Silence,
    SnoozeRule,
)
from alertkit.rules import decision_from_row, default_rules, evaluate_frame
from alertkit.rules.engine import DecisionEngine

__all__ = [
    "OPEN_STATUSES",
    "SNAPSHOT_SCHEMA",
    "TERMINAL_STATUSES",
    "Alert",
    "AlertManager",
    "AlertNotFoundError",
    "AlertQuery",
    "AlertSeverity",
    "AlertStatus",
    "AlertType",
    "AlertWriteError",
    "AlertkitError",
    "BulkResult",
    "CycleResult",
    "Decision",
    "DecisionAction",
    "DecisionEngine",
    "Escalation",
    "FlapDetection",
    "HistoryReplay",
    "Inhibition",
    "InvalidTransitionError",
    "Leg",
    "MetadataError",
    "Monitor",
    "NotificationError",
    "OpenPosition",
    "PartialWriteError",
    "Policies",
    "PortfolioRisk",
    "PositionSnapshot",
    "SchemaMismatchError",
    "Silence",
    "SilenceTooBroadError",
    "SnoozeRule",
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
