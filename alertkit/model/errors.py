"""The exceptions alertkit raises.

Every error derives from :class:`AlertkitError`; the leaves also subclass the built-in a caller
would naturally catch, so ``except KeyError`` or ``except ValueError`` keeps working::

    AlertkitError
    ├── ValidationError(ValueError)          bad field, enum, datetime, or metadata at the boundary
    │   ├── MetadataError                    metadata that cannot be stored as JSON
    │   └── SilenceTooBroadError             a silence matching too many open alerts, unconfirmed
    ├── AlertNotFoundError(LookupError)      no alert with that id
    ├── InvalidTransitionError(ValueError)   a lifecycle move that is not allowed
    ├── AlertWriteError                      the engine decided, but the alert was not written
    ├── NotificationError(OSError)           a webhook did not accept an alert
    └── StoreError                           the Delta table could not be used
        ├── TableNotFoundError(FileNotFoundError)  the path holds no Delta table
        ├── SchemaMismatchError(TypeError)   the table's columns do not fit the alert schema
        ├── WriteConflictError               commits kept conflicting after every retry
        └── PartialWriteError                a chunked write stopped after some chunks committed
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alertkit.model.decisions import Decision

__all__ = [
    "AlertNotFoundError",
    "AlertWriteError",
    "AlertkitError",
    "InvalidTransitionError",
    "MetadataError",
    "NotificationError",
    "PartialWriteError",
    "SchemaMismatchError",
    "SilenceTooBroadError",
    "StoreError",
    "TableNotFoundError",
    "ValidationError",
    "WriteConflictError",
]


class AlertkitError(Exception):
    """Root of every error alertkit raises."""


class ValidationError(AlertkitError, ValueError):
    """A value given to alertkit is not of the expected type, range or form."""


class MetadataError(ValidationError):
    """Alert metadata cannot be encoded as JSON (or is too large to store)."""


class SilenceTooBroadError(ValidationError):
    """A silence would match more than ``max_share`` of the open alerts and was not confirmed
    (Alertmanager #3492): ``confirm=True`` (the CLI's ``--confirm``) creates it anyway."""

    def __init__(self, matched: int, total: int, max_share: float) -> None:
        super().__init__(
            f"matchers: the silence matches {matched} of {total} open alerts"
            f" ({matched / total:.0%}), more than max_share {max_share:.0%}; pass"
            " confirm=True to create it"
        )
        self.matched, self.total, self.max_share = matched, total, max_share


class AlertNotFoundError(AlertkitError, LookupError):
    """No alert with the requested id exists in the table."""

    def __init__(self, alert_id: str, *, malformed: bool = False) -> None:
        # A malformed id is "not found" too (it can never have been stored), but the message
        # says why, so a typo is not mistaken for an alert that went away.
        why = " (not an alert id: letters, digits and ._:- only, 1-128 characters)"
        super().__init__(f"no alert with alert_id={alert_id!r}{why if malformed else ''}")
        self.alert_id = alert_id

    def __str__(self) -> str:  # LookupError/KeyError would otherwise show the repr of args
        return str(self.args[0])


class InvalidTransitionError(AlertkitError, ValueError):
    """A lifecycle transition the lifecycle does not allow (e.g. resolving a dismissed alert)."""

    def __init__(self, alert_id: str, current: str, action: str, *, terminal: bool) -> None:
        # ``terminal`` comes from the caller: which statuses are terminal is the lifecycle's
        # knowledge (alertkit.model.status), and the errors sit below it.
        super().__init__(
            f"cannot {action} alert {alert_id!r}: its status is {current!r}"
            f" ({'a terminal state' if terminal else 'not allowed'})"
        )
        self.alert_id = alert_id
        self.current = current
        self.action = action
        self.terminal = terminal


class AlertWriteError(AlertkitError):
    """A decision was taken but its alert could not be written.

    The decision is not lost: it is ``.decision`` (and the evaluated row ``.snapshot``); the
    sink's exception is ``__cause__``.
    """

    def __init__(self, decision: Decision, snapshot: Mapping[str, Any]) -> None:
        super().__init__(
            f"decision {decision.rule} ({decision.action.value}) for strategy_id"
            f" {snapshot.get('strategy_id')!r} was taken, but its alert could not be written"
        )
        self.decision = decision
        self.snapshot = snapshot


class NotificationError(AlertkitError, OSError):
    """A notification target refused an alert (a webhook answered outside 2xx).

    Raised inside a handler, so the hub logs and counts it; the alert is already committed.
    """


class StoreError(AlertkitError):
    """The Delta table behind an alert manager could not be read or written."""


class TableNotFoundError(StoreError, FileNotFoundError):
    """The path exists but holds no Delta table, or the table is missing."""


class SchemaMismatchError(StoreError, TypeError):
    """The Delta table's schema is not compatible with alertkit's alert schema."""


class WriteConflictError(StoreError):
    """Concurrent writers kept winning: the commit failed after every retry."""


class PartialWriteError(StoreError):
    """A write in several commits stopped part-way: ``committed`` chunks (of ``total``) are in
    the table, whole; the others are not. Re-run it with ``resume=True`` to write the rest."""

    def __init__(self, message: str, *, committed: int, total: int) -> None:
        super().__init__(message)
        self.committed = committed
        self.total = total
