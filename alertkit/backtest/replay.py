"""Engine mode: every snapshot through the real :class:`~alertkit.rules.engine.DecisionEngine`.

This is the reference the vectorized backtest (:mod:`alertkit.live.episodes`) must
reproduce exactly. The engine runs the rules snapshot by snapshot, in time order, keeping its
trailing-stop peaks, and sends each non-HOLD decision to a :class:`BacktestAlertSink`, an
in-memory :class:`~alertkit.rules.engine.AlertSink` with the live identity rules (a Delta write per
snapshot would make a reference replay far too slow). Type, severity, title, message and
metadata come from :func:`alertkit.model.mapping.decision_to_alert`, as for live alerts.

Alert identity in a backtest, step by step (docs/domain.md §6):

- The fingerprint is (trigger id, strategy_id, symbol). A firing with no open alert of its
  fingerprint opens one: status ``active``, ``created_at`` = ``last_seen_at`` = the snapshot's
  ``as_of``, id :func:`~alertkit.model._ids.deterministic_alert_id` of (created_at, fingerprint).
- A firing while its fingerprint is open is an occurrence of the open alert: ``occurrences``
  goes up by one and ``last_seen_at`` moves to the snapshot's ``as_of``.
- Without a quiet period an alert stays open to the end of the history, unless its position
  left the history: an alert still open at its position's last snapshot, when that is
  before the history's last instant, is resolved there (``resolve`` by ``"backtest"``, note
  :data:`~alertkit.live.episodes.GONE_NOTE`). Positions without a strategy_id never leave.
- With ``quiet_period``: at each snapshot of a position (``strategy_id``), after the decision,
  every open alert of that position whose trigger did not fire on this snapshot and with
  ``as_of - last_seen_at >= quiet_period`` is resolved, ``resolved_at`` = that ``as_of``, with
  a ``resolve`` event by ``"backtest"`` in its history. A later firing opens a new alert. A
  firing snapshot never resolves its own alert (its ``last_seen_at`` is that very instant).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections import defaultdict
from collections.abc import Coroutine, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Final, TypeVar

import polars as pl

from alertkit.backtest._progress import Progress
from alertkit.live.episodes import QUIET_RESOLVER, resolve_event
from alertkit.model._ids import deterministic_alert_id
from alertkit.model.alerts import Alert, AlertStatus, Fingerprint
from alertkit.model.decisions import Decision, DecisionAction
from alertkit.model.mapping import alert_kind, decision_to_alert, snapshot_identity
from alertkit.model.schema import ALERT_SCHEMA, alerts_to_frame, history_event
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


class BacktestAlertSink:
    """Alerts in memory with the backtest identity rules of the module docstring.

    Parameters
    ----------
    quiet_period
        None: alerts stay open to the end. Otherwise the quiet time after which
        :meth:`resolve_quiet` resolves an open alert.
    """

    def __init__(self, quiet_period: timedelta | None = None) -> None:
        self.quiet_period = quiet_period
        self._alerts: list[Alert] = []
        self._open: dict[int | None, dict[Fingerprint, Alert]] = defaultdict(dict)

    @property
    def alerts(self) -> list[Alert]:
        """Every alert, in the order they were opened."""
        return list(self._alerts)

    async def create_alert(self, decision: Decision, snapshot: Any = None) -> Alert | None:
        """Open an alert for ``decision`` on ``snapshot`` (at its ``as_of``), or count an
        occurrence on the open one with the same fingerprint; None for HOLD."""
        if alert_kind(decision.action, decision.urgency) is None:
            return None
        symbol, strategy_id = snapshot_identity(snapshot)
        at: datetime = snapshot["as_of"]
        fingerprint = (decision.rule, strategy_id, symbol)
        position = self._open[strategy_id]
        alert = position.get(fingerprint)
        if alert is not None:
            alert.occurrences += 1
            alert.last_seen_at = at
            return alert
        alert = decision_to_alert(decision, snapshot, at)
        assert alert is not None  # not HOLD, checked above
        alert.alert_id = deterministic_alert_id(at, *fingerprint)
        alert.history = [history_event(at, "create", None, AlertStatus.ACTIVE, None, None)]
        position[fingerprint] = alert
        self._alerts.append(alert)
        return alert

    def resolve_quiet(self, strategy_id: int | None, at: datetime) -> None:
        """Resolve the open alerts of position ``strategy_id`` last seen a quiet period or
        more before ``at``."""
        if self.quiet_period is None:
            return
        position = self._open.get(strategy_id)
        if not position:
            return
        for fingerprint, alert in list(position.items()):
            assert alert.last_seen_at is not None  # Alert sets it to created_at
            if at - alert.last_seen_at >= self.quiet_period:
                alert.history.append(
                    resolve_event(at, alert.status.value, self.quiet_period, QUIET_RESOLVER)
                )
                alert.status = AlertStatus.RESOLVED
                alert.resolved_at = at
                del position[fingerprint]

    def resolve_gone(self, last_snapshots: Mapping[int, datetime], end: datetime) -> None:
        """Resolve the open alerts of every position whose last snapshot (``last_snapshots``)
        is before ``end``, the history's last instant, at that last snapshot."""
        for strategy_id, position in self._open.items():
            last = None if strategy_id is None else last_snapshots.get(strategy_id)
            if last is None or last >= end:
                continue
            for alert in position.values():
                alert.history.append(
                    resolve_event(
                        last, alert.status.value, self.quiet_period, QUIET_RESOLVER, gone=True
                    )
                )
                alert.status = AlertStatus.RESOLVED
                alert.resolved_at = last
            position.clear()

    def frame(self) -> pl.DataFrame:
        """The alerts as table rows (``ALERT_SCHEMA``), sorted by (created_at, alert_id)."""
        if not self._alerts:
            return pl.DataFrame(schema=ALERT_SCHEMA)
        return alerts_to_frame(self._alerts).sort("created_at", "alert_id")


def replay(
    snapshots: pl.DataFrame,
    rules: Sequence[Rule],
    *,
    quiet_period: timedelta | None = None,
    progress: bool = False,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Run ``snapshots`` (time order, one row per position per instant) through a fresh
    engine; returns (decisions as :data:`DECISIONS_SCHEMA`, alerts as ``ALERT_SCHEMA``)."""
    sink = BacktestAlertSink(quiet_period)
    engine = DecisionEngine(rules, alert_manager=sink)
    columns = list(SNAPSHOT_SCHEMA)

    async def run(bar: Progress) -> list[tuple[Any, ...]]:
        out: list[tuple[Any, ...]] = []
        for i, raw in enumerate(snapshots.select(columns).iter_rows(named=True)):
            row = snapshot_row(raw)
            decision = await engine.evaluate(row)
            sink.resolve_quiet(row["strategy_id"], row["as_of"])
            fired = None if decision.action is DecisionAction.HOLD else decision.rule
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
    if decisions.height:
        last = decisions.group_by("strategy_id").agg(pl.col("as_of").max()).rows()
        sink.resolve_gone(dict(last), decisions.get_column("as_of").max())  # type: ignore[arg-type]
    return decisions, sink.frame()


def _run_coroutine(coroutine: Coroutine[Any, Any, _T]) -> _T:
    """``asyncio.run``, also from inside a running event loop (a notebook cell)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
