"""Rules over a frame of snapshots: the same decisions as the engine, a million rows at a time.

:func:`evaluate_frame` normalises and validates the frame exactly as the engine normalises
one snapshot, adds the trailing-stop peak (:func:`peak_upl_expr`) and the first-match decision
columns (:func:`first_match_expr`). :func:`decision_from_row` turns an evaluated row into the
:class:`Decision` the engine returns for that snapshot, reason and metadata included.

Under the first match lie the per-rule *match columns* (:func:`match_exprs`): for each rule,
which of its triggers it would fire on the row were it the only rule (null: none). The
decision is the first of them in engine order (:func:`decide_matched`), so a frame can keep
them to see every rule that matched, not only the winner (:func:`with_all_matches`,
priority shadowing), or re-evaluate one rule and decide again without touching the others
(a threshold sweep).

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

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any, Final, TypeVar, overload

import polars as pl

from alertkit.model.decisions import Decision, DecisionAction, Urgency
from alertkit.model.errors import ValidationError
from alertkit.model.snapshot_frames import normalize_frame, validate_frame
from alertkit.model.snapshot_rows import PEAK_COLUMN
from alertkit.rules.base import Rule, Trigger, bind_by_name, in_order
from alertkit.rules.compile_polars import to_polars
from alertkit.rules.conditions import Expr

__all__ = [
    "ALL_MATCHES",
    "DECISION_COLUMNS",
    "decide_matched",
    "decision_from_row",
    "evaluate_frame",
    "first_match_expr",
    "match_column",
    "match_exprs",
    "match_frame",
    "matched_trigger_expr",
    "ordered_rules",
    "peak_upl_expr",
    "with_all_matches",
]

DECISION_COLUMNS: Final = ("trigger", "engine_rule", "priority", "action", "urgency")
"""Columns :func:`evaluate_frame` adds (besides the peak); ``trigger`` null means HOLD."""

ALL_MATCHES: Final = "matched"
"""The column :func:`with_all_matches` adds: the trigger ids of every rule that matched."""

_ROW_INDEX: Final = "__alertkit_row"
_DECISION: Final = "__alertkit_decision"
_MATCH: Final = "__alertkit_match"
_MATCH_PREFIX: Final = "match_"

_Frame = TypeVar("_Frame", pl.DataFrame, pl.LazyFrame)


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


def ordered_rules(rules: Iterable[Rule]) -> list[Rule]:
    """``rules`` as a frame evaluation runs them: bound by name, in engine order.

    Raises
    ------
    ValidationError
        Two rules with one name (the engine would keep only the later one).
    """
    ordered = in_order(bind_by_name(rules))
    names = [rule.name for rule in ordered]
    if len(set(names)) != len(names):
        raise ValidationError(f"rules: expected distinct names, got {names}")
    return ordered


def _trigger_pairs(rules: Iterable[Rule]) -> _TriggerPairs:
    return [(rule, trigger) for rule in ordered_rules(rules) for trigger in rule.triggers]


def _first_match_index(pairs: _TriggerPairs) -> pl.Expr:
    """The position in ``pairs`` of the first trigger that fires (null: none fires)."""
    return _first_firing(trigger for _, trigger in pairs)


def _first_firing(triggers: Iterable[Trigger]) -> pl.Expr:
    return pl.coalesce(  # keeps the first non-null, i.e. the first trigger that fires
        [
            pl.when(to_polars(trigger.when.is_true())).then(pl.lit(i, dtype=pl.UInt32))
            for i, trigger in enumerate(triggers)
        ]
    )


def match_column(rule: str) -> str:
    """The name of rule ``rule``'s match column (see :func:`match_exprs`)."""
    return f"{_MATCH_PREFIX}{rule}"


def match_exprs(rules: Iterable[Rule]) -> list[pl.Expr]:
    """One column per rule (named :func:`match_column`), in engine order: the index, among
    the rule's own triggers, of the first one that fires on the row (UInt32; null: none).

    That is the rule evaluated on its own, as :meth:`Rule.match` does one snapshot; rules
    are bound by name first (:func:`ordered_rules`), so ``dte_roll`` gives way to the
    ``gamma_risk`` and ``time_exit`` of ``rules``. The frame needs the ``ROW_SCHEMA`` columns.
    """
    return [_rule_match(rule) for rule in ordered_rules(rules)]


def _rule_match(rule: Rule) -> pl.Expr:
    return _first_firing(rule.triggers).alias(match_column(rule.name))


