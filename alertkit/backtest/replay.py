"""Engine mode: every snapshot through the real :class:`~alertkit.rules.engine.DecisionEngine`.

This is the reference the vectorized backtest must reproduce exactly. The engine runs the
rules snapshot by snapshot, in time order, keeping its trailing-stop peaks; its decisions are
recorded as a frame (:data:`DECISIONS_SCHEMA`), and alert identity is then computed on that
frame by :mod:`alertkit.live.episodes`, the one implementation the vectorized mode, the live
cycle and ``create_alert`` use too. Type, severity, title, message and metadata come from
the engine's own decision at each alert's opening snapshot, through
:func:`alertkit.model.mapping.decision_to_alert`, as for live alerts.

:class:`BacktestAlertSink` is the same identity as an :class:`~alertkit.rules.engine.AlertSink`
for stepping an engine by hand (a notebook, a test): it re-runs
:func:`~alertkit.live.episodes.alert_episodes` over what it has seen at each call, so
:func:`replay` does not use it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Coroutine, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Final, TypeVar

import polars as pl

from alertkit.backtest._progress import Progress
from alertkit.live.episodes import (
    FINGERPRINT,
    QUIET_RESOLVER,
    alert_episodes,
    episode_alerts,
    resolve_event,
)
from alertkit.model._events import history_event
from alertkit.model._ids import deterministic_alert_id
from alertkit.model.alerts import Alert, AlertStatus
from alertkit.model.decisions import Decision, DecisionAction
from alertkit.model.mapping import alert_kind, decision_to_alert, snapshot_identity
from alertkit.model.schema import ALERT_SCHEMA, alerts_to_frame
from alertkit.model.snapshot_rows import PEAK_COLUMN, snapshot_row
from alertkit.model.snapshot_schema import SNAPSHOT_SCHEMA
from alertkit.rules import Rule
from alertkit.rules.engine import DecisionEngine

__all__ = [
    "DECISIONS_SCHEMA",
    "ENGINE_PROGRESS_MIN_ROWS",
    "BacktestAlertSink",
    "replay",
]

DECISIONS_SCHEMA: Final[dict[str, pl.DataType]] = {
    **SNAPSHOT_SCHEMA,
    PEAK_COLUMN: pl.Float64(),
    "trigger": pl.String(),
    "engine_rule": pl.String(),
    "priority": pl.Float64(),
    "action": pl.String(),
    "urgency": pl.String(),
}
"""``BacktestResult.decisions``: the normalised snapshot, the peak, the decision columns
(:data:`~alertkit.rules.DECISION_COLUMNS`; ``trigger`` null means HOLD)."""

ENGINE_PROGRESS_MIN_ROWS: Final = 10_000
_BATCH: Final = 1_000  # snapshots per progress tick

_T = TypeVar("_T")
_SINK_ROWS: Final[dict[str, pl.DataType]] = {
    "as_of": pl.Datetime("us", "UTC"),
    "trigger": pl.String(),
    "strategy_id": pl.Int64(),
    "symbol": pl.String(),
}


class BacktestAlertSink:
    """Alerts in memory, identity by :func:`~alertkit.live.episodes.alert_episodes`.

    Each firing (:meth:`create_alert`) and each snapshot of a position (:meth:`resolve_quiet`)
    becomes a row of a decisions frame, in time order; after each call the alerts are what
    the episodes of that frame say (the same :class:`Alert` objects, updated in place).

    Parameters
    ----------
    quiet_period
        None: alerts stay open to the end. Otherwise the quiet time after which an alert
        resolves at its position's next snapshot (:meth:`resolve_quiet`).
    """

    def __init__(self, quiet_period: timedelta | None = None) -> None:
        self.quiet_period = quiet_period
        self._rows: list[dict[str, Any]] = []
        self._firings: dict[int, tuple[Decision, Any]] = {}
        self._alerts: dict[int, Alert] = {}
        self._end: datetime | None = None

    @property
    def alerts(self) -> list[Alert]:
        """Every alert, in the order they were opened."""
        return list(self._alerts.values())

    async def create_alert(self, decision: Decision, snapshot: Any = None) -> Alert | None:
        """Open an alert for ``decision`` on ``snapshot`` (at its ``as_of``), or count an
        occurrence on the open one with the same fingerprint; None for HOLD."""
        if alert_kind(decision.action, decision.urgency) is None:
            return None
        symbol, strategy_id = snapshot_identity(snapshot)
        row = self._add(snapshot["as_of"], strategy_id, symbol, decision.rule)
        self._firings[row] = (decision, snapshot)
        self._refresh()
        # Calls come in time order, so the firing belongs to its fingerprint's latest alert.
        fingerprint = (decision.rule, strategy_id, symbol)
        return [a for a in self._alerts.values() if a.fingerprint == fingerprint][-1]

    def resolve_quiet(self, strategy_id: int | None, at: datetime) -> None:
        """A snapshot of position ``strategy_id`` at ``at``: its open alerts last seen a quiet
        period or more before resolve there."""
        if self.quiet_period is None:
            return
        self._snapshot(strategy_id, at)
        self._refresh()

    def resolve_gone(self, last_snapshots: Mapping[int, datetime], end: datetime) -> None:
        """Resolve the open alerts of every position whose last snapshot (``last_snapshots``)
        is before ``end``, the history's last instant, at that last snapshot."""
        for strategy_id, at in last_snapshots.items():
            self._snapshot(strategy_id, at)
        self._end = end
        self._refresh()

    def frame(self) -> pl.DataFrame:
        """The alerts as table rows (``ALERT_SCHEMA``), sorted by (created_at, alert_id)."""
        if not self._alerts:
            return pl.DataFrame(schema=ALERT_SCHEMA)
        return alerts_to_frame(self.alerts).sort("created_at", "alert_id")

    def _add(
        self, at: datetime, strategy_id: int | None, symbol: str | None, trigger: str | None
    ) -> int:
        self._rows.append(
            {"as_of": at, "trigger": trigger, "strategy_id": strategy_id, "symbol": symbol}
        )
        return len(self._rows) - 1

    def _snapshot(self, strategy_id: int | None, at: datetime) -> None:
        seen = any(r["strategy_id"] == strategy_id and r["as_of"] == at for r in self._rows)
        if not seen:  # a firing at this instant already is this snapshot
            self._add(at, strategy_id, None, None)

    def _refresh(self) -> None:
        """Bring the alerts up to the episodes of every row so far."""
        frame = pl.DataFrame(self._rows, schema=_SINK_ROWS).with_row_index("row")
        frame = frame.sort("as_of", maintain_order=True)  # stable: calls in time order
        order = frame.get_column("row").to_list()
        episodes = alert_episodes(frame.drop("row"), self.quiet_period, left_before=self._end)
        for episode in episodes.iter_rows(named=True):
            opening = order[episode["opening_row"]]
            alert = self._alerts.get(opening)
            if alert is None:
                decision, snapshot = self._firings[opening]
                made = decision_to_alert(decision, snapshot, episode["created_at"])
                assert made is not None  # a firing is not HOLD
                made.alert_id = deterministic_alert_id(
                    episode["created_at"], *(episode[key] for key in FINGERPRINT)
                )
                made.history = [
                    history_event(made.created_at, "create", None, AlertStatus.ACTIVE, None, None)
                ]
                alert = self._alerts[opening] = made
            alert.occurrences = episode["occurrences"]
            alert.last_seen_at = episode["last_seen_at"]
            resolved = episode["resolved_at"]
            if resolved is not None and alert.is_open:
                alert.history.append(
                    resolve_event(
                        resolved,
                        alert.status.value,
                        self.quiet_period,
                        QUIET_RESOLVER,
                        gone=episode["gone"],
                    )
                )
                alert.status = AlertStatus.RESOLVED
                alert.resolved_at = resolved


