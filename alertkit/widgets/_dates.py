"""A date field that reads and shows ISO dates (``2026-01-05``), whatever the browser's locale.

ipywidgets' ``DatePicker`` is an ``<input type="date">``, which Chromium draws in the
browser's locale (``mm/dd/yyyy`` in an en-US browser) and no page setting changes; the board
shows every other date as ISO. :class:`IsoDateInput` is a text box instead: it shows
``YYYY-MM-DD`` and accepts only that.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Final

import ipywidgets as w
import traitlets

__all__ = ["ISO_PLACEHOLDER", "IsoDateInput"]

ISO_PLACEHOLDER: Final = "YYYY-MM-DD"


class IsoDateInput(w.HBox):  # type: ignore[misc]  # ipywidgets is untyped
    """A ``YYYY-MM-DD`` text box with a ``value`` like a ``DatePicker``'s: a date or None.

    Setting ``value`` from Python shows it; typing an ISO date (or clearing the box) sets
    it. Text that is not an ISO date leaves ``value`` None and sets ``error`` (what to fix),
    which the board reports; ``error`` is "" otherwise.
    """

    value = traitlets.Instance(date, allow_none=True)
    error = traitlets.Unicode("")

    def __init__(self, description: str, width: str, **kwargs: Any) -> None:
        self.text = w.Text(
            placeholder=ISO_PLACEHOLDER,
            description=description,
            tooltip="a UTC date: YYYY-MM-DD (empty: any)",
            continuous_update=False,
            style={"description_width": "initial"},
            layout=w.Layout(width=width),
        )
        super().__init__([self.text], **kwargs)
        self._typing = False
        self.text.observe(self._typed, names="value")

    @traitlets.observe("value")
    def _show(self, change: dict[str, Any]) -> None:
        if not self._typing:
            new = change["new"]
            self.error = ""
            self.text.value = "" if new is None else new.isoformat()

    def _typed(self, change: dict[str, Any]) -> None:
        text = str(change["new"]).strip()
        try:
            parsed = date.fromisoformat(text) if text else None
            if text and len(text) != len("2026-01-05"):  # fromisoformat also takes 20260105
                raise ValueError(text)
        except ValueError:
            parsed = None
            name = self.text.description.lower()
            error = f"{name} date: expected {ISO_PLACEHOLDER}, got {text!r}"
        else:
            error = ""
        self._typing = True
        try:
            self.error = error  # first: a reload the value's change causes reports it
            self.value = parsed
        finally:
            self._typing = False
