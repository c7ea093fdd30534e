"""Pruning flap state: only the states a later evaluation could not tell from none go, and a
pruned fingerprint evaluated again decides exactly what it would have unpruned.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import polars as pl
from _managers import ManualClock

from alertkit import SyncAlertManager
from alertkit.policy import FlapDetection
from alertkit.policy.flapping import FLAP_STATE_SCHEMA, advance
from conftest import T0

DETECTION = FlapDetection(changes=3, evaluations=4)
TRIGGER = "vix_level"
HISTORY = {  # strategy_id: firing (1) or not at e1, e2, ...
    1: "100000",  # quiet since e2, last evaluated at e6: the one to prune
    2: "111111",  # still firing at its last evaluation
    3: "1000",  # its change at e1 is still in the window
    4: "10100000",  # flapped from e3 to e6 (changed_at), quiet since
    5: "10000000",  # quiet, but evaluated at e8, after the cut
}


def at(k: int) -> datetime:
    return T0 + timedelta(minutes=k)


def decisions(k: int, firing: dict[int, str]) -> pl.DataFrame:
    """The evaluations of instant e``k`` of each position whose history reaches it."""
    rows = [
        (at(k), TRIGGER if seq[k - 1] == "1" else None, sid, "SPY")
        for sid, seq in firing.items()
        if len(seq) >= k
    ]
    return pl.DataFrame(
        rows,
        schema={
            "as_of": FLAP_STATE_SCHEMA["evaluated_at"],
            "trigger": pl.String(),
            "strategy_id": pl.Int64(),
            "symbol": pl.String(),
        },
        orient="row",
    )


def evaluated(lake: str, history: dict[int, str], now: datetime) -> SyncAlertManager:
    manager = SyncAlertManager(lake, clock=ManualClock(now), maintain_every=0)
    manager.initialize()
    for k in range(1, max(len(s) for s in history.values()) + 1):
        manager.policy_store.advance_flaps(decisions(k, history), DETECTION)
    return manager


def state_rows(manager: SyncAlertManager) -> list[tuple[object, ...]]:
    frame = manager.policy_store.flap_state().sort("strategy_id")
    return frame.select("strategy_id", "firing", "flags", "flapping", "changed_at").rows()


def test_only_the_quiet_state_last_evaluated_before_the_cut_is_pruned(lake: str) -> None:
    manager = evaluated(lake, HISTORY, now=at(7) + timedelta(days=1))
    assert state_rows(manager) == [
        (1, False, "0000", False, None),
        (2, True, "0000", False, None),
        (3, False, "1100", False, None),
        (4, False, "0000", False, at(6)),
        (5, False, "0000", False, None),
    ]
    kept = manager.policy_store.flap_state().filter(pl.col("strategy_id") != 1)
    version = manager.policy_store.flap_table.table().version()
    assert manager.policy_store.prune_flaps(at(7)) == 1
    assert manager.policy_store.flap_table.table().version() == version + 1  # one commit
    assert manager.policy_store.flap_state().sort("strategy_id").equals(kept.sort("strategy_id"))
    assert manager.policy_store.prune_flaps(at(7)) == 0
    assert manager.policy_store.flap_table.table().version() == version + 1  # nothing to do


def test_maintain_prunes_what_was_evaluated_more_than_a_day_ago(lake: str) -> None:
    manager = evaluated(lake, HISTORY, now=at(7) + timedelta(days=1))
    report = manager.maintain()
    assert report.flap_states_pruned == 1
    assert sorted(manager.policy_store.flap_state()["strategy_id"]) == [2, 3, 4, 5]
    flaps = report.side_tables["flaps"]
    assert report.describe().splitlines()[-1] == (
        f"flaps: pruned 1 flap states; {flaps.describe()}"
    )
    assert (flaps.files_before, flaps.files_after) == (flaps.files_before, 1)


def test_a_pruned_fingerprint_evaluated_again_decides_as_if_unpruned(tmp_path: str) -> None:
    """Every continuation of 8 evaluations (all 256): the same transitions (so the same
    flapping decision at every evaluation) and the same final decision, from the pruned
    fingerprint's stored state and from none."""
    manager = evaluated(str(tmp_path) + "/a/alerts", {1: HISTORY[1]}, now=at(100))
    stored = manager.policy_store.flap_state()
    empty = stored.clear()
    for bits in itertools.product("01", repeat=8):
        later = decisions_of(bits)
        kept, kept_moves = advance(stored, later, DETECTION)
        fresh, fresh_moves = advance(empty, later, DETECTION)
        assert fresh_moves.equals(kept_moves), bits
        columns = ["trigger", "strategy_id", "symbol", "firing", "flapping", "changed_at"]
        if "1" in bits:  # a fingerprint never seen is tracked from its first firing
            assert fresh.select(columns).equals(kept.select(columns)), bits
            assert (
                fresh["flags"].str.count_matches("1").equals(kept["flags"].str.count_matches("1"))
            )
        else:
            assert fresh.is_empty() and kept.select("firing", "flapping").rows() == [(False, False)]


def test_a_state_firing_at_its_last_evaluation_could_be_told_from_none(tmp_path: str) -> None:
    """Why such a state is kept: its next not-firing evaluation is a change."""
    manager = evaluated(str(tmp_path) + "/b/alerts", {2: "1111"}, now=at(100))
    stored = manager.policy_store.flap_state()
    later = decisions_of(("0", "1", "0"), sid=2)
    kept, _ = advance(stored, later, DETECTION)
    fresh, _ = advance(stored.clear(), later, DETECTION)
    assert kept.select("flapping").item() is True and fresh.select("flapping").item() is False


def test_a_pruned_fingerprint_is_counted_again_through_the_store(tmp_path: str) -> None:
    history = {1: HISTORY[1]}
    pruned = evaluated(str(tmp_path) + "/p/alerts", history, now=at(100))
    unpruned = evaluated(str(tmp_path) + "/u/alerts", history, now=at(100))
    assert pruned.policy_store.prune_flaps(at(7)) == 1
    assert pruned.policy_store.flap_state().is_empty()
    for k, bit in enumerate("10101100", start=10):
        frame = decisions_of((bit,), start=k)
        _, moves = pruned.policy_store.advance_flaps(frame, DETECTION)
        _, expected = unpruned.policy_store.advance_flaps(frame, DETECTION)
        assert moves.equals(expected), k
    got, want = state_rows(pruned), state_rows(unpruned)
    assert [r[:2] + r[3:] for r in got] == [r[:2] + r[3:] for r in want]


def decisions_of(bits: tuple[str, ...], *, sid: int = 1, start: int = 50) -> pl.DataFrame:
    return pl.concat(
        [
            decisions(1, {sid: bit}).with_columns(as_of=pl.lit(at(start + i)))
            for i, bit in enumerate(bits)
        ]
    )
