"""What the triage board shows, as polars queries over the alerts scan (no widgets here).

Every query is lazy and pushes its filter into the Delta scan; only the visible page (at most
100 rows or groups, plus the rows of expanded groups), one row of counts and the distinct
symbols and rules are ever collected, so the board's cost does not grow with what it does not
display.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import reduce
from typing import Any, Final, Literal, get_args

import polars as pl

from alertkit.model.alerts import AlertSeverity, AlertStatus, Transition, next_status
from alertkit.model.errors import InvalidTransitionError, ValidationError
from alertkit.model.lifecycle import (
    acknowledged_at,
    is_open_at,
    resolution_at,
    status_at,
    time_to_acknowledge_expr,
)
from alertkit.model.search import Search, parse_search
from alertkit.model.status import OPEN_STATUSES

__all__ = [
    "COLUMNS",
    "GROUPINGS",
    "PAGE_SIZES",
    "BoardFilter",
    "Column",
    "Counts",
    "GroupBy",
    "can_take",
    "counts_query",
    "group_ids_query",
    "group_key",
    "groups_query",
    "groups_total_query",
    "labels_query",
    "latest_event_query",
    "matches_query",
    "options_query",
    "page_query",
    "read_counts",
    "total_query",
]

PAGE_SIZES: Final = (25, 50, 100)
MESSAGE_PREVIEW: Final = 160
"""Characters of the message sent to the table; the detail panel shows all of it."""

GroupBy = Literal["position", "rule", "symbol"]
GROUPINGS: Final[tuple[str, ...]] = get_args(GroupBy)

_RANKS: Final[dict[str, dict[str, int]]] = {
    # Sorting these alphabetically would put "high" above "immediate": sort by meaning.
    "severity": {s.value: s.rank for s in AlertSeverity},
    "type": {"info": 0, "warning": 1, "critical": 2},
    "status": {s.value: i for i, s in enumerate(AlertStatus)},  # the lifecycle's order
}
_SEVERITY_BY_RANK: Final = {rank: name for name, rank in _RANKS["severity"].items()}


def _can(status: AlertStatus, action: Transition) -> bool:
    try:
        next_status("", status, action)
    except InvalidTransitionError:
        return False
    return True


_SOURCES: Final = {
    action: tuple(s.value for s in AlertStatus if _can(s, action)) for action in Transition
}


def can_take(action: Transition) -> tuple[str, ...]:
    """The statuses from which ``action`` is allowed (the lifecycle's own table decides)."""
    return _SOURCES[action]


@dataclass(frozen=True, slots=True)
class Column:
    """A table column: its row key, header label, whether (and which way first) it sorts,
    its width (CSS; None takes what is left), the row key shown on hover and a second line."""

    key: str
    label: str
    sortable: bool = True
    desc_first: bool = False
    width: str | None = None
    hover: str | None = None
    sub: str | None = None
    badges: tuple[str, ...] = ()
    """Row keys drawn as badges before the value (when the row has them)."""
    narrow_hide: bool = False
    """Left out while the detail panel is open (the table is narrower then)."""

    def spec(self) -> dict[str, str | bool | list[str] | None]:
        return {
            "key": self.key,
            "label": self.label,
            "sortable": self.sortable,
            "desc_first": self.desc_first,
            "width": self.width,
            "hover": self.hover,
            "sub": self.sub,
            "badges": list(self.badges),
            "narrow_hide": self.narrow_hide,
        }


COLUMNS: Final = (
    # Widths in px, each fitting its longest usual value and its header with the sort mark at
    # 1280 px (JupyterLab's default font): "acknowledged", "immediate", "252 d ago",
    # "stop_loss_accelerated". "Alert" takes the rest and wraps, as do the free-text
    # columns, so nothing is ever cut. ``narrow_hide`` columns give their room to the detail
    # panel while it is open (their values are in it).
    Column("severity", "Severity", desc_first=True, width="80px", hover="type"),
    Column("status", "Status", width="96px"),
    Column("created_at", "Created", desc_first=True, width="82px", hover="created_at_utc"),
    Column("symbol", "Symbol", width="58px"),
    Column("strategy_id", "Strategy", width="66px"),
    Column("rule", "Rule", width="146px"),
    Column("title", "Alert", sub="message", badges=("snoozed", "flapping")),
    Column("assignee", "Assignee", width="68px", narrow_hide=True),
    Column(
        "occurrences",
        "Seen",
        desc_first=True,
        width="50px",
        hover="occurrences_hover",
        narrow_hide=True,
    ),
    Column(
        "last_seen_at",
        "Last seen",
        desc_first=True,
        width="76px",
        hover="last_seen_at_utc",
        narrow_hide=True,
    ),
)
SORTABLE: Final = frozenset(c.key for c in COLUMNS if c.sortable)


@dataclass(frozen=True, slots=True)
class BoardFilter:
    """The board's filters; an empty value means "any".

    ``created_from``/``created_to`` are inclusive UTC dates (they prune the scan to the
    matching ``created_date`` partitions). ``text`` is the search box (see ``_search``): a
    ``status:`` term there replaces ``statuses``. ``picks`` are (rule, severity) pairs chosen
    on a chart: a row matches any one of them. ``as_of`` shows the table as it stood at that
    instant (each alert's status then, see :mod:`alertkit.model.lifecycle`); None, the stored
    status. ``assignee`` keeps the alerts assigned to that name, ``flapping`` those whose
    fingerprint was flapping at their latest firing. ``snoozed`` are the ids of the alerts
    snoozed now (:func:`alertkit.widgets._policy_query.snoozed_now`): they are left out unless
    ``show_snoozed``.
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
    as_of: datetime | None = None
    assignee: str = ""
    flapping: bool = False
    snoozed: frozenset[str] = frozenset()
    show_snoozed: bool = False

    def __post_init__(self) -> None:
        self.search  # noqa: B018  # parse now, so a bad search is refused where it is typed

    @property
    def search(self) -> Search:
        return parse_search(self.text)

    def status(self) -> pl.Expr:
        """Each alert's status as the board shows it (as of ``as_of``)."""
        return status_at(self.as_of)

    def expr(self, *, with_status: bool = True) -> pl.Expr:
        """One boolean expression for every filter that is set."""
        parts: list[pl.Expr] = []
        search = self.search
        statuses = search.statuses or self.statuses
        if self.as_of is not None:  # an alert created later did not exist yet
            parts.append(self.status().is_not_null())
        if with_status and statuses:
            parts.append(self.status().is_in(list(statuses)))
        for column in ("severity", "type", "symbol", "rule"):
            value = getattr(self, column)
            if value:
                parts.append(pl.col(column) == value)
        if self.strategy_id is not None:
            parts.append(pl.col("strategy_id") == self.strategy_id)
        if self.assignee:
            parts.append(pl.col("assignee") == self.assignee)
        if self.flapping:
            parts.append(pl.col("flapping").fill_null(False))
        if self.snoozed and not self.show_snoozed:
            parts.append(~pl.col("alert_id").is_in(sorted(self.snoozed)))
        if self.created_from is not None:
            parts.append(pl.col("created_date") >= self.created_from)
        if self.created_to is not None:
            parts.append(pl.col("created_date") <= self.created_to)
        text = search.expr()
        if text is not None:
            parts.append(text)
        if self.picks:
            parts.append(
                reduce(
                    lambda a, b: a | b,
                    [(pl.col("rule") == r) & (pl.col("severity") == s) for r, s in self.picks],
                )
            )
        return reduce(lambda a, b: a & b, parts) if parts else pl.lit(True)


def group_key(group_by: GroupBy) -> pl.Expr:
    """The group of each alert, as a string ("" for a missing value)."""
    if group_by not in GROUPINGS:
        raise ValidationError(
            f"group_by: expected one of {', '.join(GROUPINGS)} or None, got {group_by!r}"
        )
    column = "strategy_id" if group_by == "position" else group_by
    return pl.col(column).cast(pl.String).fill_null("")


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
    where: pl.Expr | None = None,
) -> pl.LazyFrame:
    """One page of matching alerts (also matching ``where``), sorted (ties newest first)."""
    if sort_by not in SORTABLE:
        raise ValueError(f"sort_by: expected one of {sorted(SORTABLE)}, got {sort_by!r}")
    keys = [_sort_key(sort_by), pl.col("created_at"), pl.col("alert_id")]
    if sort_by == "created_at":
        keys = keys[1:]
    condition = filt.expr() if where is None else filt.expr() & where
    matching = scan.filter(condition)
    if filt.as_of is not None:  # the status then, also for sorting; timestamps not yet set
        matching = matching.with_columns(filt.status(), acknowledged_at(filt.as_of))
    return (
        matching.sort(keys, descending=[descending] + [True] * (len(keys) - 1), nulls_last=True)
        .slice(page * page_size, page_size)
        .select(
            "alert_id",
            "created_at",
            "acknowledged_at",
            "last_seen_at",
            "severity",
            "type",
            "status",
            pl.col("symbol").fill_null(""),
            pl.col("strategy_id").cast(pl.String).fill_null(""),
            "rule",
            "title",
            pl.col("message").str.slice(0, MESSAGE_PREVIEW),
            pl.col("occurrences").fill_null(1),
            "assignee",
            pl.col("flapping").fill_null(False),
        )
    )


