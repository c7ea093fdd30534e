"""Code run in spawned child processes by the concurrency, scale, crash and S3 tests (spawn:
deltalake's runtime panics in forked children, so workers must be importable module-level
functions), and the checks the parent runs on the table they leave."""

from __future__ import annotations

import json
import multiprocessing
import os
import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import polars as pl

from alertkit import Decision, InvalidTransitionError, SyncAlertManager
from alertkit.model.schema import alert_from_row, check_alert_frame

T0 = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
SHARED_FINGERPRINTS = 6
FIRINGS_PER_WORKER = 3
UNIQUE_PER_WORKER = 8


def shared_decision() -> Decision:
    return Decision("close", "VIX above 35", "vix_level", "high", {"vix": 36.0})


def mixed_operations(lake: str, worker: int) -> dict[str, str]:
    """Fire shared fingerprints (racing the other workers), create this worker's own alerts,
    and walk them through the lifecycle. Returns {alert_id: final status} of its own alerts."""
    manager = SyncAlertManager(lake, maintain_every=0, max_retries=60)
    for firing in range(FIRINGS_PER_WORKER):
        for fp in range(SHARED_FINGERPRINTS):
            snapshot = {
                "symbol": "SPY",
                "strategy_id": fp,
                "as_of": T0 + timedelta(minutes=firing, seconds=worker),
            }
            manager.create_alert(shared_decision(), snapshot)
    final: dict[str, str] = {}
    for i in range(UNIQUE_PER_WORKER):
        snapshot = {"symbol": "QQQ", "strategy_id": 1000 * (worker + 1) + i, "as_of": T0}
        alert = manager.create_alert(Decision("roll", "DTE 23", "dte_roll", "normal"), snapshot)
        assert alert is not None
        status = "active"
        if i % 2 == 0:
            manager.acknowledge_alert(alert.alert_id, by=f"worker-{worker}")
            status = "acknowledged"
        if i % 4 == 0:
            manager.resolve_alert(alert.alert_id, by=f"worker-{worker}", note=f"w{worker} i{i}")
            status = "resolved"
        elif i % 4 == 1:
            manager.dismiss_alert(alert.alert_id)
            status = "dismissed"
        final[alert.alert_id] = status
    return final


# --- planned operations with an exact model (scale, crash and S3 tests) -------------------
#
# A plan is a list of operations on fingerprints (rule "gamma_risk", symbol "SPY", one
# strategy_id each). Fingerprints a worker owns are touched by that worker only, so what
# happens to them depends on the plan alone and `Model` predicts it exactly; shared
# fingerprints are only fired (never transitioned), by every worker at once.

PLAN_RULE = "gamma_risk"
TRANSITIONS = ("acknowledge", "resolve", "dismiss")
_NEXT = {
    ("active", "acknowledge"): "acknowledged",
    ("active", "resolve"): "resolved",
    ("active", "dismiss"): "dismissed",
    ("acknowledged", "resolve"): "resolved",
    ("acknowledged", "dismiss"): "dismissed",
}

Op = tuple[str, int, int]
"""(kind, strategy_id, second): kind is "fire" or a transition, done at T0 + second."""


def op_time(second: int) -> datetime:
    return T0 + timedelta(seconds=second)


@dataclass
class ModelAlert:
    """What one alert must look like in the table after the plan ran."""

    strategy_id: int
    created_at: datetime
    status: str = "active"
    occurrences: int = 1
    last_seen_at: datetime | None = None
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None
    actions: list[str] = field(default_factory=lambda: ["create"])

    def row(self) -> tuple[object, ...]:
        return (
            self.strategy_id,
            self.created_at,
            self.status,
            self.occurrences,
            self.last_seen_at,
            self.acknowledged_at,
            self.resolved_at,
            tuple(self.actions),
        )


