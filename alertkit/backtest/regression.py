"""Comparing the alerts of two rule configurations over the same history.

An alert is matched across the two runs by its fingerprint (trigger, strategy_id, symbol) and
its ordinal among that fingerprint's alerts (the first, second, ... time the condition
opened), so a quiet-period alert that re-opens is matched with its counterpart. Each match is
``same``, ``changed`` (same created_at, but severity, type, occurrences, status or
resolved_at differ: listed in ``differs``), ``moved`` (created earlier or later: ``shift``),
``removed`` (only in the baseline) or ``added`` (only in the candidate).

Examples
--------
>>> from alertkit.backtest import run_backtest, synthetic_history
>>> from alertkit.rules import TakeProfit, default_rules
>>> history = synthetic_history(12, seed=3)
>>> base = run_backtest(history, progress=False).alerts
>>> assert_alerts_equal(base, base)
>>> rules = [TakeProfit(full=0.7) if r.name == "take_profit" else r for r in default_rules()]
>>> changes = compare_alerts(base, run_backtest(history, rules=rules, progress=False).alerts)
>>> sorted(changes["change"].unique().to_list())
['added', 'changed', 'moved', 'same']
"""

from __future__ import annotations

from typing import Final

import polars as pl

from alertkit.model.alerts import FINGERPRINT

__all__ = ["CHANGES", "assert_alerts_equal", "compare_alerts", "summarize_changes"]

CHANGES: Final = ("same", "changed", "moved", "removed", "added")
_KEY: Final = [*FINGERPRINT, "ordinal"]  # the n-th alert of a fingerprint
_COMPARED: Final = ["created_at", "severity", "type", "occurrences", "status", "resolved_at"]


def _numbered(alerts: pl.DataFrame | pl.LazyFrame) -> pl.LazyFrame:
    return (
        alerts.lazy()
        .select([*FINGERPRINT, "engine_rule", *_COMPARED])
        .sort(["created_at", "rule", "strategy_id"])
        .with_columns(ordinal=pl.int_range(pl.len()).over(FINGERPRINT).cast(pl.Int64))
    )


def compare_alerts(
    baseline: pl.DataFrame | pl.LazyFrame, candidate: pl.DataFrame | pl.LazyFrame
) -> pl.DataFrame:
    """One row per alert in either run: its key, both created_at values, change and shift.

    Columns: rule, strategy_id, symbol, ordinal, engine_rule, created_at_baseline,
    created_at_candidate, change (one of CHANGES), shift (candidate - baseline, for matches),
    and ``differs``: the compared fields (severity, type, occurrences, status, resolved_at)
    that differ between two matched alerts.
    """
    joined = _numbered(baseline).join(
        _numbered(candidate),
        on=_KEY,
        how="full",
        coalesce=True,
        suffix="_candidate",
        nulls_equal=True,
    )
    in_base = pl.col("created_at").is_not_null()
    in_candidate = pl.col("created_at_candidate").is_not_null()
    differs = pl.concat_list(
        [
            pl.when(pl.col(c).ne_missing(pl.col(f"{c}_candidate"))).then(pl.lit(c))
            for c in _COMPARED[1:]
        ]
    ).list.drop_nulls()
    return (
        joined.with_columns(differs=pl.when(in_base & in_candidate).then(differs))
        .with_columns(
            engine_rule=pl.coalesce("engine_rule", "engine_rule_candidate"),
            change=pl.when(in_base & in_candidate)
            .then(
                pl.when(pl.col("created_at") != pl.col("created_at_candidate"))
                .then(pl.lit("moved"))
                .when(pl.col("differs").list.len() > 0)
                .then(pl.lit("changed"))
                .otherwise(pl.lit("same"))
            )
            .when(in_base)
            .then(pl.lit("removed"))
            .otherwise(pl.lit("added")),
            shift=pl.col("created_at_candidate") - pl.col("created_at"),
        )
        .rename({"created_at": "created_at_baseline"})
        .select(
            *_KEY,
            "engine_rule",
            "created_at_baseline",
            "created_at_candidate",
            "change",
            "shift",
            "differs",
        )
        .sort(_KEY)
        .collect()
    )


def summarize_changes(changes: pl.DataFrame) -> pl.DataFrame:
    """Counts of each change (same, changed, moved, removed, added) per rule, busiest first."""
    counts = changes.pivot(
        on="change", index="rule", values="ordinal", aggregate_function="len"
    ).fill_null(0)
    for change in CHANGES:
        if change not in counts.columns:
            counts = counts.with_columns(pl.lit(0, dtype=pl.UInt32).alias(change))
    return counts.select("rule", *CHANGES).sort(
        [pl.sum_horizontal(CHANGES), "rule"], descending=[True, False]
    )


def assert_alerts_equal(
    left: pl.DataFrame | pl.LazyFrame,
    right: pl.DataFrame | pl.LazyFrame,
    *,
    max_lines: int = 10,
) -> None:
    """Raise AssertionError listing how ``right``'s alerts differ from ``left``'s.

    For notebooks and tests: pins which alerts a rule set raises, when, and with which
    severity, type, occurrences and resolution, ignoring alert ids.
    """
    changes = compare_alerts(left, right)
    bad = changes.filter(pl.col("change") != "same")
    if bad.is_empty():
        return
    lines = [
        f"{r['change']:>7} {r['rule']} strategy_id={r['strategy_id']} {r['symbol']}"
        f" #{r['ordinal']}: {r['created_at_baseline']} -> {r['created_at_candidate']}"
        + (f" (differs: {', '.join(r['differs'])})" if r["differs"] else "")
        for r in bad.head(max_lines).iter_rows(named=True)
    ]
    more = f"\n... and {bad.height - max_lines} more" if bad.height > max_lines else ""
    summary = ", ".join(
        f"{n} {c}" for c, n in bad.group_by("change").len().sort("change").iter_rows()
    )
    raise AssertionError(f"alerts differ ({summary}):\n" + "\n".join(lines) + more)
