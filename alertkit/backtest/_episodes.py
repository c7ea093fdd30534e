"""Adverse rows, adverse episodes, and each alert's first adverse row after it.

The ``adverse`` expression of :func:`alertkit.backtest.scores.scores` is evaluated in two
contexts, over the same snapshot rows (one row per position per instant):

- for the episodes recall counts, once per row, with :data:`REFERENCE` bound to the
  position's peak ``upl_pct`` so far (``peak_upl_pct``);
- for an alert, over the rows of its position in ``(created_at, created_at + horizon]``,
  with :data:`REFERENCE` bound to ``upl_pct`` at the alert's own row.

An expression that does not read :data:`REFERENCE` gives the same flags in both, and is then
evaluated once. The default (:func:`adverse_move`) falls "from the reference": a fall from
the alert's value is also a fall from the peak (the peak is never below the value at an
alert before it), so every row an alert finds adverse lies in an episode. A null flag (an
input not known) is not adverse.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

import polars as pl

from alertkit.model.snapshot_rows import PEAK_COLUMN

__all__ = ["REFERENCE", "adverse_episodes", "adverse_move", "first_adverse"]

REFERENCE: Final = "reference_upl_pct"
"""The column an ``adverse`` expression may read for "the value it falls from"."""

_FLAG: Final = "_adverse"


def adverse_move(drop: float = 0.25, stop_loss: float = -2.0) -> pl.Expr:
    """The default ``adverse``: ``upl_pct <= reference - drop`` or ``upl_pct <= stop_loss``.

    ``drop`` is in fractions of the premium (0.25: 25 percentage points of ``upl_pct``);
    ``stop_loss`` defaults to the ``stop_loss`` rule's hard stop (-2.00). The reference is
    ``upl_pct`` at the alert when an alert is judged, the position's peak for episodes
    (module docstring). Both comparisons inclusive; null ``upl_pct`` is not adverse.
    """
    upl = pl.col("upl_pct")
    return (upl <= pl.col(REFERENCE) - drop) | (upl <= stop_loss)


def reads_reference(adverse: pl.Expr) -> bool:
    return REFERENCE in adverse.meta.root_names()


def flagged(rows: pl.LazyFrame, adverse: pl.Expr, reference: pl.Expr) -> pl.LazyFrame:
    """``rows`` with the Boolean column ``_adverse`` (null counts as False)."""
    return (
        rows.with_columns(reference.alias(REFERENCE))
        .with_columns(adverse.fill_null(False).alias(_FLAG))
        .drop(REFERENCE)
    )


def adverse_episodes(rows: pl.LazyFrame, adverse: pl.Expr) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """The rows flagged (reference: the peak) with ``_episode_last_at`` (the last row of the
    episode an adverse row is in, null on other rows), and the episodes: ``strategy_id``,
    ``first_at``, ``last_at`` and the ``regime`` of the episode's first row.

    ``rows`` must be sorted by (strategy_id, as_of): an episode is a maximal run of adverse
    rows of one position in that order.
    """
    flags = flagged(rows, adverse, pl.col(PEAK_COLUMN))
    starts = pl.col(_FLAG) & ~pl.col(_FLAG).shift(1, fill_value=False).over("strategy_id")
    flags = flags.with_columns(_episode=starts.cum_sum().over("strategy_id"))
    in_episode = pl.col(_FLAG)
    last_at = pl.col("as_of").filter(in_episode).max().over("strategy_id", "_episode")
    flags = flags.with_columns(
        _episode_last_at=pl.when(in_episode).then(last_at),
    )
    episodes = (
        flags.filter(in_episode)
        .group_by("strategy_id", "_episode")
        .agg(
            first_at=pl.col("as_of").first(),
            last_at=pl.col("as_of").last(),
            regime=pl.col("regime").first(),
        )
        .drop("_episode")
    )
    return flags, episodes


def first_adverse(
    alerts: pl.LazyFrame,
    rows: pl.LazyFrame,
    adverse: pl.Expr,
    horizon: timedelta,
) -> pl.LazyFrame:
    """Per alert (``alert_id``, ``strategy_id``, ``created_at``, ``upl_at_alert``, ``_row``:
    its own row's index in ``rows``), ``first_adverse_at`` and ``_episode_last_at`` of the
    first adverse row in ``(created_at, created_at + horizon]`` (null if none).

    ``rows`` are the flagged rows of :func:`adverse_episodes`, sorted by (strategy_id, as_of)
    with a ``_row`` index; they keep their flags when ``adverse`` does not read
    :data:`REFERENCE`, and are re-evaluated against each alert's value otherwise.
    """
    if not reads_reference(adverse):
        # One pass: each row learns the next adverse row of its position after it.
        next_at = (pl.when(pl.col(_FLAG)).then(pl.col("as_of")).shift(-1).backward_fill()).over(
            "strategy_id"
        )
        next_last = (
            pl.when(pl.col(_FLAG)).then(pl.col("_episode_last_at")).shift(-1).backward_fill()
        ).over("strategy_id")
        ahead = rows.select("_row", _next_at=next_at, _next_last=next_last)
        within = pl.col("_next_at") <= pl.col("created_at") + horizon
        return (
            alerts.join(ahead, on="_row", how="left")
            .with_columns(
                first_adverse_at=pl.when(within).then(pl.col("_next_at")),
                _episode_last_at=pl.when(within).then(pl.col("_next_last")),
            )
            .drop("_next_at", "_next_last")
        )
    # Against each alert's own value: the rows of its horizon, one copy per alert.
    stamps = rows.select("strategy_id", "as_of", _end_row="_row")
    ends = (
        alerts.select("alert_id", "strategy_id", _end_at=pl.col("created_at") + horizon)
        .sort("_end_at")
        .join_asof(
            stamps.sort("as_of"),
            left_on="_end_at",
            right_on="as_of",
            by="strategy_id",
            strategy="backward",
            check_sortedness=False,  # both sides are sorted by time just above
        )
        .select("alert_id", "_end_row")
    )
    pairs = (
        alerts.select("alert_id", "_row", "upl_at_alert")
        .join(ends, on="alert_id", how="left")
        .with_columns(_at=pl.int_ranges(pl.col("_row") + 1, pl.col("_end_row") + 1))
        .explode("_at")
        .drop_nulls("_at")
        .select("alert_id", "upl_at_alert", _row=pl.col("_at").cast(pl.UInt32))
        .join(rows.drop(_FLAG), on="_row", how="inner")
    )
    found = (
        flagged(pairs, adverse, pl.col("upl_at_alert"))
        .filter(pl.col(_FLAG))
        .group_by("alert_id")
        .agg(
            first_adverse_at=pl.col("as_of").min(),
            _episode_last_at=pl.col("_episode_last_at").sort_by("as_of").first(),
        )
    )
    return alerts.join(found, on="alert_id", how="left")
