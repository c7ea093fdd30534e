"""Table versions that do not exist or cannot be read (issue 14, defect 6): clear errors that
write nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from deltalake import DeltaTable

from alertkit import StoreError, SyncAlertManager, ValidationError
from conftest import RefusesBesideAnAlert, close_now, position

# The manager and the id of an alert already in its lake.
Case = Callable[[SyncAlertManager, str], object]

CASES: list[tuple[str, Case, type[Exception], str]] = [
    (
        "board(-1)",
        lambda m, a: m.read_board(-1),
        ValidationError,
        "version: expected a table version number >= 0, a datetime, or an ISO-8601 instant"
        " such as '2026-01-05T15:00:00+00:00', got -1",
    ),
    (
        "board('yesterday')",
        lambda m, a: m.read_board("yesterday"),
        ValidationError,
        "version: expected a table version number >= 0, a datetime, or an ISO-8601 instant"
        " such as '2026-01-05T15:00:00+00:00', got 'yesterday'",
    ),
    (
        "board(True)",
        lambda m, a: m.read_board(True),
        ValidationError,
        "version: expected a table version number >= 0",
    ),
    (
        "board(1900)",
        lambda m, a: m.read_board(datetime(1900, 1, 1, tzinfo=UTC)),
        ValidationError,
        "version: the alerts table at ",
    ),
    (
        "board past the latest version",
        lambda m, a: m.read_board(99),
        ValidationError,
        "version: expected a table version from 0 to 1 (the latest), got 99",
    ),
    (
        "query at a version given as garbage text",
        lambda m, a: m.query_alerts(version="v2"),
        ValidationError,
        "version: expected a table version number >= 0",
    ),
    (
        "get at a naive year-1 instant",
        lambda m, a: m.get_alert(a, version=datetime(1, 1, 1)),
        ValidationError,
        "version: expected an instant between 0001-01-01 and 9999-12-31 UTC",
    ),
]


@pytest.mark.parametrize(("case", "call", "error", "message"), CASES, ids=[c[0] for c in CASES])
def test_bad_versions_are_refused_cleanly(
    refuses_beside_an_alert: RefusesBesideAnAlert,
    case: str,
    call: Case,
    error: type[Exception],
    message: str,
) -> None:
    refuses_beside_an_alert(call, error, message)


def test_time_travel_to_a_vacuumed_version_says_so(tmp_path: Path) -> None:
    """Defect 6: delta-rs opens a version whose files a vacuum deleted, and the read then
    failed with a raw FileNotFoundError."""
    manager = SyncAlertManager(tmp_path / "alerts", maintain_every=0)
    manager.initialize()
    for strategy_id in (1, 2, 3):
        manager.create_alert(close_now(), position("SPY", strategy_id))
    manager.maintain()
    DeltaTable(manager.path).vacuum(
        retention_hours=0, enforce_retention_duration=False, dry_run=False
    )
    message = (
        f"version 2 of the alerts table at {manager.path} can no longer be read: 2 of its data"
        " files, e.g. "
    )
    for read in (manager.read_board, manager.query_alerts, manager.scan_alerts):
        with pytest.raises(StoreError) as info:
            read(version=2)  # type: ignore[operator]
        assert str(info.value).startswith(message), str(info.value)
        assert str(info.value).endswith(
            " were deleted by a vacuum (time travel reaches back only as far as the vacuum"
            " retention)"
        )
    assert manager.read_board(version=manager.version()).height == 3


def test_time_travel_by_instant_names_the_creation_time(sync_manager: SyncAlertManager) -> None:
    created = datetime.fromtimestamp(
        DeltaTable(sync_manager.path).metadata().created_time / 1000, UTC
    )
    with pytest.raises(ValidationError) as info:
        sync_manager.read_board(datetime(1900, 1, 1))
    assert str(info.value) == (
        f"version: the alerts table at {sync_manager.path} did not exist at"
        f" 1900-01-01T00:00:00+00:00; it was created at {created.isoformat()}"
    )
    assert sync_manager.read_board(created).height == 0
    assert sync_manager.read_board(created.isoformat()).height == 0
