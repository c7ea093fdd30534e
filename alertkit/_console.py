"""Alert rows printed for a terminal: what ``alertkit list`` and ``alertkit demo`` show."""

from __future__ import annotations

from typing import Final

import polars as pl

__all__ = ["BOARD_COLUMNS", "print_board"]

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


def print_board(frame: pl.DataFrame, *, rows: int = 40) -> None:
    """Print alert rows as a readable table (the columns a trader scans first)."""
    with pl.Config(
        tbl_rows=rows,
        tbl_cols=len(BOARD_COLUMNS),
        fmt_str_lengths=48,
        tbl_width_chars=240,
        tbl_hide_dataframe_shape=True,
        tbl_hide_column_data_types=True,
        tbl_formatting="ASCII_MARKDOWN",
    ):
        print(frame.select([c for c in BOARD_COLUMNS if c in frame.columns]))
