"""Delta Lake I/O for the table :mod:`alertkit.model.schema` declares: create, read, write, retry.

What the rows mean is the declaration's (its columns, partition and open subset
:data:`~alertkit.model.schema.OPEN_ROWS`); the store adds no knowledge of alerts of its own.

Every change to alerts is one MERGE (:meth:`AlertStore.merge_alerts`) decided on one table
version, whose values travel in an Arrow source table, so no user string is ever pasted into
a predicate; only a backtest's ``overwrite`` replaces the table. Writers are optimistic: a
commit whose reads a concurrent commit changed raises ``CommitFailedError`` in delta-rs,
which never re-runs an operation; :meth:`AlertStore.retrying` re-runs the whole
read-decide-write step with jittered exponential backoff, so the decision is made again on
the table as it now is.
"""

from __future__ import annotations

import logging
import os
import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final, Literal, TypeVar

import polars as pl
from deltalake import CommitProperties, DeltaTable, write_deltalake
from deltalake.exceptions import (
    CommitFailedError,
    DeltaError,
    DeltaProtocolError,
)
from deltalake.exceptions import (
    SchemaMismatchError as DeltaSchemaMismatchError,
)
from deltalake.exceptions import (
    TableNotFoundError as DeltaTableNotFoundError,
)

from alertkit.lake._sql import sql_literal
from alertkit.lake._versions import open_version
from alertkit.lake.paths import LocalTable, is_local, local_file_paths, local_table_path
from alertkit.model.errors import (
    AlertkitError,
    SchemaMismatchError,
    StoreError,
    TableNotFoundError,
    WriteConflictError,
)
from alertkit.model.schema import ALERT_SCHEMA, OPEN_ROWS, PARTITION_COLUMN, arrow_schema

__all__ = [
    "DEFAULT_MAX_RETRIES",
    "AlertStore",
    "MergeOutcome",
    "MergeReads",
    "TableVersion",
    "audit",
    "delta_errors",
    "first_line",
]

log = logging.getLogger(__name__)

T = TypeVar("T")
TableVersion = int | str | datetime
"""A table version number, or an instant (datetime or ISO string) for time travel."""

DEFAULT_MAX_RETRIES: Final = 30
"""Re-runs of a conflicting step before WriteConflictError; 12 ran out under 4 writers."""

_REQUIRED_CONFIG: Final = {
    # Checkpoints keep log replay short on tables with many small commits.
    "delta.checkpointInterval": "50",
}


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


MergeReads = Literal["open", "partitions", "table"]


def _in(column: str, values: Sequence[Any]) -> str:
    return f" AND t.{column} IN ({', '.join(sql_literal(v) for v in values)})"


_ON_ROW: Final = f"t.{PARTITION_COLUMN} = s.{PARTITION_COLUMN} AND t.alert_id = s.alert_id"
_MERGE_ON: Final[dict[str, str]] = {
    # A literal conjunct on the target becomes delta-rs's read predicate (checked against
    # concurrent commits); the join alone makes it read, and guard, the whole table. Which
    # rows are "open" is the table declaration's (OPEN_ROWS), not the store's.
    "open": _ON_ROW + _in(*OPEN_ROWS),
    "partitions": _ON_ROW,
    "table": _ON_ROW,
}


def _literal_guard(rows: pl.DataFrame, reads: MergeReads) -> str:
    """Literal conjuncts that narrow what the MERGE reads, scans and is guarded against.

    delta-rs turns literal conjuncts on the target into the read predicate it checks
    concurrent commits against (by partition values and file statistics, conservatively),
    and prunes its scan with them.
    """
    if reads == "partitions":
        return _in(PARTITION_COLUMN, rows.get_column(PARTITION_COLUMN).unique().sort().to_list())
    if reads == "open":
        # Two firings can only clash on one fingerprint, so on its rule and strategy id.
        guard = _in("rule", rows.get_column("rule").unique().sort().to_list())
        ids = rows.get_column("strategy_id")
        if ids.null_count() == 0:  # IN never matches a null: then guard by rule alone
            guard += _in("strategy_id", ids.unique().sort().to_list())
        return guard
    return ""