def _matched_index(rules: list[Rule]) -> pl.Expr:
    """The first-match index into the rules' trigger pairs, from their match columns.

    The same number :func:`_first_match_index` gives: the first rule that matched, in
    engine order, and within it the trigger its match column names.
    """
    parts, offset = [], 0
    for rule in rules:
        parts.append(pl.col(match_column(rule.name)) + pl.lit(offset, dtype=pl.UInt32))
        offset += len(rule.triggers)
    return pl.coalesce(parts) if parts else pl.lit(None, dtype=pl.UInt32)


def matched_trigger_expr(rules: Iterable[Rule], only: Collection[str] | None = None) -> pl.Expr:
    """The ``trigger`` column :func:`decide_matched` gives, from the match columns alone;
    with ``only`` (rule names), null also where the deciding rule is not one of them.

    Cheaper than the five decision columns when only alert identity is wanted, e.g. the
    alerts of one swept rule.
    """
    ordered = ordered_rules(rules)
    ids = [
        t.id if only is None or rule.name in only else None
        for rule in ordered
        for t in rule.triggers
    ]
    return pl.lit(pl.Series(ids, dtype=pl.String())).gather(_matched_index(ordered))


def with_all_matches(frame: _Frame, rules: Iterable[Rule]) -> _Frame:
    """``frame`` (with the match columns of ``rules``) plus :data:`ALL_MATCHES`: every rule
    that matched the row, as the list of their trigger ids in engine order (List[String];
    empty on a HOLD row).

    Each rule contributes the trigger it would fire on its own (the first of its triggers
    that fires), so the winner is the list's first element and the rest are the rules it
    shadows: rules that would have decided this row had they run first. A history has few
    distinct combinations of matches (a few hundred in a million rows), so the lists are
    made once per combination and joined on; building them row by row in polars
    (``concat_list`` of a dozen columns) is some twenty times slower. A ``LazyFrame`` is
    collected once to find the combinations.
    """
    ordered = ordered_rules(rules)
    lf = frame.lazy().drop(ALL_MATCHES, strict=False)
    columns = [match_column(rule.name) for rule in ordered]
    if not columns:
        out = lf.with_columns(pl.lit([], dtype=pl.List(pl.String)).alias(ALL_MATCHES))
    else:
        combinations = lf.select(columns).unique().collect()
        lists = [
            [rule.triggers[i].id for rule, i in zip(ordered, row, strict=True) if i is not None]
            for row in combinations.iter_rows()
        ]
        table = combinations.with_columns(pl.Series(ALL_MATCHES, lists, pl.List(pl.String)))
        out = lf.join(table.lazy(), on=columns, how="left", nulls_equal=True, maintain_order="left")
    return out.collect() if isinstance(frame, pl.DataFrame) else out


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
    out = decide_matched(match_frame(frame.lazy(), rules, order_by, prior_peaks), rules)
    out = out.drop(match_column(rule.name) for rule in ordered_rules(rules))
    return out.collect() if isinstance(frame, pl.DataFrame) else out


def match_frame(
    frame: _Frame,
    rules: Iterable[Rule],
    order_by: str | None = "as_of",
    prior_peaks: Mapping[int, float] | None = None,
) -> _Frame:
    """The first half of :func:`evaluate_frame`: the normalised, validated frame with the
    peak and every rule's match column (:func:`match_exprs`), not yet decided.

    Same parameters and errors as :func:`evaluate_frame`; :func:`decide_matched` on the
    result then gives its decisions (with the match columns kept).
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
    out = peaks.with_columns(match_exprs(rules))
    return out.collect() if isinstance(frame, pl.DataFrame) else out


def decide_matched(frame: _Frame, rules: Iterable[Rule]) -> _Frame:
    """``frame`` (with the match columns of ``rules``) plus :data:`DECISION_COLUMNS`: the
    first rule that matched, in engine order, and its trigger; as :func:`evaluate_frame`.

    Only the match columns are read, so a frame from :func:`match_frame` whose column for
    one rule was recomputed (``frame.with_columns(match_exprs([changed]))``) is decided as
    if every rule had been evaluated again.
    """
    ordered = ordered_rules(rules)
    pairs = [(rule, trigger) for rule in ordered for trigger in rule.triggers]
    return (
        frame.drop(DECISION_COLUMNS, strict=False)
        .with_columns(_matched_index(ordered).alias(_MATCH))
        .with_columns(_decision_struct(pairs, pl.col(_MATCH)).alias(_DECISION))
        .drop(_MATCH)
        .unnest(_DECISION)
    )


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
