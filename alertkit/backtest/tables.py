"""Frames that print whole: what :meth:`BacktestResult.summary` and :func:`sweep` return.

polars prints at most 8 columns and 100 characters by default, so ``print(result.summary())``
hid the columns in the middle and cut the names of the others. A :class:`SummaryFrame` is a
plain :class:`polars.DataFrame` (every operation on it returns an ordinary DataFrame) whose
``print()`` and ``repr()`` show every row and column, whatever ``pl.Config`` says.

Examples
--------
>>> import polars as pl
>>> wide = summary_frame(pl.DataFrame({f"column_{i}": [i] for i in range(10)}))
>>> "column_5" in str(wide), "column_5" in str(pl.DataFrame(wide))
(True, False)
"""

from __future__ import annotations

from typing import Final

import polars as pl

__all__ = ["SummaryFrame", "summary_frame"]

_WIDTH_CHARS: Final = 1_000  # wide enough for any summary; a terminal wraps what it must


class SummaryFrame(pl.DataFrame):
    """A :class:`polars.DataFrame` that prints every row and column (no ``…``)."""

    def __str__(self) -> str:
        with pl.Config(tbl_rows=-1, tbl_cols=-1, tbl_width_chars=_WIDTH_CHARS, fmt_str_lengths=80):
            return super().__str__()

    def __repr__(self) -> str:
        return str(self)


def summary_frame(frame: pl.DataFrame) -> SummaryFrame:
    """``frame``'s data (not copied) as a :class:`SummaryFrame`."""
    return SummaryFrame._from_pydf(frame._df)  # type: ignore[return-value]
