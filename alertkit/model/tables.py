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
    revision: str | None = None
    open_rows: tuple[str, tuple[str, ...]] | None = None
    open_guard: tuple[str, ...] = field(default=())
    added_later: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "schema", MappingProxyType(dict(self.schema)))
        named = [self.key, self.partition_by, self.revision, *self.open_guard, *self.added_later]
        if self.open_rows is not None:
            named.append(self.open_rows[0])
        missing = [c for c in named if c is not None and c not in self.schema]
        if missing:
            raise ValidationError(
                f"table {self.name!r}: columns {missing} are named but not in its schema"
            )

    @property
    def columns(self) -> list[str]:
        return list(self.schema)

    def arrow_schema(self) -> pa.Schema:
        """The schema as pyarrow, for creating the Delta table."""
        return pl.DataFrame(schema=dict(self.schema)).to_arrow().schema
