"""The decision engine: run the rules on a snapshot, first decision wins (docs/domain.md §2).

Per snapshot the engine

1. normalises it (and ``market_data``) into one row
   (:func:`alertkit.model.snapshot_rows.snapshot_row`);
   a value in a wrong unit raises :class:`ValidationError` here, before any rule runs;
2. updates the trailing-stop peak of its ``strategy_id`` and puts it in the row;
3. runs the rules in ascending priority (ties in registration order); the first that returns
   a non-HOLD decision wins; a rule that raises is logged, counted and skipped;
4. with an alert sink attached, turns a non-HOLD decision into an alert.

Peak state: the engine keeps ``strategy_id -> peak upl_pct``, the running maximum of every
snapshot it has seen of that position, exactly as :func:`alertkit.rules.peak_upl_expr`
computes it over a frame, so replaying history through a fresh engine reproduces the
vectorized peaks. A CLOSE *decision* does not reset it (a decision is advice; the position may
stay open, and the replay would disagree); tell the engine the position has closed with
``reset_peaks(strategy_id)``, or start over with ``reset_peaks()``. Evaluate the snapshots of one
position in time order and one at a time.
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from alertkit.model.decisions import Decision, DecisionAction
from alertkit.model.errors import AlertWriteError, ValidationError
from alertkit.model.snapshot_rows import PEAK_COLUMN, SnapshotLike, SnapshotRow, snapshot_row
from alertkit.rules import Rule, RuleLike, bind_by_name, default_rules, in_order
from alertkit.rules.base import check_priority
from alertkit.rules.peaks import PeakBook

if TYPE_CHECKING:  # the live layer implements the sinks; the engine only names its types
    from alertkit.live.cycle import CycleInput, CycleResult

__all__ = ["AlertSink", "CycleSink", "DecisionEngine"]


_log = logging.getLogger(__name__)


class AlertSink(Protocol):
    """Where the engine puts a decision's alert: ``create_alert``, async (the
    :class:`~alertkit.AlertManager`, the backtester's in-memory sink) or sync (the
    :class:`~alertkit.SyncAlertManager`, run in a worker thread)."""

    def create_alert(self, decision: Decision, snapshot: Any = None) -> Any: ...


class CycleSink(AlertSink, Protocol):
    """A sink that also commits whole monitoring cycles (either manager): what
    :meth:`DecisionEngine.evaluate_many` needs."""

    def run_cycle(
        self,
        snapshots: Any,
        *,
        at: datetime | None = None,
        rules: Iterable[Rule] | None = None,
        quiet_period: timedelta | None = None,
        peaks: PeakBook | None = None,
        complete: bool = False,
    ) -> Any: ...


async def _call(method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Await an async sink's method; run a synchronous one in a worker thread, so Delta I/O
    never blocks the engine's event loop."""
    if inspect.iscoroutinefunction(method):
        return await method(*args, **kwargs)
    return await asyncio.to_thread(method, *args, **kwargs)


