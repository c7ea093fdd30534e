"""The MERGE predicate of a write: the row key, plus literals that narrow what it reads.

Kept apart from :mod:`alertkit.lake.store` because it is the one place that decides which
rows a write is guarded against (see :func:`merge_predicate`); values are printed as SQL
literals by :func:`alertkit.lake._sql.sql_literal` only (never a user string pasted raw).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final, Literal

import polars as pl

from alertkit.lake._sql import sql_literal
from alertkit.model.errors import StoreError
from alertkit.model.tables import TableSpec

__all__ = ["MergeReads", "merge_predicate"]

MergeReads = Literal["open", "partitions", "table"]

ID_GUARD_LIMIT: Final = 1_000
"""Up to this many rows, a ``"partitions"`` MERGE also names their ids in its read set."""


def _in(column: str, values: Sequence[Any]) -> str:
    return f" AND t.{column} IN ({', '.join(sql_literal(v) for v in values)})"


def merge_predicate(spec: TableSpec, rows: pl.DataFrame, reads: MergeReads) -> str:
    """The MERGE predicate: the row key (and partition), plus literal conjuncts that narrow
    what the MERGE reads, scans and is guarded against.

    delta-rs turns literal conjuncts on the target into the read predicate it checks
    concurrent commits against (by partition values and file statistics, conservatively),
    and prunes its scan with them; the join alone makes it read, and guard, the whole table.
    Which rows are "open", and which columns narrow them, is the table declaration's.
    """
    on = f"t.{spec.key} = s.{spec.key}"
    if spec.partition_by is not None:
        on = f"t.{spec.partition_by} = s.{spec.partition_by} AND " + on
    if reads == "partitions" and spec.partition_by is not None:
        # The rows' partitions, and their ids: delta-rs then also prunes, and checks
        # concurrent commits, by the files' id ranges, so a commit that only added other
        # alerts to the same month (ids are time-ordered: new ones sort after) is no clash.
        # (Past ID_GUARD_LIMIT rows the partitions alone: a longer predicate costs more to
        # plan than the conflicts it would spare a bulk change.)
        on += _in(spec.partition_by, _distinct(rows, spec.partition_by))
        if rows.height <= ID_GUARD_LIMIT:
            on += _in(spec.key, _distinct(rows, spec.key))
        return on
    if reads == "open":
        if spec.open_rows is None:
            raise StoreError(f"the {spec.name} table declares no open rows to guard")
        on += _in(*spec.open_rows)
        for column in spec.open_guard:
            values = rows.get_column(column)
            if values.null_count():  # IN never matches a null: then guard without it
                break
            on += _in(column, _distinct(rows, column))
    return on


def _distinct(rows: pl.DataFrame, column: str) -> list[Any]:
    return rows.get_column(column).unique().sort().to_list()
