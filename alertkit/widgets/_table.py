"""The board's alert table: an anywidget that draws one page of rows sent from Python.

The front end (``table.js``) only draws and reports clicks: every cell is set with
``textContent``, so alert text containing markup shows as text. Everything it can change is a
synced trait, so Python (and a test) can do the same by setting the trait.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anywidget
import traitlets

from alertkit.widgets._query import COLUMNS, PAGE_SIZES, SORTABLE

__all__ = ["AlertTable"]

_HERE = Path(__file__).parent
NO_MATCH = "No alerts match these filters."


class AlertTable(anywidget.AnyWidget):
    """A page of alerts (or of groups of alerts) with row selection, select-all-on-page, a
    cursor, a focused row and sorting; keyboard triage inside it (``table.js``).

    Traits (all synced with the front end)
    --------------------------------------
    rows : list of dict
        The visible page: alert rows (``kind`` "alert", key ``alert_id`` included, ``group``
        the group they are shown under) and, when grouped, group rows (``kind`` "group",
        ``key``, ``label``, ``summary``) each followed by its alerts when expanded.
    columns : list of dict
        ``key``, ``label``, ``sortable``, ``desc_first``, ``width``, ``hover``, ``sub`` for
        each column, in order.
    selection : list of str
        Ticked alert ids; the board keeps it within the visible page.
    group_by : str
        "" or the grouping the rows show (position, rule, symbol).
    expanded, group_selection : list of str
        Group keys shown open, and ticked groups (an action applies to all their alerts).
    cursor : str
        The row the keyboard is on: an alert id, or ``group:<key>``.
    focused : str
        The alert id whose details are shown ("" for none).
    highlight : list of str
        Words to mark in the text cells (the search's free words and symbols).
    sort_by, sort_desc
        Sort column (a sortable column key) and direction.
    page, page_size, total, groups_total
        Zero-based page number, rows (or groups) per page (25, 50 or 100), matching alerts
        in all and, when grouped, how many groups they form.
    empty_text
        What the table says when it has no rows.

    Keyboard messages (``{"type": "act", "action": ...}``) arrive through ``on_msg``.
    """

    _esm = _HERE / "table.js"
    _css = _HERE / "board.css"

    rows = traitlets.List(traitlets.Dict()).tag(sync=True)
    columns = traitlets.List(traitlets.Dict(), default_value=[c.spec() for c in COLUMNS]).tag(
        sync=True
    )
    selection = traitlets.List(traitlets.Unicode()).tag(sync=True)
    group_by = traitlets.Unicode("").tag(sync=True)
    expanded = traitlets.List(traitlets.Unicode()).tag(sync=True)
    group_selection = traitlets.List(traitlets.Unicode()).tag(sync=True)
    cursor = traitlets.Unicode("").tag(sync=True)
    focused = traitlets.Unicode("").tag(sync=True)
    highlight = traitlets.List(traitlets.Unicode()).tag(sync=True)
    empty_text = traitlets.Unicode(NO_MATCH).tag(sync=True)
    sort_by = traitlets.Unicode("created_at").tag(sync=True)
    sort_desc = traitlets.Bool(True).tag(sync=True)
    page = traitlets.Int(0).tag(sync=True)
    page_size = traitlets.Int(PAGE_SIZES[0]).tag(sync=True)
    total = traitlets.Int(0).tag(sync=True)
    groups_total = traitlets.Int(0).tag(sync=True)

    @traitlets.validate("sort_by")
    def _check_sort_by(self, proposal: dict[str, Any]) -> str:
        value: str = proposal["value"]
        if value not in SORTABLE:
            raise traitlets.TraitError(
                f"sort_by: expected one of {sorted(SORTABLE)}, got {value!r}"
            )
        return value

    @traitlets.validate("page_size")
    def _check_page_size(self, proposal: dict[str, Any]) -> int:
        value: int = proposal["value"]
        if value not in PAGE_SIZES:
            raise traitlets.TraitError(f"page_size: expected one of {PAGE_SIZES}, got {value!r}")
        return value

    @traitlets.validate("page")
    def _check_page(self, proposal: dict[str, Any]) -> int:
        value: int = proposal["value"]
        if value < 0:
            raise traitlets.TraitError(f"page: expected >= 0, got {value}")
        return value

    @property
    def page_ids(self) -> list[str]:
        """The alert ids on the visible page, in display order."""
        return [row["alert_id"] for row in self.rows if row.get("kind", "alert") == "alert"]

    @property
    def page_groups(self) -> list[str]:
        """The group keys on the visible page, in display order."""
        return [row["key"] for row in self.rows if row.get("kind") == "group"]

    def select_page(self) -> None:
        """Tick every alert (or, grouped, every group) on the visible page, as the header
        checkbox does."""
        if self.group_by:
            self.group_selection = self.page_groups
        else:
            self.selection = self.page_ids
