"""The reading half of the manager: alerts by id, by query, as a board, and the commits.

:class:`Reading` is a mixin of :class:`~alertkit.live.sync_manager.SyncAlertManager` (and so of
the async adapter, which delegates to it): every method reads the manager's store.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from alertkit.lake.store import AlertStore, TableVersion
from alertkit.live import reads
from alertkit.model.alerts import Alert, AlertQuery, AlertStatus

__all__ = ["Reading"]


class Reading:
    """Reads of the alerts table of a manager."""

    store: AlertStore

    def get_alert(self, alert_id: str, *, version: TableVersion | None = None) -> Alert:
        """The alert with ``alert_id`` (at a table ``version`` or instant, if given)."""
        return reads.get_alert(self.store, alert_id, version)

    def query_alerts(
        self, query: AlertQuery | None = None, *, version: TableVersion | None = None
    ) -> list[Alert]:
        """Alerts matching ``query``, newest first, at most ``query.limit``."""
        return reads.query_alerts(self.store, query, version)

    def get_active_alerts(self) -> list[Alert]:
        """Every alert whose status is ACTIVE, newest first."""
        return reads.active_alerts(self.store)

    def get_alert_count(self, status: AlertStatus | str | None = None) -> int:
        """How many alerts have ``status`` (all alerts when None)."""
        return reads.count_alerts(self.store, status)

    def version(self) -> int:
        """The table's current version number (pass it to ``read_board``/``query_alerts``
        later to see the table as it is now)."""
        return int(self.store.table().version())

    def scan_alerts(self, version: TableVersion | None = None) -> pl.LazyFrame:
        """Every alert's current state (or as of ``version``) as a LazyFrame."""
        return self.store.scan(version)

    def commit_history(self, limit: int | None = None) -> list[dict[str, Any]]:
        """The table's commits, newest first: ``version``, ``timestamp``, ``operation`` and
        alertkit's audit (``alertkit.operation``, ``alertkit.subject``, ``alertkit.by``)."""
        return self.store.history(limit)

    def read_board(self, version: TableVersion | None = None) -> pl.DataFrame:
        """Every alert, newest first, as a polars DataFrame (time travel with ``version`` =
        a table version number or an instant)."""
        return reads.read_board(self.store, version)
