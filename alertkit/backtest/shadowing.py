"""Priority shadowing: which rules also matched a decision, and what moving a priority does.

The engine takes the first rule that fires, so a rule can match a snapshot and still not
decide it: an earlier rule *shadows* it. :func:`all_matches` lists, per decision, every rule
that matched (each by the trigger it would fire on its own, :func:`~alertkit.rules.vectorized.
match_exprs`); :func:`shadowing` counts, per rule, the snapshots it matched, decided and
lost, and by which rule; :func:`priority_change` re-runs the backtest with some rules moved
and diffs the alerts with :func:`~alertkit.backtest.compare_alerts` (the alerts a move would
add, remove or shift).

Shadowing is counted in snapshots (decisions), not alerts: a rule shadowed on ten
consecutive snapshots of one position is shadowed ten times; the alert diff says what that
means for alerts.

Examples
--------
>>> from alertkit.backtest import run_backtest, synthetic_history
>>> result = run_backtest(synthetic_history(12, seed=3), progress=False)
>>> report = shadowing(result)
>>> report.pairs.columns
['engine_rule', 'shadowed_by', 'snapshots', 'share_of_matches']
>>> report.per_rule.columns
['engine_rule', 'priority', 'matched', 'decided', 'shadowed', 'shadowed_share']
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

import polars as pl

from alertkit.backtest.outcomes import RATIO_DECIMALS
from alertkit.backtest.regression import compare_alerts
from alertkit.backtest.runner import BacktestResult, run_backtest
from alertkit.model.errors import ValidationError
from alertkit.model.snapshot_schema import SNAPSHOT_SCHEMA
from alertkit.rules import Rule, bind_by_name
from alertkit.rules.base import check_priority
from alertkit.rules.vectorized import (
    ALL_MATCHES,
    match_column,
    match_exprs,
    ordered_rules,
    with_all_matches,
)

__all__ = [
    "PAIRS_SCHEMA",
    "PER_RULE_SCHEMA",
    "Shadowing",
    "all_matches",
    "priority_change",
    "shadowing",
    "with_priorities",
]

PER_RULE_SCHEMA: Final[dict[str, pl.DataType]] = {
    "engine_rule": pl.String(),
    "priority": pl.Float64(),
    "matched": pl.Int64(),
    "decided": pl.Int64(),
    "shadowed": pl.Int64(),
    "shadowed_share": pl.Float64(),
}
""":attr:`Shadowing.per_rule`: snapshots the rule matched, decided (it ran first of those
that matched), shadowed (matched, decided by an earlier rule), and shadowed / matched
(null when it never matched), to the hundredth."""

PAIRS_SCHEMA: Final[dict[str, pl.DataType]] = {
    "engine_rule": pl.String(),
    "shadowed_by": pl.String(),
    "snapshots": pl.Int64(),
    "share_of_matches": pl.Float64(),
}
""":attr:`Shadowing.pairs`: snapshots where ``engine_rule`` matched and ``shadowed_by``
decided, and their share of ``engine_rule``'s matches, to the hundredth."""


@dataclass(frozen=True, slots=True, eq=False)  # frames do not compare with ==
class Shadowing:
    """How often each rule matched but an earlier rule decided.

    Attributes
    ----------
    per_rule
        One row per rule, in engine order (:data:`PER_RULE_SCHEMA`).
    pairs
        One row per (rule, the rule that shadowed it) that occurred, rules in engine order
        and the shadowing rules in engine order within each (:data:`PAIRS_SCHEMA`).
    """

    per_rule: pl.DataFrame
    pairs: pl.DataFrame


def _rules_of(result: BacktestResult, rules: Iterable[Rule] | None) -> list[Rule]:
    chosen = list(result.rules) if rules is None else list(rules)
    if not chosen:
        raise ValidationError(
            "rules: this result carries no rules (read back from disk?): pass rules="
        )
    return ordered_rules(chosen)


def all_matches(result: BacktestResult, *, rules: Iterable[Rule] | None = None) -> pl.DataFrame:
    """Per decision of ``result`` (its row order): ``as_of``, ``strategy_id``, ``symbol``,
    ``trigger`` (the decision, null = HOLD), ``matched`` (the trigger ids of every rule that
    matched, in engine order; the first is the decision) and ``also_matched`` (the others:
    the rules the decision shadowed).

    ``rules`` default to the result's own (needed for a result read back from disk).
    """
    ordered = _rules_of(result, rules)
    keys = result.decisions.select(
        "as_of", "strategy_id", "symbol", "trigger", *match_exprs(ordered)
    )
    return with_all_matches(keys, ordered).select(
        "as_of",
        "strategy_id",
        "symbol",
        "trigger",
        pl.col(ALL_MATCHES).alias("matched"),
        also_matched=pl.col(ALL_MATCHES).list.slice(1),
    )