@contextmanager
def delta_errors(uri: str, doing: str) -> Iterator[None]:
    """deltalake's errors as alertkit's: the one mapping every store method uses.

    ``CommitFailedError`` passes through (a concurrent commit won: :meth:`AlertStore.retrying`
    re-decides), as do alertkit's own errors; ``doing`` opens the :class:`StoreError` message
    (``"merge into /data/alerts failed"``).

    Examples
    --------
    >>> from deltalake.exceptions import DeltaError
    >>> with delta_errors("/data/alerts", "merge into /data/alerts failed"):
    ...     raise DeltaError("disk full")
    Traceback (most recent call last):
    ...
    alertkit.model.errors.StoreError: merge into /data/alerts failed: disk full
    """
    try:
        yield
    except (CommitFailedError, AlertkitError):
        raise
    except DeltaTableNotFoundError as exc:
        log_dir = Path(uri, "_delta_log")
        if is_local(uri) and log_dir.is_dir() and not os.access(log_dir, os.R_OK | os.X_OK):
            raise StoreError(
                f"cannot read the alerts table at {uri}: this process may not read {log_dir}"
            ) from exc
        raise TableNotFoundError(f"no Delta table at {uri}; call initialize() first") from exc
    except DeltaSchemaMismatchError as exc:
        raise SchemaMismatchError(f"rows do not fit the table at {uri}: {exc}") from exc
    except (DeltaProtocolError, DeltaError, OSError) as exc:
        raise StoreError(f"{doing}: {first_line(exc)}") from exc


def first_line(exc: BaseException) -> str:
    """The first line of ``exc``'s message: delta-rs appends a Rust backtrace to some."""
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


_LOG_ENTRY: Final = re.compile(r"^\d{20}\.(json|checkpoint(\.\d+\.\d+)?\.parquet)$")
"""A commit or checkpoint file name in _delta_log (anything else there is not the table)."""


