"""Keeping a table of many small commits fast: compaction, checkpoints, vacuum.

Each alert creation or transition is a commit that adds a small file; reads slow down as
files pile up. :func:`maintain` compacts small files into large ones, writes a checkpoint so
log replay stays short, and (optionally) vacuums files no version younger than the retention
needs. The manager calls :func:`needs_maintenance` every few hundred of its commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from alertkit.errors import ValidationError
from alertkit.store import AlertStore

__all__ = [
    "MIN_VACUUM_RETENTION_HOURS",
    "MaintenanceReport",
    "maintain",
    "needs_maintenance",
]

MIN_VACUUM_RETENTION_HOURS: Final = 24
"""Vacuum never deletes files younger than this: readers and time travel need them."""

SMALL_FILES_PER_PARTITION: Final = 16
"""Fragmentation threshold: more data files than this per partition on average."""


@dataclass(frozen=True, slots=True)
class MaintenanceReport:
    """What :func:`maintain` did."""

    files_before: int
    files_after: int
    files_removed_by_compaction: int
    files_added_by_compaction: int
    checkpoint_version: int | None
    vacuumed_files: int

    def describe(self) -> str:
        """One human sentence, for the CLI and logs."""
        parts = [
            f"compacted {self.files_removed_by_compaction} files into"
            f" {self.files_added_by_compaction} ({self.files_before} -> {self.files_after}"
            " data files)"
        ]
        if self.checkpoint_version is not None:
            parts.append(f"wrote a checkpoint at version {self.checkpoint_version}")
        parts.append(f"vacuumed {self.vacuumed_files} unreferenced files")
        return "; ".join(parts)


def needs_maintenance(store: AlertStore) -> bool:
    """True when the table averages more than SMALL_FILES_PER_PARTITION files a partition."""
    table = store.table()
    files = len(table.file_uris())
    partitions = max(1, len(table.partitions()))
    return files > SMALL_FILES_PER_PARTITION * partitions


def maintain(
    store: AlertStore,
    *,
    compact: bool = True,
    checkpoint: bool = True,
    vacuum_retention_hours: int | None = None,
) -> MaintenanceReport:
    """Compact, checkpoint and optionally vacuum the table behind ``store``.

    ``vacuum_retention_hours`` below MIN_VACUUM_RETENTION_HOURS is refused: deleting files a
    concurrent reader or a recent version still needs would break them.
    """
    if vacuum_retention_hours is not None and vacuum_retention_hours < MIN_VACUUM_RETENTION_HOURS:
        raise ValidationError(
            f"vacuum_retention_hours: expected >= {MIN_VACUUM_RETENTION_HOURS},"
            f" got {vacuum_retention_hours}"
        )
    before = len(store.table().file_uris())
    removed = added = 0
    if compact:
        metrics = store.retrying(
            lambda: store.table().optimize.compact(), "compact the alerts table"
        )
        removed = int(metrics.get("numFilesRemoved", 0))
        added = int(metrics.get("numFilesAdded", 0))
    checkpoint_version = None
    if checkpoint:
        table = store.table()
        table.create_checkpoint()
        table.cleanup_metadata()
        checkpoint_version = table.version()
    vacuumed = 0
    if vacuum_retention_hours is not None:
        vacuumed = len(store.table().vacuum(retention_hours=vacuum_retention_hours, dry_run=False))
    return MaintenanceReport(
        files_before=before,
        files_after=len(store.table().file_uris()),
        files_removed_by_compaction=removed,
        files_added_by_compaction=added,
        checkpoint_version=checkpoint_version,
        vacuumed_files=vacuumed,
    )
