"""Folders, files and tables that are not alertkit alerts tables, and hostile text that must
round-trip: the store refuses the first and keeps the second exactly."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from _factories import alert_frame

from alertkit import SchemaMismatchError, StoreError, SyncAlertManager, TableNotFoundError
from conftest import close_now, position


def test_hostile_notes_and_names_round_trip_exactly(sync_manager: SyncAlertManager) -> None:
    alert = sync_manager.create_alert(close_now(), position())
    other = sync_manager.create_alert(close_now(), position("QQQ"))
    assert alert is not None and other is not None
    note = "it's done'; DELETE FROM alerts; -- \\' \n <script>alert(1)</script> ünï 🚀"
    by = "o'brien\\"
    done = sync_manager.resolve_alert(alert.alert_id, by=by, note=note)
    assert (done.history[-1]["by"], done.history[-1]["note"]) == (by, note)
    stored = sync_manager.get_alert(alert.alert_id)
    assert (stored.history[-1]["by"], stored.history[-1]["note"]) == (by, note)
    assert sync_manager.get_alert(other.alert_id) == other


def test_directory_that_is_not_a_delta_table(tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "readme.txt").write_text("not a table")
    with pytest.raises(TableNotFoundError, match=r"is a non-empty directory but not a Delta table"):
        SyncAlertManager(folder).initialize()
    assert sorted(p.name for p in folder.iterdir()) == ["readme.txt"]


def test_file_instead_of_a_table(tmp_path: Path) -> None:
    path = tmp_path / "alerts"
    path.write_text("x")
    with pytest.raises(TableNotFoundError, match=r"is a file, not a Delta table directory"):
        SyncAlertManager(path).initialize()


def test_table_with_an_incompatible_schema(tmp_path: Path) -> None:
    path = tmp_path / "alerts"
    pl.DataFrame({"alert_id": ["a"], "status": [1]}).write_delta(path)
    with pytest.raises(SchemaMismatchError) as info:
        SyncAlertManager(path).initialize()
    message = str(info.value)
    assert "column 'status' is Int64, expected String" in message
    assert "missing column 'severity' (String)" in message


def test_corrupted_commit_file(sync_manager: SyncAlertManager, lake: str) -> None:
    sync_manager.create_alert(close_now(), position())
    (Path(lake) / "_delta_log" / "00000000000000000001.json").write_text("{not json")
    with pytest.raises(StoreError, match=r"^cannot open the alerts table at "):
        SyncAlertManager(lake).initialize()


def test_operations_before_initialize_say_so(tmp_path: Path) -> None:
    manager = SyncAlertManager(tmp_path / "never")
    with pytest.raises(TableNotFoundError, match=r"call initialize\(\) first"):
        manager.get_alert_count()


def test_a_table_with_naive_timestamps_is_refused(tmp_path: Path) -> None:
    """timestamp_ntz columns (a table written from naive datetimes) do not fit the schema."""
    path = tmp_path / "alerts"
    frame = alert_frame().with_columns(
        pl.col("created_at", "last_seen_at").dt.replace_time_zone(None)
    )
    frame.write_delta(path)
    with pytest.raises(SchemaMismatchError) as info:
        SyncAlertManager(path).initialize()
    assert str(info.value) == (
        f"the table at {path} is not an alertkit alerts table: column 'created_at' is"
        " Datetime(time_unit='us', time_zone=None), expected Datetime(time_unit='us',"
        " time_zone='UTC'); column 'last_seen_at' is Datetime(time_unit='us', time_zone=None),"
        " expected Datetime(time_unit='us', time_zone='UTC')"
    )
