"""Writing backtest alerts to an alerts table: a few large commits, never one per alert.

``append`` checks the whole frame first (rows valid, ids new, no open fingerprint already
open in the table), so a refused write writes nothing; then it inserts the alerts with
:meth:`SyncAlertManager.insert_alerts`, one atomic commit per chunk of at most
:data:`MAX_CHUNK_ROWS` rows. If a later chunk fails (a concurrent writer made it clash, or the
store failed), :class:`~alertkit.model.errors.PartialWriteError` says how many chunks committed;
``resume=True`` then writes only the alerts not yet in the table. ``overwrite`` replaces the
table's contents in one commit (the first chunk), then inserts any further chunks; the
previous contents stay readable by time travel.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Final, Literal

import polars as pl

from alertkit.live.manager import ManagerLike, sync_manager_of
from alertkit.live.sync_manager import SyncAlertManager
from alertkit.model.errors import AlertkitError, PartialWriteError, ValidationError
from alertkit.model.schema import check_alert_frame

__all__ = ["MAX_CHUNK_ROWS", "LakeMode", "write_alerts"]

LakeMode = Literal["append", "overwrite"]
MAX_CHUNK_ROWS: Final = 500_000


def write_alerts(
    alerts: pl.DataFrame,
    lake: str | Path | ManagerLike,
    *,
    mode: LakeMode = "append",
    storage_options: Mapping[str, str] | None = None,
    chunk_rows: int = MAX_CHUNK_ROWS,
    resume: bool = False,
) -> int:
    """Write ``alerts`` (``ALERT_SCHEMA`` rows) to ``lake`` (a table path or URI, created if
    needed, or an :class:`~alertkit.AlertManager` / :class:`~alertkit.SyncAlertManager`);
    returns the table version afterwards.

    Raises
    ------
    ValidationError
        Rows that do not pass ``check_alert_frame``, or an ``append`` that would repeat a
        stored id or open a fingerprint already open (nothing is written).
    PartialWriteError
        A chunk after the first failed; the committed chunks are whole and named.
    """
    if isinstance(lake, str | Path):
        manager = SyncAlertManager(lake, storage_options=storage_options, maintain_every=0)
    else:
        manager = sync_manager_of(lake)
    manager.initialize()
    alerts = check_alert_frame(alerts)  # the whole frame, before any commit
    if mode == "append":
        if resume:
            stored = manager.scan_alerts().select("alert_id").collect()
            alerts = alerts.join(stored, on="alert_id", how="anti", maintain_order="left")
        try:
            manager.check_insert(alerts)
        except ValidationError as exc:
            raise ValidationError(
                f"lake: {exc} in {manager.path}. To re-run a backtest into the same table pass"
                " lake_mode='overwrite' (replaces its contents), or write to another path"
            ) from exc
    chunks = [alerts.slice(start, chunk_rows) for start in range(0, alerts.height, chunk_rows)]
    done = 0
    if mode == "overwrite":
        manager.overwrite_alerts(chunks.pop(0) if chunks else alerts)
        done = 1
    total = done + len(chunks)
    for chunk in chunks:
        try:
            manager.insert_alerts(chunk)
        except AlertkitError as exc:
            if done == 0:
                raise  # nothing was written: the error says why
            raise PartialWriteError(
                f"lake: {done} of {total} chunks committed ({done * chunk_rows} alerts at most)"
                f" before chunk {done + 1} failed: {exc}. The committed chunks are whole;"
                " write again with resume=True to add the rest",
                committed=done,
                total=total,
            ) from exc
        done += 1
    return manager.version()
