"""One read of the alerts table for the board: the visible page and the numbers around it.

:func:`read_view` runs the board's queries (:mod:`alertkit.widgets._query`) on one scan,
collected together, and returns a :class:`BoardView`: the rows to draw (groups followed by
the alerts of the open ones), the match counts and the header counts. It touches no widget;
the board puts the view into its table and header.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import polars as pl

from alertkit.model.alerts import Alert
from alertkit.widgets._query import (
    BoardFilter,
    Counts,
    GroupBy,
    counts_query,
    group_key,
    groups_query,
    groups_total_query,
    matches_query,
    page_query,
    read_counts,
    total_query,
)
from alertkit.widgets._render import group_rows, page_rows, plural

__all__ = ["BoardView", "group_of", "read_view"]


@dataclass(frozen=True, slots=True)
class BoardView:
    """What one read of the table shows."""

    page: int
    """The page shown: the one asked for, or the last one when rows went away."""
    rows: list[dict[str, str]]
    total: int
    """Alerts matching the filters."""
    groups_total: int
    """Groups the matching alerts form (0 when not grouped)."""
    counts: Counts
    """The header counts."""
    focused_matches: bool
    """Whether the focused alert (if any) still matches the filters."""


def read_view(
    scan: pl.LazyFrame,
    filt: BoardFilter,
    now: datetime,
    *,
    group_by: GroupBy | None,
    page: int,
    page_size: int,
    sort_by: str,
    descending: bool,
    expanded: Sequence[str],
    focused: str,
    wakes: Mapping[str, datetime] | None = None,
) -> BoardView:
    """The page ``page`` of what ``filt`` matches in ``scan``, and the counts around it
    (``wakes``: when each alert snoozed now wakes, for its badge)."""

    def page_at(number: int) -> pl.LazyFrame:
        if group_by is not None:
            return groups_query(scan, filt, group_by, page=number, page_size=page_size)
        return page_query(
            scan, filt, sort_by=sort_by, descending=descending, page=number, page_size=page_size
        )

    queries = [page_at(page), total_query(scan, filt), counts_query(scan, filt, now)]
    if group_by is not None:
        queries.append(groups_total_query(scan, filt, group_by))
    if focused:
        queries.append(matches_query(scan, filt, focused))
    frames = pl.collect_all(queries)
    shown, total, counts = frames[:3]
    matching = int(total.item())
    units = int(frames[3].item()) if group_by is not None else matching
    last_page = max(0, (units - 1) // page_size)
    if page > last_page:  # rows went away (or the page size grew)
        page = last_page
        shown = page_at(last_page).collect()
    if group_by is None:
        rows = page_rows(shown, now, wakes=wakes)
    else:
        members = _members(scan, filt, group_by, shown, expanded, sort_by, descending, page_size)
        rows = _group_rows(shown, group_by, now, members, wakes or {})
    return BoardView(
        page=page,
        rows=rows,
        total=matching,
        groups_total=units if group_by is not None else 0,
        counts=read_counts(counts.row(0, named=True)),
        focused_matches=bool(frames[-1].item()) if focused else False,
    )


def group_of(alert: Alert, group_by: GroupBy) -> str:
    """The key of the group ``alert`` is shown under."""
    if group_by == "position":
        return "" if alert.strategy_id is None else str(alert.strategy_id)
    if group_by == "symbol":
        return alert.symbol or ""
    return alert.rule


def _members(
    scan: pl.LazyFrame,
    filt: BoardFilter,
    group_by: GroupBy,
    groups: pl.DataFrame,
    expanded: Sequence[str],
    sort_by: str,
    descending: bool,
    page_size: int,
) -> dict[str, pl.DataFrame]:
    """The first page of alerts of each open group on this page of ``groups``."""
    keys = groups["key"].to_list()
    open_keys = [k for k in expanded if k in keys]
    frames = pl.collect_all(
        [
            page_query(
                scan,
                filt,
                sort_by=sort_by,
                descending=descending,
                page_size=page_size,
                where=group_key(group_by) == key,
            )
            for key in open_keys
        ]
    )
    return dict(zip(open_keys, frames, strict=True))


def _group_rows(
    groups: pl.DataFrame,
    group_by: GroupBy,
    now: datetime,
    members: dict[str, pl.DataFrame],
    wakes: Mapping[str, datetime],
) -> list[dict[str, str]]:
    """Group rows, each open group followed by its first page of alerts."""
    rows: list[dict[str, str]] = []
    for row in group_rows(groups, group_by, now, list(members)):
        rows.append(row)
        frame = members.get(row["key"])
        if frame is None:
            continue
        rows += page_rows(frame, now, group=row["key"], wakes=wakes)
        hidden = int(row["alerts"]) - frame.height
        if hidden > 0:
            rows.append(
                {
                    "kind": "more",
                    "group": row["key"],
                    "text": f"{plural(hidden, 'more alert')} in this group: narrow the"
                    " filters to see them (a group action still covers them)",
                }
            )
    return rows
