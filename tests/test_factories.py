"""The shared test helpers hold what they promise: ``writes_nothing`` sees every kind of write,
and ``an_alert`` builds a valid alert from its defaults and relative times."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from _factories import T0, an_alert

from alertkit import SyncAlertManager
from conftest import WritesNothing, close_now, position


def test_writes_nothing_passes_on_reads(
    sync_manager: SyncAlertManager, writes_nothing: WritesNothing
) -> None:
    sync_manager.create_alert(close_now(), position())
    with writes_nothing():
        assert sync_manager.get_alert_count() == 1
        sync_manager.read_board()


def test_writes_nothing_sees_a_commit(
    sync_manager: SyncAlertManager, writes_nothing: WritesNothing
) -> None:
    with pytest.raises(AssertionError), writes_nothing():
        sync_manager.create_alert(close_now(), position())


def test_writes_nothing_sees_a_new_table_and_stray_files(
    lake: str, writes_nothing: WritesNothing, tmp_path: Path
) -> None:
    with pytest.raises(AssertionError), writes_nothing():
        SyncAlertManager(lake).initialize()
    with pytest.raises(AssertionError), writes_nothing(also=tmp_path):
        (tmp_path / "stray.txt").write_text("x")
    with pytest.raises(AssertionError), writes_nothing():
        (Path(lake) / "part-00000.parquet").write_bytes(b"")


def test_an_alert_is_valid_from_its_defaults_and_relative_times() -> None:
    alert = an_alert("a-1", 10, ack_after=5, closed_after=20, status="resolved", rule="vix_level")
    assert (alert.alert_id, alert.created_at) == ("a-1", T0 + timedelta(minutes=10))
    assert alert.acknowledged_at == T0 + timedelta(minutes=15)
    assert alert.resolved_at == T0 + timedelta(minutes=30)
    assert (alert.rule, alert.title, alert.symbol) == (
        "vix_level",
        "Close position: vix_level",
        "SPY",
    )
    assert an_alert().alert_id != an_alert().alert_id  # a fresh id of the creation instant