@dataclass
class Model:
    """docs/domain.md §6 for one writer: identity by fingerprint, the lifecycle, illegal moves
    refused."""

    alerts: dict[int, list[ModelAlert]] = field(default_factory=dict)

    def latest(self, strategy_id: int) -> ModelAlert | None:
        history = self.alerts.get(strategy_id)
        return history[-1] if history else None

    def apply(self, op: Op) -> str:
        """Apply ``op``; returns its outcome: new, repeat, the new status, or invalid."""
        kind, strategy_id, second = op
        when = op_time(second)
        alert = self.latest(strategy_id)
        if kind == "fire":
            if alert is not None and alert.status in ("active", "acknowledged"):
                alert.occurrences += 1
                alert.last_seen_at = max(when, alert.last_seen_at or when)
                return "repeat"
            new = ModelAlert(strategy_id, when, last_seen_at=when)
            self.alerts.setdefault(strategy_id, []).append(new)
            return "new"
        assert alert is not None, f"plan transitions {strategy_id} before it fired"
        status = _NEXT.get((alert.status, kind))
        if status is None:
            return "invalid"
        alert.status = status
        if status == "acknowledged":
            alert.acknowledged_at = when
        else:
            alert.resolved_at = when
        alert.actions.append(kind)
        return status

    def rows(self) -> list[tuple[object, ...]]:
        return sorted(a.row() for history in self.alerts.values() for a in history)


def simulate(ops: Sequence[Op]) -> tuple[Model, list[str]]:
    model = Model()
    return model, [model.apply(op) for op in ops]


def make_plan(
    seed: int,
    n: int,
    own: Sequence[int],
    shared: Sequence[int] = (),
    *,
    shared_share: float = 0.0,
    blind_share: float = 0.05,
    first_second: int = 0,
) -> list[Op]:
    """``n`` seeded operations: fire shared fingerprints (``shared_share`` of them), and fire,
    acknowledge, resolve and dismiss own ones. A ``blind_share`` of the transitions ignore
    the alert's status, so some are illegal and must be refused without a trace."""
    rng = random.Random(seed)
    model = Model()
    ops: list[Op] = []
    while len(ops) < n:
        second = first_second + len(ops)
        if shared and rng.random() < shared_share:
            ops.append(("fire", rng.choice(shared), second))
            continue
        strategy_id = rng.choice(own)
        latest = model.latest(strategy_id)
        if latest is None or latest.status in ("resolved", "dismissed"):
            legal = ["fire"]
        elif latest.status == "acknowledged":
            legal = ["fire", "resolve", "dismiss"]
        else:
            legal = ["fire", "fire", *TRANSITIONS]
        blind = latest is not None and rng.random() < blind_share
        op = (rng.choice(TRANSITIONS) if blind else rng.choice(legal), strategy_id, second)
        model.apply(op)
        ops.append(op)
    return ops


def plan_decision() -> Decision:
    return Decision("adjust", "Gamma 0.09 above the 0.08 limit", PLAN_RULE, "high", {"g": 0.09})


def run_plan(
    lake: str,
    ops: Sequence[Op],
    *,
    worker: int = 0,
    storage_options: dict[str, str] | None = None,
    maintain_every: int = 200,
    journal: str | None = None,
) -> list[str]:
    """Do ``ops`` with one manager; returns each op's outcome (as `Model.apply` names them).

    With ``journal``, "start i" is written before op i and "done i" after it, unbuffered, so
    a parent that kills this process knows which ops completed and which one was in flight.
    """
    # Four writers firing the same rows at full speed contend far beyond real use; the
    # generous retry budget lets every plan complete, so the table can be checked exactly.
    manager = SyncAlertManager(
        lake, storage_options=storage_options, maintain_every=maintain_every, max_retries=60
    )
    fd = os.open(journal, os.O_WRONLY | os.O_CREAT | os.O_APPEND) if journal else None
    latest: dict[int, str] = {}
    outcomes = []
    for i, (kind, strategy_id, second) in enumerate(ops):
        if fd is not None:
            os.write(fd, f"start {i}\n".encode())
        when = op_time(second)
        if kind == "fire":
            snapshot = {"symbol": "SPY", "strategy_id": strategy_id}
            alert, is_new = manager.create_or_repeat(plan_decision(), snapshot, at=when)
            assert alert is not None
            latest[strategy_id] = alert.alert_id
            outcome = "new" if is_new else "repeat"
        else:
            try:
                done = manager.transition(
                    latest[strategy_id], kind, by=f"worker-{worker}", note=f"op {i}", at=when
                )
                outcome = done.status.value
            except InvalidTransitionError:
                outcome = "invalid"
        outcomes.append(outcome)
        if fd is not None:
            os.write(fd, f"done {i}\n".encode())
    if fd is not None:
        os.close(fd)
    return outcomes


# --- checks run by the parent on what the workers left --------------------------------------


