"""Trailing-stop peaks: the running maximum of ``upl_pct`` per position, kept between calls.

The engine (one snapshot at a time) and the monitoring cycle (a frame at a time) both keep
their peaks in a :class:`PeakBook`, so evaluating a position's snapshots one by one, in
frames, or mixed gives the same peaks as a replay of its whole history
(:func:`alertkit.rules.peak_upl_expr`).

Beside each peak the book keeps the instant of the position's latest snapshot seen in a
frame, so a cycle that carries the whole book can date the resolution of a position that
left it at that position's last snapshot, as a backtest does.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import polars as pl

from alertkit.model.snapshot_rows import PEAK_COLUMN

__all__ = ["PeakBook"]


class PeakBook:
    """``strategy_id -> peak upl_pct`` of every position seen since the last reset.

    A CLOSE *decision* does not reset a peak (a decision is advice; the position may stay
    open): call :meth:`reset` when a position really closes.
    """

    __slots__ = ("_last", "_peaks")

    def __init__(self) -> None:
        self._peaks: dict[int, float] = {}
        self._last: dict[int, datetime] = {}

    def get(self, strategy_id: int) -> float | None:
        return self._peaks.get(strategy_id)

    def observe(self, strategy_id: int | None, upl_pct: float | None) -> float | None:
        """Take one snapshot's ``upl_pct`` into account; returns the peak to decide on."""
        if strategy_id is None:  # no identity, no history: the peak is this snapshot alone
            return upl_pct
        peak = self._peaks.get(strategy_id)
        if upl_pct is not None and (peak is None or upl_pct > peak):
            self._peaks[strategy_id] = peak = upl_pct
        return peak

    def prior(self) -> Mapping[int, float]:
        """The peaks held now, to seed a frame's running maximum."""
        return dict(self._peaks)

    def last_snapshots(self) -> Mapping[int, datetime]:
        """``strategy_id -> as_of`` of each position's latest snapshot seen in a frame."""
        return dict(self._last)

    def observe_frame(self, decided: pl.DataFrame) -> None:
        """Keep each position's last peak of an evaluated frame (time order), and the instant
        of its latest snapshot."""
        seen = (
            decided.filter(pl.col("strategy_id").is_not_null())
            .group_by("strategy_id")
            .agg(pl.col("as_of").max())
        )
        for strategy_id, as_of in seen.iter_rows():
            before = self._last.get(strategy_id)
            if as_of is not None and (before is None or as_of > before):
                self._last[strategy_id] = as_of
        last = (
            decided.filter(pl.col("strategy_id").is_not_null() & pl.col(PEAK_COLUMN).is_not_null())
            .group_by("strategy_id")
            .agg(pl.col(PEAK_COLUMN).max())
        )
        for strategy_id, peak in last.iter_rows():
            self._peaks[strategy_id] = peak

    def reset(self, strategy_id: int | None = None) -> None:
        """Forget the peak of one position (call it when the position closes), or of all."""
        if strategy_id is None:
            self._peaks.clear()
            self._last.clear()
        else:
            self._peaks.pop(strategy_id, None)
            self._last.pop(strategy_id, None)
