"""Another Delta engine reads the lake exactly as alertkit does (DuckDB's ``delta_scan``).

The workload goes through the public API only: first firings and repeats, every transition
with awkward notes, a bulk insert, compaction and a checkpoint, then more commits on top.
"""

from __future__ import annotations

import asyncio
import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import polars as pl
from _delta_reader import connect, delta_scan, json_columns_parse

from alertkit import Alert, AlertManager, Decision, SyncAlertManager
from alertkit.lake.query import scan_alerts, scan_transitions
from conftest import T0, StepClock

RULES = ("stop_loss_hard", "take_profit_full", "dte_roll", "vix_level", "gamma_risk")
NOTES = ("it's done'; DROP TABLE alerts; --", 'quote " and \\ backslash', "ünï 🚀\n\ttab", "")


def _decision(i: int) -> Decision:
    metadata = {
        "upl_pct": -0.5 - i / 100,
        "threshold": Decimal("0.80"),
        "expiry": date(2026, 2, 20),
        "legs": [{"strike": 450 + i, "right": "P"}, (1, 2)],
        "text": "naïve ☃ 🚀 \x00 \x1f",
        "none": None,
    }
    return Decision("close", f"reason {i}: P&L fell", RULES[i % len(RULES)], "high", metadata)


def _workload(lake: str) -> SyncAlertManager:
    manager = SyncAlertManager(lake, clock=StepClock(), maintain_every=0)
    manager.initialize()
    made = []
    for i in range(12):  # first firings on 4 positions x several triggers, then repeats
        snapshot = {
            "symbol": ("SPY", "QQQ", "IWM", "DIA")[i % 4],
            "strategy_id": i % 4,
            "as_of": T0 + timedelta(minutes=i),
        }
        alert = manager.create_alert(_decision(i), snapshot)
        assert alert is not None
        made.append(alert)
    for i in (0, 1, 2, 5):
        manager.create_alert(
            _decision(i), {"symbol": made[i].symbol, "strategy_id": made[i].strategy_id}
        )
    asyncio.run(
        AlertManager(
            lake, clock=StepClock(T0 + timedelta(hours=2)), maintain_every=0
        ).acknowledge_alert(made[3].alert_id, by="async ann", note=NOTES[2])
    )
    at = T0 + timedelta(hours=3)
    manager.acknowledge_alert(made[0].alert_id, by="o'brien\\", note=NOTES[0], at=at)
    manager.resolve_alert(made[0].alert_id, by="ann", note=NOTES[1], at=at + timedelta(minutes=1))
    manager.dismiss_alert(made[1].alert_id, note=NOTES[3], at=at)
    manager.acknowledge_alerts([made[6].alert_id, made[7].alert_id], by="bulk", at=at)
    bulk = [
        Alert(
            alert_id=f"bulk-{i}",
            type="info",
            severity="low",
            status="resolved" if i % 2 else "active",
            title=f"Backfilled {i}",
            message="imported from the old system ✓",
            rule="imported",
            symbol=None if i == 0 else "TLT",
            strategy_id=None if i == 0 else 100 + i,
            metadata={"source": "csv", "row": i, "nested": {"deep": [i, {"x": "y"}]}},
            created_at=T0 - timedelta(days=i),
            resolved_at=T0 if i % 2 else None,
            rule_priority=2.5,
            engine_rule="importer",
        )
        for i in range(6)
    ]
    assert manager.insert_alerts(bulk) == 6
    report = manager.maintain()
    assert report.files_removed_by_compaction > 1 and report.checkpoint_version is not None
    # More commits after the checkpoint: readers must replay log entries on top of it.
    manager.resolve_alert("bulk-2", by="later", at=at + timedelta(hours=1))
    manager.create_alert(_decision(0), {"symbol": "SPY", "strategy_id": 0})  # a new first firing
    return manager


def test_duckdb_reads_exactly_what_polars_reads(tmp_path: Path) -> None:
    lake = str(tmp_path / "alerts")
    manager = _workload(lake)
    ours = scan_alerts(lake).sort("alert_id").collect()
    con = connect()
    theirs = delta_scan(con, lake)
    assert ours.height == 12 + 6 + 1
    assert theirs.equals(ours), theirs.join(ours, on="alert_id", how="anti")
    assert json_columns_parse(con, lake) == (ours.height, ours.height)
    # The JSON columns mean the same to DuckDB's JSON functions as to Python's json module.
    parsed = con.execute(
        "SELECT alert_id, CAST(json_extract(metadata, '$') AS VARCHAR),"
        f" CAST(json_extract(history, '$') AS VARCHAR) FROM delta_scan('{lake}')"
    ).fetchall()
    assert len(parsed) == ours.height
    for alert_id, metadata, history in parsed:
        stored = manager.get_alert(alert_id)
        assert (json.loads(metadata), json.loads(history)) == (stored.metadata, stored.history)
    events = scan_transitions(scan_alerts(lake)).collect()
    duck_events = con.execute(
        "SELECT alert_id, count(*) AS n FROM"
        f" (SELECT alert_id, unnest(CAST(json_extract(history, '$[*]') AS JSON[])) FROM"
        f" delta_scan('{lake}')) GROUP BY alert_id ORDER BY alert_id"
    ).pl()
    assert (
        events.group_by("alert_id")
        .len("n")
        .sort("alert_id")
        .equals(duck_events.cast({"n": pl.UInt32}))
    )
