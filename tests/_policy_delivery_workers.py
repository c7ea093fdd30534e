"""Child processes of the policy crash tests (spawned: deltalake panics after fork).

- :func:`storm_then_die` commits a cycle of five positions (a VIX storm) while a stored
  silence covers two of them, with one webhook handler "desk", and dies after the outcomes
  are logged, before the outbox is cleared;
- :func:`derive_then_die` delivers the derived dues at ``now`` (a silence's end to "desk", an
  escalation to "pager", both webhooks) and dies before they are logged (``before_log``:
  after sending) or before anything is sent (``before_send``).

The clock of each child stands at the instant it is given, so every ``due_at`` is known.
Either manager kind can be used (``kind``).
"""

from __future__ import annotations

import asyncio
import os
import signal
from datetime import datetime, timedelta
from typing import Any

from _notify_workers import five_positions

from alertkit import AlertManager, SyncAlertManager
from alertkit.live import delivery, notification_log
from alertkit.notify import NotificationHub, webhook_handler
from alertkit.policy import Escalation, Policies

ESCALATION = Policies(escalation=Escalation({"immediate": timedelta(minutes=5)}, ["pager"]))
PAGED = ("escalated",)
"""What "pager" hears of: escalations only (so not a silence's end)."""


def _die(*_: Any, **__: Any) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _manager(lake: str, kind: str, now: datetime) -> SyncAlertManager:
    """The core of a manager of ``kind`` whose clock stands at ``now``."""
    if kind == "AlertManager":
        async_manager = AlertManager(lake, maintain_every=0, clock=lambda: now)
        asyncio.run(async_manager.initialize())
        return async_manager.sync
    manager = SyncAlertManager(lake, maintain_every=0, clock=lambda: now)
    manager.initialize()
    return manager


def storm_then_die(lake: str, url: str, kind: str, now: datetime) -> None:
    delivery.Deliverer._clear = _die  # type: ignore[method-assign]
    manager = _manager(lake, kind, now)
    manager.add_handler(webhook_handler(url, timeout=60), name="desk", timeout=60)
    manager.run_cycle(five_positions())
    manager.flush_notifications(120)
    raise SystemExit(3)  # never reached: the kill comes first


def derive_then_die(lake: str, desk: str, pager: str, kind: str, now: datetime, step: str) -> None:
    if step == "before_log":
        notification_log.NotificationLog.append = _die  # type: ignore[method-assign]
    else:
        NotificationHub.send = _die  # type: ignore[method-assign]
    manager = _manager(lake, kind, now)
    manager.set_policies(ESCALATION)
    manager.add_handler(webhook_handler(desk, timeout=60), name="desk", timeout=60)
    manager.add_handler(webhook_handler(pager, timeout=60), name="pager", timeout=60, reasons=PAGED)
    manager.deliver_pending()
    raise SystemExit(3)
