"""What a bulk action on the board covers, and how its outcome reads.

The alerts an action applies to (the ticked ones, then those of the ticked groups that can
take it), which action buttons apply to what is ticked, and the status line's words for an
action: what is under way, and one line per alert the manager refused, named as a person
would name it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Final

import polars as pl

from alertkit.live.sync_manager import SyncAlertManager
from alertkit.model.alerts import Transition
from alertkit.model.errors import AlertkitError, AlertNotFoundError, InvalidTransitionError
from alertkit.model.status import OPEN_STATUSES
from alertkit.widgets._query import BoardFilter, GroupBy, can_take, group_ids_query, labels_query

__all__ = [
    "DOING",
    "chosen_ids",
    "failure_lines",
    "position_label",
    "ticked_ids",
    "ticked_statuses",
]

DOING: Final = {
    Transition.ACKNOWLEDGE: "acknowledging",
    Transition.RESOLVE: "resolving",
    Transition.DISMISS: "dismissing",
}
"""The status line's word while an action is under way."""


def chosen_ids(
    manager: SyncAlertManager,
    read_filter: Callable[[], BoardFilter],
    action: Transition,
    selection: Sequence[str],
    group_selection: Sequence[str],
    group_by: GroupBy | None,
) -> list[str]:
    """The ticked alerts, then the alerts of ticked groups (matching the filters, read only
    when a group is ticked) that can take ``action``."""
    return ticked_ids(manager, read_filter, can_take(action), selection, group_selection, group_by)


def ticked_ids(
    manager: SyncAlertManager,
    read_filter: Callable[[], BoardFilter],
    statuses: Sequence[str],
    selection: Sequence[str],
    group_selection: Sequence[str],
    group_by: GroupBy | None,
) -> list[str]:
    """The ticked alerts, then the alerts of ticked groups (matching the filters, read only
    when a group is ticked) whose status is one of ``statuses``."""
    ids = list(selection)
    keys = list(group_selection)
    if keys and group_by is not None:
        frame = group_ids_query(
            manager.scan_alerts(), read_filter(), group_by, keys, statuses
        ).collect()
        seen = set(ids)
        ids += [i for i in frame["alert_id"].to_list() if i not in seen]
    return ids


def ticked_statuses(
    rows: Iterable[Mapping[str, str]], selection: Sequence[str], group_selection: Sequence[str]
) -> set[str]:
    """The open statuses among the ticked alerts and ticked groups of the visible ``rows``."""
    rows = list(rows)
    ticked = set(selection)
    statuses = {r["status"] for r in rows if r.get("alert_id") in ticked}
    chosen = set(group_selection)
    for row in rows:
        if row.get("kind") == "group" and row["key"] in chosen:
            statuses |= {s for s in OPEN_STATUSES if int(row[s])}
    return statuses


def failure_lines(
    manager: SyncAlertManager, action: Transition | str, failed: Mapping[str, AlertkitError]
) -> list[str]:
    """One line per alert the manager refused, naming it as a person would (``action``: the
    transition, or the verb of another action: ``snooze``, ``assign``)."""
    verb = action.value if isinstance(action, Transition) else action
    if not failed:
        return []
    try:
        found = labels_query(manager.scan_alerts(), list(failed)).collect()
    except AlertkitError:
        found = pl.DataFrame()
    labels = {
        row["alert_id"]: f"{row['rule']} \u00b7 {position_label(row['symbol'], row['strategy_id'])}"
        for row in found.iter_rows(named=True)
    }
    return [
        f"could not {verb} {labels.get(alert_id, f'alert {alert_id}')}: {_reason(exc)}"
        for alert_id, exc in failed.items()
    ]


def position_label(symbol: str | None, strategy_id: int | None) -> str:
    """Where an alert is: its symbol and strategy, or that it has none."""
    strategy = "no strategy" if strategy_id is None else f"strategy {strategy_id}"
    return f"{symbol or 'no symbol'} \u00b7 {strategy}"


def _reason(exc: AlertkitError) -> str:
    if isinstance(exc, InvalidTransitionError):
        return f"its status is {exc.current}" + (" (a terminal state)" if exc.terminal else "")
    if isinstance(exc, AlertNotFoundError):
        return "it is no longer in the table"
    return str(exc)
