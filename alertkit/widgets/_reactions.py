"""How the triage board reacts to its widgets: which change or click calls what.

:class:`BoardReactions` is the part of :class:`~alertkit.widgets.TriageBoard` that listens:
filter, grouping and view changes reload the page, the table's front end reports clicks
(trait changes) and keys (a/r/d), the action buttons act, and the auto-refresh ticks. Every
reaction reads the widgets and calls one of the board's own operations (reload, act,
refresh); none talks to the manager itself.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Final

import traitlets

from alertkit.model.alerts import Transition
from alertkit.model.errors import AlertkitError
from alertkit.widgets._chip import ChartChip
from alertkit.widgets._controls import ActionControls, FilterControls
from alertkit.widgets._refresh import Ticker
from alertkit.widgets._table import AlertTable

__all__ = ["FRONT_END_TRAITS", "RELOADING", "BoardReactions"]

FRONT_END_TRAITS: Final = frozenset(
    {
        "selection",
        "group_selection",
        "expanded",
        "cursor",
        "focused",
        "sort_by",
        "sort_desc",
        "page",
        "page_size",
    }
)
"""The table traits its front end may set."""
RELOADING: Final = frozenset({"expanded", "sort_by", "sort_desc", "page", "page_size"})
"""The table traits whose change means another page to read."""


class BoardReactions:
    """The triage board's observers and callbacks (a mixin of the board)."""

    if TYPE_CHECKING:  # what the reactions use of the board, which defines it
        filters: FilterControls
        controls: ActionControls
        grouping: Any
        chip: ChartChip
        table: AlertTable
        group_by: Any
        _lock: threading.RLock
        _quiet: int
        _ticker: Ticker

        def observe(self, handler: Callable[..., Any], names: Any) -> None: ...
        def refresh(self, *, announce: bool = True) -> None: ...
        def act(self, action: Transition | str, alert_ids: Sequence[str] | None = None) -> None: ...
        def set_pick(self, values: Sequence[Mapping[str, Any]] | None) -> None: ...
        def _quietly(self) -> AbstractContextManager[None]: ...
        def _reload_or_report(self) -> int | None: ...
        def _match_line(self, total: int) -> str: ...
        def _show_detail(self) -> None: ...
        def _enable_buttons(self) -> None: ...
        def _say(self, info: Sequence[str], errors: Sequence[str] = ()) -> None: ...

    def _wire(self) -> None:
        """Connect every widget to its reaction."""
        for control in self.filters.widgets():
            control.observe(self._on_filter, names="value")
        for picker in (self.filters.created_from, self.filters.created_to):
            picker.observe(self._on_filter, names="error")  # say what to fix
        self.observe(self._on_filter, names="pick")
        self.chip.follow(self.observe, lambda: self.set_pick([]))
        self.observe(self._on_group_by, names="group_by")
        self.grouping.observe(self._on_grouping_control, names="value")
        self.table.observe(self._on_view, names=["page", "page_size", "sort_by", "sort_desc"])
        self.table.observe(self._on_expand, names="expanded")
        self.table.observe(self._on_focus, names="focused")
        self.table.observe(self._on_selection, names=["selection", "group_selection"])
        self.table.on_msg(self._on_message)
        self.controls.acknowledge.on_click(lambda _: self.act(Transition.ACKNOWLEDGE))
        self.controls.resolve.on_click(lambda _: self.act(Transition.RESOLVE))
        self.controls.dismiss.on_click(lambda _: self.act(Transition.DISMISS))
        self.controls.refresh.on_click(lambda _: self.refresh())
        self.controls.auto_refresh.observe(self._on_auto, names="value")
        self.controls.interval.observe(self._on_auto, names="value")

    def _on_filter(self, _change: Mapping[str, Any]) -> None:
        with self._lock:
            if self._quiet:
                return
            with self._quietly():
                self.table.page = 0
                self.table.selection = []
                self.table.group_selection = []
                self.table.expanded = []
            total = self._reload_or_report()
            if total is not None:
                self._say([self._match_line(total)])

    def _on_group_by(self, change: Mapping[str, Any]) -> None:
        with self._quietly():
            self.grouping.value = change["new"] or ""
            self.table.group_by = change["new"] or ""
        self._on_filter(change)

    def _on_grouping_control(self, change: Mapping[str, Any]) -> None:
        if not self._quiet:
            self.group_by = change["new"] or None

    def _on_view(self, change: Mapping[str, Any]) -> None:
        with self._lock:
            if self._quiet:
                return
            if change["name"] in ("sort_by", "sort_desc"):
                with self._quietly():  # a new order starts at its first page
                    self.table.page = 0
            self._reload_or_report()

    def _on_expand(self, _change: Mapping[str, Any]) -> None:
        with self._lock:
            if not self._quiet:
                self._reload_or_report()

    def _on_focus(self, _change: Mapping[str, Any]) -> None:
        with self._lock:
            self._show_detail()

    def _on_selection(self, _change: Mapping[str, Any]) -> None:
        self._enable_buttons()

    def _on_message(self, _widget: Any, content: Mapping[str, Any], _buffers: Any) -> None:
        """What the table's front end reports: trait changes ("set") and keys ("act")."""
        if content.get("type") == "set":
            self._set_from_front_end(content.get("changes") or {})
        elif content.get("type") == "act":
            self._key_action(content.get("action"))

    def _set_from_front_end(self, changes: Mapping[str, Any]) -> None:
        """Apply a click's trait changes together: one reload for a sort of two traits."""
        table = self.table
        mine = {k: v for k, v in changes.items() if k in FRONT_END_TRAITS}
        with self._lock:
            try:
                # The front end already shows these values: sending them back could land
                # after a newer change made there (a cursor moved again) and undo it.
                with self._quietly(), table._lock_property(**mine):
                    for name, value in mine.items():
                        setattr(table, name, value)
                    if {"sort_by", "sort_desc"} & set(changes):
                        table.page = 0  # a new order starts at its first page
            except traitlets.TraitError as exc:
                self._say([], [str(exc)])
            if RELOADING & set(changes):
                self._reload_or_report()

    def _key_action(self, name: object) -> None:
        """a/r/d pressed in the table: act on the ticked rows, else on the cursor's."""
        try:
            action = Transition.parse(name, "action")
        except AlertkitError as exc:
            self._say([], [str(exc)])
            return
        table = self.table
        if table.selection or table.group_selection:
            self.act(action)
        elif table.cursor.startswith("group:"):
            with self._quietly():
                table.group_selection = [table.cursor.removeprefix("group:")]
            self.act(action)
        elif table.cursor:
            self.act(action, [table.cursor])
        else:
            self._say([], ["move to an alert (j/k) or tick one (x) first"])

    def _on_auto(self, change: Mapping[str, Any]) -> None:
        if change["owner"] is self.controls.interval and not self.controls.auto_refresh.value:
            return  # a new interval matters only while auto-refresh is on
        if self.controls.auto_refresh.value:
            self._ticker.start(self.controls.interval.value)
            self._say([f"auto-refresh every {self.controls.interval.value} s"])
        else:
            self._ticker.stop(wait=False)  # never block the kernel on a tick in progress
            self._say(["auto-refresh off"])

    def _auto_tick(self) -> None:
        self.refresh()

    def _auto_failed(self, exc: Exception) -> None:
        self._say([], [f"auto-refresh failed: {type(exc).__name__}: {exc}"])
