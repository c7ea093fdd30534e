"""SIGKILL between the commit and the delivery, during a delivery, and between the log and
the outbox's clearing: no notification is lost; the next process's ``deliver_pending`` sends
what was due (at least once), on both managers.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from pathlib import Path

import polars as pl
import pytest
from _http import Hang, RecordingServer
from _notify_workers import commit_then_die

from alertkit import AlertManager, SyncAlertManager
from alertkit.notify import webhook_handler

KINDS = ["SyncAlertManager", "AlertManager"]


def spawn(lake: str, url: str, kind: str, step: str) -> multiprocessing.process.BaseProcess:
    context = multiprocessing.get_context("spawn")  # deltalake's runtime panics after fork
    child = context.Process(target=commit_then_die, args=(lake, url, kind, step), daemon=True)
    child.start()
    return child


def next_process(lake: str, kind: str, url: str) -> SyncAlertManager:
    """The process after the crash: a manager of ``kind`` with the same handler name."""
    manager = SyncAlertManager(lake) if kind == "SyncAlertManager" else AlertManager(lake).sync
    manager.add_handler(webhook_handler(url), name="desk")
    return manager


def pending(lake: str) -> list[str | None]:
    rows = pl.read_delta(lake).sort("strategy_id")
    return [v and v.split('"due_at"')[0] for v in rows["notify_pending"]]


DUE = '[{"handler": "desk", "reason": "new", '


@pytest.mark.parametrize("kind", KINDS)
def test_killed_between_the_commit_and_the_delivery(tmp_path: Path, kind: str) -> None:
    lake = str(tmp_path / "alerts")
    with RecordingServer() as first:
        child = spawn(lake, first.url + "/hook", kind, "after_commit")
        child.join(120)
        assert child.exitcode == -signal.SIGKILL
        assert first.requests == []  # nothing was sent
    assert pending(lake) == [DUE] * 5  # but all of it is recorded as due
    with RecordingServer() as second:
        manager = next_process(lake, kind, second.url + "/hook")
        delivered = manager.deliver_pending()
        assert (
            delivered.select("handler", "reason", "outcome").rows() == [("desk", "new", "sent")] * 5
        )
        ids = sorted(r.json()["alert_id"] for r in second.wait_for(5))
    assert ids == sorted(pl.read_delta(lake)["alert_id"])
    assert pending(lake) == [None] * 5
    assert manager.deliver_pending().height == 0  # sent once


@pytest.mark.parametrize("kind", KINDS)
def test_killed_during_a_delivery(tmp_path: Path, kind: str) -> None:
    lake = str(tmp_path / "alerts")
    with RecordingServer(default=Hang(60)) as hung:
        child = spawn(lake, hung.url + "/hook", kind, "during")
        try:
            hung.wait_for(1, timeout=120)  # the first post is in flight
        finally:
            os.kill(child.pid, signal.SIGKILL)  # type: ignore[arg-type]
            child.join(60)
        assert child.exitcode == -signal.SIGKILL
    assert pending(lake) == [DUE] * 5
    with RecordingServer() as second:
        manager = next_process(lake, kind, second.url + "/hook")
        assert manager.deliver_pending()["outcome"].to_list() == ["sent"] * 5
        assert len(second.wait_for(5)) == 5
    assert pending(lake) == [None] * 5
    assert manager.notification_log()["outcome"].to_list() == ["sent"] * 5


@pytest.mark.parametrize("kind", KINDS)
def test_killed_after_the_log_before_the_outbox_is_cleared(tmp_path: Path, kind: str) -> None:
    lake = str(tmp_path / "alerts")
    with RecordingServer() as first:
        child = spawn(lake, first.url + "/hook", kind, "after_log")
        child.join(120)
        assert child.exitcode == -signal.SIGKILL
        assert len(first.requests) == 5  # sent, and logged as sent
    assert pending(lake) == [DUE] * 5  # still due: the clearing never committed
    with RecordingServer() as second:
        manager = next_process(lake, kind, second.url + "/hook")
        assert manager.deliver_pending().height == 5  # at least once: sent again
        assert len(second.wait_for(5)) == 5
    log = manager.notification_log()
    assert log.group_by("alert_id").len()["len"].to_list() == [2] * 5
    assert pending(lake) == [None] * 5