def total_query(scan: pl.LazyFrame, filt: BoardFilter) -> pl.LazyFrame:
    """How many alerts match every filter (one row, column ``total``)."""
    return scan.filter(filt.expr()).select(pl.len().alias("total"))


def matches_query(scan: pl.LazyFrame, filt: BoardFilter, alert_id: str) -> pl.LazyFrame:
    """Whether ``alert_id`` matches every filter (one row, column ``n``: 0 or 1)."""
    return scan.filter((pl.col("alert_id") == alert_id) & filt.expr()).select(pl.len().alias("n"))


def labels_query(scan: pl.LazyFrame, alert_ids: Sequence[str]) -> pl.LazyFrame:
    """Rule, symbol and strategy of each of ``alert_ids`` found: what a person calls an alert."""
    return scan.filter(pl.col("alert_id").is_in(list(alert_ids))).select(
        "alert_id", "rule", "symbol", "strategy_id"
    )


def groups_query(
    scan: pl.LazyFrame,
    filt: BoardFilter,
    group_by: GroupBy,
    *,
    page: int = 0,
    page_size: int = PAGE_SIZES[0],
) -> pl.LazyFrame:
    """One page of groups of the matching alerts: most severe first, then largest.

    Columns: key, alerts, active, acknowledged, severity (the worst), open_immediate (open
    alerts of the highest severity), newest (created_at),
    oldest_active (created_at of the longest-unacknowledged alert, null if none), symbols and
    rules (how many distinct), symbol and rule (the first of each, for labels).
    """
    status = filt.status()
    return (
        scan.filter(filt.expr())
        .group_by(key=group_key(group_by))
        .agg(
            pl.len().alias("alerts"),
            # One count per open status, each named by its value (the group rows' columns).
            *((status == s).sum().alias(s) for s in OPEN_STATUSES),
            rank=_sort_key("severity").max(),
            open_immediate=(
                status.is_in(list(OPEN_STATUSES)) & (pl.col("severity") == "immediate")
            ).sum(),
            newest=pl.col("created_at").max(),
            oldest_active=pl.col("created_at").filter(status == AlertStatus.ACTIVE.value).min(),
            symbols=pl.col("symbol").n_unique(),
            rules=pl.col("rule").n_unique(),
            symbol=pl.col("symbol").drop_nulls().min(),
            rule=pl.col("rule").min(),
        )
        .sort(["rank", "alerts", "key"], descending=[True, True, False])
        .slice(page * page_size, page_size)
        .with_columns(
            severity=pl.col("rank").replace_strict(
                _SEVERITY_BY_RANK, default="", return_dtype=pl.String
            )
        )
    )


