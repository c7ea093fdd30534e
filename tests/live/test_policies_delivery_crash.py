"""SIGKILL in the middle of delivery with policies in force: a muted alert is never sent, by the
killed process or the next one, and the derived dues (a silence's end, an escalation) are not
lost by a kill before they are logged; webhooks on 127.0.0.1, on both managers.
"""

from __future__ import annotations

import multiprocessing
import signal
from datetime import timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from _factories import an_alert
from _http import RecordingServer
from _notify_workers import T
from _policy_delivery_workers import ESCALATION, PAGED, derive_then_die, storm_then_die

from alertkit import AlertManager, SyncAlertManager
from alertkit.lake.store import AlertStore
from alertkit.live.policy_store import PolicyStore
from alertkit.notify import webhook_handler
from alertkit.policy import Silence

KINDS = ["SyncAlertManager", "AlertManager"]
M = timedelta(minutes=1)


def run_child(target: Any, *args: Any) -> None:
    context = multiprocessing.get_context("spawn")  # deltalake's runtime panics after fork
    child = context.Process(target=target, args=args, daemon=True)
    child.start()
    child.join(120)
    assert child.exitcode == -signal.SIGKILL


def next_process(lake: str, kind: str, clock: Any) -> SyncAlertManager:
    if kind == "SyncAlertManager":
        return SyncAlertManager(lake, maintain_every=0, clock=clock)
    return AlertManager(lake, maintain_every=0, clock=clock).sync


def silence_of(lake: str, matchers: dict[str, str], ends_after: timedelta) -> Silence:
    made = Silence(matchers, T - timedelta(hours=1), T + ends_after, "ana", "maintenance")
    return PolicyStore.beside(AlertStore(lake)).add_silence(made)


def posted(server: RecordingServer) -> list[tuple[str, int]]:
    """(reason, strategy_id) of each request the server received."""
    return [(r.headers["x-alertkit-reason"], r.json()["strategy_id"]) for r in server.requests]


@pytest.mark.parametrize("kind", KINDS)
def test_a_kill_between_the_log_and_the_clearing_never_sends_a_muted_alert(
    tmp_path: Path, kind: str
) -> None:
    lake = str(tmp_path / "alerts")
    hush = silence_of(lake, {"strategy_id": "=~[01]"}, timedelta(hours=1))
    with RecordingServer() as first:
        run_child(storm_then_die, lake, first.url + "/hook", kind, T)
        assert sorted(posted(first)) == [("new", 2), ("new", 3), ("new", 4)]
    rows = pl.read_delta(lake).sort("strategy_id")
    sid = dict(rows.select("alert_id", "strategy_id").iter_rows())
    assert rows["notify_pending"].is_not_null().to_list() == [True] * 5  # never cleared
    with RecordingServer() as second:
        manager = next_process(lake, kind, lambda: T + M)  # the silence still holds
        manager.add_handler(webhook_handler(second.url + "/hook"), name="desk")
        done = manager.deliver_pending()
        assert sorted(
            (sid[a], o, e) for a, o, e in done.select("alert_id", "outcome", "error").rows()
        ) == [
            (0, "suppressed", f"silence: {hush.silence_id}"),
            (1, "suppressed", f"silence: {hush.silence_id}"),
            (2, "sent", None),
            (3, "sent", None),
            (4, "sent", None),
        ]
        second.wait_for(3)
        assert sorted(posted(second)) == [("new", 2), ("new", 3), ("new", 4)]
        assert manager.deliver_pending().height == 0  # done: nothing left
    assert pl.read_delta(lake)["notify_pending"].is_null().all()
    log = manager.notification_log()
    per_alert = log.group_by("alert_id").agg(pl.col("outcome").sort()).rows()
    assert sorted((sid[a], o) for a, o in per_alert) == [
        (0, ["suppressed", "suppressed"]),
        (1, ["suppressed", "suppressed"]),
        (2, ["sent", "sent"]),  # at least once: sent again after the kill
        (3, ["sent", "sent"]),
        (4, ["sent", "sent"]),
    ]


@pytest.mark.parametrize("step", ["before_send", "before_log"])
@pytest.mark.parametrize("kind", KINDS)
def test_derived_dues_survive_a_kill_before_they_are_logged(
    tmp_path: Path, kind: str, step: str
) -> None:
    lake = str(tmp_path / "alerts")
    ended = silence_of(lake, {"symbol": "SPY"}, 10 * M)
    quiet = an_alert(created_at=T - 30 * M, strategy_id=1, silenced_by=ended.silence_id)
    late = an_alert(created_at=T, symbol="QQQ", strategy_id=2, severity="immediate")
    setup = SyncAlertManager(lake, maintain_every=0)
    setup.initialize()
    setup.insert_alerts([quiet, late])
    now = T + 30 * M  # the silence ended at T+10, the escalation was due at T+5
    with RecordingServer() as desk, RecordingServer() as pager:
        run_child(derive_then_die, lake, desk.url + "/d", pager.url + "/p", kind, now, step)
        if step == "before_log":  # sent, then killed before the log: told again below
            assert (posted(desk), posted(pager)) == ([("silence_ended", 1)], [("escalated", 2)])
        else:
            assert (posted(desk), posted(pager)) == ([], [])
    assert not Path(lake + "_notifications").exists()  # nothing was logged
    with RecordingServer() as desk, RecordingServer() as pager:
        manager = next_process(lake, kind, lambda: now + M)
        manager.set_policies(ESCALATION)
        manager.add_handler(webhook_handler(desk.url + "/d"), name="desk")
        manager.add_handler(webhook_handler(pager.url + "/p"), name="pager", reasons=PAGED)
        done = manager.deliver_pending()
        assert sorted(done.select("alert_id", "handler", "reason", "outcome").rows()) == sorted(
            [
                (quiet.alert_id, "desk", "silence_ended", "sent"),
                (late.alert_id, "pager", "escalated", "sent"),
            ]
        )
        desk.wait_for(1)
        pager.wait_for(1)
        assert (posted(desk), posted(pager)) == ([("silence_ended", 1)], [("escalated", 2)])
        assert manager.deliver_pending().height == 0  # told once: settled by the log
