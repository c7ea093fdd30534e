"""The board's silences panel: the active (and pending) silences, each with an Expire button.

:class:`SilencesPanel` draws the frame ``manager.list_silences()`` returns, one line per
silence: its matchers as they are written on the command line (``rule=~vix_.*, symbol!=SPY``),
until when, who made it and why, and how much it has suppressed so far. The board reads the
frame and says what an Expire click calls; this module only draws. A silence's comment and
author are text from people: escaped like every alert field.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from html import escape
from typing import Any, Final

import ipywidgets as w
import polars as pl

from alertkit.policy import Matchers
from alertkit.widgets._render import format_ago, format_time, plural

__all__ = ["NO_SILENCES", "SilencesPanel", "silence_line"]

NO_SILENCES: Final = "No active silences."


def _relative(instant: datetime, now: datetime) -> str:
    # A silence's start and end may be still to come: "in 2 h" is meant here.
    return format_ago(instant, now, may_be_future=True)


def silence_line(row: dict[str, Any], now: datetime) -> str:
    """One silence as the panel's HTML line (escaped)."""
    matchers = str(Matchers.from_json(row["matchers"]))
    ends: datetime = row["ends_at"]
    if row["state"] == "pending":
        starts: datetime = row["starts_at"]
        when = (
            f"starts {format_time(starts, seconds=False)} ({_relative(starts, now)}),"
            f" until {format_time(ends, seconds=False)}"
        )
    else:
        when = f"until {format_time(ends, seconds=False)} ({_relative(ends, now)})"
    counts = (
        f"hid {plural(int(row['suppressed_alerts'] or 0), 'alert')},"
        f" muted {plural(int(row['suppressed_notifications'] or 0), 'notification')}"
    )
    return (
        f'<span class="alertkit-silence-matchers">{escape(matchers)}</span>'
        f' \u00b7 <span class="alertkit-silence-when">{escape(when)}</span>'
        f' \u00b7 <span class="alertkit-silence-by">by {escape(str(row["created_by"]))}:'
        f" {escape(str(row['comment']))}</span>"
        f' \u00b7 <span class="alertkit-silence-counts">{escape(counts)}</span>'
    )


class SilencesPanel:
    """The silences a board shows; ``container`` is the widget to lay out.

    ``expire_buttons`` maps each shown silence's id to its Expire button (click it from
    Python as a person would in the browser); ``on_expire(silence_id)`` is what a click calls.
    """

    def __init__(self, on_expire: Callable[[str], None]) -> None:
        self.on_expire = on_expire
        # A Label: plain text, never parsed as markup (only the lines are HTML, escaped).
        self.title = w.Label().add_class("alertkit-silences-title")
        self.lines = w.VBox().add_class("alertkit-silences-lines")
        self.container = w.VBox([self.title, self.lines]).add_class("alertkit-silences")
        self.expire_buttons: dict[str, Any] = {}
        self.show(None)

    @property
    def silence_ids(self) -> list[str]:
        """The ids of the silences shown, in order."""
        return list(self.expire_buttons)

    def show(self, silences: pl.DataFrame | None, now: datetime | None = None) -> None:
        """Draw ``silences`` (the columns of ``list_silences``; ``now`` for "in 2 h");
        None draws none."""
        self._close_lines()
        lines = []
        rows = [] if silences is None or now is None else silences.to_dicts()
        for row in rows:
            silence_id = str(row["silence_id"])
            button = w.Button(
                description="Expire",
                tooltip=f"End silence {silence_id} now",
                layout=w.Layout(width="auto"),
            ).add_class("alertkit-silence-expire")
            button.on_click(lambda _b, sid=silence_id: self.on_expire(sid))
            self.expire_buttons[silence_id] = button
            assert now is not None  # rows are read only with a now
            text = w.HTML(silence_line(row, now)).add_class("alertkit-silence-line")
            line = w.HBox([button, text], layout=w.Layout(align_items="center"))
            lines.append(line.add_class("alertkit-silence"))
        self.title.value = f"Silences ({len(rows)})" if rows else NO_SILENCES
        self.title.remove_class("alertkit-silences-error")
        self.lines.children = lines

    def unreadable(self, exc: BaseException) -> None:
        """Say the silences could not be read (the rest of the board is drawn as usual)."""
        self.show(None)
        first = (str(exc).splitlines() or [""])[0]
        self.title.value = f"could not read the silences: {type(exc).__name__}: {first}"[:300]
        self.title.add_class("alertkit-silences-error")

    def _close_lines(self) -> None:
        for line in self.lines.children:
            for child in line.children:
                child.close()
            line.close()
        self.expire_buttons = {}

    def close(self) -> None:
        self._close_lines()
        for widget in (self.title, self.lines, self.container):
            widget.close()
