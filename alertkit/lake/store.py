"""Delta Lake I/O for any table alertkit declares: create, check, read, merge, retry.

:class:`DeltaStore` keeps one table declared by a :class:`~alertkit.model.tables.TableSpec`
(its columns, key, partition, revision and open rows); what the rows mean is the
declaration's, and the store adds no knowledge of its own. :class:`AlertStore` is the store of
the alerts table (:data:`~alertkit.model.schema.ALERTS_TABLE`); a silences table or a
notification log is another declaration kept by the same class.

Every change is one commit decided on one table version: a MERGE
(:meth:`DeltaStore.merge_rows`, its values in an Arrow source table, so no user string is
pasted into a predicate), a bulk insert's :meth:`DeltaStore.append_unless_changed`, or a
backtest's ``overwrite``. Writers are optimistic: a commit whose reads a concurrent commit
changed raises ``CommitFailedError`` in delta-rs, which never re-runs an operation;
:meth:`DeltaStore.retrying` re-runs the whole read-decide-write step with jittered
exponential backoff, so the decision is made again on the table as it now is.
"""

from __future__ import annotations

import logging
import os
import random
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final, Literal, TypeVar

import polars as pl
from deltalake import CommitProperties, DeltaTable, write_deltalake
from deltalake.exceptions import CommitFailedError

from alertkit.lake._merge_predicate import MergeReads, merge_predicate
from alertkit.lake._versions import open_version
from alertkit.lake.delta_errors import delta_errors
from alertkit.lake.integrity import check_intact
from alertkit.lake.layout import (
    TABLE_CONFIGURATION,
    LayoutMigration,
    add_configuration,
    declared_partitioning,
    migrate_layout,
    partition_columns,
)
from alertkit.lake.paths import LocalTable, is_local, local_table_path
from alertkit.lake.table_schema import add_later_columns, check_columns, scan_declared
from alertkit.model.errors import StoreError, TableNotFoundError, WriteConflictError
from alertkit.model.schema import ALERTS_TABLE
from alertkit.model.tables import TableSpec

__all__ = [
    "DEFAULT_MAX_RETRIES",
    "AlertStore",
    "DeltaStore",
    "MergeOutcome",
    "MergeReads",
    "TableVersion",
    "audit",
]

log = logging.getLogger(__name__)

T = TypeVar("T")
TableVersion = int | str | datetime
"""A table version number, or an instant (datetime or ISO string) for time travel."""

DEFAULT_MAX_RETRIES: Final = 30
"""Re-runs of a conflicting step before WriteConflictError; 12 ran out under 4 writers."""


def audit(operation: str, subject: str, by: str | None) -> dict[str, str]:
    """Commit metadata shown by ``DeltaTable.history()``: who did what to which alert."""
    meta = {"alertkit.operation": operation, "alertkit.subject": subject}
    if by is not None:
        meta["alertkit.by"] = by
    return meta


@dataclass(frozen=True, slots=True)
class MergeOutcome:
    """What a MERGE did: rows inserted and updated, and the version it committed."""

    inserted: int
    updated: int
    version: int


_LOG_ENTRY: Final = re.compile(r"^\d{20}\.(json|checkpoint(\.\d+\.\d+)?\.parquet)$")
"""A commit or checkpoint file name in _delta_log (anything else there is not the table)."""


