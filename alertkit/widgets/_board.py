"""The triage board: filter, group, read and act on alerts in a notebook.

A thin view over :class:`~alertkit.SyncAlertManager`: the filter controls' values and the
table's traits are the state, every query is a polars scan of the manager's table
(:mod:`alertkit.widgets._query`), and every action is one manager call
(``transition_many``), after which the board reads the table again.

The board's parts: :mod:`~alertkit.widgets._view` reads a page of the table,
:mod:`~alertkit.widgets._bulk` says what an action covers and how its outcome reads,
:mod:`~alertkit.widgets._board_read` reads a view into the widgets,
:mod:`~alertkit.widgets._reactions` connects the widgets' changes, clicks and keys to the
operations here, :mod:`~alertkit.widgets._policy_actions` snoozes, assigns and silences.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import ipywidgets as w
import traitlets

from alertkit.live.manager import sync_manager_of
from alertkit.live.sync_manager import SyncAlertManager
from alertkit.model._time import to_utc
from alertkit.model.alerts import Transition
from alertkit.model.errors import AlertkitError
from alertkit.model.status import OPEN_STATUSES
from alertkit.widgets._board_read import BoardReading
from alertkit.widgets._bulk import DOING, failure_lines, position_label
from alertkit.widgets._chip import ChartChip
from alertkit.widgets._clock import BoardClock
from alertkit.widgets._controls import ActionControls, FilterControls, group_by_control
from alertkit.widgets._policy_actions import BoardPolicies
from alertkit.widgets._policy_controls import PolicyControls, SilenceForm
from alertkit.widgets._query import GROUPINGS, PAGE_SIZES, GroupBy, options_query
from alertkit.widgets._reactions import BoardReactions
from alertkit.widgets._refresh import Ticker
from alertkit.widgets._render import format_time, plural
from alertkit.widgets._silences import SilencesPanel
from alertkit.widgets._table import AlertTable
from alertkit.widgets._view import group_of

__all__ = ["TriageBoard"]


class TriageBoard(BoardReactions, BoardPolicies, BoardReading, w.VBox):  # type: ignore[misc]  # ipywidgets is untyped
    """Filter, group, page through and act on alerts: display it as a cell's last value.

    Parameters
    ----------
    manager
        Whose table the board shows: an :class:`~alertkit.AlertManager` or a
        :class:`~alertkit.SyncAlertManager`; every action is one call on it.
    now
        Where "now" comes from for ages and "resolved today" (default: the manager's clock):
        a callable, or a fixed datetime for reproducible notebook output. The board's now is
        never earlier than the newest event in the table (or in the open alert's history),
        so an action the manager stamped later than a pinned ``now`` never reads as future.
    user
        Initial value of the "By" field, recorded with each action.
    page_size
        Rows (or groups) per page: 25, 50 or 100.
    auto_refresh_s
        Initial auto-refresh interval in seconds (auto-refresh starts switched off).
    group_by
        Initial grouping: "position", "rule", "symbol" or None.

    Attributes
    ----------
    filters, controls, policy, silence_form
        The filter widgets, the action bar, the policy actions (snooze, assign, silence)
        and the silence being made (see ``_controls``, ``_policy_controls``); set their
        ``value`` or ``click()`` them from Python exactly as a person would in the browser.
    silences
        The silences panel: the active and pending silences, ``expire_buttons`` by id.
    table
        The :class:`AlertTable` (traits ``rows``, ``selection``, ``group_selection``,
        ``expanded``, ``cursor``, ``focused``, ``sort_by``, ``sort_desc``, ``page``,
        ``page_size``, ``total``).
    header, status_line, detail
        HTML widgets: the counts, what just happened, and the focused alert (its fields,
        history and notification log, read when it opens and at each refresh).
    group_by
        "position" (strategy), "rule", "symbol" or None: the table then shows one row per
        group (counts, worst severity) that expands to its alerts; ticking a group applies
        an action to every alert of it that can take the action.
    pick
        Chart hook: a list of ``{"rule": ..., "severity": ...}`` dicts (what an Altair
        selection named ``pick`` holds); when non-empty, only alerts matching one of them are
        shown. See :meth:`follow_chart`.
    """

    pick = traitlets.List(traitlets.Dict())
    group_by = traitlets.Enum(GROUPINGS, default_value=None, allow_none=True)

    def __init__(
        self,
        manager: object,
        *,
        now: Callable[[], datetime] | datetime | None = None,
        user: str = "",
        page_size: int = PAGE_SIZES[0],
        auto_refresh_s: int = 30,
        group_by: GroupBy | None = None,
        **kwargs: Any,
    ) -> None:
        self.manager: SyncAlertManager = sync_manager_of(manager)
        if isinstance(now, datetime):
            fixed = to_utc(now, "now")

            def source() -> datetime:
                return fixed

        else:
            source = now or self.manager.clock
        self._now = BoardClock(source)
        self._lock = threading.RLock()
        self._quiet = 0
        self._refreshes = 0
        self.filters = FilterControls.create()
        self.controls = ActionControls.create(user=user, interval_s=auto_refresh_s)
        self.policy = PolicyControls.create()
        self.silence_form = SilenceForm.create()
        self.silences = SilencesPanel(self.expire_silence)
        self.grouping = group_by_control()
        self.chip = ChartChip()  # the chart filter, shown and removable
        self.table = AlertTable(page_size=page_size)
        self.header = w.HTML().add_class("alertkit-header")
        self.status_line = w.HTML().add_class("alertkit-status-line")
        self.detail = w.HTML().add_class("alertkit-detail-panel")
        self._ticker = Ticker(self._auto_tick, self._auto_failed)
        main = w.HBox(
            [self.table, self.detail], layout=w.Layout(width="100%", align_items="flex-start")
        ).add_class("alertkit-main")
        super().__init__(
            children=[
                self.header,
                self.filters.box(self.grouping, self.chip.button),
                self.controls.box(),
                self.policy.box(),
                self.silence_form.container,
                self.status_line,
                main,
                self.silences.container,
            ],
            **kwargs,
        )
        self.add_class("alertkit-board")
        with self._quietly():
            self.group_by = group_by
        self._wire()
        self._wire_policies()
        self.refresh(announce=False)

    # -- what a person does (also callable from Python) -------------------------------------

    def refresh(self, *, announce: bool = True) -> None:
        """Read the table again: filter choices, page, counts and the focused alert.

        The status line numbers each refresh and names the table version it read, so a
        refresh shows even when nothing changed and ``now`` is pinned.
        """
        with self._lock:
            try:
                options = options_query(self.manager.scan_alerts()).collect().row(0)
                with self._quietly():
                    self.filters.set_options(*options)
                total = self._reload()
                self._show_detail()
                self._show_silences()
                version = self.manager.version() if announce else None
            except AlertkitError as exc:
                self._unreadable(exc)
                return
            if total is not None:
                if version is None:
                    self._say([self._match_line(total)])
                else:
                    self._refreshes += 1
                    self._say(
                        [
                            f"refresh {self._refreshes} at {format_time(self._now())}"
                            f" (table version {version}): {self._match_line(total)}"
                        ]
                    )

    def act(self, action: Transition | str, alert_ids: Sequence[str] | None = None) -> None:
        """Apply ``action`` to the ticked alerts and every alert of the ticked groups (or to
        ``alert_ids``) in one manager call (one commit), then refresh. The status line
        reports what the manager returned.

        An alert that cannot take the action (e.g. resolving a dismissed one) is named by
        rule, symbol and strategy in the status line; the others still get it. A ticked
        group contributes those of its alerts (matching the filters) that can take it.
        """
        action = Transition.parse(action, "action")
        with self._lock:
            try:
                ids = list(alert_ids) if alert_ids is not None else self._chosen_ids(action)
            except AlertkitError as exc:
                self._unreadable(exc)
                return
            if not ids:
                self._say([], ["tick one or more alerts or groups first"])
                return
            by = self.controls.user.value.strip() or None
            note = self.controls.note.value.strip() or None
            buttons = self.controls.buttons()
            for button in buttons:
                button.disabled = True
            self._say([f"{DOING[action]} {plural(len(ids), 'alert')}..."])
            try:
                result = self.manager.transition_many(ids, action, by=by, note=note)
            except AlertkitError as exc:
                self._say([], [f"nothing was {action.past_tense}: {exc}"])
                self._enable_buttons()
                return
            failed = failure_lines(self.manager, action, result.failed)
            with self._quietly():
                self.table.selection = []
                self.table.group_selection = []
                if result.changed:
                    self.controls.note.value = ""
            self.refresh(announce=False)
            chosen = plural(len(ids), "selected alert")
            summary = f"{action.past_tense} {len(result.changed):,} of {chosen}"
            self._say([summary], failed)
            self._enable_buttons()

    def show(self, alert_id: str) -> None:
        """Focus one alert from code: the filters are set to show just it (``id:`` search,
        any status), its group is expanded, and its details open beside the table.

        Raises :class:`~alertkit.AlertNotFoundError` for an unknown id.
        :meth:`clear_filters` goes back to where a triager starts.
        """
        with self._lock:
            alert = self.manager.get_alert(alert_id)
            with self._quietly():
                self._set_filters(statuses=(), text=f"id:{alert.alert_id}", show_snoozed=True)
                self.table.expanded = (
                    [] if self.group_by is None else [group_of(alert, self.group_by)]
                )
            self.table.cursor = alert.alert_id
            self.table.focused = alert.alert_id
            total = self._reload_or_report()
            self._show_detail()
            if total is not None:
                where = position_label(alert.symbol, alert.strategy_id)
                self._say([f"showing alert {alert.rule} \u00b7 {where}"])

    def clear_filters(self) -> None:
        """Back to where a triager starts: the open statuses on, every other filter "any",
        the search empty, no chart pick, nothing ticked, no alert open, the first page."""
        with self._lock:
            with self._quietly():
                self._set_filters(statuses=OPEN_STATUSES, text="", show_snoozed=False)
                self.table.expanded = []
                self.table.cursor = ""
                self.table.focused = ""
            total = self._reload_or_report()
            self._show_detail()
            if total is not None:
                self._say([self._match_line(total)])

    def _set_filters(self, *, statuses: Sequence[str], text: str, show_snoozed: bool) -> None:
        """Every filter to "any" but these (call quietly: the caller reloads once)."""
        f = self.filters
        f.status.value = tuple(statuses)
        for control in (f.severity, f.type, f.symbol, f.rule, f.assignee):
            control.value = ""
        f.flapping.value = False
        f.show_snoozed.value = show_snoozed
        f.strategy_id.value = ""
        f.created_from.value = None
        f.created_to.value = None
        f.text.value = text
        self.pick = []
        self.table.page = 0
        self.table.selection = []
        self.table.group_selection = []

    def follow_chart(self, chart: Any, selection: str = "pick") -> None:
        """Filter on a chart's point selection, following it as it changes.

        ``chart`` is an ``alt.JupyterChart`` (for instance
        ``alertkit.charts.interactive_chart(alerts_by_rule(alerts, select=True))``) whose
        selection ``selection`` holds ``{"rule": ..., "severity": ...}`` points.
        """
        selections = chart.selections
        selections.observe(lambda change: self.set_pick(change["new"].value), names=selection)
        self.set_pick(getattr(selections, selection).value)

    def set_pick(self, values: Sequence[Mapping[str, Any]] | None) -> None:
        """Show only alerts matching one of ``values`` (rule and severity); empty shows all."""
        self.pick = [
            {"rule": str(v["rule"]), "severity": str(v["severity"])}
            for v in values or []
            if "rule" in v and "severity" in v
        ]

    def __repr__(self) -> str:
        # Short and stable: a notebook's text/plain output (compared by nbval) should not
        # carry every child widget's state.
        table = self.table
        grouped = "" if self.group_by is None else f", grouped by {self.group_by}"
        return (
            f"TriageBoard({plural(table.total, 'matching alert')}, page {table.page + 1},"
            f" {plural(len(table.rows), 'row')} shown{grouped})"
        )

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        # A saved notebook opened before it runs has no kernel to draw the board from; this
        # text is what it shows then (`make notebooks` saves no widget views or state).
        bundle: dict[str, Any] = super()._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = f"{self!r}. Run this cell to open the triage board."
        return bundle

    def close(self) -> None:
        """Stop auto-refresh and close the board's widgets."""
        # Each part may be absent when __init__ failed early (close also runs from __del__).
        ticker = getattr(self, "_ticker", None)
        if ticker is not None:
            ticker.stop()
        for name in ("table", "header", "status_line", "detail", "grouping", "silences"):
            widget = getattr(self, name, None)
            if widget is not None:
                widget.close()
        super().close()

    @contextmanager
    def _quietly(self) -> Iterator[None]:
        """Change widgets without each change triggering its own reload."""
        self._quiet += 1
        try:
            yield
        finally:
            self._quiet -= 1
