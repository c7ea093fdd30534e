"""The triage board: filter, group, read and act on alerts in a notebook.

A thin view over :class:`~alertkit.SyncAlertManager`: the filter controls' values and the
table's traits are the state, every query is a polars scan of the manager's table
(:mod:`alertkit.widgets._query`), and every action is one manager call
(``transition_many``), after which the board reads the table again.

The board's parts: :mod:`~alertkit.widgets._view` reads a page of the table,
:mod:`~alertkit.widgets._bulk` says what an action covers and how its outcome reads,
:mod:`~alertkit.widgets._reactions` connects the widgets' changes, clicks and keys to the
operations here, :mod:`~alertkit.widgets._policy_actions` snoozes, assigns and silences.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any, Final, cast

import ipywidgets as w
import traitlets

from alertkit.live.manager import sync_manager_of
from alertkit.live.sync_manager import SyncAlertManager
from alertkit.model._time import to_utc
from alertkit.model.alerts import Transition
from alertkit.model.errors import AlertkitError, AlertNotFoundError
from alertkit.widgets._bulk import DOING, chosen_ids, failure_lines, position_label, ticked_statuses
from alertkit.widgets._chip import ChartChip
from alertkit.widgets._controls import ActionControls, FilterControls, group_by_control
from alertkit.widgets._notifications import notifications_section
from alertkit.widgets._policy_actions import BoardPolicies
from alertkit.widgets._policy_controls import PolicyControls, SilenceForm
from alertkit.widgets._policy_query import snoozed_now
from alertkit.widgets._query import (
    GROUPINGS,
    PAGE_SIZES,
    BoardFilter,
    GroupBy,
    can_take,
    options_query,
)
from alertkit.widgets._reactions import BoardReactions
from alertkit.widgets._refresh import Ticker
from alertkit.widgets._render import counts_html, detail_html, format_time, plural, status_html
from alertkit.widgets._silences import SilencesPanel
from alertkit.widgets._table import NO_MATCH, AlertTable
from alertkit.widgets._view import group_of, read_view

__all__ = ["TriageBoard"]

UNREADABLE: Final = "The alerts table could not be read: see the message above."


def _matching(n: int) -> str:
    return f"{plural(n, 'alert')} {'matches' if n == 1 else 'match'}"


class TriageBoard(BoardReactions, BoardPolicies, w.VBox):  # type: ignore[misc]  # ipywidgets is untyped
    """Filter, group, page through and act on alerts: display it as a cell's last value.

    Parameters
    ----------
    manager
        Whose table the board shows: an :class:`~alertkit.AlertManager` or a
        :class:`~alertkit.SyncAlertManager`; every action is one call on it.
    now
        Where "now" comes from for ages and "resolved today" (default: the manager's clock):
        a callable, or a fixed datetime for reproducible notebook output.
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
            self._now: Callable[[], datetime] = lambda: fixed
        else:
            self._now = now or self.manager.clock
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
        """
        with self._lock:
            alert = self.manager.get_alert(alert_id)
            with self._quietly():
                f = self.filters
                f.status.value = ()
                for control in (f.severity, f.type, f.symbol, f.rule, f.assignee):
                    control.value = ""
                f.flapping.value = False
                f.show_snoozed.value = True  # a snoozed alert too
                f.strategy_id.value = ""
                f.created_from.value = None
                f.created_to.value = None
                f.text.value = f"id:{alert.alert_id}"
                self.pick = []
                self.table.page = 0
                self.table.selection = []
                self.table.group_selection = []
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

    # -- reading the table ------------------------------------------------------------------

    @contextmanager
    def _quietly(self) -> Iterator[None]:
        """Change widgets without each change triggering its own reload."""
        self._quiet += 1
        try:
            yield
        finally:
            self._quiet -= 1

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
            return _matching(total)
        return f"{_matching(total)} in {plural(self.table.groups_total, 'group')}"

    def _reload_or_report(self) -> int | None:
        try:
            return self._reload()
        except AlertkitError as exc:
            self._unreadable(exc)
            return None

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
        filters are invalid (the status line then says why and the table is left as is)."""
        table, now, group_by = self.table, self._now(), self._grouped()
        wakes = snoozed_now(self.manager.scan_alerts(), now)
        try:
            filt = self._filter(wakes)
        except AlertkitError as exc:
            self._say([], [str(exc)])
            return None
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
        alert_id, now = self.table.focused, self._now()
        if not alert_id:
            self.detail.value = detail_html(None, now)
            return
        try:
            alert = self.manager.get_alert(alert_id)
        except AlertNotFoundError:
            self.detail.value = detail_html(
                None, now, missing=f"alert {alert_id} is no longer in the table"
            )
        else:
            # Only the open alert's log is read, never one per row: paging stays one scan.
            section = notifications_section(self.manager, alert_id, now)
            self.detail.value = detail_html(alert, now, notifications=section)

    def _say(self, info: Sequence[str], errors: Sequence[str] = ()) -> None:
        self.status_line.value = status_html(info, errors)
