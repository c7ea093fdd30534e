"""Spawned-process bodies for the side-table maintenance tests (importable by ``spawn``)."""

from __future__ import annotations

from typing import Any

from alertkit import SyncAlertManager


def maintain_lake(lake: str, start: Any, results: Any) -> None:
    """``maintain()`` of the whole lake, started with the other processes at ``start`` (a
    barrier); puts the log's (files removed, files added) on ``results``."""
    manager = SyncAlertManager(lake, maintain_every=0)
    start.wait()
    log = manager.maintain().side_tables["notifications"]
    results.put((log.files_removed_by_compaction, log.files_added_by_compaction))
