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


class AlertTable(anywidget.AnyWidget):
    """A page of alerts with row selection, select-all-on-page, a focused row and sorting.

    Traits (all synced with the front end)
    --------------------------------------
    rows : list of dict
        The visible page, one dict of display strings per alert (key ``alert_id`` included).
    columns : list of dict
        ``key``, ``label``, ``sortable``, ``desc_first`` for each column, in order.
    selection : list of str
        Selected alert ids; the board keeps it within the visible page.
    focused : str
        The alert id whose details are shown ("" for none).
    sort_by, sort_desc
        Sort column (a sortable column key) and direction.
    page, page_size, total
        Zero-based page number, rows per page (25, 50 or 100) and matching alerts in all.
    """

    _esm = _HERE / "table.js"
    _css = _HERE / "board.css"

    rows = traitlets.List(traitlets.Dict()).tag(sync=True)
    columns = traitlets.List(traitlets.Dict(), default_value=[c.spec() for c in COLUMNS]).tag(
        sync=True
    )
    selection = traitlets.List(traitlets.Unicode()).tag(sync=True)
    focused = traitlets.Unicode("").tag(sync=True)
    sort_by = traitlets.Unicode("created_at").tag(sync=True)
    sort_desc = traitlets.Bool(True).tag(sync=True)
    page = traitlets.Int(0).tag(sync=True)
    page_size = traitlets.Int(PAGE_SIZES[0]).tag(sync=True)
    total = traitlets.Int(0).tag(sync=True)

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
        return [row["alert_id"] for row in self.rows]

    def select_page(self) -> None:
        """Select every alert on the visible page (the header checkbox does the same)."""
        self.selection = self.page_ids
