"""Child processes of the notification crash tests (spawned: deltalake panics after fork).

Each child commits a cycle of five positions with one webhook handler named "desk" and is
killed at a chosen step of what follows the commit:

- ``after_commit``: the process dies as the commit hands its notifications to delivery;
- ``after_log``: it dies after the outcomes are logged, before the outbox is cleared;
- ``during``: the webhook hangs; the parent kills the child while it waits for the answer.

Either manager kind can be used (``kind``), so each kill is tried on both.
"""

from __future__ import annotations

import asyncio
import os
import signal
from datetime import UTC, datetime
from typing import Any

import polars as pl

from alertkit import AlertManager, SyncAlertManager
from alertkit.live import delivery
from alertkit.notify import webhook_handler

T = datetime(2026, 3, 2, 15, tzinfo=UTC)


def five_positions() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "as_of": [T] * 5,
            "strategy_id": list(range(5)),
            "symbol": ["SPY"] * 5,
            "strategy_type": ["iron_condor"] * 5,
            "dte": [40] * 5,
            "upl_pct": [0.1] * 5,
            "vix": [40.0] * 5,  # every position trips vix_level
        }
    )


def _die(*_: Any, **__: Any) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def commit_then_die(lake: str, url: str, kind: str, step: str) -> None:
    if step == "after_commit":
        delivery.Deliverer.submit = _die  # type: ignore[method-assign]
    elif step == "after_log":
        delivery.Deliverer._clear = _die  # type: ignore[method-assign]
    manager: AlertManager | SyncAlertManager
    if kind == "AlertManager":
        manager = AlertManager(lake, maintain_every=0)
        manager.add_handler(webhook_handler(url, timeout=60), name="desk", timeout=60)

        async def run() -> None:
            await manager.initialize()  # type: ignore[union-attr]
            await manager.run_cycle(five_positions())  # type: ignore[union-attr]
            await manager.flush_notifications(120)  # type: ignore[union-attr]

        asyncio.run(run())
    else:
        manager = SyncAlertManager(lake, maintain_every=0)
        manager.initialize()
        manager.add_handler(webhook_handler(url, timeout=60), name="desk", timeout=60)
        manager.run_cycle(five_positions())
        manager.flush_notifications(120)
    raise SystemExit(3)  # never reached: the test kills us first
