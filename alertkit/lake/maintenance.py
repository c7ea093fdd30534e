"""Keeping a table of many small commits fast: compaction, checkpoints, vacuum.

Each alert creation or transition is a commit that adds a small file (and each delivery
round's notification log entries, each policy change, likewise); reads and later commits
slow down as files pile up. Any :class:`~alertkit.lake.store.DeltaStore` is maintained the
same way; an unpartitioned table (``partition_by`` None) counts as one partition, named
:data:`WHOLE_TABLE`. :func:`maintain` compacts the small files of each partition into files of
about the table's target size (:data:`~alertkit.lake.layout.TARGET_FILE_BYTES`), writes a
checkpoint so log replay stays short, and (optionally) vacuums files that no version younger
than the retention still needs. After each of its commits the manager calls
:func:`auto_maintain`, which checks the table's file counts once SMALL_FILES_PER_PARTITION
commits (by any writer) have landed since this manager last checked, or ``every`` of its own,
whichever comes first, and compacts only the partitions holding more than
SMALL_FILES_PER_PARTITION small files (under half the target size; usually the month being
written). A partition therefore never holds much more than twice that many small files,
however many processes write, and a check costs a look at the table version the manager
already holds. Files already near the target size are not counted: compacting them again
would rewrite them unchanged.

Compactions must never overlap. deltalake 1.6 lets two compactions of the same files, planned
on the same table version, both commit (their removes carry ``dataChange=false``, which its conflict
checker lets through, and ``optimize`` ignores ``max_commit_retries``), and every compacted row
is then stored twice. So alertkit compacts only while holding an exclusive lock: an ``flock``
on ``_alertkit_maintenance.lock`` in the table directory, which the kernel releases if the
process dies, and which Delta readers ignore (a leading underscore). Object stores offer no
such lock to alertkit: there automatic maintenance leaves compaction to an explicit
:func:`maintain` (``alertkit maintain``) run by one process at a time. Appends and transitions
racing a compaction are safe either way: delta-rs rebases the compaction over appends and
refuses whichever of a compaction and a transition commits second on a file both touched.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import polars as pl
from deltalake.exceptions import CommitFailedError, DeltaError

from alertkit.lake.delta_errors import first_line
from alertkit.lake.layout import TARGET_FILE_BYTES
from alertkit.lake.store import DeltaStore
from alertkit.model.errors import StoreError, ValidationError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no flock, so no automatic compaction
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "DEFAULT_MAINTAIN_EVERY",
    "LOCK_FILE",
    "MIN_VACUUM_RETENTION_HOURS",
    "SMALL_FILES_PER_PARTITION",
    "WHOLE_TABLE",
    "MaintenanceReport",
    "auto_maintain",
    "fragmented_partitions",
    "maintain",
]

MIN_VACUUM_RETENTION_HOURS: Final = 24
"""Vacuum never deletes files younger than this: readers and time travel need them."""

DEFAULT_MAINTAIN_EVERY: Final = 200
"""A manager checks fragmentation at least once per this many of its own commits."""

SMALL_FILES_PER_PARTITION: Final = 16
"""Fragmentation threshold: a partition with more small files than this is compacted."""

SMALL_FILE_BYTES: Final = TARGET_FILE_BYTES // 2
"""A data file under this size is small: compaction would merge it with others."""

log = logging.getLogger(__name__)

WHOLE_TABLE: Final = ""
"""The one partition of an unpartitioned table, as :func:`files_per_partition` names it."""

LOCK_FILE: Final = "_alertkit_maintenance.lock"
"""Held (flock) by the process compacting a local table; never deleted."""


@dataclass(frozen=True, slots=True)
class MaintenanceReport:
    """What :func:`maintain` did."""

    files_before: int
    files_after: int
    files_removed_by_compaction: int
    files_added_by_compaction: int
    checkpoint_version: int | None
    vacuumed_files: int
    compaction_skipped: str | None = None
    """Why compaction was not attempted, if it was not (None when it ran or was not asked)."""

    def describe(self) -> str:
        """One human sentence, for the CLI and logs."""
        if self.compaction_skipped is not None:
            parts = [f"skipped compaction ({self.compaction_skipped})"]
        else:
            parts = [
                f"compacted {self.files_removed_by_compaction} files into"
                f" {self.files_added_by_compaction} ({self.files_before} -> {self.files_after}"
                " data files)"
            ]
        if self.checkpoint_version is not None:
            parts.append(f"wrote a checkpoint at version {self.checkpoint_version}")
        parts.append(f"vacuumed {self.vacuumed_files} unreferenced files")
        return "; ".join(parts)


def files_per_partition(store: DeltaStore, *, small_only: bool = False) -> dict[str, int]:
    """How many data files (with ``small_only``, files under SMALL_FILE_BYTES) each partition
    (its value as ISO text: for alerts, the first day of a creation month) holds now; an
    unpartitioned table's files all count under :data:`WHOLE_TABLE`."""
    actions = pl.DataFrame(store.table().get_add_actions(flatten=True))
    if small_only and not actions.is_empty():
        actions = actions.filter(pl.col("size_bytes") < SMALL_FILE_BYTES)
    if actions.is_empty():
        return {}
    if store.spec.partition_by is None:
        return {WHOLE_TABLE: actions.height}
    counts = actions.group_by(f"partition.{store.spec.partition_by}").len()
    return {str(value): int(n) for value, n in counts.iter_rows()}


def fragmented_partitions(store: DeltaStore) -> list[str]:
    """The partitions holding more than SMALL_FILES_PER_PARTITION small files, oldest first
    (``[WHOLE_TABLE]`` for an unpartitioned table that has them)."""
    counts = files_per_partition(store, small_only=True)
    return sorted(value for value, n in counts.items() if n > SMALL_FILES_PER_PARTITION)


