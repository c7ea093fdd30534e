"""Timelines never contradict themselves (issue 18 section 5, docs/domain.md §6).

A cycle dated before events already in the lake (a stale cycle) is not refused: its events
are dated no earlier than the latest event of their fingerprint's timeline. So a quiet-period
resolution is never dated before an acknowledgement, and a firing dated before a person's
resolve never opens a second alert overlapping the closed one by ``is_open_at``. Each test
here failed on the earlier design, which dated every event at its snapshot.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import random
from datetime import timedelta

import polars as pl
import pytest
from _timeline_workers import QUIET, T0, cycles, position, timeline_problems, triage
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from alertkit import AlertkitError, Decision, SyncAlertManager

FIRE = position(1, fire=True)
HOLD = position(1, fire=False)
HOUR = timedelta(hours=1)


def fresh(lake: str) -> SyncAlertManager:
    manager = SyncAlertManager(lake, maintain_every=0)
    manager.initialize()
    return manager


def test_a_stale_quiet_resolve_is_not_dated_before_the_acknowledgement(lake: str) -> None:
    manager = fresh(lake)
    alert_id = manager.run_cycle([FIRE], at=T0, quiet_period=QUIET).new_alerts[0].alert_id
    manager.acknowledge_alert(alert_id, by="ann", at=T0 + 2 * HOUR)
    result = manager.run_cycle([HOLD], at=T0 + HOUR, quiet_period=QUIET)
    assert [a.alert_id for a in result.resolved] == [alert_id]
    assert result.redated == 1
    assert result.summary() == "1 snapshots: 0 new, 0 repeats, 1 resolved, 1 redated (version 3)"
    alert = manager.get_alert(alert_id)
    assert (alert.acknowledged_at, alert.resolved_at) == (T0 + 2 * HOUR, T0 + 2 * HOUR)
    assert [(e["action"], e["at"], e["from"]) for e in alert.history] == [
        ("create", "2026-03-02T10:00:00.000000Z", None),
        ("acknowledge", "2026-03-02T12:00:00.000000Z", "active"),
        ("resolve", "2026-03-02T12:00:00.000000Z", "acknowledged"),
    ]


def test_a_stale_firing_does_not_open_an_alert_overlapping_a_closed_one(lake: str) -> None:
    manager = fresh(lake)
    first = manager.run_cycle([FIRE], at=T0).new_alerts[0]
    manager.resolve_alert(first.alert_id, by="ann", at=T0 + 2 * HOUR)
    result = manager.run_cycle([FIRE], at=T0 + HOUR)
    (second,) = result.new_alerts
    assert result.redated == 1
    # Opened no earlier than the close: at no instant are both open.
    assert (second.created_at, second.last_seen_at) == (T0 + 2 * HOUR, T0 + 2 * HOUR)
    assert [e["at"] for e in second.history] == ["2026-03-02T12:00:00.000000Z"]
    assert timeline_problems(manager.read_board()) == []
    # A later cycle in time order is not redated.
    later = manager.run_cycle([FIRE], at=T0 + 3 * HOUR)
    assert (later.redated, [a.alert_id for a in later.repeats]) == (0, [second.alert_id])


def test_a_stale_create_alert_is_dated_after_the_close_too(lake: str) -> None:
    manager = fresh(lake)
    decision = Decision("close", "VIX above 35", "vix_level", "high")
    first = manager.create_alert(decision, {"strategy_id": 1, "symbol": "SPY"}, at=T0)
    assert first is not None
    manager.dismiss_alert(first.alert_id, at=T0 + 2 * HOUR)
    second = manager.create_alert(decision, {"strategy_id": 1, "symbol": "SPY"}, at=T0 + HOUR)
    assert second is not None and second.created_at == T0 + 2 * HOUR
    assert manager.get_alert(second.alert_id).created_at == T0 + 2 * HOUR
    assert timeline_problems(manager.read_board()) == []


def test_new_alerts_come_in_one_order_whatever_the_row_order(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # One snapshot per position and instant (a cycle refuses two); symbols interleaved.
    book = [position(sid, fire=True) | {"symbol": ("QQQ", "SPY")[sid % 2]} for sid in range(24)]
    expected = [(sid, ("QQQ", "SPY")[sid % 2]) for sid in range(24)]
    rng = random.Random(7)
    for _ in range(4):
        rows = book.copy()
        rng.shuffle(rows)
        manager = fresh(str(tmp_path_factory.mktemp("order") / "alerts"))
        result = manager.run_cycle(rows, at=T0)
        assert [(a.strategy_id, a.symbol) for a in result.new_alerts] == expected
        # Repeats too: the same cycle again, shuffled again.
        rng.shuffle(rows)
        again = manager.run_cycle(pl.DataFrame(rows), at=T0 + HOUR)
        assert [(a.strategy_id, a.symbol) for a in again.repeats] == expected


# -- random interleavings ----------------------------------------------------------------

MINUTES = st.integers(0, 24).map(lambda k: T0 + timedelta(minutes=10 * k))
CYCLE = st.tuples(
    st.just("cycle"),
    MINUTES,
    st.lists(st.sampled_from(["fire", "hold", "absent"]), min_size=2, max_size=2),
    st.sampled_from([None, QUIET, HOUR]),
    st.booleans(),  # complete
)
PERSON = st.tuples(
    st.sampled_from(["acknowledge", "resolve", "dismiss"]), MINUTES, st.integers(0, 20)
)
Step = tuple[object, ...]


def play(manager: SyncAlertManager, steps: list[Step]) -> None:
    for step in steps:
        if step[0] == "cycle":
            _, at, kinds, quiet, complete = step
            book = [position(sid, fire=k == "fire") for sid, k in enumerate(kinds) if k != "absent"]  # type: ignore[attr-defined]
            # complete only when set, so the examples without it run on any version
            whole = {"complete": True} if complete else {}
            manager.run_cycle(book, at=at, quiet_period=quiet, **whole)  # type: ignore[arg-type]
            continue
        action, at, pick = step
        board = manager.read_board()
        if board.is_empty():
            continue
        alert_id = board["alert_id"][pick % board.height]  # type: ignore[operator]
        # An illegal move or a date before the latest event is refused, as it should be.
        with contextlib.suppress(AlertkitError):
            manager.transition(alert_id, action, by="ann", at=at)  # type: ignore[arg-type]


REPRO: list[Step] = [
    ("cycle", T0, ["fire", "absent"], QUIET, False),
    ("acknowledge", T0 + 2 * HOUR, 0),
    ("cycle", T0 + HOUR, ["hold", "absent"], QUIET, False),
]
OVERLAP: list[Step] = [
    ("cycle", T0, ["fire", "fire"], None, False),
    ("resolve", T0 + 2 * HOUR, 0),
    ("cycle", T0 + HOUR, ["fire", "fire"], None, False),
]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.lists(st.one_of(CYCLE, PERSON), min_size=1, max_size=9))
@example(REPRO)
@example(OVERLAP)
def test_random_interleavings_of_cycles_and_people_keep_every_timeline_consistent(
    tmp_path_factory: pytest.TempPathFactory, steps: list[Step]
) -> None:
    manager = fresh(str(tmp_path_factory.mktemp("timeline") / "alerts"))
    play(manager, steps)
    assert timeline_problems(manager.read_board()) == []


def test_racing_cycle_processes_and_bulk_triage_keep_every_timeline_consistent(
    lake: str,
) -> None:
    fresh(lake)
    context = multiprocessing.get_context("spawn")  # deltalake's runtime panics after fork
    with context.Pool(4) as pool:
        runs = [pool.apply_async(cycles, (lake, worker, 6)) for worker in range(3)]
        runs.append(pool.apply_async(triage, (lake, 8)))
        assert [r.get(timeout=300) for r in runs][:3] == [6, 6, 6]
    board = pl.read_delta(lake)
    assert board.height > 0
    assert timeline_problems(board) == []
