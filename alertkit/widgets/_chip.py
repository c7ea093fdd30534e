"""The chart filter, shown: a removable chip beside the board's filters.

A click on a chart bar (:meth:`~alertkit.widgets.TriageBoard.follow_chart`) filters the board
through its ``pick`` trait, which no filter control shows. The chip says what the chart
picked (``chart: rule = take_profit_full, severity = normal``, then a cross) and clicking it
clears the chart filter; it is hidden while there is none.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ipywidgets as w

__all__ = ["ChartChip", "chip_text"]


def chip_text(picks: Sequence[Mapping[str, str]]) -> str:
    """What the chip says for the chart's ``picks`` ("" for none).

    >>> chip_text([{"rule": "take_profit_full", "severity": "normal"}])
    'chart: rule = take_profit_full, severity = normal \u00d7'
    >>> chip_text([{"rule": "a", "severity": "high"}, {"rule": "b", "severity": "low"}])
    'chart: rule = a, severity = high or rule = b, severity = low \u00d7'
    """
    if not picks:
        return ""
    terms = " or ".join(f"rule = {p['rule']}, severity = {p['severity']}" for p in picks)
    return f"chart: {terms} \u00d7"


class ChartChip:
    """The chip's button: ``follow(observe, clear)`` connects it to the board's ``pick``."""

    def __init__(self) -> None:
        self.button = w.Button(
            description="",
            tooltip="Filtered by the chart: click to clear the chart filter",
            layout=w.Layout(width="auto", display="none"),
        ).add_class("alertkit-chart-chip")

    def follow(self, observe: Callable[..., Any], clear: Callable[[], None]) -> None:
        """Show the board's ``pick`` (``observe`` is the board's) and clear it on click."""
        observe(lambda change: self.show(change["new"]), names="pick")
        self.button.on_click(lambda _: clear())

    def show(self, picks: Sequence[Mapping[str, str]]) -> None:
        text = chip_text(picks)
        self.button.description = text
        self.button.layout.display = "" if text else "none"