def check_invariants(board: pl.DataFrame) -> None:
    """Every row is a complete alert in a legal state, and its history explains that state."""
    check_alert_frame(board)  # enums, ids unique, status vs resolved_at, one open per fingerprint
    for row in board.iter_rows(named=True):
        alert = alert_from_row(row)  # validates every field, and timestamps against status
        events = json.loads(row["history"])
        first = events[0]
        assert (first["action"], first["from"], first["to"]) == ("create", None, "active"), row
        assert all(later["from"] == earlier["to"] for earlier, later in pairwise(events)), row
        assert events[-1]["to"] == row["status"], row
        acknowledged = any(e["action"] == "acknowledge" for e in events)
        assert (alert.acknowledged_at is not None) == acknowledged, row


def table_rows(board: pl.DataFrame, strategy_ids: Iterable[int]) -> list[tuple[object, ...]]:
    """The rows of ``strategy_ids`` in the shape of `ModelAlert.row`, sorted."""
    mine = board.filter(pl.col("strategy_id").is_in(list(strategy_ids)))
    return sorted(
        (
            r["strategy_id"],
            r["created_at"],
            r["status"],
            r["occurrences"],
            r["last_seen_at"],
            r["acknowledged_at"],
            r["resolved_at"],
            tuple(e["action"] for e in json.loads(r["history"])),
        )
        for r in mine.iter_rows(named=True)
    )


def check_plans(
    board: pl.DataFrame,
    plans: Sequence[Sequence[Op]],
    outcomes: Sequence[Sequence[str]],
    shared: Sequence[int],
) -> None:
    """The table equals exactly what the workers' plans did.

    Own fingerprints: every alert, occurrence, status, timestamp and history action the
    model predicts, and each worker saw the outcomes the model predicts. Shared ones: one
    alert each, created by exactly one worker, counting every firing of every worker.
    """
    check_invariants(board)
    own_rows: list[tuple[object, ...]] = []
    for ops, seen in zip(plans, outcomes, strict=True):
        own = [(op, got) for op, got in zip(ops, seen, strict=True) if op[1] not in shared]
        model, predicted = simulate([op for op, _ in own])
        assert [got for _, got in own] == predicted
        assert {got for op, got in zip(ops, seen, strict=True) if op[1] in shared} <= {
            "new",
            "repeat",
        }
        own_rows += model.rows()
    own_ids = {op[1] for ops in plans for op in ops if op[1] not in shared}
    assert table_rows(board, own_ids) == sorted(own_rows)

    fires = [op for ops in plans for op in ops if op[1] in shared]
    news = Counter(
        op[1]
        for ops, seen in zip(plans, outcomes, strict=True)
        for op, got in zip(ops, seen, strict=True)
        if op[1] in shared and got == "new"
    )
    expected_shared = []
    for strategy_id in sorted({op[1] for op in fires}):
        times = [op_time(op[2]) for op in fires if op[1] == strategy_id]
        assert news[strategy_id] == 1, f"{strategy_id} was created {news[strategy_id]} times"
        expected_shared.append((strategy_id, "active", len(times), max(times), ("create",)))
    got_shared = table_rows(board, shared)
    assert [(r[0], r[2], r[3], r[4], r[7]) for r in got_shared] == expected_shared
    times_by_id = {s: {op_time(op[2]) for op in fires if op[1] == s} for s in shared}
    assert all(r[1] in times_by_id[r[0]] for r in got_shared)  # type: ignore[index]
    assert board.height == len(own_rows) + len(expected_shared)


def maintain_table(lake: str, start: Any, results: Any, table: str = "alerts") -> None:
    """Explicit maintenance of the whole lake, started together with the other processes at
    ``start`` (a barrier); puts (files removed, files added) by the compaction of ``table``
    (``"alerts"`` or a side table's name, as ``side_tables`` names it) on ``results``."""
    manager = SyncAlertManager(lake, maintain_every=0)
    start.wait()
    lake_report = manager.maintain()
    report = lake_report if table == "alerts" else lake_report.side_tables[table]
    results.put((report.files_removed_by_compaction, report.files_added_by_compaction))


def maintain_at_once(lake: str, table: str = "alerts", processes: int = 3) -> list[Any]:
    """Run ``maintain()`` in ``processes`` spawned processes released together; returns their
    (files removed, files added) for ``table``, sorted."""
    context = multiprocessing.get_context("spawn")  # deltalake's runtime panics after fork
    start, results = context.Barrier(processes), context.Queue()
    workers = [
        context.Process(target=maintain_table, args=(lake, start, results, table))
        for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    reports = sorted(results.get(timeout=120) for _ in workers)
    for worker in workers:
        worker.join(timeout=60)
    return reports
