"""Rules over a frame of snapshots: the same decisions as the engine, a million rows at a time.

:func:`evaluate_frame` normalises and validates the frame exactly as the engine normalises
one snapshot, adds the trailing-stop peak (:func:`peak_upl_expr`) and the first-match decision
columns (:func:`first_match_expr`). :func:`decision_from_row` turns an evaluated row into the
:class:`Decision` the engine returns for that snapshot, reason and metadata included.

Examples
--------
>>> import polars as pl
>>> from alertkit.rules import default_rules
>>> frame = pl.DataFrame({"strategy_id": [1, 1], "strategy_type": ["iron_condor"] * 2,
...                       "upl_pct": [0.55, 0.81], "dte": [30, 29]})
>>> out = evaluate_frame(frame, default_rules(), order_by=None)
>>> out.select("trigger", "action", "urgency").rows()
[('take_profit_partial', 'reduce', 'normal'), ('take_profit_full', 'close', 'normal')]
>>> decision_from_row(out.row(1, named=True), default_rules()).reason
'Take profit: P&L 81.0% reached the 80% target'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final, overload

import polars as pl

from alertkit.model.decisions import Decision, DecisionAction, Urgency
from alertkit.model.errors import ValidationError
from alertkit.model.snapshot_frames import normalize_frame, validate_frame
from alertkit.model.snapshot_rows import PEAK_COLUMN
from alertkit.rules.base import Rule, Trigger, bind_by_name, in_order
from alertkit.rules.compile_polars import to_polars
from alertkit.rules.conditions import Expr

__all__ = [
    "DECISION_COLUMNS",
    "decision_from_row",
    "evaluate_frame",
    "first_match_expr",
    "peak_upl_expr",
]

DECISION_COLUMNS: Final = ("trigger", "engine_rule", "priority", "action", "urgency")
"""Columns :func:`evaluate_frame` adds (besides the peak); ``trigger`` null means HOLD."""

_ROW_INDEX: Final = "__alertkit_row"
_DECISION: Final = "__alertkit_decision"
_MATCH: Final = "__alertkit_match"


def peak_upl_expr(order_by: str | Sequence[str] | None = "as_of") -> pl.Expr:
    """The trailing-stop peak per row, as the engine keeps it (docs/domain.md §4).

    The running maximum of ``upl_pct`` per ``strategy_id`` in ``order_by`` order, up to and
    including the row; null ``upl_pct`` values are skipped (the peak carries over), and a row
    without ``strategy_id`` has no history, so its peak is its own ``upl_pct``. With
    ``order_by=None`` the frame's row order is the time order.
    """
    running = pl.col("upl_pct").cum_max().forward_fill()
    if order_by is None:
        per_position = running.over("strategy_id")
    else:
        per_position = running.over("strategy_id", order_by=order_by)
    return (
        pl.when(pl.col("strategy_id").is_null())
        .then(pl.col("upl_pct"))
        .otherwise(per_position)
        .alias(PEAK_COLUMN)
    )


def first_match_expr(rules: Iterable[Rule]) -> pl.Expr:
    """A struct of :data:`DECISION_COLUMNS`: the first trigger that fires, in engine order.

    Rules run in ascending priority (ties in the given order), triggers in their order; a row
    where nothing fires gets ``trigger``/``engine_rule``/``priority`` null, action ``hold``
    and urgency ``normal``. The frame needs the ``ROW_SCHEMA`` columns (see
    :func:`evaluate_frame`, which also validates and computes the index only once).
    """
    pairs = _trigger_pairs(rules)
    return _decision_struct(pairs, _first_match_index(pairs))


_TriggerPairs = list[tuple[Rule, Trigger]]


def _trigger_pairs(rules: Iterable[Rule]) -> _TriggerPairs:
    ordered = in_order(bind_by_name(rules))
    names = [rule.name for rule in ordered]
    if len(set(names)) != len(names):
        raise ValidationError(f"rules: expected distinct names, got {names}")
    return [(rule, trigger) for rule in ordered for trigger in rule.triggers]


def _first_match_index(pairs: _TriggerPairs) -> pl.Expr:
    """The position in ``pairs`` of the first trigger that fires (null: none fires)."""
    return pl.coalesce(  # keeps the first non-null, i.e. the first trigger that fires
        [
            pl.when(to_polars(trigger.when.is_true())).then(pl.lit(i, dtype=pl.UInt32))
            for i, (_, trigger) in enumerate(pairs)
        ]
    )


def _decision_struct(pairs: _TriggerPairs, index: pl.Expr) -> pl.Expr:
    """The decision columns looked up from a first-match ``index``.

    Evaluate the index once (a column) and pass ``pl.col`` of it: looking the constants up by
    index is far cheaper than carrying a five-column struct through ~20 ``when``s, but only
    if the index itself is not recomputed for every lookup.
    """

    def lookup(values: list[Any], dtype: pl.DataType, default: Any) -> pl.Expr:
        looked_up = pl.lit(pl.Series(values, dtype=dtype)).gather(index)
        return looked_up if default is None else looked_up.fill_null(pl.lit(default, dtype))

    urgency = lookup(
        [_constant_urgency(trigger) for _, trigger in pairs], pl.String(), Urgency.NORMAL.value
    )
    for i, (_, trigger) in enumerate(pairs):
        if _constant_urgency(trigger) is None:  # urgency depends on the row (a forced roll)
            urgency = (
                pl.when(index == i)
                .then(to_polars(trigger.urgency_expr()).cast(pl.String))
                .otherwise(urgency)
            )
    return pl.struct(
        trigger=lookup([t.id for _, t in pairs], pl.String(), None),
        engine_rule=lookup([r.name for r, _ in pairs], pl.String(), None),
        priority=lookup([float(r.priority) for r, _ in pairs], pl.Float64(), None),
        action=lookup([t.action.value for _, t in pairs], pl.String(), DecisionAction.HOLD.value),
        urgency=urgency,
    )


def _constant_urgency(trigger: Trigger) -> str | None:
    """The trigger's urgency when it does not depend on the row, else None."""
    urgency = trigger.urgency
    return None if isinstance(urgency, Expr) else Urgency(urgency).value


