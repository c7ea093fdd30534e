"""The store's one write path, and the delta-rs behaviour alertkit's identity rests on.

``merge_rows(..., reads="open")`` must be refused when a concurrent commit added an open
alert with one of its rules and strategy ids, since that is what keeps a fingerprint from
being opened twice; these tests pin that behaviour of deltalake so an upgrade that changed it
fails here first.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from deltalake import DeltaTable
from deltalake.exceptions import CommitFailedError

from alertkit import Alert, SyncAlertManager
from alertkit.lake.store import AlertStore
from alertkit.model._ids import new_alert_id
from alertkit.model.schema import alerts_to_frame

T = datetime(2026, 1, 5, 15, tzinfo=UTC)


def rows(rule: str, strategy_id: int, status: str = "active") -> pl.DataFrame:
    alert = Alert(
        alert_id=new_alert_id(T),
        type="warning",
        severity="high",
        status=status,
        title=f"Close position: {rule}",
        message="m",
        rule=rule,
        symbol="SPY",
        strategy_id=strategy_id,
        metadata={},
        created_at=T,
        resolved_at=T if status == "resolved" else None,
    )
    return alerts_to_frame([alert]).with_columns(expected_revision=pl.lit(None, pl.Int64))


@pytest.fixture
def store(lake: str) -> AlertStore:
    SyncAlertManager(lake).initialize()
    return AlertStore(lake)


@pytest.mark.parametrize(
    ("concurrent", "refused"),
    [
        (("vix_level", 1, "active"), True),  # the same fingerprint opened meanwhile
        (("vix_level", 2, "active"), False),  # same rule, another position: cannot clash
        (("gamma_risk", 1, "active"), False),  # another rule: cannot clash
        (("vix_level", 1, "resolved"), False),  # closed: cannot clash
    ],
)
def test_an_open_read_is_refused_exactly_when_a_clash_was_possible(
    store: AlertStore, concurrent: tuple[str, int, str], refused: bool
) -> None:
    stale = store.table()
    ours = pl.concat([rows("vix_level", 1), rows("vix_level", 3)])
    store.merge_rows(DeltaTable(store.uri), rows(*concurrent), reads="open", custom_metadata={})
    if refused:
        with pytest.raises(CommitFailedError):
            store.merge_rows(stale, ours, reads="open", custom_metadata={})
        assert pl.read_delta(store.uri).height == 1
    else:
        store.merge_rows(stale, ours, reads="open", custom_metadata={})
        assert pl.read_delta(store.uri).height == 3


def test_a_table_read_is_refused_by_any_concurrent_write(store: AlertStore) -> None:
    stale = store.table()
    store.merge_rows(
        DeltaTable(store.uri), rows("a", 1, "resolved"), reads="table", custom_metadata={}
    )
    with pytest.raises(CommitFailedError):
        store.merge_rows(stale, rows("b", 9, "resolved"), reads="table", custom_metadata={})


def test_a_row_whose_id_is_stored_is_never_inserted_twice(store: AlertStore) -> None:
    row = rows("vix_level", 1)
    store.merge_rows(store.table(), row, reads="table", custom_metadata={})
    outcome = store.merge_rows(store.table(), row, reads="table", custom_metadata={})
    assert (outcome.inserted, outcome.updated) == (0, 0)
    assert pl.read_delta(store.uri).height == 1


def test_a_file_uri_names_the_local_path(tmp_path: Path) -> None:
    manager = SyncAlertManager(f"file://{tmp_path}/alerts")
    manager.initialize()
    assert manager.path == f"{tmp_path}/alerts"
    assert (tmp_path / "alerts" / "_delta_log").is_dir()
    assert not Path("file:").exists()
