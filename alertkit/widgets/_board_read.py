"""How the triage board reads its table: the page, the header, the detail panel.

:class:`BoardReading` is the part of :class:`~alertkit.widgets.TriageBoard` that turns the
filter widgets into a :class:`~alertkit.widgets._query.BoardFilter`, reads one view of the
table (:func:`~alertkit.widgets._view.read_view`) into the table's traits and the header,
reads the focused alert into the detail panel, and says what happened on the status line.
It never changes the table.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, cast

from alertkit.live.sync_manager import SyncAlertManager
from alertkit.model.alerts import Transition
from alertkit.model.errors import AlertkitError, AlertNotFoundError
from alertkit.widgets._bulk import chosen_ids, ticked_statuses
from alertkit.widgets._clock import BoardClock
from alertkit.widgets._controls import ActionControls, FilterControls
from alertkit.widgets._notifications import notifications_section
from alertkit.widgets._policy_query import snoozed_now
from alertkit.widgets._query import BoardFilter, GroupBy, can_take, latest_event_query
from alertkit.widgets._render import (
    counts_html,
    detail_html,
    history_instants,
    no_counts_html,
    plural,
    status_html,
)
from alertkit.widgets._table import NO_MATCH, AlertTable
from alertkit.widgets._view import read_view

__all__ = ["INVALID", "UNREADABLE", "BoardReading", "matching"]

UNREADABLE: Final = "The alerts table could not be read: see the message above."
INVALID: Final = "No results: fix the filters (see the message above) to list alerts again."


def matching(n: int) -> str:
    """``1 alert matches``, ``2 alerts match``."""
    return f"{plural(n, 'alert')} {'matches' if n == 1 else 'match'}"


class BoardReading:
    """Reading the table into the board's widgets (a mixin of the board)."""

    _notices: tuple[str, ...] = ()
    """The notices of the search last read (an unknown field), said with every status line."""

    if TYPE_CHECKING:  # what the reading uses of the board, which defines it
        manager: SyncAlertManager
        filters: FilterControls
        controls: ActionControls
        table: AlertTable
        header: Any
        status_line: Any
        detail: Any
        pick: list[dict[str, str]]
        group_by: Any
        _lock: threading.RLock
        _now: BoardClock

        def _quietly(self) -> AbstractContextManager[None]: ...
        def _enable_policy_buttons(self, statuses: set[str]) -> None: ...

    def _filter(self, wakes: Mapping[str, datetime] | None = None) -> BoardFilter:
        """The filters' state, leaving out the alerts snoozed now (``wakes``: read now)."""
        filt = self.filters.read([(p["rule"], p["severity"]) for p in self.pick])
        if wakes is None:
            wakes = snoozed_now(self.manager.scan_alerts(), self._now())
        return replace(filt, snoozed=frozenset(wakes))

    def _grouped(self) -> GroupBy | None:
        return cast("GroupBy | None", self.group_by)  # the Enum trait admits only these

    def _match_line(self, total: int) -> str:
        if self.group_by is None:
            return matching(total)
        return f"{matching(total)} in {plural(self.table.groups_total, 'group')}"

    def _reload_or_report(self) -> int | None:
        try:
            return self._reload()
        except AlertkitError as exc:
            self._unreadable(exc)
            return None

    def _invalid(self, exc: AlertkitError) -> None:
        """Say what is wrong with the filters, and show no rows: none of what the table held
        answers this search, and the header's figures are dashes."""
        self._notices = ()
        with self._quietly():
            self.table.empty_text = INVALID
            self.table.rows = []
            self.table.total = 0
            self.table.groups_total = 0
            self.table.selection = []
            self.table.group_selection = []
        self.header.value = no_counts_html()
        self._enable_buttons()
        self._say([], [str(exc)])

    def _unreadable(self, exc: AlertkitError) -> None:
        """Say why the table could not be read, and show no rows (and no "no match")."""
        with self._quietly():
            self.table.empty_text = UNREADABLE
            self.table.rows = []
            self.table.total = 0
            self.table.selection = []
            self.table.group_selection = []
        self._say([], [f"could not read the alerts table: {exc}"])

    def _reload(self) -> int | None:
        """Query the visible page, the match count and the header counts; None if the
        filters are invalid (the status line then says why and the table lists nothing)."""
        table, group_by = self.table, self._grouped()
        scan = self.manager.scan_alerts()
        self._now.catch_up(latest_event_query(scan).collect().item())
        now = self._now()
        wakes = snoozed_now(scan, now)
        try:
            filt = self._filter(wakes)
        except AlertkitError as exc:
            self._invalid(exc)
            return None
        self._notices = filt.search.notices
        view = read_view(
            self.manager.scan_alerts(),
            filt,
            now,
            group_by=group_by,
            page=table.page,
            page_size=table.page_size,
            sort_by=table.sort_by,
            descending=table.sort_desc,
            expanded=table.expanded,
            focused=table.focused,
            wakes=wakes,
        )
        with self._quietly():
            if table.page != view.page:  # rows went away (or the page size grew)
                table.page = view.page
            table.empty_text = NO_MATCH
            table.groups_total = view.groups_total
            table.total = view.total
            table.highlight = list(filt.search.highlights)
            table.rows = view.rows
            visible = set(table.page_ids)
            groups = set(table.page_groups)
            table.selection = [i for i in table.selection if i in visible]
            table.group_selection = [k for k in table.group_selection if k in groups]
            table.expanded = [k for k in table.expanded if k in groups]
            if table.focused and not view.focused_matches:
                table.focused = ""  # the detail panel never shows an alert the filters hide
            if table.cursor and table.cursor not in visible | {f"group:{k}" for k in groups}:
                table.cursor = ""
        if not table.focused:
            self._show_detail()
        self.header.value = counts_html(view.counts, view.total)
        self._enable_buttons()
        return view.total

    def _chosen_ids(self, action: Transition) -> list[str]:
        table = self.table
        return chosen_ids(
            self.manager,
            self._filter,
            action,
            table.selection,
            table.group_selection,
            self._grouped(),
        )

    def _enable_buttons(self) -> None:
        """Each action button is enabled when some ticked alert or group can take it."""
        table = self.table
        statuses = ticked_statuses(table.rows, table.selection, table.group_selection)
        for action, button in zip(Transition, self.controls.buttons(), strict=True):
            button.disabled = not statuses & set(can_take(action))
        self._enable_policy_buttons(statuses)

    def _show_detail(self) -> None:
        alert_id = self.table.focused
        if not alert_id:
            self.detail.value = detail_html(None, self._now())
            return
        try:
            alert = self.manager.get_alert(alert_id)
        except AlertNotFoundError:
            self.detail.value = detail_html(
                None, self._now(), missing=f"alert {alert_id} is no longer in the table"
            )
        else:
            self._now.catch_up(*history_instants(alert))
            now = self._now()
            # Only the open alert's log is read, never one per row: paging stays one scan.
            section = notifications_section(self.manager, alert_id, now)
            self.detail.value = detail_html(alert, now, notifications=section)

    def _say(self, info: Sequence[str], errors: Sequence[str] = ()) -> None:
        """The status line: ``info``, the search's notices, then ``errors`` in red."""
        self.status_line.value = status_html([*info, *self._notices], errors)