class DecisionEngine:
    """Runs rules on position snapshots and returns the winning decision.

    Parameters
    ----------
    rules
        The rules to run; ``None`` means :func:`alertkit.rules.default_rules` (pass ``[]`` for
        an empty engine). Any object with ``name``, ``priority`` and ``async evaluate``.
    alert_manager
        Optional: an :class:`~alertkit.AlertManager`, a :class:`~alertkit.SyncAlertManager`
        or an in-memory :class:`AlertSink`; every non-HOLD decision becomes an alert. A write
        that fails raises :class:`AlertWriteError`, carrying the decision.

    Examples
    --------
    >>> import asyncio
    >>> engine = DecisionEngine()
    >>> d = asyncio.run(engine.evaluate({"strategy_id": 1, "strategy_type": "iron_condor",
    ...                                  "upl_pct": 0.6}, {"1h_change": -0.05}))
    >>> d.rule, d.engine_rule, d.priority, d.urgency.value
    ('catastrophe_drop', 'catastrophe_protection', 1.0, 'immediate')
    >>> engine.rule_counts["catastrophe_protection"], engine.peak(1)
    (1, 0.6)
    """

    def __init__(
        self,
        rules: Iterable[RuleLike] | None = None,
        alert_manager: AlertSink | object | None = None,
    ) -> None:
        if alert_manager is not None and not callable(getattr(alert_manager, "create_alert", None)):
            raise TypeError(
                "alert_manager: expected an alertkit.AlertManager, SyncAlertManager or an object"
                f" with a create_alert method, got {type(alert_manager).__name__}"
            )
        self.alert_manager = alert_manager
        self._rules: dict[str, RuleLike] = {}
        self._ordered: tuple[RuleLike, ...] = ()
        self._rule_counts: Counter[str] = Counter()
        self._error_counts: Counter[str] = Counter()
        self.peaks = PeakBook()
        for rule in default_rules() if rules is None else rules:
            self.register_rule(rule)

    def register_rule(self, rule: RuleLike) -> None:
        """Add ``rule``; one with the same name is replaced (keeping its place among ties).

        Rules that refer to others by name are re-bound: registering ``GammaRisk(...)`` makes
        ``dte_roll`` give way to the new object (:func:`alertkit.rules.bind_by_name`).

        Raises
        ------
        ValidationError
            The name is not a non-empty str, or the priority is not a number in [1, 12].
        """
        name = getattr(rule, "name", None)
        if not isinstance(name, str) or not name.strip():
            raise ValidationError(f"rule.name: expected a non-empty str, got {name!r}")
        check_priority(getattr(rule, "priority", None), name)
        self._rules[name] = rule
        self._rules = {r.name: r for r in bind_by_name(self._rules.values())}
        self._ordered = tuple(in_order(self._rules.values()))

    @property
    def rules(self) -> tuple[RuleLike, ...]:
        """The registered rules in evaluation order."""
        return self._ordered

    @property
    def rule_counts(self) -> dict[str, int]:
        """Decisions won per engine rule name (every registered rule listed, zeros included).

        Keyed by rule (``take_profit``), not by trigger id (``take_profit_partial``): see the
        words of ``docs/domain.md``.
        """
        return {rule.name: self._rule_counts[rule.name] for rule in self._ordered}

    @property
    def trigger_counts(self) -> dict[str, int]:
        """The original API's name of :attr:`rule_counts` (how often each rule triggered)."""
        return self.rule_counts

    @property
    def error_counts(self) -> dict[str, int]:
        """Evaluations skipped because the rule raised, per rule name."""
        return {rule.name: self._error_counts[rule.name] for rule in self._ordered}

    def peak(self, strategy_id: int) -> float | None:
        """The trailing-stop peak upl_pct held for ``strategy_id`` (None if none seen)."""
        return self.peaks.get(strategy_id)

    def reset_peaks(self, strategy_id: int | None = None) -> None:
        """Forget the peak of one position (call it when the position closes), or of all."""
        self.peaks.reset(strategy_id)

    async def evaluate(
        self, snapshot: SnapshotLike, market_data: Mapping[str, Any] | None = None
    ) -> Decision:
        """The decision for ``snapshot``: the first rule's non-HOLD decision, else HOLD.

        Raises
        ------
        ValidationError
            The snapshot or market data is malformed or in a wrong unit (no rule has run and
            the peak is unchanged).
        AlertWriteError
            The decision was taken (and counted) but the alert sink failed.
        """
        row = SnapshotRow(snapshot_row(snapshot, market_data))  # our copy: we add the peak
        row[PEAK_COLUMN] = self.peaks.observe(row["strategy_id"], row["upl_pct"])
        decision = await self._first_decision(row)
        if self.alert_manager is not None and decision.action is not DecisionAction.HOLD:
            try:
                await self._write(decision, row)
            except Exception as exc:
                raise AlertWriteError(decision, row) from exc
        return decision

    async def evaluate_many(
        self,
        snapshots: CycleInput,
        *,
        at: datetime | None = None,
        quiet_period: timedelta | None = None,
        complete: bool = False,
    ) -> CycleResult:
        """Run one monitoring cycle over ``snapshots`` with this engine's rules and peaks: a
        vectorized :meth:`SyncAlertManager.run_cycle`, committed in one Delta commit
        (``complete=True``: the snapshots carry the whole book; see there).

        Raises
        ------
        TypeError
            The engine has no AlertManager or SyncAlertManager attached.
        """
        run_cycle = getattr(self.alert_manager, "run_cycle", None)
        if not callable(run_cycle):
            raise TypeError(
                "evaluate_many: the engine needs an alertkit.AlertManager or"
                " SyncAlertManager as alert_manager"
            )
        declared = [rule for rule in self._ordered if isinstance(rule, Rule)]
        if len(declared) != len(self._ordered):
            raise TypeError(
                "evaluate_many: every rule must be an alertkit.rules.Rule (declared conditions"
                " run vectorized); use evaluate() for the others"
            )
        result = await _call(
            run_cycle,
            snapshots,
            at=at,
            rules=declared,
            quiet_period=quiet_period,
            peaks=self.peaks,
            complete=complete,
        )
        for rule in result.decisions.get_column("engine_rule").drop_nulls():
            self._rule_counts[rule] += 1
        return result  # type: ignore[no-any-return]  # a CycleSink returns a CycleResult

    async def _write(self, decision: Decision, row: SnapshotRow) -> None:
        await _call(self.alert_manager.create_alert, decision, row)  # type: ignore[union-attr]

    async def _first_decision(self, row: SnapshotRow) -> Decision:
        for rule in self._ordered:
            try:
                decision = await rule.evaluate(row)
                if decision is not None and not isinstance(decision, Decision):
                    raise TypeError(f"expected a Decision or None, got {decision!r}")
            except Exception:
                self._error_counts[rule.name] += 1
                _log.exception(
                    "rule %s failed on strategy_id=%r; skipped", rule.name, row["strategy_id"]
                )
                continue
            if decision is None or decision.action is DecisionAction.HOLD:
                continue
            if decision.engine_rule is None or decision.priority is None:
                decision = dataclasses.replace(
                    decision,
                    engine_rule=decision.engine_rule or rule.name,
                    priority=rule.priority if decision.priority is None else decision.priority,
                )
            self._rule_counts[rule.name] += 1
            return decision
        return Decision.hold()