def shadowing(result: BacktestResult, *, rules: Iterable[Rule] | None = None) -> Shadowing:
    """Count, over ``result``'s decisions, how often each rule was shadowed and by which.

    The rules are evaluated again on the decisions (each on its own, as
    :func:`all_matches`), and the snapshots grouped by the set of rules that matched: a
    few hundred groups, which are then counted per rule and per pair in Python.
    """
    ordered = _rules_of(result, rules)
    columns = [match_column(rule.name) for rule in ordered]
    groups = result.decisions.lazy().select(match_exprs(ordered)).group_by(columns).len()
    n = len(ordered)
    matched, decided = [0] * n, [0] * n
    pairs: dict[tuple[int, int], int] = {}
    for *indices, count in groups.collect().iter_rows():
        hits = [i for i, index in enumerate(indices) if index is not None]
        if not hits:
            continue
        winner = hits[0]  # engine order: the first rule that matched decides
        decided[winner] += count
        for i in hits:
            matched[i] += count
        for i in hits[1:]:
            pairs[(i, winner)] = pairs.get((i, winner), 0) + count
    names = [rule.name for rule in ordered]
    per_rule = pl.DataFrame(
        {
            "engine_rule": names,
            "priority": [float(rule.priority) for rule in ordered],
            "matched": matched,
            "decided": decided,
            "shadowed": [m - d for m, d in zip(matched, decided, strict=True)],
        },
        schema={k: v for k, v in PER_RULE_SCHEMA.items() if k != "shadowed_share"},
    ).with_columns(
        shadowed_share=pl.when(pl.col("matched") > 0)
        .then(pl.col("shadowed") / pl.col("matched"))
        .round(RATIO_DECIMALS)
    )
    pair_rows = sorted(pairs.items())
    pair_frame = pl.DataFrame(
        {
            "engine_rule": [names[i] for (i, _), _ in pair_rows],
            "shadowed_by": [names[w] for (_, w), _ in pair_rows],
            "snapshots": [count for _, count in pair_rows],
            "share_of_matches": [
                round(count / matched[i], RATIO_DECIMALS) for (i, _), count in pair_rows
            ],
        },
        schema=PAIRS_SCHEMA,
    )
    return Shadowing(per_rule=per_rule, pairs=pair_frame)


def with_priorities(rules: Iterable[Rule], priorities: Mapping[str, float]) -> list[Rule]:
    """``rules`` with each rule named in ``priorities`` given that priority (bound by name
    again, so ``dte_roll`` still gives way to the rules it names).

    Raises
    ------
    ValidationError
        A name that is no rule of ``rules``, or a priority outside [1, 12].
    """
    rule_list = list(rules)
    names = [rule.name for rule in rule_list]
    unknown = sorted(set(priorities) - set(names))
    if unknown:
        raise ValidationError(f"priorities: expected rule names among {names}, got {unknown}")
    moved = [
        dataclasses.replace(r, priority=check_priority(priorities[r.name], r.name))
        if r.name in priorities
        else r
        for r in rule_list
    ]
    return bind_by_name(moved)


def priority_change(
    result: BacktestResult,
    priorities: Mapping[str, float],
    *,
    rules: Iterable[Rule] | None = None,
) -> pl.DataFrame:
    """What giving the rules in ``priorities`` those priorities would add or remove.

    The history of ``result`` (its decisions' snapshot columns) is backtested again with
    the moved rules, the same quiet period and policies, and the two alert sets compared by
    :func:`~alertkit.backtest.compare_alerts`: one row per alert, ``change`` one of same,
    changed, moved, removed (only today) and added (only after the move);
    :func:`~alertkit.backtest.summarize_changes` counts them per trigger.
    """
    moved = with_priorities(_rules_of(result, rules), priorities)
    after = run_backtest(
        result.decisions.select(list(SNAPSHOT_SCHEMA)),
        rules=moved,
        quiet_period=result.quiet_period,
        policies=result.policies,
        progress=False,
    )
    return compare_alerts(result.alerts, after.alerts)