@overload
def evaluate_frame(
    frame: pl.DataFrame,
    rules: Iterable[Rule],
    *,
    order_by: str | None = "as_of",
    prior_peaks: Mapping[int, float] | None = None,
) -> pl.DataFrame: ...


@overload
def evaluate_frame(
    frame: pl.LazyFrame,
    rules: Iterable[Rule],
    *,
    order_by: str | None = "as_of",
    prior_peaks: Mapping[int, float] | None = None,
) -> pl.LazyFrame: ...


def evaluate_frame(
    frame: pl.DataFrame | pl.LazyFrame,
    rules: Iterable[Rule],
    *,
    order_by: str | None = "as_of",
    prior_peaks: Mapping[int, float] | None = None,
) -> pl.DataFrame | pl.LazyFrame:
    """Decide every snapshot of ``frame`` as a fresh engine replaying it in time order would.

    Parameters
    ----------
    frame
        One row per position per instant, columns as ``SNAPSHOT_SCHEMA`` (missing ones are
        null). Row order is kept.
    rules
        The rules to run, e.g. :func:`alertkit.rules.default_rules` with a changed threshold.
    order_by
        The time column for the trailing-stop peak; ties keep row order. ``None``: row order.
    prior_peaks
        Peaks held from before the frame (``strategy_id -> upl_pct``, a live
        :class:`~alertkit.rules.peaks.PeakBook`): each position's running maximum starts there.

    Returns
    -------
    The normalised frame plus ``peak_upl_pct`` and :data:`DECISION_COLUMNS`, eager or lazy
    as given (existing columns of those names are replaced).

    Raises
    ------
    ValidationError
        Values the engine would refuse (wrong units, unknown strategy type), checked before
        anything is decided; a ``LazyFrame`` is collected once for this check.
    """
    lf = normalize_frame(frame).drop(DECISION_COLUMNS, strict=False)
    validate_frame(lf)
    if order_by is None:
        peaks = lf.with_columns(peak_upl_expr(None))
    else:
        peaks = (
            lf.with_row_index(_ROW_INDEX)
            .with_columns(peak_upl_expr([order_by, _ROW_INDEX]))
            .drop(_ROW_INDEX)
        )
    if prior_peaks:
        prior = pl.col("strategy_id").replace_strict(
            list(prior_peaks), list(prior_peaks.values()), default=None, return_dtype=pl.Float64
        )
        peaks = peaks.with_columns(pl.max_horizontal(PEAK_COLUMN, prior).alias(PEAK_COLUMN))
    pairs = _trigger_pairs(rules)
    out = (
        peaks.with_columns(_first_match_index(pairs).alias(_MATCH))
        .with_columns(_decision_struct(pairs, pl.col(_MATCH)).alias(_DECISION))
        .drop(_MATCH)
        .unnest(_DECISION)
    )
    return out.collect() if isinstance(frame, pl.DataFrame) else out


def decision_from_row(row: Mapping[str, Any], rules: Iterable[Rule]) -> Decision:
    """The :class:`Decision` for one row of :func:`evaluate_frame`'s output.

    HOLD where ``trigger`` is null; otherwise the named rule's
    :meth:`Rule.decision_for`, equal to what the engine returns for that snapshot.
    """
    trigger = row.get("trigger")
    if trigger is None:
        return Decision.hold()
    for rule in rules:
        if rule.name == row.get("engine_rule"):
            return rule.decision_for(trigger, row)
    raise ValidationError(f"engine_rule: no rule named {row.get('engine_rule')!r} in rules")