def _local_dir(store: DeltaStore) -> Path | None:
    return Path(store.uri) if store.is_local else None


@contextmanager
def _compaction_lock(store: DeltaStore, *, wait: bool) -> Iterator[bool]:
    """Hold the table's compaction lock; yields whether it is held. Where no lock exists
    (object stores), yields True: the caller is the single maintainer by contract."""
    directory = _local_dir(store)
    if directory is None or fcntl is None:
        yield True
        return
    fd = os.open(directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        yield True  # closing the descriptor releases the lock
    finally:
        os.close(fd)


def _compact(store: DeltaStore, partitions: list[str] | None, *, patient: bool) -> tuple[int, int]:
    """Compact ``partitions`` (all when None); (files removed, files added).

    ``patient`` re-runs a compaction that lost a race until it lands; otherwise a lost race
    raises CommitFailedError at once (automatic maintenance tries again at its next check
    rather than hold up the operation that triggered it).
    """
    column = store.spec.partition_by
    # an unpartitioned table has one partition (WHOLE_TABLE): asked for it, compact it all
    filters = None if partitions is None or column is None else [(column, "in", partitions)]

    def compact() -> dict[str, Any]:
        return store.table().optimize.compact(
            partition_filters=filters, target_size=TARGET_FILE_BYTES
        )

    what = f"compact the {store.spec.name} table"
    metrics = store.retrying(compact, what) if patient else compact()
    return int(metrics.get("numFilesRemoved", 0)), int(metrics.get("numFilesAdded", 0))


def maintain(
    store: DeltaStore,
    *,
    compact: bool = True,
    checkpoint: bool = True,
    vacuum_retention_hours: int | None = None,
    partitions: list[str] | None = None,
    wait: bool = True,
) -> MaintenanceReport:
    """Compact, checkpoint and optionally vacuum the table behind ``store``.

    ``partitions`` limits compaction to those partitions (ISO text, as
    :func:`files_per_partition` names them; ``[WHOLE_TABLE]`` or None for an unpartitioned
    table). ``wait=False`` (what
    automatic maintenance uses) skips compaction rather than wait, when another process holds
    the compaction lock or a concurrent commit touched the files being compacted.
    On an object store compaction runs without a lock: never run two maintain() at once.
    ``vacuum_retention_hours`` below MIN_VACUUM_RETENTION_HOURS is refused: deleting files a
    concurrent reader or a recent version still needs would break them.
    """
    if vacuum_retention_hours is not None and vacuum_retention_hours < MIN_VACUUM_RETENTION_HOURS:
        raise ValidationError(
            f"vacuum_retention_hours: expected >= {MIN_VACUUM_RETENTION_HOURS},"
            f" got {vacuum_retention_hours}"
        )
    try:
        before = len(store.table().file_uris())  # opening checks it has the declared columns
        store.check_writable()
        removed = added = 0
        skipped = None
        if compact and partitions != []:
            with _compaction_lock(store, wait=wait) as held:
                if not held:
                    skipped = "another process is compacting this table"
                elif wait:
                    removed, added = _compact(store, partitions, patient=True)
                else:
                    try:
                        removed, added = _compact(store, partitions, patient=False)
                    except CommitFailedError:
                        skipped = "a concurrent writer touched the same files; retried later"
        checkpoint_version = None
        if checkpoint:
            table = store.table()
            table.create_checkpoint()
            table.cleanup_metadata()
            checkpoint_version = table.version()
        vacuumed = 0
        if vacuum_retention_hours is not None:
            # alertkit's own floor (checked above) replaces delta-rs's 7-day default.
            vacuumed = len(
                store.table().vacuum(
                    retention_hours=vacuum_retention_hours,
                    dry_run=False,
                    enforce_retention_duration=False,
                )
            )
        after = len(store.table().file_uris())
    except (DeltaError, OSError) as exc:
        raise StoreError(f"maintenance of {store.uri} failed: {first_line(exc)}") from exc
    return MaintenanceReport(
        files_before=before,
        files_after=after,
        files_removed_by_compaction=removed,
        files_added_by_compaction=added,
        checkpoint_version=checkpoint_version,
        vacuumed_files=vacuumed,
        compaction_skipped=skipped,
    )


def auto_maintain(
    store: DeltaStore, *, checked_at: int, every: int
) -> tuple[int, MaintenanceReport | None]:
    """The manager's check after each commit; ``checked_at`` is the table version of this
    manager's last check. Returns the version of this check (``checked_at`` if it was not due)
    and what maintenance did (None when nothing was due or fragmented).

    Never raises StoreError: the operation that triggered the check has committed, and
    failing it now would invite a retry that counts it twice. Failures are logged; the next
    check tries again. On object stores (no compaction lock) this does nothing: delta-rs
    writes a checkpoint every 50 commits by itself, and compaction is an explicit maintain().
    """
    if _local_dir(store) is None or fcntl is None:
        return checked_at, None
    try:
        version = store.table().version()
    except StoreError as exc:
        log.warning("automatic maintenance of %s failed; retrying later: %s", store.uri, exc)
        return checked_at, None
    if version - checked_at < min(every, SMALL_FILES_PER_PARTITION):
        return checked_at, None
    try:
        partitions = fragmented_partitions(store)
        # No extra checkpoint: delta-rs writes one every 50 commits (delta.checkpointInterval),
        # and one per compaction cost more than it saved once tombstones piled up.
        report = (
            maintain(store, partitions=partitions, wait=False, checkpoint=False)
            if partitions
            else None
        )
    except (StoreError, DeltaError) as exc:
        log.warning("automatic maintenance of %s failed; retrying later: %s", store.uri, exc)
        report = None
    return version, report
