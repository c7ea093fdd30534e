"""The triage board: filter, read and act on alerts in a notebook.

A thin view over :class:`~alertkit.SyncAlertManager`: the filter controls' values and the
table's traits are the state, every query is a polars scan of the manager's table
(:mod:`alertkit.widgets._query`), and every action is a manager call, after which the board
reads the table again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Final

import ipywidgets as w
import polars as pl
import traitlets

from alertkit._time import to_utc
from alertkit.alerts import Transition
from alertkit.errors import AlertkitError, AlertNotFoundError, InvalidTransitionError
from alertkit.sync_manager import SyncAlertManager, sync_manager_of
from alertkit.widgets._controls import ActionControls, FilterControls
from alertkit.widgets._query import (
    PAGE_SIZES,
    BoardFilter,
    counts_query,
    options_query,
    page_query,
    read_counts,
    total_query,
)
from alertkit.widgets._refresh import Ticker
from alertkit.widgets._render import (
    counts_html,
    detail_html,
    format_time,
    page_rows,
    status_html,
)
from alertkit.widgets._table import AlertTable

__all__ = ["TriageBoard"]

_DONE: Final = {
    Transition.ACKNOWLEDGE: "acknowledged",
    Transition.RESOLVE: "resolved",
    Transition.DISMISS: "dismissed",
}


_DOING: Final = {
    Transition.ACKNOWLEDGE: "acknowledging",
    Transition.RESOLVE: "resolving",
    Transition.DISMISS: "dismissing",
}


def _reason(exc: AlertkitError) -> str:
    if isinstance(exc, InvalidTransitionError):
        terminal = exc.current in ("resolved", "dismissed")
        return f"its status is {exc.current}" + (" (a terminal state)" if terminal else "")
    if isinstance(exc, AlertNotFoundError):
        return "it is no longer in the table"
    return str(exc)


class TriageBoard(w.VBox):  # type: ignore[misc]  # ipywidgets is untyped
    """Filter, page through and act on alerts: display it as a notebook cell's last value.

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
        Rows per page: 25, 50 or 100.
    auto_refresh_s
        Initial auto-refresh interval in seconds (auto-refresh starts switched off).

    Attributes
    ----------
    filters, controls
        The filter widgets and the action bar (see ``_controls``); set their ``value`` or
        ``click()`` them from Python exactly as a person would in the browser.
    table
        The :class:`AlertTable` (traits ``rows``, ``selection``, ``focused``, ``sort_by``,
        ``sort_desc``, ``page``, ``page_size``, ``total``).
    header, status_line, detail
        HTML widgets: the counts, what just happened, and the focused alert.
    pick
        Chart hook: a list of ``{"rule": ..., "severity": ...}`` dicts (what an Altair
        selection named ``pick`` holds); when non-empty, only alerts matching one of them are
        shown. See :meth:`follow_chart`.
    """

    pick = traitlets.List(traitlets.Dict())

    def __init__(
        self,
        manager: object,
        *,
        now: Callable[[], datetime] | datetime | None = None,
        user: str = "",
        page_size: int = PAGE_SIZES[0],
        auto_refresh_s: int = 30,
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
        self.filters = FilterControls.create()
        self.controls = ActionControls.create(user=user, interval_s=auto_refresh_s)
        self.table = AlertTable(page_size=page_size)
        self.header = w.HTML().add_class("alertkit-header")
        self.status_line = w.HTML().add_class("alertkit-status-line")
        self.detail = w.HTML().add_class("alertkit-detail-panel")
        self._ticker = Ticker(self._auto_tick, self._auto_failed)
        super().__init__(
            children=[
                self.header,
                self.filters.box(),
                self.table,
                self.controls.box(),
                self.status_line,
                self.detail,
            ],
            **kwargs,
        )
        self.add_class("alertkit-board")
        for control in self.filters.widgets():
            control.observe(self._on_filter, names="value")
        self.observe(self._on_filter, names="pick")
        self.table.observe(self._on_view, names=["page", "page_size", "sort_by", "sort_desc"])
        self.table.observe(self._on_focus, names="focused")
        self.table.observe(self._on_selection, names="selection")
        self.controls.acknowledge.on_click(lambda _: self.act(Transition.ACKNOWLEDGE))
        self.controls.resolve.on_click(lambda _: self.act(Transition.RESOLVE))
        self.controls.dismiss.on_click(lambda _: self.act(Transition.DISMISS))
        self.controls.refresh.on_click(lambda _: self.refresh())
        self.controls.auto_refresh.observe(self._on_auto, names="value")
        self.controls.interval.observe(self._on_auto, names="value")
        self.refresh(announce=False)

    # -- what a person does (also callable from Python) -------------------------------------

    def refresh(self, *, announce: bool = True) -> None:
        """Read the table again: filter choices, page, counts and the focused alert."""
        with self._lock:
            try:
                options = options_query(self.manager.scan_alerts()).collect().row(0)
                with self._quietly():
                    self.filters.set_options(options[0], options[1])
                total = self._reload()
                self._show_detail()
            except AlertkitError as exc:
                self._say([f"could not read the alerts table: {exc}"], error=True)
                return
            if total is not None:
                when = f" at {format_time(self._now())}" if announce else ""
                self._say([f"refreshed{when}: {total:,} alerts match"])

    def act(self, action: Transition | str) -> None:
        """Apply ``action`` to every selected alert in one manager call (one commit), then
        refresh. The status line reports what the manager returned.

        An alert that cannot take the action (e.g. resolving a dismissed one) is named in
        the status line; the other selected alerts still get it. While the call runs the
        action buttons are disabled and the status line says what is being done.
        """
        action = Transition.parse(action, "action")
        with self._lock:
            ids = list(self.table.selection)
            if not ids:
                self._say(["select one or more alerts first"], error=True)
                return
            by = self.controls.user.value.strip() or None
            note = self.controls.note.value.strip() or None
            buttons = self.controls.buttons()
            for button in buttons:
                button.disabled = True
            self._say([f"{_DOING[action]} {len(ids)} alerts..."])
            try:
                result = self.manager.transition_many(ids, action, by=by, note=note)
            except AlertkitError as exc:
                self._say([f"nothing was {_DONE[action]}: {exc}"], error=True)
                for button in buttons:
                    button.disabled = False
                return
            failed = [
                f"could not {action.value} {alert_id}: {_reason(exc)}"
                for alert_id, exc in result.failed.items()
            ]
            with self._quietly():
                self.table.selection = []
                if result.changed:
                    self.controls.note.value = ""
            self.refresh(announce=False)
            summary = f"{_DONE[action]} {len(result.changed)} of {len(ids)} selected alerts"
            self._say([summary, *failed], error=bool(failed))
            for button in buttons:
                button.disabled = not self.table.selection

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
        return (
            f"TriageBoard({table.total} matching alerts, page {table.page + 1},"
            f" {len(table.rows)} rows shown)"
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
        for name in ("table", "header", "status_line", "detail"):
            widget = getattr(self, name, None)
            if widget is not None:
                widget.close()
        super().close()

    # -- reacting to the widgets ------------------------------------------------------------

    def _on_filter(self, _change: Mapping[str, Any]) -> None:
        with self._lock:
            if self._quiet:
                return
            with self._quietly():
                self.table.page = 0
                self.table.selection = []
            total = self._reload_or_report()
            if total is not None:
                self._say([f"{total:,} alerts match"])

    def _on_view(self, _change: Mapping[str, Any]) -> None:
        with self._lock:
            if not self._quiet:
                self._reload_or_report()

    def _on_focus(self, _change: Mapping[str, Any]) -> None:
        with self._lock:
            self._show_detail()

    def _on_selection(self, change: Mapping[str, Any]) -> None:
        for button in self.controls.buttons():
            button.disabled = not change["new"]

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
        self._say([f"auto-refresh failed: {type(exc).__name__}: {exc}"], error=True)

    # -- reading the table ------------------------------------------------------------------

    @contextmanager
    def _quietly(self) -> Iterator[None]:
        """Change widgets without each change triggering its own reload."""
        self._quiet += 1
        try:
            yield
        finally:
            self._quiet -= 1

    def _filter(self) -> BoardFilter:
        return self.filters.read([(p["rule"], p["severity"]) for p in self.pick])

    def _reload_or_report(self) -> int | None:
        try:
            return self._reload()
        except AlertkitError as exc:
            self._say([f"could not read the alerts table: {exc}"], error=True)
            return None

    def _reload(self) -> int | None:
        """Query the visible page, the match count and the header counts; None if the
        filters are invalid (the status line then says why and the table is left as is)."""
        try:
            filt = self._filter()
        except AlertkitError as exc:
            self._say([str(exc)], error=True)
            return None
        table, now = self.table, self._now()
        scan = self.manager.scan_alerts()

        def page_at(page: int) -> pl.LazyFrame:
            return page_query(
                scan,
                filt,
                sort_by=table.sort_by,
                descending=table.sort_desc,
                page=page,
                page_size=table.page_size,
            )

        page, total, counts = pl.collect_all(
            [page_at(table.page), total_query(scan, filt), counts_query(scan, filt, now)]
        )
        matching = int(total.item())
        last_page = max(0, (matching - 1) // table.page_size)
        with self._quietly():
            if table.page > last_page:  # rows went away (or the page size grew)
                table.page = last_page
                page = page_at(last_page).collect()
            rows = page_rows(page, now)
            visible = {row["alert_id"] for row in rows}
            table.total = matching
            table.rows = rows
            table.selection = [i for i in table.selection if i in visible]
        self.header.value = counts_html(read_counts(counts.row(0, named=True)), matching)
        return matching

    def _show_detail(self) -> None:
        alert_id = self.table.focused
        if not alert_id:
            self.detail.value = detail_html(None)
            return
        try:
            alert = self.manager.get_alert(alert_id)
        except AlertNotFoundError:
            self.detail.value = detail_html(None, missing=f"alert {alert_id} is not in the table")
        else:
            self.detail.value = detail_html(alert)

    def _say(self, lines: Sequence[str], *, error: bool = False) -> None:
        self.status_line.value = status_html(lines, error=error)
