"""A table's layout: its partitions, the size of its files, and moving it to the declared one.

Until 2026-12 alertkit partitioned the alerts table and the notification log by day. A
Delta commit's cost grows with the files of the table version it reads, so after years every
write was 2-5x slower than on day ten (bench/RESULTS.md, 2026-12-03). Tables are now partitioned by
month (:class:`~alertkit.model.tables.TableSpec`'s ``partition_month_of``): ten years are 120
partitions, not 3,650.

:func:`migrate_layout` moves a table written with another layout: ONE overwrite commit of
every row, partitioned the declared way, decided on one table version and committed only
if no other commit landed since (``max_commit_retries=0``: delta-rs would otherwise rebase
the overwrite over a concurrent write's files, which belong to the old layout). So:

- a migration killed at any point leaves either the old table, whole (the data files it had
  written are unreferenced), or the new one; running it again finishes it;
- a concurrent writer's commit is never lost: it makes the migration's commit fail, and the
  migration is redone on the table as it now is (a writer that lost to the migration
  re-decides on the new layout the same way);
- versions before the migration still read by time travel (their files are kept until a
  vacuum), and a table already in the declared layout is left alone.

Within a partition, files are kept near :data:`TARGET_FILE_BYTES` (the table property
``delta.targetFileSize``, which delta-rs's writes, MERGEs and compactions honour). A
transition rewrites the whole file holding its row, so a month in one file (80,000 alerts on
a busy desk) made an acknowledge on a 1M-alert table 3.9x the same on a 1k table; files of
about 6,000 alerts, whose time-ordered ids give them narrow id ranges, let the MERGE skip all
but one (bench/RESULTS.md).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Final

import polars as pl
from deltalake import CommitProperties, DeltaTable, write_deltalake
from deltalake.exceptions import CommitFailedError

from alertkit.lake.table_schema import declared_columns, scan_declared
from alertkit.model.tables import TableSpec

__all__ = [
    "TABLE_CONFIGURATION",
    "TARGET_FILE_BYTES",
    "LayoutMigration",
    "add_configuration",
    "declared_partitioning",
    "migrate_layout",
    "partition_columns",
    "scan_dates",
]

log = logging.getLogger(__name__)

TARGET_FILE_BYTES: Final = 1_000_000
"""The data file size writes and compactions aim at (see the module docstring)."""

TABLE_CONFIGURATION: Final[Mapping[str, str]] = {
    # Checkpoints keep log replay short on tables with many small commits.
    "delta.checkpointInterval": "50",
    "delta.targetFileSize": str(TARGET_FILE_BYTES),
}
"""The table properties every alertkit table has (set at creation, or added on upgrade)."""


@dataclass(frozen=True, slots=True)
class LayoutMigration:
    """What a layout migration did to one table."""

    table: str
    rows: int
    partitioned_by_before: tuple[str, ...]
    partitioned_by: tuple[str, ...]
    files_before: int
    files_after: int
    version_before: int
    version: int
    seconds: float

    def describe(self) -> str:
        """One line for a log or a terminal."""
        before = ", ".join(self.partitioned_by_before) or "nothing"
        after = ", ".join(self.partitioned_by) or "nothing"
        return (
            f"{self.table}: {_count(self.rows, 'row')} moved from partitions by {before}"
            f" ({_count(self.files_before, 'file')}) to partitions by {after}"
            f" ({_count(self.files_after, 'file')}) in {self.seconds:.1f} s;"
            f" version {self.version_before} -> {self.version}, earlier versions still readable"
        )


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def partition_columns(table: DeltaTable) -> tuple[str, ...]:
    """The partition columns of table version ``table``."""
    return tuple(table.metadata().partition_columns)


def declared_partitioning(spec: TableSpec) -> tuple[str, ...]:
    """The partition columns ``spec`` declares (what :func:`partition_columns` should be)."""
    return () if spec.partition_by is None else (spec.partition_by,)


def add_configuration(table: DeltaTable) -> bool:
    """Give table version ``table`` the :data:`TABLE_CONFIGURATION` properties it lacks, in
    one commit (and bring ``table`` up to date); False, committing nothing, when it has them.
    Tables created before a property was declared get it on their first writable open."""
    for attempt in range(3):
        current = table.metadata().configuration
        missing = {k: v for k, v in TABLE_CONFIGURATION.items() if current.get(k) != v}
        if not missing:
            return False
        meta = {"alertkit.operation": "configure", "alertkit.subject": ",".join(missing)}
        try:
            table.alter.set_table_properties(missing, commit_properties=CommitProperties(meta))
        except CommitFailedError:
            # The metadata changed since ``table`` (another process configuring it too):
            # look again on the latest version.
            if attempt == 2:
                raise
            table.update_incremental()
            continue
        table.update_incremental()
        return True
    raise AssertionError("unreachable")


def migrate_layout(spec: TableSpec, table: DeltaTable) -> LayoutMigration | None:
    """Rewrite table version ``table`` in ``spec``'s partition layout, in one commit; None
    when it already has it. Raises ``CommitFailedError`` when any commit landed after
    ``table`` (redo the migration on the latest version)."""
    before = partition_columns(table)
    wanted = declared_partitioning(spec)
    if before == wanted:
        return None
    started = time.perf_counter()
    version_before = int(table.version())
    files_before = len(table.file_uris())
    rows = scan_declared(spec, table).collect()
    write_deltalake(
        table,
        spec.physical(rows).to_arrow(),
        mode="overwrite",
        schema_mode="overwrite",
        partition_by=list(wanted) or None,
        commit_properties=CommitProperties(
            custom_metadata={
                "alertkit.operation": "migrate_layout",
                "alertkit.subject": f"{','.join(before)} -> {','.join(wanted)}",
            },
            max_commit_retries=0,
        ),
    )
    table.update_incremental()
    done = LayoutMigration(
        table=spec.name,
        rows=rows.height,
        partitioned_by_before=before,
        partitioned_by=wanted,
        files_before=files_before,
        files_after=len(table.file_uris()),
        version_before=version_before,
        version=int(table.version()),
        seconds=time.perf_counter() - started,
    )
    log.warning("migrated the %s table to its new layout: %s", spec.name, done.describe())
    return done


def scan_dates(spec: TableSpec, table: DeltaTable, dates: Iterable[date]) -> pl.LazyFrame:
    """The declared rows of table version ``table`` whose ``spec.partition_month_of`` date is
    one of ``dates``, reading only their partitions in whichever layout ``table`` has (a
    table not yet migrated, read by a process that cannot write it, is partitioned by day)."""
    wanted = sorted(set(dates))
    column = spec.partition_month_of
    if column is None:
        raise ValueError(f"the {spec.name} table is not partitioned by a date's month")
    scan = pl.scan_delta(table)
    if spec.partition_by in partition_columns(table):
        months = sorted({d.replace(day=1) for d in wanted})
        scan = scan.filter(pl.col(spec.partition_by).is_in(months))
    return declared_columns(spec, scan).filter(pl.col(column).is_in(wanted))
