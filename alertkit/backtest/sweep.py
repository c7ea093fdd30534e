"""Tune one rule threshold before going live: the same history under several settings.

A setting changes one rule (and the rules bound to it by name: ``dte_roll`` gives way to
``time_exit``), so :class:`SweptHistory` evaluates every rule's triggers once (the match
columns of :func:`~alertkit.rules.vectorized.match_frame`) and, per setting, only the rules
the setting changed; the first match by priority is then taken again from the columns
(:func:`~alertkit.rules.vectorized.decide_matched`), and alert identity runs as in
:func:`~alertkit.backtest.run_backtest`. The results are those of a full backtest per
setting, exactly (tests/backtest/test_sweep_fast.py), at a fraction of the time.

Examples
--------
>>> from alertkit.backtest import synthetic_history
>>> table = sweep(synthetic_history(4, seed=3), "take_profit", "full", [0.6, 0.8])
>>> table.select("value", "alerts", pl.col("mean_benefit_usd").round(0)).rows()
[(0.6, 4, -1561.0), (0.8, 4, -1408.0)]
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime, timedelta
from numbers import Real
from typing import Any, Final, cast

import polars as pl

from alertkit.backtest._progress import Progress
from alertkit.backtest.history import HistorySource, load_history
from alertkit.backtest.outcomes import USD_DECIMALS, alert_outcomes
from alertkit.backtest.replay import DECISIONS_SCHEMA
from alertkit.backtest.runner import BacktestResult
from alertkit.backtest.tables import SummaryFrame, summary_frame
from alertkit.live.episodes import FINGERPRINT, alert_episodes, episode_alerts
from alertkit.model._ids import deterministic_alert_ids
from alertkit.model.errors import ValidationError
from alertkit.model.schema import check_alert_frame
from alertkit.model.snapshot_schema import SNAPSHOT_SCHEMA
from alertkit.rules import Rule, bind_by_name, default_rules
from alertkit.rules.vectorized import (
    decide_matched,
    match_exprs,
    match_frame,
    matched_trigger_expr,
    ordered_rules,
)

__all__ = ["SWEEP_SCHEMA", "SweptHistory", "sweep", "with_threshold"]

SWEEP_SCHEMA: Final[dict[str, pl.DataType]] = {
    "rule": pl.String(),
    "parameter": pl.String(),
    "value": pl.Float64(),
    "alerts": pl.Int64(),
    "repeats": pl.Int64(),
    "positions": pl.Int64(),
    "mean_benefit_usd": pl.Float64(),
    "median_benefit_usd": pl.Float64(),
}
"""The columns of a sweep; ``by_trigger=True`` adds a ``trigger`` column after ``value``.
Names as in :data:`~alertkit.backtest.outcomes.SUMMARY_SCHEMA` (benefit in USD per alert,
to the cent)."""
_SWEEP_PROGRESS_MIN_ROWS: Final = 200_000  # snapshots x settings
_LAST_ROW: Final = "__alertkit_last_row"


class SweptHistory:
    """A history whose rules were evaluated once, to be decided again under many settings.

    Parameters
    ----------
    history
        As for :func:`~alertkit.backtest.run_backtest` (loaded and checked once).
    rules
        The baseline rules (default :func:`~alertkit.rules.default_rules`); a setting is a
        rule list derived from them (:func:`with_threshold`), whose unchanged rules are the
        very same objects, so only the changed rules' triggers are evaluated again.
    quiet_period
        As for :func:`~alertkit.backtest.run_backtest`.
    """

    def __init__(
        self,
        history: HistorySource,
        rules: Iterable[Rule] | None = None,
        *,
        quiet_period: timedelta | None = None,
    ) -> None:
        base = default_rules() if rules is None else list(rules)
        wrong = [rule for rule in base if not isinstance(rule, Rule)]
        if wrong:
            raise ValidationError(f"rules: expected alertkit.rules.Rule objects, got {wrong[0]!r}")
        self.rules: list[Rule] = bind_by_name(base)
        self.quiet_period = quiet_period
        # load_history sorts by (as_of, strategy_id): row order is time order, as in a backtest.
        snapshots = load_history(history).select(list(SNAPSHOT_SCHEMA))
        self._matched = match_frame(snapshots, self.rules, order_by=None)
        end = self._matched.get_column("as_of").max() if self._matched.height else None
        self._end = cast("datetime | None", end)
        # Without a quiet period, identity reads only the firings and each position's last
        # snapshot (when it left the history), so the other rows need not be passed on.
        self._last_row = (pl.col("as_of") == pl.col("as_of").max().over("strategy_id")).alias(
            _LAST_ROW
        )

    @property
    def snapshots(self) -> int:
        """The number of snapshots in the history."""
        return self._matched.height

    def with_threshold(self, changes: Sequence[tuple[str, str, float]]) -> list[Rule]:
        """The baseline rules with each ``(rule, parameter, value)`` of ``changes`` applied
        in turn (:func:`with_threshold`)."""
        rules = self.rules
        for rule, parameter, value in changes:
            rules = with_threshold(rules, rule, parameter, value)
        return rules

    def _rematched(self, rules: Sequence[Rule]) -> pl.DataFrame:
        """The match columns with those of the rules not in the baseline recomputed."""
        # A rule not in the baseline (a new object: changed, re-bound, or new) gets its column
        # (re)computed; the baseline's other columns are read as they are.
        changed = [r for r in ordered_rules(rules) if not any(r is old for old in self.rules)]
        return self._matched.with_columns(match_exprs(changed)) if changed else self._matched

    def outcomes(self, rules: Sequence[Rule], only: Collection[str]) -> pl.DataFrame:
        """The outcomes (:data:`~alertkit.backtest.outcomes.OUTCOME_SCHEMA`) of the alerts of
        the rules named ``only``, as ``run_backtest(history, rules=rules).outcomes`` filtered
        to them, row for row; their titles and metadata are not made, so this is cheap."""
        ordered = ordered_rules(rules)
        frame = self._rematched(ordered).select(
            "as_of", "strategy_id", "symbol", trigger=matched_trigger_expr(ordered, only)
        )
        if self.quiet_period is None:
            frame = frame.filter(pl.col("trigger").is_not_null() | self._last_row)
        episodes = alert_episodes(frame, self.quiet_period, left_before=self._end)
        of_trigger = {t.id: r for r in ordered for t in r.triggers}
        names = {t: r.name for t, r in of_trigger.items()}
        priorities = {t: float(r.priority) for t, r in of_trigger.items()}
        trigger = pl.col("trigger")
        alerts = episodes.select(
            alert_id=deterministic_alert_ids(
                episodes["created_at"], [episodes[key] for key in FINGERPRINT]
            ),
            engine_rule=trigger.replace_strict(names, return_dtype=pl.String),
            rule=trigger,
            rule_priority=trigger.replace_strict(priorities, return_dtype=pl.Float64),
            strategy_id="strategy_id",
            symbol="symbol",
            created_at="created_at",
            resolved_at="resolved_at",
            occurrences="occurrences",
        ).sort("created_at", "alert_id")
        return alert_outcomes(alerts, self._matched)

    def backtest(self, rules: Sequence[Rule]) -> BacktestResult:
        """``run_backtest(history, rules=rules, quiet_period=...)``, equal frame for frame,
        from the match columns (only the changed rules evaluated again)."""
        ordered = ordered_rules(rules)
        decisions = decide_matched(self._rematched(ordered), ordered).select(list(DECISIONS_SCHEMA))
        episodes = alert_episodes(decisions, self.quiet_period, left_before=self._end)
        alerts = check_alert_frame(
            episode_alerts(decisions, episodes, list(rules), self.quiet_period)
        )
        return BacktestResult(
            decisions=decisions,
            alerts=alerts,
            outcomes=alert_outcomes(alerts, decisions),
            mode="vectorized",
            quiet_period=self.quiet_period,
            rules=tuple(rules),
        )


def sweep(
    history: HistorySource,
    rule: str,
    parameter: str,
    values: Sequence[float],
    *,
    rules: Iterable[Rule] | None = None,
    quiet_period: timedelta | None = None,
    progress: bool = True,
    by_trigger: bool = False,
) -> SummaryFrame:
    """Backtest ``history`` once per value of ``rule``'s threshold ``parameter``.

    Each setting uses ``rules`` (default :func:`~alertkit.rules.default_rules`) with the rule
    named ``rule`` rebuilt with ``parameter=value`` (see :func:`with_threshold`), in
    vectorized mode. The counts and outcomes are those of ``rule``'s own alerts (all its
    triggers, or each trigger apart with ``by_trigger``: ``take_profit`` has a full and a
    partial one); the other rules run too, since an earlier rule that fires hides a later one.
    The rules the setting leaves alone are evaluated once for all settings
    (:class:`SweptHistory`); the figures equal a full backtest per setting.

    Returns
    -------
    SummaryFrame
        One row per value (per value and trigger with ``by_trigger``, the triggers in the
        engine's order), in the given order, columns :data:`SWEEP_SCHEMA`: rule, parameter,
        value, alerts, repeats (suppressed), positions, mean_benefit_usd, median_benefit_usd
        (benefit of acting: P&L at the alert minus P&L at the end of the position's history,
        see :mod:`alertkit.backtest.outcomes`). A polars DataFrame that prints every column.
    """
    base = default_rules() if rules is None else list(rules)
    settings = list(values)
    for value in settings:  # refuse a bad value before the first run, not after several
        with_threshold(base, rule, parameter, value)
    swept_history = SweptHistory(history, base, quiet_period=quiet_period)
    rows: list[dict[str, Any]] = []
    enabled = progress and swept_history.snapshots * len(settings) >= _SWEEP_PROGRESS_MIN_ROWS
    with Progress(enabled, len(settings), f"sweep {rule}.{parameter}", "run") as bar:
        for value in settings:
            setting = swept_history.with_threshold([(rule, parameter, value)])
            own = swept_history.outcomes(setting, only=[rule])
            swept = next(r for r in setting if r.name == rule)
            groups = [(t.id, own.filter(pl.col("trigger") == t.id)) for t in swept.triggers]
            for trigger, alerts in groups if by_trigger else [(None, own)]:
                rows.append(_row(rule, parameter, float(value), trigger, alerts))
            bar.update()
    schema = dict(SWEEP_SCHEMA)
    if by_trigger:
        schema = {**dict(list(schema.items())[:3]), "trigger": pl.String(), **schema}
    frame = pl.DataFrame(rows, schema=schema).with_columns(
        pl.col("mean_benefit_usd", "median_benefit_usd").round(USD_DECIMALS)
    )
    return summary_frame(frame)


def _row(
    rule: str, parameter: str, value: float, trigger: str | None, own: pl.DataFrame
) -> dict[str, Any]:
    return {
        "rule": rule,
        "parameter": parameter,
        "value": value,
        **({} if trigger is None else {"trigger": trigger}),
        "alerts": own.height,
        "repeats": int((own["occurrences"] - 1).sum()),
        "positions": own["strategy_id"].n_unique(),
        "mean_benefit_usd": own["benefit_of_acting"].mean(),
        "median_benefit_usd": own["benefit_of_acting"].median(),
    }


def with_threshold(rules: Sequence[Rule], rule: str, parameter: str, value: float) -> list[Rule]:
    """``rules`` with the rule named ``rule`` rebuilt with ``parameter=value``.

    A rule that gives way to the replaced one (``dte_roll`` to ``gamma_risk`` and
    ``time_exit``) is re-bound by name (:func:`alertkit.rules.bind_by_name`) to the new one. An int
    threshold (``dte``) takes a whole number.

    Examples
    --------
    >>> swept = with_threshold(default_rules(), "time_exit", "dte", 2)
    >>> roll = next(r for r in swept if r.name == "dte_roll")
    >>> [r.dte for r in roll.yield_to if r.name == "time_exit"]
    [2]
    """
    old = next((r for r in rules if r.name == rule), None)
    if old is None:
        raise ValidationError(f"rule: expected one of {[r.name for r in rules]}, got {rule!r}")
    thresholds = [
        f.name
        for f in dataclasses.fields(old)
        if f.init
        and f.name not in ("name", "priority")
        and isinstance(getattr(old, f.name), Real)
        and not isinstance(getattr(old, f.name), bool)
    ]
    if parameter not in thresholds:
        raise ValidationError(
            f"parameter: expected a numeric threshold of {rule} ({', '.join(thresholds)}),"
            f" got {parameter!r}"
        )
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValidationError(f"{rule}.{parameter}: expected a number, got {value!r}")
    if isinstance(getattr(old, parameter), int):
        if not float(value).is_integer():
            raise ValidationError(f"{rule}.{parameter}: expected a whole number, got {value!r}")
        value = int(value)
    new = dataclasses.replace(old, **{parameter: value})
    return bind_by_name(new if r is old else r for r in rules)
