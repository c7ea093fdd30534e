"""A table's columns against its declaration: checked, upgraded in place, read as declared.

A Delta table alertkit did not create is never written: each version opened is checked to
have every declared column with its dtype (:func:`check_columns`). The one exception is a
declaration's ``added_later`` columns (nullable, declared after the table's first release):
an older table is upgraded by one schema-only commit (:func:`add_later_columns`), and an
older version read by time travel, or a table this process cannot write, reads them as nulls
(:func:`scan_declared`).
"""

from __future__ import annotations

import logging

import polars as pl
from deltalake import CommitProperties, DeltaTable
from deltalake.exceptions import CommitFailedError
from deltalake.schema import Field as DeltaField

from alertkit.lake.delta_errors import delta_errors
from alertkit.model.errors import SchemaMismatchError
from alertkit.model.tables import TableSpec

__all__ = ["add_later_columns", "check_columns", "declared_columns", "scan_declared"]

log = logging.getLogger(__name__)


def check_columns(spec: TableSpec, uri: str, table: DeltaTable) -> None:
    """Raise :class:`SchemaMismatchError` naming each missing or mistyped column (a missing
    ``added_later`` column is not a mismatch)."""
    schema = pl.scan_delta(table).collect_schema()
    problems = []
    for name, dtype in spec.schema.items():
        if name not in schema and name in spec.added_later:
            continue  # an older table: upgraded on first open, else read as nulls
        if name not in schema:
            problems.append(f"missing column {name!r} ({dtype})")
        elif schema[name] != dtype:
            problems.append(f"column {name!r} is {schema[name]}, expected {dtype}")
    if problems:
        raise SchemaMismatchError(
            f"the table at {uri} is not an alertkit {spec.name} table: " + "; ".join(problems)
        )


def add_later_columns(spec: TableSpec, uri: str, table: DeltaTable) -> None:
    """Add the ``added_later`` columns ``table`` lacks, as nullable, in one commit (a
    concurrent opener doing the same first is fine)."""
    names = set(table.schema().to_arrow().names)
    missing = [c for c in spec.added_later if c not in names]
    if not missing:
        return
    arrow = pl.DataFrame(schema={c: spec.schema[c] for c in missing}).to_arrow().schema
    meta = {"alertkit.operation": "add_columns", "alertkit.subject": ",".join(missing)}
    with delta_errors(uri, f"cannot add columns {missing} to {uri}"):
        try:
            table.alter.add_columns(
                [DeltaField.from_arrow(f) for f in arrow],
                commit_properties=CommitProperties(custom_metadata=meta),
            )
        except CommitFailedError:
            table.update_incremental()  # a concurrent opener upgraded it first
    log.info("upgraded the %s table at %s: added %s", spec.name, uri, missing)


def scan_declared(spec: TableSpec, table: DeltaTable) -> pl.LazyFrame:
    """The rows of table version ``table`` with the declared columns in order, those added
    after that version was written as nulls."""
    return declared_columns(spec, pl.scan_delta(table))


def declared_columns(spec: TableSpec, scan: pl.LazyFrame) -> pl.LazyFrame:
    """``scan`` of the table (perhaps filtered on its physical columns) with the declared
    columns in order, those added after its version was written as nulls."""
    present = scan.collect_schema()
    missing = [c for c in spec.added_later if c not in present]
    if missing:
        scan = scan.with_columns(pl.lit(None, spec.schema[c]).alias(c) for c in missing)
    return scan.select(list(spec.schema))
