"""What the triage board shows, as polars queries over the alerts scan (no widgets here).

Every query is lazy and pushes its filter into the Delta scan; only the visible page (at most
100 rows), one row of counts and the distinct symbols and rules are ever collected, so the
board's cost does not grow with what it does not display.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import reduce
from typing import Any, Final

import polars as pl

from alertkit.schema import OPEN_STATUSES

__all__ = [
    "COLUMNS",
    "PAGE_SIZES",
    "BoardFilter",
    "Column",
    "Counts",
    "counts_query",
    "options_query",
    "page_query",
    "read_counts",
    "total_query",
]

PAGE_SIZES: Final = (25, 50, 100)
MESSAGE_PREVIEW: Final = 160
"""Characters of the message sent to the table; the detail panel shows all of it."""

_RANKS: Final[dict[str, dict[str, int]]] = {
    # Sorting these alphabetically would put "high" above "immediate": sort by meaning.
    "severity": {"low": 0, "normal": 1, "high": 2, "immediate": 3},
    "type": {"info": 0, "warning": 1, "critical": 2},
    "status": {"active": 0, "acknowledged": 1, "resolved": 2, "dismissed": 3},
}


@dataclass(frozen=True, slots=True)
class Column:
    """A table column: its row key, header label, and whether (and which way first) it sorts."""

    key: str
    label: str
    sortable: bool = True
    desc_first: bool = False

    def spec(self) -> dict[str, str | bool]:
        return {
            "key": self.key,
            "label": self.label,
            "sortable": self.sortable,
            "desc_first": self.desc_first,
        }


COLUMNS: Final = (
    Column("created_at", "Created (UTC)", desc_first=True),
    Column("age", "Age", sortable=False),
    Column("severity", "Severity", desc_first=True),
    Column("type", "Type", desc_first=True),
    Column("status", "Status"),
    Column("symbol", "Symbol"),
    Column("strategy_id", "Strategy"),
    Column("rule", "Rule"),
    Column("title", "Title"),
    Column("message", "Message", sortable=False),
)
SORTABLE: Final = frozenset(c.key for c in COLUMNS if c.sortable)


@dataclass(frozen=True, slots=True)
class BoardFilter:
    """The board's filters; an empty value means "any".

    ``created_from``/``created_to`` are inclusive UTC dates (they prune the scan to the
    matching ``created_date`` partitions). ``text`` matches title or message, ignoring case.
    ``picks`` are (rule, severity) pairs chosen on a chart: a row matches any one of them.
    """

    statuses: tuple[str, ...] = OPEN_STATUSES
    severity: str = ""
    type: str = ""
    symbol: str = ""
    strategy_id: int | None = None
    rule: str = ""
    created_from: date | None = None
    created_to: date | None = None
    text: str = ""
    picks: tuple[tuple[str, str], ...] = ()

    def expr(self, *, with_status: bool = True) -> pl.Expr:
        """One boolean expression for every filter that is set."""
        parts: list[pl.Expr] = []
        if with_status and self.statuses:
            parts.append(pl.col("status").is_in(list(self.statuses)))
        for column in ("severity", "type", "symbol", "rule"):
            value = getattr(self, column)
            if value:
                parts.append(pl.col(column) == value)
        if self.strategy_id is not None:
            parts.append(pl.col("strategy_id") == self.strategy_id)
        if self.created_from is not None:
            parts.append(pl.col("created_date") >= self.created_from)
        if self.created_to is not None:
            parts.append(pl.col("created_date") <= self.created_to)
        needle = self.text.strip().lower()
        if needle:
            parts.append(
                pl.col("title").str.to_lowercase().str.contains(needle, literal=True)
                | pl.col("message").str.to_lowercase().str.contains(needle, literal=True)
            )
        if self.picks:
            parts.append(
                reduce(
                    lambda a, b: a | b,
                    [(pl.col("rule") == r) & (pl.col("severity") == s) for r, s in self.picks],
                )
            )
        return reduce(lambda a, b: a & b, parts) if parts else pl.lit(True)


def _sort_key(column: str) -> pl.Expr:
    ranks = _RANKS.get(column)
    if ranks is None:
        return pl.col(column)
    return pl.col(column).replace_strict(ranks, default=-1, return_dtype=pl.Int8)


def page_query(
    scan: pl.LazyFrame,
    filt: BoardFilter,
    *,
    sort_by: str = "created_at",
    descending: bool = True,
    page: int = 0,
    page_size: int = PAGE_SIZES[0],
) -> pl.LazyFrame:
    """One page of matching alerts, sorted (ties newest first), with display-ready columns."""
    if sort_by not in SORTABLE:
        raise ValueError(f"sort_by: expected one of {sorted(SORTABLE)}, got {sort_by!r}")
    keys = [_sort_key(sort_by), pl.col("created_at"), pl.col("alert_id")]
    if sort_by == "created_at":
        keys = keys[1:]
    return (
        scan.filter(filt.expr())
        .sort(keys, descending=[descending] + [True] * (len(keys) - 1), nulls_last=True)
        .slice(page * page_size, page_size)
        .select(
            "alert_id",
            "created_at",
            "severity",
            "type",
            "status",
            pl.col("symbol").fill_null(""),
            pl.col("strategy_id").cast(pl.String).fill_null(""),
            "rule",
            "title",
            pl.col("message").str.slice(0, MESSAGE_PREVIEW),
        )
    )


def total_query(scan: pl.LazyFrame, filt: BoardFilter) -> pl.LazyFrame:
    """How many alerts match every filter (one row, column ``total``)."""
    return scan.filter(filt.expr()).select(pl.len().alias("total"))


@dataclass(frozen=True, slots=True)
class Counts:
    """The board's header figures. ``median_ack_s`` is None when nothing was acknowledged."""

    active: int
    acknowledged: int
    resolved_today: int
    open_critical: int
    median_ack_s: float | None


def counts_query(scan: pl.LazyFrame, filt: BoardFilter, now: datetime) -> pl.LazyFrame:
    """The header counts in one aggregation (one row), over every filter except status.

    The counts are the status breakdown of what the other filters select, so the status
    filter does not apply to them. "Today" is ``now``'s UTC date.
    """
    day = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    status = pl.col("status")
    return scan.filter(filt.expr(with_status=False)).select(
        (status == "active").sum().alias("active"),
        (status == "acknowledged").sum().alias("acknowledged"),
        (
            (status == "resolved")
            & (pl.col("resolved_at") >= day)
            & (pl.col("resolved_at") < day + timedelta(days=1))
        )
        .sum()
        .alias("resolved_today"),
        (status.is_in(OPEN_STATUSES) & (pl.col("type") == "critical")).sum().alias("open_critical"),
        (pl.col("acknowledged_at") - pl.col("created_at"))
        .dt.total_microseconds()
        .median()
        .alias("median_ack_us"),
    )


def read_counts(row: Mapping[str, Any]) -> Counts:
    """The :class:`Counts` in the one row :func:`counts_query` collects to."""
    median = row["median_ack_us"]
    return Counts(
        active=int(row["active"]),
        acknowledged=int(row["acknowledged"]),
        resolved_today=int(row["resolved_today"]),
        open_critical=int(row["open_critical"]),
        median_ack_s=None if median is None else float(median) / 1e6,
    )


def options_query(scan: pl.LazyFrame) -> pl.LazyFrame:
    """The distinct symbols and rules in the table, sorted (one row of two lists)."""
    return scan.select(
        pl.col("symbol").drop_nulls().unique().sort().implode(),
        pl.col("rule").drop_nulls().unique().sort().implode(),
    )
