"""Reading alerts back: by id, by query, counts and the whole board, at any table version.

The managers' read operations, as functions of the :class:`~alertkit.lake.store.AlertStore`:
every read maps a table version that cannot be read to an alertkit error
(:func:`~alertkit.lake._versions.version_read_errors`) and returns models or polars frames.
"""

from __future__ import annotations

import polars as pl

from alertkit.lake._versions import version_read_errors
from alertkit.lake.query import query_filter
from alertkit.lake.store import AlertStore, TableVersion
from alertkit.live.transitions import rows_by_id
from alertkit.model._ids import ALERT_ID_PATTERN
from alertkit.model.alerts import Alert, AlertQuery, AlertStatus
from alertkit.model.errors import AlertNotFoundError, ValidationError
from alertkit.model.schema import alert_from_row

__all__ = [
    "active_alerts",
    "check_alert_id",
    "count_alerts",
    "get_alert",
    "query_alerts",
    "read_board",
]

_NEWEST_FIRST = (["created_at", "alert_id"], True)


def check_alert_id(alert_id: object) -> str:
    """``alert_id`` if it could name a stored alert; a malformed one is not found."""
    if not isinstance(alert_id, str):
        raise ValidationError(
            f"alert_id: expected a str, got {type(alert_id).__name__} {alert_id!r}"
        )
    if not ALERT_ID_PATTERN.match(alert_id):
        # Such an id can never have been stored (Alert validates the same pattern).
        raise AlertNotFoundError(alert_id, malformed=True)
    return alert_id


def get_alert(store: AlertStore, alert_id: str, version: TableVersion | None = None) -> Alert:
    """The alert with ``alert_id`` (at a table ``version`` or instant, if given)."""
    alert_id = check_alert_id(alert_id)
    with version_read_errors(store.uri, version):
        row = rows_by_id(store.table(version), [alert_id]).get(alert_id)
    if row is None:
        raise AlertNotFoundError(alert_id)
    return alert_from_row(row)


def query_alerts(
    store: AlertStore, query: AlertQuery | None = None, version: TableVersion | None = None
) -> list[Alert]:
    """Alerts matching ``query``, newest first, at most ``query.limit``."""
    query = query or AlertQuery()
    if not isinstance(query, AlertQuery):
        raise ValidationError(f"query: expected an AlertQuery, got {type(query).__name__}")
    with version_read_errors(store.uri, version):
        rows = (
            store.scan(version)
            .filter(query_filter(query))
            .sort(_NEWEST_FIRST[0], descending=_NEWEST_FIRST[1])
            .head(query.limit)
            .collect()
        )
    return [alert_from_row(r) for r in rows.iter_rows(named=True)]


def active_alerts(store: AlertStore) -> list[Alert]:
    """Every alert whose status is ACTIVE, newest first."""
    with version_read_errors(store.uri, None):
        rows = (
            store.scan()
            .filter(pl.col("status") == AlertStatus.ACTIVE.value)
            .sort(_NEWEST_FIRST[0], descending=_NEWEST_FIRST[1])
            .collect()
        )
    return [alert_from_row(r) for r in rows.iter_rows(named=True)]


def count_alerts(store: AlertStore, status: AlertStatus | str | None = None) -> int:
    """How many alerts have ``status`` (all alerts when None)."""
    scan = store.scan()
    if status is not None:
        scan = scan.filter(pl.col("status") == AlertStatus.parse(status, "status").value)
    with version_read_errors(store.uri, None):
        return int(scan.select(pl.len()).collect().item())


def read_board(store: AlertStore, version: TableVersion | None = None) -> pl.DataFrame:
    """Every alert, newest first, as a DataFrame (at a table version or instant)."""
    with version_read_errors(store.uri, version):
        return store.scan(version).sort(_NEWEST_FIRST[0], descending=_NEWEST_FIRST[1]).collect()
