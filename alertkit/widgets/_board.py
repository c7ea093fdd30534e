"""The triage board: filter, group, read and act on alerts in a notebook.

A thin view over :class:`~alertkit.SyncAlertManager`: the filter controls' values and the
table's traits are the state, every query is a polars scan of the manager's table
(:mod:`alertkit.widgets._query`), and every action is one manager call
(``transition_many``), after which the board reads the table again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Final, cast

import ipywidgets as w
import polars as pl
import traitlets

from alertkit._time import to_utc
from alertkit.alerts import Alert, Transition
from alertkit.errors import AlertkitError, AlertNotFoundError, InvalidTransitionError
from alertkit.sync_manager import SyncAlertManager, sync_manager_of
from alertkit.widgets._controls import ActionControls, FilterControls, group_by_control
from alertkit.widgets._query import (
    GROUPINGS,
    PAGE_SIZES,
    BoardFilter,
    GroupBy,
    can_take,
    counts_query,
    group_ids_query,
    group_key,
    groups_query,
    groups_total_query,
    labels_query,
    matches_query,
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
    group_rows,
    page_rows,
    plural,
    status_html,
)
from alertkit.widgets._table import NO_MATCH, AlertTable

__all__ = ["TriageBoard"]

_DOING: Final = {
    Transition.ACKNOWLEDGE: "acknowledging",
    Transition.RESOLVE: "resolving",
    Transition.DISMISS: "dismissing",
}
_FRONT_END_TRAITS: Final = frozenset(
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
_RELOADING: Final = frozenset({"expanded", "sort_by", "sort_desc", "page", "page_size"})
UNREADABLE: Final = "The alerts table could not be read: see the message above."


def _reason(exc: AlertkitError) -> str:
    if isinstance(exc, InvalidTransitionError):
        terminal = exc.current in ("resolved", "dismissed")
        return f"its status is {exc.current}" + (" (a terminal state)" if terminal else "")
    if isinstance(exc, AlertNotFoundError):
        return "it is no longer in the table"
    return str(exc)


def _matching(n: int) -> str:
    return f"{plural(n, 'alert')} {'matches' if n == 1 else 'match'}"


class TriageBoard(w.VBox):  # type: ignore[misc]  # ipywidgets is untyped
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
    filters, controls
        The filter widgets and the action bar (see ``_controls``); set their ``value`` or
        ``click()`` them from Python exactly as a person would in the browser.
    table
        The :class:`AlertTable` (traits ``rows``, ``selection``, ``group_selection``,
        ``expanded``, ``cursor``, ``focused``, ``sort_by``, ``sort_desc``, ``page``,
        ``page_size``, ``total``).
    header, status_line, detail
        HTML widgets: the counts, what just happened, and the focused alert.
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
        self.grouping = group_by_control()
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
                self.filters.box(self.grouping),
                self.controls.box(),
                self.status_line,
                main,
            ],
            **kwargs,
        )
        self.add_class("alertkit-board")
        with self._quietly():
            self.group_by = group_by
        for control in self.filters.widgets():
            control.observe(self._on_filter, names="value")
        self.observe(self._on_filter, names="pick")
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
                    self.filters.set_options(options[0], options[1])
                total = self._reload()
                self._show_detail()
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
            self._say([f"{_DOING[action]} {plural(len(ids), 'alert')}..."])
            try:
                result = self.manager.transition_many(ids, action, by=by, note=note)
            except AlertkitError as exc:
                self._say([], [f"nothing was {action.past_tense}: {exc}"])
                self._enable_buttons()
                return
            failed = self._failure_lines(action, result.failed)
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
                for control in (f.severity, f.type, f.symbol, f.rule):
                    control.value = ""
                f.strategy_id.value = ""
                f.created_from.value = None
                f.created_to.value = None
                f.text.value = f"id:{alert.alert_id}"
                self.pick = []
                self.table.page = 0
                self.table.selection = []
                self.table.group_selection = []
                self.table.expanded = [] if self.group_by is None else [self._key_of(alert)]
            self.table.cursor = alert.alert_id
            self.table.focused = alert.alert_id
            total = self._reload_or_report()
            self._show_detail()
            if total is not None:
                self._say([f"showing alert {alert.rule} \u00b7 {self._label(alert)}"])

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
        for name in ("table", "header", "status_line", "detail", "grouping"):
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
        mine = {k: v for k, v in changes.items() if k in _FRONT_END_TRAITS}
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
            if _RELOADING & set(changes):
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
        try:
            filt = self._filter()
        except AlertkitError as exc:
            self._say([], [str(exc)])
            return None
        table, now, group_by = self.table, self._now(), self._grouped()
        scan = self.manager.scan_alerts()

        def page_at(page: int) -> pl.LazyFrame:
            if group_by is not None:
                return groups_query(scan, filt, group_by, page=page, page_size=table.page_size)
            return page_query(
                scan,
                filt,
                sort_by=table.sort_by,
                descending=table.sort_desc,
                page=page,
                page_size=table.page_size,
            )

        queries = [page_at(table.page), total_query(scan, filt), counts_query(scan, filt, now)]
        if group_by is not None:
            queries.append(groups_total_query(scan, filt, group_by))
        if table.focused:
            queries.append(matches_query(scan, filt, table.focused))
        frames = pl.collect_all(queries)
        page, total, counts = frames[:3]
        matching = int(total.item())
        units = int(frames[3].item()) if group_by is not None else matching
        focused_matches = bool(frames[-1].item()) if table.focused else False
        last_page = max(0, (units - 1) // table.page_size)
        with self._quietly():
            if table.page > last_page:  # rows went away (or the page size grew)
                table.page = last_page
                page = page_at(last_page).collect()
            if group_by is None:
                rows = page_rows(page, now)
            else:
                rows = self._group_rows(scan, filt, group_by, page, now)
            table.empty_text = NO_MATCH
            table.groups_total = units if group_by is not None else 0
            table.total = matching
            table.highlight = list(filt.search.highlights)
            table.rows = rows
            visible = set(table.page_ids)
            groups = set(table.page_groups)
            table.selection = [i for i in table.selection if i in visible]
            table.group_selection = [k for k in table.group_selection if k in groups]
            table.expanded = [k for k in table.expanded if k in groups]
            if table.focused and not focused_matches:
                table.focused = ""  # the detail panel never shows an alert the filters hide
            if table.cursor and table.cursor not in visible | {f"group:{k}" for k in groups}:
                table.cursor = ""
        if not table.focused:
            self._show_detail()
        self.header.value = counts_html(read_counts(counts.row(0, named=True)), matching)
        self._enable_buttons()
        return matching

    def _group_rows(
        self,
        scan: pl.LazyFrame,
        filt: BoardFilter,
        group_by: GroupBy,
        groups: pl.DataFrame,
        now: datetime,
    ) -> list[dict[str, str]]:
        """Group rows, each open group followed by its first page of alerts."""
        table = self.table
        keys = groups["key"].to_list()
        open_keys = [k for k in table.expanded if k in keys]
        members = pl.collect_all(
            [
                page_query(
                    scan,
                    filt,
                    sort_by=table.sort_by,
                    descending=table.sort_desc,
                    page_size=table.page_size,
                    where=self._in_group(group_by, key),
                )
                for key in open_keys
            ]
        )
        inside = dict(zip(open_keys, members, strict=True))
        rows: list[dict[str, str]] = []
        for row in group_rows(groups, group_by, now, open_keys):
            rows.append(row)
            frame = inside.get(row["key"])
            if frame is None:
                continue
            rows += page_rows(frame, now, group=row["key"])
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

    @staticmethod
    def _in_group(group_by: GroupBy, key: str) -> pl.Expr:
        return group_key(group_by) == key

    def _key_of(self, alert: Alert) -> str:
        if self.group_by == "position":
            return "" if alert.strategy_id is None else str(alert.strategy_id)
        if self.group_by == "symbol":
            return alert.symbol or ""
        return alert.rule

    def _chosen_ids(self, action: Transition) -> list[str]:
        """The ticked alerts, then the alerts of ticked groups that can take ``action``."""
        ids = list(self.table.selection)
        keys = list(self.table.group_selection)
        group_by = self._grouped()
        if keys and group_by is not None:
            frame = group_ids_query(
                self.manager.scan_alerts(), self._filter(), group_by, keys, can_take(action)
            ).collect()
            seen = set(ids)
            ids += [i for i in frame["alert_id"].to_list() if i not in seen]
        return ids

    def _failure_lines(self, action: Transition, failed: Mapping[str, AlertkitError]) -> list[str]:
        """One line per alert the manager refused, naming it as a person would."""
        if not failed:
            return []
        try:
            found = labels_query(self.manager.scan_alerts(), list(failed)).collect()
        except AlertkitError:
            found = pl.DataFrame()
        labels = {
            row["alert_id"]: self._label_parts(row["rule"], row["symbol"], row["strategy_id"])
            for row in found.iter_rows(named=True)
        }
        return [
            f"could not {action.value} {labels.get(alert_id, f'alert {alert_id}')}: {_reason(exc)}"
            for alert_id, exc in failed.items()
        ]

    @staticmethod
    def _label_parts(rule: str, symbol: str | None, strategy_id: int | None) -> str:
        parts = [rule, symbol or "no symbol"]
        parts.append("no strategy" if strategy_id is None else f"strategy {strategy_id}")
        return " \u00b7 ".join(parts)

    def _label(self, alert: Alert) -> str:
        return self._label_parts(alert.rule, alert.symbol, alert.strategy_id).split(" \u00b7 ", 1)[
            1
        ]

    def _enable_buttons(self) -> None:
        """Each action button is enabled when some ticked alert or group can take it."""
        table = self.table
        statuses = {r["status"] for r in table.rows if r.get("alert_id") in set(table.selection)}
        chosen = set(table.group_selection)
        for row in table.rows:
            if row.get("kind") == "group" and row["key"] in chosen:
                statuses |= {s for s in ("active", "acknowledged") if int(row[s])}
        for action, button in zip(Transition, self.controls.buttons(), strict=True):
            button.disabled = not statuses & set(can_take(action))

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
            self.detail.value = detail_html(alert, now)

    def _say(self, info: Sequence[str], errors: Sequence[str] = ()) -> None:
        self.status_line.value = status_html(info, errors)
