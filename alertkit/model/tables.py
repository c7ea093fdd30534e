"""Table declarations: what a Delta table alertkit keeps holds, and how its rows are guarded.

A :class:`TableSpec` is data: the columns and their polars dtypes, the row key a MERGE matches
on, the partition column, the revision column that makes an update conditional, and which
rows are "open" (the rows an identity decision reads and its commit is guarded against).
:class:`alertkit.lake.store.DeltaStore` keeps any table declared this way; the alerts table
is :data:`alertkit.model.schema.ALERTS_TABLE`. A new table (silences, a notification log) is
one more declaration, next to the model it stores.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import polars as pl
import pyarrow as pa

from alertkit.model.errors import ValidationError

__all__ = ["TableSpec"]


@dataclass(frozen=True, slots=True)
class TableSpec:
    """One Delta table's declaration.

    Parameters
    ----------
    name
        What the table is called in messages and in the Delta metadata (``"alerts"``).
    description
        The Delta table's description.
    schema
        Every column with its polars dtype, in table order.
    key
        The column that identifies a row (a MERGE matches on it).
    partition_by
        The partition column, or None.
    partition_month_of
        A declared ``Date`` column whose month is the partition: ``partition_by`` is then a
        physical column of the Delta table only (the first day of that month), added by the
        store to what it writes and left out of what it reads. Months, not days, because a
        commit's cost grows with the files in the table version it reads (bench/RESULTS.md):
        ten years of daily partitions made every write 2-5x slower than on day ten.
    revision
        A column incremented on every update, so an update applies only to the row it read;
        None for a table whose rows are never updated.
    open_rows
        ``(column, values)``: the rows an identity decision reads (e.g. open alerts); None
        when nothing is decided on a subset.
    open_guard
        Columns whose values narrow that read set to the rows a write can clash with.
    added_later
        Nullable columns declared after the table's first release: a table written before
        them is upgraded in place (a schema-only commit) the first time this version of
        alertkit opens it, and its earlier versions read them as nulls.
    """

    name: str
    description: str
    schema: Mapping[str, pl.DataType]
    key: str
    partition_by: str | None = None
    partition_month_of: str | None = None
    revision: str | None = None
    open_rows: tuple[str, tuple[str, ...]] | None = None
    open_guard: tuple[str, ...] = field(default=())
    added_later: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "schema", MappingProxyType(dict(self.schema)))
        physical = self.partition_by if self.partition_month_of is None else None
        named = [self.key, physical, self.revision, *self.open_guard, *self.added_later]
        named.append(self.partition_month_of)
        if self.open_rows is not None:
            named.append(self.open_rows[0])
        missing = [c for c in named if c is not None and c not in self.schema]
        if missing:
            raise ValidationError(
                f"table {self.name!r}: columns {missing} are named but not in its schema"
            )
        if self.partition_month_of is not None and (
            self.partition_by is None
            or self.partition_by in self.schema
            or self.schema[self.partition_month_of] != pl.Date()
        ):
            raise ValidationError(
                f"table {self.name!r}: a month partition needs a new partition_by column"
                f" name and a Date column to take the month of"
            )

    @property
    def columns(self) -> list[str]:
        return list(self.schema)

    @property
    def physical_schema(self) -> dict[str, pl.DataType]:
        """The Delta table's columns: the declared ones, then a month partition column."""
        schema = dict(self.schema)
        if self.partition_month_of is not None and self.partition_by is not None:
            schema[self.partition_by] = pl.Date()
        return schema

    def physical(self, rows: pl.DataFrame) -> pl.DataFrame:
        """``rows`` (the declared columns, and any others) as the Delta table stores them:
        the declared columns in order, then the month partition column derived from its
        date, then the other columns ``rows`` had (a MERGE source's own columns)."""
        extra = [c for c in rows.columns if c not in self.schema and c != self.partition_by]
        if self.partition_month_of is None or self.partition_by is None:
            return rows.select(*self.schema, *extra)
        month = pl.col(self.partition_month_of).dt.month_start().alias(self.partition_by)
        return rows.select(*self.schema, month, *extra)

    def arrow_schema(self) -> pa.Schema:
        """The physical schema as pyarrow, for creating the Delta table."""
        return pl.DataFrame(schema=self.physical_schema).to_arrow().schema
