"""Writing backtest alerts to an alerts table: a few large commits, never one per alert.

``append`` adds the alerts with :meth:`SyncAlertManager.insert_alerts`, one commit per chunk
of at most :data:`MAX_CHUNK_ROWS` rows. It first checks that none of the backtest's open
alerts has a fingerprint already open in the table (a second run of the same backtest into
the same table would), so a refused write writes nothing at all. ``overwrite`` replaces the
table's contents in one commit (the first chunk), then appends any further chunks; the
previous contents stay readable by time travel.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Final, Literal

import polars as pl

from alertkit._identity import audit
from alertkit.errors import ValidationError
from alertkit.schema import OPEN_STATUSES, check_alert_frame
from alertkit.sync_manager import SyncAlertManager

__all__ = ["MAX_CHUNK_ROWS", "LakeMode", "write_alerts"]

LakeMode = Literal["append", "overwrite"]
MAX_CHUNK_ROWS: Final = 500_000
_KEYS: Final = ["rule", "strategy_id", "symbol"]


def write_alerts(
    alerts: pl.DataFrame,
    lake: str | Path,
    *,
    mode: LakeMode = "append",
    storage_options: Mapping[str, str] | None = None,
    chunk_rows: int = MAX_CHUNK_ROWS,
) -> int:
    """Write ``alerts`` (``ALERT_SCHEMA`` rows) to the table at ``lake``, creating it if
    needed; returns the table version afterwards.

    Raises
    ------
    ValidationError
        ``append`` into a table where some of these open fingerprints are already open
        (nothing is written), or rows that do not pass ``check_alert_frame``.
    """
    manager = SyncAlertManager(lake, storage_options=storage_options, maintain_every=0)
    manager.initialize()
    alerts = check_alert_frame(alerts)
    chunks = [alerts.slice(start, chunk_rows) for start in range(0, alerts.height, chunk_rows)]
    if mode == "overwrite":
        first = chunks.pop(0) if chunks else alerts
        store = manager.store
        meta = audit("backtest-overwrite", f"{alerts.height} alerts", None)
        store.retrying(lambda: store.overwrite(first, meta), f"overwrite {store.uri}")
    else:
        _refuse_open_clashes(manager, alerts)
    for chunk in chunks:
        manager.insert_alerts(chunk)
    return int(manager.store.table().version())


def _refuse_open_clashes(manager: SyncAlertManager, alerts: pl.DataFrame) -> None:
    ours = alerts.filter(pl.col("status").is_in(OPEN_STATUSES)).select(_KEYS)
    if ours.is_empty():
        return
    clash = (
        manager.scan_alerts()
        .filter(pl.col("status").is_in(OPEN_STATUSES))
        .select(_KEYS)
        .join(ours.lazy(), on=_KEYS, how="semi", nulls_equal=True)
        .collect()
    )
    if not clash.is_empty():
        raise ValidationError(
            f"lake: {clash.height} open alerts of this backtest have fingerprints already open"
            f" in {manager.path} (e.g. {clash.rows()[:3]}); nothing was written. To re-run a"
            " backtest into the same table pass lake_mode='overwrite' (replaces its contents),"
            " or write to another path"
        )
