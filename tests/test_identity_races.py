"""The race a first firing can lose, replayed deterministically in one process.

Writer B decides on a snapshot taken before writer A inserted the same fingerprint, then
appends: the earliest committed alert (A's) must win and B's row fold into it.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl
from deltalake import DeltaTable

from alertkit import Alert, SyncAlertManager
from alertkit._identity import CREATED_KEY, _settle, audit, insert_first_firing
from alertkit.mapping import decision_to_alert
from alertkit.schema import ALERT_SCHEMA, alert_to_row
from alertkit.store import AlertStore
from conftest import T0, close_now, position


def race(lake: str) -> tuple[SyncAlertManager, Alert, Alert, tuple[Alert, bool]]:
    a = SyncAlertManager(lake)
    a.initialize()
    b = SyncAlertManager(lake)
    stale = b.store.table()  # B reads before A writes
    first = a.create_alert(close_now(), position(minutes=0))
    late = decision_to_alert(close_now(), position(), T0 + timedelta(minutes=1))
    assert first is not None and late is not None
    row = pl.DataFrame([alert_to_row(late)], schema=ALERT_SCHEMA)
    return a, first, late, insert_first_firing(b.store, stale, late, row, late.created_at)


def test_late_duplicate_folds_into_the_earliest_committed(lake: str) -> None:
    _a, first, _late, (stood, is_new) = race(lake)
    assert (stood.alert_id, is_new, stood.occurrences) == (first.alert_id, False, 2)
    board = pl.read_delta(lake)
    assert board["alert_id"].to_list() == [first.alert_id]
    assert board["occurrences"].to_list() == [2]
    assert board["last_seen_at"].to_list() == [T0 + timedelta(minutes=1)]
    operations = [h.get("alertkit.operation") for h in DeltaTable(lake).history()]
    assert operations[:3] == ["fold", "create", "create"]


def loser_appended(
    lake: str, late_by: timedelta
) -> tuple[SyncAlertManager, AlertStore, int, Alert, Alert]:
    """A commits the first firing; B, having read before it, then appends its own row for
    the same fingerprint (created ``late_by`` after T0) without settling yet.
    Returns (A, B's store, B's read version, A's alert, B's alert)."""
    a = SyncAlertManager(lake)
    a.initialize()
    b = SyncAlertManager(lake)
    read_version = b.store.table().version()  # B reads before A writes
    first = a.create_alert(close_now(), position(minutes=0))
    late = decision_to_alert(close_now(), position(), T0 + late_by)
    assert first is not None and late is not None
    row = pl.DataFrame([alert_to_row(late)], schema=ALERT_SCHEMA)
    b.store.append(row, {**audit("create", late.alert_id, None), CREATED_KEY: late.alert_id})
    return a, b.store, read_version, first, late


def test_repeats_that_landed_on_the_loser_are_carried_over(lake: str) -> None:
    """A repeat can land on the losing row before the fold (it is the earliest by
    created_at); the fold carries its occurrences and its last_seen_at over."""
    # B's alert carries an earlier as_of but commits later: repeats prefer it by created_at.
    a, b_store, read_version, first, late = loser_appended(lake, timedelta(minutes=-1))
    repeat = a.create_alert(close_now(), position(minutes=2))
    assert repeat is not None and repeat.alert_id == late.alert_id  # landed on the loser
    stood, is_new = _settle(b_store, late, read_version, late.created_at)
    assert (stood.alert_id, is_new, stood.occurrences) == (first.alert_id, False, 3)
    board = pl.read_delta(lake)
    assert board.select("alert_id", "occurrences", "last_seen_at").rows() == [
        (first.alert_id, 3, T0 + timedelta(minutes=2))
    ]
    assert stood.last_seen_at == T0 + timedelta(minutes=2)


def test_an_acknowledged_loser_is_kept(lake: str) -> None:
    a, b_store, read_version, _first, late = loser_appended(lake, timedelta(minutes=1))
    a.acknowledge_alert(late.alert_id, by="quick trader")
    stood, _is_new = _settle(b_store, late, read_version, late.created_at)
    assert (stood.alert_id, stood.status.value) == (late.alert_id, "acknowledged")
    assert sorted(pl.read_delta(lake)["status"].to_list()) == ["acknowledged", "active"]


def test_a_new_fingerprint_in_between_does_not_fold(lake: str) -> None:
    a = SyncAlertManager(lake)
    a.initialize()
    b = SyncAlertManager(lake)
    stale = b.store.table()
    other = a.create_alert(close_now(), position("QQQ"))  # a different position
    late = decision_to_alert(close_now(), position(), T0)
    assert other is not None and late is not None
    row = pl.DataFrame([alert_to_row(late)], schema=ALERT_SCHEMA)
    stood, is_new = insert_first_firing(b.store, stale, late, row, T0)
    assert (stood.alert_id, is_new) == (late.alert_id, True)
    assert pl.read_delta(lake).height == 2