def groups_total_query(scan: pl.LazyFrame, filt: BoardFilter, group_by: GroupBy) -> pl.LazyFrame:
    """How many groups the matching alerts form (one row, column ``groups``)."""
    return scan.filter(filt.expr()).select(group_key(group_by).n_unique().alias("groups"))


def group_ids_query(
    scan: pl.LazyFrame,
    filt: BoardFilter,
    group_by: GroupBy,
    keys: Sequence[str],
    statuses: Sequence[str],
) -> pl.LazyFrame:
    """Ids of the matching alerts of groups ``keys`` whose status is one of ``statuses``."""
    return (
        scan.filter(
            filt.expr()
            & group_key(group_by).is_in(list(keys))
            & filt.status().is_in(list(statuses))
        )
        .sort(["created_at", "alert_id"], descending=True)
        .select("alert_id")
    )


@dataclass(frozen=True, slots=True)
class Counts:
    """The board's header figures. ``median_ack_s`` is None when nothing was acknowledged."""

    active: int
    acknowledged: int
    resolved_today: int
    open_immediate: int
    median_ack_s: float | None


def counts_query(scan: pl.LazyFrame, filt: BoardFilter, now: datetime) -> pl.LazyFrame:
    """The header counts in one aggregation (one row), over every filter except status.

    The counts are the status breakdown of what the other filters select, so the status
    filter does not apply to them (``filt.as_of`` does). "Today" is ``now``'s UTC date.
    "Open immediate" counts open alerts of the highest severity (the one the table shows and
    sorts by).
    """
    day = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    status, resolved = filt.status(), resolution_at(filt.as_of)
    return scan.filter(filt.expr(with_status=False)).select(
        *((status == s).sum().alias(s) for s in OPEN_STATUSES),
        ((resolved >= day) & (resolved < day + timedelta(days=1)))
        .fill_null(False)
        .sum()
        .alias("resolved_today"),
        (is_open_at(filt.as_of) & (pl.col("severity") == "immediate"))
        .sum()
        .alias("open_immediate"),
        time_to_acknowledge_expr(filt.as_of)
        .dt.total_microseconds()
        .median()
        .alias("median_ack_us"),
    )


