"""Rows printed for a terminal: the one table style of ``alertkit`` (Markdown), and the board.

Every table the CLI prints (``list``, ``history``, ``show``, ``notifications``, ``silence
list``) and the demo's board goes through :func:`print_table`, so they all read alike.
"""

from __future__ import annotations

from typing import Final

import polars as pl

__all__ = ["BOARD_COLUMNS", "print_board", "print_table"]

BOARD_COLUMNS: Final = [
    "created_at",
    "alert_id",
    "status",
    "severity",
    "type",
    "symbol",
    "strategy_id",
    "rule",
    "occurrences",
    "title",
]


def print_table(
    frame: pl.DataFrame, *, rows: int | None = None, str_lengths: int = 120, width: int = -1
) -> None:
    """Print ``frame`` as a Markdown table: every column, ``rows`` rows (default all).

    Full width by default (``width=-1``) and strings up to ``str_lengths`` characters, so an
    id is never cut short and can be pasted back into a command.
    """
    with pl.Config(
        tbl_rows=frame.height if rows is None else rows,
        tbl_cols=frame.width,
        fmt_str_lengths=str_lengths,
        tbl_width_chars=width,
        tbl_hide_dataframe_shape=True,
        tbl_hide_column_data_types=True,
        tbl_formatting="ASCII_MARKDOWN",
    ):
        print(frame)


def print_board(frame: pl.DataFrame, *, rows: int = 40) -> None:
    """Print alert rows as a readable table (the columns a trader scans first)."""
    shown = frame.select([c for c in BOARD_COLUMNS if c in frame.columns])
    print_table(shown, rows=rows, str_lengths=48, width=240)
