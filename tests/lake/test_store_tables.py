"""The store hosts any declared table: a second table beside the alerts, with the same
creation, schema checks, guarded MERGEs and time travel (issue 19: a home for silences)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from deltalake.exceptions import CommitFailedError

from alertkit import SchemaMismatchError, SyncAlertManager, ValidationError
from alertkit.lake.store import AlertStore, DeltaStore
from alertkit.model.schema import ALERTS_TABLE
from alertkit.model.tables import TableSpec

TS = pl.Datetime("us", "UTC")
SILENCES = TableSpec(
    name="silences",
    description="a silences table, as the policy issue would declare it",
    schema={
        "silence_id": pl.String(),
        "matchers": pl.String(),
        "ends_at": TS,
        "state": pl.String(),
        "revision": pl.Int64(),
    },
    key="silence_id",
    revision="revision",
    open_rows=("state", ("active",)),
)
END = datetime(2026, 1, 6, tzinfo=UTC)


def rows(silence_id: str, state: str = "active", expected: int | None = None) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "silence_id": [silence_id],
            "matchers": ['{"symbol": "SPY"}'],
            "ends_at": [END],
            "state": [state],
            "revision": [0 if expected is None else expected + 1],
            "expected_revision": [expected],
        },
        schema={**SILENCES.schema, "expected_revision": pl.Int64()},
    )


def test_a_second_table_is_created_merged_and_read_beside_the_alerts(tmp_path: Path) -> None:
    alerts = SyncAlertManager(tmp_path / "alerts", maintain_every=0)
    alerts.initialize()
    store = DeltaStore(tmp_path / "silences", SILENCES)
    store.ensure_table()
    store.merge_rows(store.table(), rows("s1"), reads="table", custom_metadata={})
    store.merge_rows(store.table(), rows("s1", "expired", 0), reads="open", custom_metadata={})
    assert store.scan().collect().select("silence_id", "state", "revision").rows() == [
        ("s1", "expired", 1)
    ]
    assert store.scan(1).collect()["state"].to_list() == ["active"]  # time travel
    assert store.table().metadata().name == "silences"
    assert alerts.get_alert_count() == 0  # the alerts table is its own


def test_a_merge_on_open_rows_is_refused_when_a_concurrent_commit_touched_them(
    tmp_path: Path,
) -> None:
    store = DeltaStore(tmp_path / "silences", SILENCES)
    store.ensure_table()
    store.merge_rows(store.table(), rows("s1"), reads="table", custom_metadata={})
    stale = store.open_table()
    store.merge_rows(store.table(), rows("s2"), reads="table", custom_metadata={})
    with pytest.raises(CommitFailedError):
        store.merge_rows(stale, rows("s1", "expired", 0), reads="open", custom_metadata={})


def test_each_store_refuses_the_others_table(tmp_path: Path) -> None:
    DeltaStore(tmp_path / "silences", SILENCES).ensure_table()
    AlertStore(tmp_path / "alerts").ensure_table()
    with pytest.raises(SchemaMismatchError, match="is not an alertkit alerts table"):
        AlertStore(tmp_path / "silences").table()
    with pytest.raises(SchemaMismatchError, match="is not an alertkit silences table"):
        DeltaStore(tmp_path / "alerts", SILENCES).table()


def test_a_declaration_naming_a_column_it_lacks_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"columns \['nope'\] are named but not"):
        TableSpec(name="x", description="", schema={"a": pl.String()}, key="nope")
    assert ALERTS_TABLE.key == "alert_id" and ALERTS_TABLE.partition_by == "created_month"
    assert ALERTS_TABLE.partition_month_of == "created_date"
    with pytest.raises(ValidationError, match="a month partition needs a new partition_by"):
        TableSpec(
            name="x",
            description="",
            schema={"a": pl.String(), "d": pl.Date()},
            key="a",
            partition_by="d",
            partition_month_of="d",
        )