def replay(
    snapshots: pl.DataFrame,
    rules: Sequence[Rule],
    *,
    quiet_period: timedelta | None = None,
    progress: bool = False,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Run ``snapshots`` (time order, one row per position per instant) through a fresh
    engine; returns (decisions as :data:`DECISIONS_SCHEMA`, alerts as ``ALERT_SCHEMA``)."""
    engine = DecisionEngine(rules)  # no sink: identity is computed on the decisions below
    columns = list(SNAPSHOT_SCHEMA)
    decided: dict[int, Decision] = {}

    async def run(bar: Progress) -> list[tuple[Any, ...]]:
        out: list[tuple[Any, ...]] = []
        for i, raw in enumerate(snapshots.select(columns).iter_rows(named=True)):
            row = snapshot_row(raw)
            decision = await engine.evaluate(row)
            fired = None
            if decision.action is not DecisionAction.HOLD:
                fired = decision.rule
                decided[i] = decision
            out.append(
                (
                    *(row[name] for name in columns),
                    engine.peak(row["strategy_id"]),
                    fired,
                    decision.engine_rule,
                    decision.priority,
                    decision.action.value,
                    decision.urgency.value,
                )
            )
            if i % _BATCH == _BATCH - 1:
                bar.update(_BATCH)
        bar.update(len(out) % _BATCH)
        return out

    enabled = progress and snapshots.height >= ENGINE_PROGRESS_MIN_ROWS
    with Progress(enabled, snapshots.height, "backtest (engine)", "snapshot") as bar:
        rows = _run_coroutine(run(bar))
    decisions = pl.DataFrame(rows, schema=DECISIONS_SCHEMA, orient="row")
    if not decisions.height:
        return decisions, pl.DataFrame(schema=ALERT_SCHEMA)
    end = decisions.get_column("as_of").max()
    episodes = alert_episodes(decisions, quiet_period, left_before=end)  # type: ignore[arg-type]
    alerts = episode_alerts(decisions, episodes, rules, quiet_period, decided=decided)
    return decisions, alerts


def _run_coroutine(coroutine: Coroutine[Any, Any, _T]) -> _T:
    """``asyncio.run``, also from inside a running event loop (a notebook cell)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
