"""Worker functions for the identity storm and SIGKILL tests (spawned processes import them)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import polars as pl

from alertkit import Alert, Decision, SyncAlertManager
from alertkit.model._ids import new_alert_id

T0 = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
SHARED = [(sid, sym) for sid in range(3) for sym in ("SPY", "QQQ")]


def fire(manager: SyncAlertManager, strategy_id: int, symbol: str, i: int) -> str:
    decision = Decision("close", "VIX 40 above 35", "vix_level", "high", {"vix": 40.0})
    snapshot = {"strategy_id": strategy_id, "symbol": symbol, "as_of": T0 + timedelta(seconds=i)}
    alert = manager.create_alert(decision, snapshot)
    assert alert is not None
    return alert.alert_id


def storm(lake: str, worker: int, firings: int) -> list[tuple[int, str, str]]:
    """Fire the shared fingerprints round-robin; returns (strategy_id, symbol, id) per firing."""
    manager = SyncAlertManager(lake, maintain_every=0)
    done = []
    for i in range(firings):
        strategy_id, symbol = SHARED[(i + worker) % len(SHARED)]
        done.append((strategy_id, symbol, fire(manager, strategy_id, symbol, i)))
    return done


def book(n: int, at: datetime) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "as_of": [at] * n,
            "strategy_id": list(range(n)),
            "symbol": ["SPY"] * n,
            "strategy_type": ["iron_condor"] * n,
            "dte": [40] * n,
            "vix": [40.0] * n,
        }
    )


def journal_loop(lake: str, journal: str, kind: str) -> None:
    """Repeat one kind of write forever, journalling each one that returned (fsynced)."""
    manager = SyncAlertManager(lake, maintain_every=7)
    with open(journal, "a") as out:
        for i in range(1_000_000):
            if kind == "first":  # a new fingerprint every time
                fire(manager, 1_000_000 * os.getpid() + i, "SPY", i)
            elif kind == "repeat":  # one fingerprint, over and over
                fire(manager, 1, "SPY", i)
            elif kind == "cycle":  # 20 positions, first firings then repeats
                manager.run_cycle(book(20, T0 + timedelta(minutes=i)))
            elif kind == "bulk":
                manager.insert_alerts([_closed_alert(5_000_000 + 10 * i + k) for k in range(10)])
            out.write(f"done {i}\n")
            out.flush()
            os.fsync(out.fileno())


def _closed_alert(strategy_id: int) -> Alert:
    return Alert(
        alert_id=new_alert_id(T0),
        type="warning",
        severity="high",
        status="resolved",
        title="Close position: vix_level",
        message="VIX 40 above 35",
        rule="vix_level",
        symbol="SPY",
        strategy_id=strategy_id,
        metadata={},
        created_at=T0,
        resolved_at=T0 + timedelta(hours=1),
        history=[
            {
                "at": "2026-01-05T15:00:00.000000Z",
                "action": "create",
                "from": None,
                "to": "active",
                "by": None,
                "note": None,
            },
            {
                "at": "2026-01-05T16:00:00.000000Z",
                "action": "resolve",
                "from": "active",
                "to": "resolved",
                "by": None,
                "note": None,
            },
        ],
    )
