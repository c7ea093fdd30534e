"""Code run in spawned child processes by the concurrency tests (spawn: deltalake's runtime
panics in forked children, so workers must be importable module-level functions)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alertkit import Decision, SyncAlertManager

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
