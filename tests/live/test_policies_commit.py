"""Commit-time policy marks (docs/policies.md): ``silenced_by``, a snooze rule's snooze and
``flapping``, written by ``run_cycle`` and ``create_alert`` in their own commit.

Hand-built histories of two positions (strategy 1 on SPY, strategy 2 on QQQ): ``vix`` 40
fires ``vix_level``, 20 does not. A silence on SPY from 10:00 to 11:00; firings at 09:30,
10:30 and 11:30.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
import pytest
from _managers import Driver, MakeDriver, ManualClock
from deltalake import DeltaTable

from alertkit import Decision, FlapDetection, Policies, SnoozeRule
from alertkit.policy.flapping import flap_states

T9 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
M = timedelta(minutes=1)
T0930, T1000, T1030 = T9 + 30 * M, T9 + 60 * M, T9 + 90 * M
T1100, T1130 = T9 + 120 * M, T9 + 150 * M
SPY, QQQ = (1, "SPY"), (2, "QQQ")
QUIET = timedelta(minutes=20)


def snapshots(at: datetime, vix: dict[tuple[int, str], float]) -> pl.DataFrame:
    """One snapshot per position at ``at`` with its ``vix``."""
    return pl.DataFrame(
        {
            "as_of": [at] * len(vix),
            "strategy_id": [sid for sid, _ in vix],
            "symbol": [symbol for _, symbol in vix],
            "strategy_type": ["iron_condor"] * len(vix),
            "dte": [40] * len(vix),
            "upl_pct": [0.1] * len(vix),
            "vix": list(vix.values()),
        }
    )


def both(at: datetime, vix: float) -> pl.DataFrame:
    return snapshots(at, {SPY: vix, QQQ: vix})


FIRED_THRICE = [both(T0930, 40), both(T1000, 20), both(T1030, 40), both(T1100, 20)]
FIRED_THRICE.append(both(T1130, 40))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T9)


@pytest.fixture
def live(either: MakeDriver, clock: ManualClock) -> Driver:
    return either(clock=clock)


def silence_spy(live: Driver) -> str:
    silence = live.create_silence(
        {"symbol": "SPY"}, starts_at=T1000, ends_at=T1100, created_by="ana", comment="FOMC"
    )
    return str(silence.silence_id)


def marks(live: Driver, *columns: str) -> dict[tuple[str, datetime], tuple[Any, ...]]:
    board = live.read_board()
    return {
        (r["symbol"], r["created_at"]): tuple(r[c] for c in columns)
        for r in board.iter_rows(named=True)
    }


def vix_decision() -> Decision:
    return Decision("close", "VIX 40 above 35", "vix_level", "high", {"vix": 40.0})


def fire(live: Driver, position: tuple[int, str], at: datetime) -> Any:
    sid, symbol = position
    return live.create_alert(vix_decision(), {"strategy_id": sid, "symbol": symbol, "as_of": at})


# -- silenced_by ---------------------------------------------------------------------------


def expected_window(silence_id: str) -> dict[tuple[str, datetime], tuple[Any, ...]]:
    return {
        ("SPY", T0930): (None,),
        ("SPY", T1030): (silence_id,),
        ("SPY", T1130): (None,),
        ("QQQ", T0930): (None,),
        ("QQQ", T1030): (None,),
        ("QQQ", T1130): (None,),
    }


def test_run_cycle_marks_the_firings_inside_the_window(live: Driver) -> None:
    silence_id = silence_spy(live)
    for cycle in FIRED_THRICE:
        live.run_cycle(cycle, quiet_period=QUIET, notify=False)
    assert marks(live, "silenced_by") == expected_window(silence_id)
    assert live.get_alert_count("resolved") == 4


def test_one_cycle_of_the_whole_history_marks_the_same(live: Driver) -> None:
    silence_id = silence_spy(live)
    result = live.run_cycle(pl.concat(FIRED_THRICE), quiet_period=QUIET, notify=False)
    assert len(result.new_alerts) == 6
    assert marks(live, "silenced_by") == expected_window(silence_id)


def test_one_cycle_marks_an_alert_for_a_firing_before_its_last(live: Driver) -> None:
    silence_id = silence_spy(live)
    history = pl.concat([both(T0930, 40), both(T1030, 40), both(T1130, 40)])
    [spy, _] = live.run_cycle(history, notify=False).new_alerts
    assert (spy.last_seen_at, spy.occurrences, spy.silenced_by) == (T1130, 3, silence_id)
    assert marks(live, "silenced_by") == {("SPY", T0930): (silence_id,), ("QQQ", T0930): (None,)}


def test_create_alert_marks_the_firings_inside_the_window(live: Driver) -> None:
    silence_id = silence_spy(live)
    for at in (T0930, T1030, T1130):
        made = [fire(live, SPY, at), fire(live, QQQ, at)]
        spy_alert = made[0]
        assert spy_alert.silenced_by == (silence_id if at == T1030 else None)  # as returned
        if at != T1130:
            live.resolve_alerts([a.alert_id for a in made], at=at + 30 * M)
    assert marks(live, "silenced_by") == expected_window(silence_id)


def test_a_repeat_inside_the_window_marks_an_alert_opened_before(live: Driver) -> None:
    silence_id = silence_spy(live)
    seen = []
    for at in (T0930, T1030, T1130):
        live.run_cycle(both(at, 40), notify=False)
        seen.append(marks(live, "silenced_by", "occurrences"))
    assert seen == [
        {("SPY", T0930): (None, 1), ("QQQ", T0930): (None, 1)},
        {("SPY", T0930): (silence_id, 2), ("QQQ", T0930): (None, 2)},
        # never changed afterwards
        {("SPY", T0930): (silence_id, 3), ("QQQ", T0930): (None, 3)},
    ]


def test_a_repeat_by_create_alert_inside_the_window(live: Driver) -> None:
    silence_id = silence_spy(live)
    assert fire(live, SPY, T0930).silenced_by is None
    repeat = fire(live, SPY, T1030)
    assert (repeat.silenced_by, repeat.occurrences, repeat.created_at) == (silence_id, 2, T0930)
    assert fire(live, SPY, T1130).silenced_by == silence_id
    assert marks(live, "silenced_by", "occurrences") == {("SPY", T0930): (silence_id, 3)}


def test_the_earliest_starting_silence_names_the_alert(live: Driver) -> None:
    later = live.create_silence(
        {"symbol": "SPY"}, starts_at=T1000 + 15 * M, ends_at=T1100, created_by="a", comment="c"
    )
    earlier = live.create_silence(
        {"rule": "vix_level"}, starts_at=T1000, ends_at=T1130, created_by="a", comment="c"
    )
    live.run_cycle(both(T1030, 40), notify=False)
    assert marks(live, "silenced_by") == {
        ("SPY", T1030): (earlier.silence_id,),
        ("QQQ", T1030): (earlier.silence_id,),
    }
    assert later.silence_id != earlier.silence_id


def test_a_silence_stored_after_a_firing_does_not_mark_it(live: Driver, clock: ManualClock) -> None:
    live.run_cycle(both(T1030, 40), notify=False)
    clock.now = T1030 + M
    live.create_silence(
        {"symbol": "SPY"}, starts_at=T1000, ends_at=T1100, created_by="a", comment="c"
    )
    assert marks(live, "silenced_by") == {("SPY", T1030): (None,), ("QQQ", T1030): (None,)}


# -- snooze rules ---------------------------------------------------------------------------


def test_snooze_rules_snooze_new_alerts_from_their_creation(live: Driver) -> None:
    live.set_policies(
        Policies(
            snoozes=[
                SnoozeRule({"symbol": "QQQ"}, timedelta(hours=2)),
                SnoozeRule({"rule": "*"}, timedelta(minutes=30)),
            ]
        )
    )
    result = live.run_cycle(both(T0930, 40), notify=False)
    assert [(a.symbol, a.snoozed_at, a.snoozed_until) for a in result.new_alerts] == [
        ("SPY", T0930, T1000),
        ("QQQ", T0930, T1130),
    ]
    live.run_cycle(both(T1030, 40), notify=False)  # a repeat keeps its snooze
    made = fire(live, (3, "IWM"), T1030)
    assert (made.snoozed_at, made.snoozed_until) == (T1030, T1100)
    assert marks(live, "snoozed_at", "snoozed_until") == {
        ("SPY", T0930): (T0930, T1000),
        ("QQQ", T0930): (T0930, T1130),
        ("IWM", T1030): (T1030, T1100),
    }


def test_no_policy_reads_or_writes_no_policy_table(live: Driver) -> None:
    for cycle in FIRED_THRICE:
        live.run_cycle(cycle, quiet_period=QUIET, notify=False)
    fire(live, SPY, T1130 + M)
    store = live.core.policy_store
    for table in (store.silence_table, store.inhibition_table, store.flap_table):
        assert not DeltaTable.is_deltatable(table.uri)
    assert set(live.read_board()["silenced_by"]) == {None}
    assert set(live.read_board()["flapping"]) == {False}


# -- flapping -------------------------------------------------------------------------------

SPY_FIRES = [1, 0, 1, 0, 1, 0, 1, 1, 1, 1, 1, 1]
"""SPY alternates for six cycles, then fires steadily; QQQ fires every cycle."""
DETECTION = FlapDetection(changes=3, evaluations=5)


def flap_cycle(i: int) -> pl.DataFrame:
    return snapshots(T9 + i * M, {SPY: 40.0 if SPY_FIRES[i] else 20.0, QQQ: 40.0})


def evaluated_at(live: Driver, at: datetime) -> pl.DataFrame:
    """The stored flap state of the fingerprints evaluated at ``at``, as flap_states says."""
    return (
        live.core.policy_store.flap_state()
        .filter(pl.col("evaluated_at") == at)
        .select(
            "trigger",
            "strategy_id",
            "symbol",
            as_of="evaluated_at",
            firing="firing",
            changes=pl.col("flags").str.count_matches("1").cast(pl.Int64),
            flapping="flapping",
        )
    )


def flap_version(live: Driver) -> int:
    return int(DeltaTable(live.core.policy_store.flap_table.uri).version())


def decided(frames: Sequence[pl.DataFrame]) -> pl.DataFrame:
    return pl.concat([f.select("as_of", "trigger", "strategy_id", "symbol") for f in frames])


def test_the_cycle_flap_state_equals_the_replays(live: Driver) -> None:
    live.set_policies(Policies(flapping=DETECTION))
    states, flapping, decisions = [], [], []
    for i in range(12):
        result = live.run_cycle(flap_cycle(i), notify=False)
        decisions.append(result.decisions)
        states.append(evaluated_at(live, T9 + i * M))
        flapping.append(marks(live, "flapping"))
        if i == 8:  # the same instant again counts nothing
            version, state = flap_version(live), live.core.policy_store.flap_state()
            again = live.run_cycle(flap_cycle(i), notify=False)
            assert [a.flapping for a in again.repeats] == [True, False]
            assert flap_version(live) == version
            assert live.core.policy_store.flap_state().equals(state)
            assert marks(live, "flapping") == flapping[-1]
    replay = flap_states(decided(decisions), DETECTION).with_columns(
        pl.col("changes").cast(pl.Int64)
    )
    order = ["trigger", "strategy_id", "symbol", "as_of"]
    assert pl.concat(states).sort(order).equals(replay.sort(order))
    assert [f[("SPY", T9)] for f in flapping] == [
        (v,) for v in [False, False] + [True] * 7 + [False] * 3
    ]
    assert {f[("QQQ", T9)] for f in flapping} == {(False,)}
    assert replay.filter(pl.col("symbol") == "SPY")["flapping"].to_list() == [
        False,
        False,
        True,
        True,
        True,
        True,
        True,
        True,
        True,
        False,
        False,
        False,
    ]
    # a create_alert is no evaluation: nothing counted
    version = flap_version(live)
    fire(live, SPY, T9 + 12 * M)
    assert flap_version(live) == version


def test_a_cycle_of_many_instants_marks_the_state_at_the_latest_firing(live: Driver) -> None:
    detection = FlapDetection(changes=3, evaluations=4)
    live.set_policies(Policies(flapping=detection))
    fires = [1, 0, 1, 0, 0, 0, 0]
    history = pl.concat(
        [snapshots(T9 + i * M, {SPY: 40.0 if f else 20.0}) for i, f in enumerate(fires)]
    )
    result = live.run_cycle(history, notify=False)
    replay = flap_states(decided([result.decisions]), detection)
    assert replay["flapping"].to_list() == [False, False, True, True, True, False, False]
    [alert] = result.new_alerts
    # flapping at its latest firing (09:02), no longer at the cycle's end
    assert (alert.last_seen_at, alert.flapping) == (T9 + 2 * M, True)
    assert marks(live, "flapping") == {("SPY", T9): (True,)}
    [stored] = live.core.policy_store.flap_state().to_dicts()
    assert (stored["flags"], stored["flapping"], stored["changed_at"]) == (
        "1000",
        False,
        T9 + 5 * M,
    )