class DeltaStore:
    """One Delta table declared by ``spec`` at ``uri`` (a local path or an object-store URI
    such as ``s3://``): created, checked, read, merged into and retried, whatever it holds.

    Parameters
    ----------
    uri
        Table location. Local paths are made absolute so a notebook's working directory
        cannot change which table a manager writes to.
    spec
        The table's declaration (:class:`~alertkit.model.tables.TableSpec`): its columns,
        key, partition, revision and open rows. A table at ``uri`` with other columns is
        refused before anything reads or writes through it.
    storage_options
        Passed to deltalake and polars unchanged (credentials, endpoint, region...).
    max_retries
        How many times a conflicting read-decide-write step is re-run before giving up.
    """

    def __init__(
        self,
        uri: str | Path,
        spec: TableSpec,
        storage_options: Mapping[str, str] | None = None,
        *,
        max_retries: int = DEFAULT_MAX_RETRIES,
        backoff_seconds: float = 0.02,
    ) -> None:
        self.spec = spec
        text = str(uri)
        self.uri = local_table_path(text) if is_local(text) else text
        self.is_local = is_local(text)
        self.storage_options = dict(storage_options) if storage_options else None
        self.max_retries = max_retries
        self.backoff_seconds = backoff_seconds
        self._local = threading.local()

    # -- table lifecycle -------------------------------------------------------------------

    def exists(self) -> bool:
        """Whether a Delta table is at the store's location (of any schema); a local path
        that is a file, or a location that cannot be reached, is a :class:`StoreError`."""
        if self.is_local:
            path = Path(self.uri)
            if path.exists() and not path.is_dir():
                raise TableNotFoundError(f"{self.uri} is a file, not a Delta table directory")
        with delta_errors(self.uri, f"cannot reach {self.uri}"):
            return DeltaTable.is_deltatable(self.uri, storage_options=self.storage_options)

    def check_writable(self) -> None:
        """Refuse, before a write starts, a local table this process cannot write (a
        read-only mount, or permissions): delta-rs would fail part-way, with a raw error."""
        if not self.is_local:
            return
        log_dir = Path(self.uri, "_delta_log")
        where = log_dir if log_dir.is_dir() else Path(self.uri)
        if where.is_dir() and not os.access(where, os.W_OK | os.X_OK):
            raise StoreError(
                f"the {self.spec.name} table at {self.uri} is read-only: this process cannot"
                f" write to {where} (a read-only mount or its permissions); reads still work"
            )

    def ensure_table(self) -> None:
        """Create the table if absent; check an existing one has every declared column."""
        if self.is_local:
            path = Path(self.uri)
            if path.is_file():
                raise TableNotFoundError(f"{self.uri} is a file, not a Delta table directory")
            log_dir = path / "_delta_log"
            if log_dir.is_dir() and any(_LOG_ENTRY.match(p.name) for p in log_dir.iterdir()):
                self.check_schema()
                return
            # A _delta_log without a commit is what a creation killed before version 0
            # leaves behind (at most a _commit_*.tmp file): create the table in it.
            if path.is_dir() and any(p.name != "_delta_log" for p in path.iterdir()):
                raise TableNotFoundError(
                    f"{self.uri} is a non-empty directory but not a Delta table"
                    " (no _delta_log); refusing to create a table on top of other files"
                )
        elif self.exists():
            self.check_schema()
            return
        self.check_writable()
        try:
            with delta_errors(self.uri, f"cannot create the {self.spec.name} table at {self.uri}"):
                DeltaTable.create(
                    self.uri,
                    schema=self.spec.arrow_schema(),
                    mode="ignore",  # another process may create it at the same moment
                    partition_by=self._partition_by,
                    name=self.spec.name,
                    description=self.spec.description,
                    configuration=TABLE_CONFIGURATION,
                    storage_options=self.storage_options,
                )
        except CommitFailedError:
            pass  # lost the creation race: the winner's table is what we want
        self.check_schema()

    def table(self, version: TableVersion | None = None) -> DeltaTable:
        """The table at one table version: the latest, or the one at ``version``.

        The latest version is a per-thread DeltaTable brought up to date incrementally
        (reading only the commits since its last use) rather than reloaded each time. Each
        table version opened is checked to have the declared columns (:meth:`check_schema`)
        before anyone reads or writes through it: a Delta table alertkit did not create is
        never written.
        """
        with delta_errors(self.uri, f"cannot open the {self.spec.name} table at {self.uri}"):
            if version is not None:
                table = open_version(self.uri, self.storage_options, version, local=self.is_local)
                self._check_schema_of(table)
                self._check_intact(table, files=False)  # open_version checked its files
                return table
            cached: DeltaTable | None = getattr(self._local, "table", None)
            if cached is None:
                cached = self.open_table()
                self._check_schema_of(cached)
                self._check_intact(cached)
                cached = self._upgrade(cached)
                self._local.table = cached
            else:
                cached.update_incremental()
            return cached

    def open_table(self) -> DeltaTable:
        """A fresh DeltaTable of the latest version, unchecked (see :meth:`table`)."""
        kind = LocalTable if self.is_local else DeltaTable
        return kind(self.uri, storage_options=self.storage_options)

    def check_schema(self) -> None:
        """Raise :class:`SchemaMismatchError` naming each missing or mistyped column."""
        self._check_schema_of(self.table())

    def _check_intact(self, table: DeltaTable, *, files: bool = True) -> None:
        if self.is_local:
            check_intact(self.spec.name, self.uri, table, files=files)

    def _upgrade(self, table: DeltaTable) -> DeltaTable:
        """``table`` (the latest version, just opened) brought to this alertkit's table
        format: moved to the declared partition layout, or given the columns declared since
        it was written. A table this process cannot write is read as it is."""
        try:
            self.check_writable()
        except StoreError:
            return table  # read-only: reads fill the later columns with nulls
        if self._migrate(table) is not None:
            return self.open_table()
        add_later_columns(self.spec, self.uri, table)
        return table

    def migrate(self) -> LayoutMigration | None:
        """Move the table to the declared partition layout in one commit (see
        :mod:`alertkit.lake.layout`); None when it already has it. Opening the table for
        writing does this too, so this is for doing it at a time of one's choosing."""
        self.check_writable()
        with delta_errors(self.uri, f"cannot open the {self.spec.name} table at {self.uri}"):
            latest = self.open_table()
        self._check_schema_of(latest)
        migration = self._migrate(latest)
        self._local.table = None  # the next use opens the table as it now is
        return migration

    def _migrate(self, table: DeltaTable) -> LayoutMigration | None:
        """Move ``table`` (the latest version, checked) to the declared layout (its file
        size first, so the move writes files of that size), redoing the move on a fresh
        version whenever a concurrent commit landed first."""
        add_configuration(table)
        if partition_columns(table) == declared_partitioning(self.spec):
            return None  # the common case: nothing to read
        opened = iter([table])

        def step() -> LayoutMigration | None:
            latest = next(opened, None)
            if latest is None:
                latest = self.open_table()
                self._check_schema_of(latest)
            with delta_errors(self.uri, f"cannot migrate the {self.spec.name} table at {self.uri}"):
                return migrate_layout(self.spec, latest)

        return self.retrying(step, f"moving the {self.spec.name} table to its new layout")

    def _check_schema_of(self, table: DeltaTable) -> None:
        check_columns(self.spec, self.uri, table)

    # -- reads -----------------------------------------------------------------------------

    def scan(self, version: TableVersion | None = None) -> pl.LazyFrame:
        """The rows as a polars LazyFrame; filters push down into the Delta scan."""
        table = self.table(version)
        return self.scan_version(table)

    def scan_version(self, table: DeltaTable) -> pl.LazyFrame:
        """The rows of table version ``table`` with the declared columns, those added since
        that version was written read as nulls."""
        return scan_declared(self.spec, table)

    # -- writes ----------------------------------------------------------------------------

    def overwrite(self, rows: pl.DataFrame, custom_metadata: dict[str, str]) -> int:
        """Replace every row of the table with ``rows`` in one commit; returns its version.

        The partitioning is kept and nothing is deleted from storage: earlier versions stay
        readable by time travel until a vacuum. Raises ``CommitFailedError`` when a
        concurrent commit wins (see :meth:`retrying`; an overwrite is safe to redo).
        """
        return self._write(self.table(), rows, "overwrite", CommitProperties(custom_metadata))

    def append(self, rows: pl.DataFrame, custom_metadata: dict[str, str]) -> int:
        """Add ``rows`` in one commit that reads nothing, so concurrent appends never
        conflict (a log); returns the version. Creates the table if absent."""
        self.ensure_table()
        return self._write(self.table(), rows, "append", CommitProperties(custom_metadata))

    def append_unless_changed(
        self, table: DeltaTable, rows: pl.DataFrame, custom_metadata: dict[str, str]
    ) -> int:
        """Add ``rows`` in one commit decided on table version ``table``: committed only if
        no other commit landed since (else ``CommitFailedError``, see :meth:`retrying`).

        Stricter than a MERGE guarded by the whole table, and without its join: for a bulk
        insert whose checks (ids, open fingerprints) read ``table`` and hold only on it.
        """
        properties = CommitProperties(custom_metadata, max_commit_retries=0)
        return self._write(table, rows, "append", properties)

    def _write(
        self,
        table: DeltaTable,
        rows: pl.DataFrame,
        mode: Literal["append", "overwrite"],
        properties: CommitProperties,
    ) -> int:
        self.check_writable()
        with delta_errors(self.uri, f"{mode} of {self.uri} failed"):
            write_deltalake(
                table,
                # polars exports itself as an Arrow stream of its chunks: no copy into one
                # Arrow table, and delta-rs writes the batches in parallel (about 0.3 s
                # less for 1M alerts than passing .to_arrow())
                self.spec.physical(rows.select(self.spec.columns)),
                mode=mode,
                partition_by=self._partition_by,
                storage_options=self.storage_options,
                commit_properties=properties,
            )
        return int(table.version())

    @property
    def _partition_by(self) -> list[str] | None:
        return None if self.spec.partition_by is None else [self.spec.partition_by]

    def merge_rows(
        self,
        table: DeltaTable,
        rows: pl.DataFrame,
        *,
        reads: MergeReads,
        custom_metadata: dict[str, str],
    ) -> MergeOutcome:
        """Insert and update ``rows`` in one MERGE decided on the table version ``table``.

        ``rows`` has the table's columns plus ``expected_revision``: null for a row to insert,
        else the revision the stored row must still have (the declaration's ``revision``
        column), whose columns the row replaces. A row whose id is stored is never inserted,
        nor an update whose stored row moved on: the caller compares the outcome with its plan.

        ``reads`` says which rows the decision depended on, so delta-rs refuses the commit
        (``CommitFailedError``, see :meth:`retrying`) when a concurrent commit changed them:

        ``"open"``
            the open rows (the declaration's ``open_rows``) with the rows' values of its
            ``open_guard`` columns (for alerts: the open alerts of the rows' rules and
            positions, so a concurrent commit that could open, repeat or close an alert with
            the fingerprint of one of ``rows`` conflicts);
        ``"partitions"``
            the partitions of ``rows`` only (transitions of existing alerts);
        ``"table"``
            the whole table (bulk inserts: any concurrent data change conflicts).
        """
        self.check_writable()
        spec = self.spec
        if spec.revision is None:
            raise StoreError(f"the {spec.name} table has no revision column: rows are only added")
        source = spec.physical(
            rows.select(*spec.columns, pl.col("expected_revision").cast(pl.Int64))
        )
        predicate = merge_predicate(spec, source, reads)
        stored = list(spec.physical_schema)
        kept = [c for c in stored if c not in (spec.key, spec.partition_by)]
        merger = (
            table.merge(
                source.to_arrow(),
                predicate=predicate,
                source_alias="s",
                target_alias="t",
                commit_properties=CommitProperties(custom_metadata=custom_metadata),
            )
            .when_matched_update(
                {c: f"s.{c}" for c in kept},
                predicate=(
                    f"s.expected_revision IS NOT NULL AND t.{spec.revision} = s.expected_revision"
                ),
            )
            .when_not_matched_insert(
                {c: f"s.{c}" for c in stored}, predicate="s.expected_revision IS NULL"
            )
        )
        with delta_errors(self.uri, f"merge into {self.uri} failed"):
            metrics = merger.execute()
        inserted = int(metrics.get("num_target_rows_inserted", 0))
        updated = int(metrics.get("num_target_rows_updated", 0))
        return MergeOutcome(inserted, updated, int(table.version()))

    def retrying(self, step: Callable[[], T], what: str) -> T:
        """Run ``step`` (which must re-read what it decides on) until its commit lands."""
        for attempt in range(self.max_retries + 1):
            try:
                return step()
            except CommitFailedError as exc:
                if attempt == self.max_retries:
                    raise WriteConflictError(
                        f"{what}: still conflicting with concurrent writers after"
                        f" {self.max_retries} retries ({exc})"
                    ) from exc
                # Full jitter keeps racing writers from retrying in lockstep.
                delay = random.uniform(0, self.backoff_seconds * 2 ** min(attempt, 6))
                log.debug("%s: commit conflict, retry %d in %.3fs", what, attempt + 1, delay)
                time.sleep(delay)
        raise AssertionError("unreachable")

    def history(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Delta commit history, newest first (operation, timestamp, alertkit metadata)."""
        table = self.table()
        with delta_errors(self.uri, f"cannot read the history of {self.uri}"):
            return table.history(limit)


class AlertStore(DeltaStore):
    """The alerts table (:data:`~alertkit.model.schema.ALERTS_TABLE`) at ``uri``."""

    def __init__(
        self,
        uri: str | Path,
        storage_options: Mapping[str, str] | None = None,
        *,
        max_retries: int = DEFAULT_MAX_RETRIES,
        backoff_seconds: float = 0.02,
    ) -> None:
        super().__init__(
            uri,
            ALERTS_TABLE,
            storage_options,
            max_retries=max_retries,
            backoff_seconds=backoff_seconds,
        )