class AlertStore:
    """One alerts table at ``uri`` (a local path or an object-store URI such as ``s3://``).

    Parameters
    ----------
    uri
        Table location. Local paths are made absolute so a notebook's working directory
        cannot change which table a manager writes to.
    storage_options
        Passed to deltalake and polars unchanged (credentials, endpoint, region...).
    max_retries
        How many times a conflicting read-decide-write step is re-run before giving up.
    """

    def __init__(
        self,
        uri: str | Path,
        storage_options: Mapping[str, str] | None = None,
        *,
        max_retries: int = DEFAULT_MAX_RETRIES,
        backoff_seconds: float = 0.02,
    ) -> None:
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
                f"the alerts table at {self.uri} is read-only: this process cannot write to"
                f" {where} (a read-only mount or its permissions); reads still work"
            )

    def ensure_table(self) -> None:
        """Create the table if absent; check an existing one has every alert column."""
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
            with delta_errors(self.uri, f"cannot create the alerts table at {self.uri}"):
                DeltaTable.create(
                    self.uri,
                    schema=arrow_schema(),
                    mode="ignore",  # another process may create it at the same moment
                    partition_by=[PARTITION_COLUMN],
                    name="alerts",
                    description="alertkit alerts (one row per alert, current state)",
                    configuration=_REQUIRED_CONFIG,
                    storage_options=self.storage_options,
                )
        except CommitFailedError:
            pass  # lost the creation race: the winner's table is what we want
        self.check_schema()

    def table(self, version: TableVersion | None = None) -> DeltaTable:
        """The table at one table version: the latest, or the one at ``version``.

        The latest version is a per-thread DeltaTable brought up to date incrementally
        (reading only the commits since its last use) rather than reloaded each time. Each
        table version opened is checked to be an alerts table (:meth:`check_schema`) before anyone
        reads or writes through it: a Delta table alertkit did not create is never written.
        """
        with delta_errors(self.uri, f"cannot open the alerts table at {self.uri}"):
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
        """Refuse a local table whose latest commit is an empty file or whose data files are
        missing: delta-rs reads an empty commit as one that changed nothing, and polars fails
        on a missing file only when it reaches it, so either would pass for a table with
        fewer alerts, or fail later with a raw error. (A commit that is not valid JSON, or
        a corrupt checkpoint, delta-rs refuses itself.) Object stores are not listed."""
        if not self.is_local:
            return
        commit = Path(self.uri, "_delta_log", f"{table.version():020d}.json")
        if commit.is_file() and commit.stat().st_size == 0:
            raise StoreError(
                f"the alerts table at {self.uri} is damaged: its latest commit {commit.name}"
                " is an empty file (restore it from a backup, or delete it to return to the"
                " previous version)"
            )
        if files:
            missing = [path for path in local_file_paths(table) if not path.exists()]
            if missing:
                raise StoreError(
                    f"the alerts table at {self.uri} is damaged: {len(missing)} data file(s)"
                    f" its latest version references are missing, e.g. {missing[0]}"
                )

    def _check_schema_of(self, table: DeltaTable) -> None:
        schema = pl.scan_delta(table).collect_schema()
        problems = []
        for name, dtype in ALERT_SCHEMA.items():
            if name not in schema:
                problems.append(f"missing column {name!r} ({dtype})")
            elif schema[name] != dtype:
                problems.append(f"column {name!r} is {schema[name]}, expected {dtype}")
        if problems:
            raise SchemaMismatchError(
                f"the table at {self.uri} is not an alertkit alerts table: " + "; ".join(problems)
            )

    # -- reads -----------------------------------------------------------------------------

    def scan(self, version: TableVersion | None = None) -> pl.LazyFrame:
        """The alerts as a polars LazyFrame; filters push down into the Delta scan."""
        table = self.table(version)
        return pl.scan_delta(table).select(list(ALERT_SCHEMA))

    # -- writes ----------------------------------------------------------------------------

    def overwrite(self, rows: pl.DataFrame, custom_metadata: dict[str, str]) -> int:
        """Replace every row of the table with ``rows`` in one commit; returns its version.

        The partitioning is kept and nothing is deleted from storage: earlier versions stay
        readable by time travel until a vacuum. Raises ``CommitFailedError`` when a
        concurrent commit wins (see :meth:`retrying`; an overwrite is safe to redo).
        """
        target = self.table()
        self.check_writable()
        with delta_errors(self.uri, f"overwrite of {self.uri} failed"):
            write_deltalake(
                target,
                rows.select(list(ALERT_SCHEMA)).to_arrow(),
                mode="overwrite",
                partition_by=[PARTITION_COLUMN],
                storage_options=self.storage_options,
                commit_properties=CommitProperties(custom_metadata=custom_metadata),
            )
        return int(target.version())

    def merge_alerts(
        self,
        table: DeltaTable,
        rows: pl.DataFrame,
        *,
        reads: MergeReads,
        custom_metadata: dict[str, str],
    ) -> MergeOutcome:
        """Insert and update alert ``rows`` in one MERGE decided on the table version ``table``.

        ``rows`` has the table's columns plus ``expected_revision``: null for a row to insert,
        else the revision the stored row must still have, whose columns the row replaces.
        A row whose id is already stored is never inserted, and an update whose stored row
        moved on is never applied: the caller compares the outcome with what it planned.

        ``reads`` says which rows the decision depended on, so delta-rs refuses the commit
        (``CommitFailedError``, see :meth:`retrying`) when a concurrent commit changed them:

        ``"open"``
            the open alerts of the rows' rules and positions (identity decisions: a
            concurrent commit that adds or rewrites a file that may hold an open alert with
            one of those rules and strategy ids conflicts, which covers every commit that
            could open, repeat or close an alert with the fingerprint of one of ``rows``);
        ``"partitions"``
            the partitions of ``rows`` only (transitions of existing alerts);
        ``"table"``
            the whole table (bulk inserts: any concurrent data change conflicts).
        """
        self.check_writable()
        predicate = _MERGE_ON[reads] + _literal_guard(rows, reads)
        source = rows.select(*ALERT_SCHEMA, pl.col("expected_revision").cast(pl.Int64))
        kept = [c for c in ALERT_SCHEMA if c not in ("alert_id", PARTITION_COLUMN)]
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
                predicate="s.expected_revision IS NOT NULL AND t.revision = s.expected_revision",
            )
            .when_not_matched_insert(
                {c: f"s.{c}" for c in ALERT_SCHEMA}, predicate="s.expected_revision IS NULL"
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