def read_counts(row: Mapping[str, Any]) -> Counts:
    """The :class:`Counts` in the one row :func:`counts_query` collects to."""
    median = row["median_ack_us"]
    return Counts(
        active=int(row[AlertStatus.ACTIVE.value]),
        acknowledged=int(row[AlertStatus.ACKNOWLEDGED.value]),
        resolved_today=int(row["resolved_today"]),
        open_immediate=int(row["open_immediate"]),
        median_ack_s=None if median is None else float(median) / 1e6,
    )


EVENT_COLUMNS: Final = (
    "created_at",
    "last_seen_at",
    "acknowledged_at",
    "resolved_at",
    "snoozed_at",
)
"""The columns holding when something happened to an alert (what the board shows as ages)."""


def latest_event_query(scan: pl.LazyFrame) -> pl.LazyFrame:
    """When the newest thing in the table happened (one row, column ``latest``; null when
    empty): the board's "now" is never earlier (:class:`~alertkit.widgets._clock.BoardClock`)."""
    return scan.select(pl.max_horizontal(pl.col(c).max() for c in EVENT_COLUMNS).alias("latest"))


def options_query(scan: pl.LazyFrame) -> pl.LazyFrame:
    """The distinct symbols, rules and assignees in the table, sorted (one row of three
    lists)."""
    return scan.select(
        pl.col(name).drop_nulls().unique().sort().implode()
        for name in ("symbol", "rule", "assignee")
    )
