"""MTTA/MTTR helpers on a real Delta table: units in column names, dismissals left out."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from _factories import an_alert

from alertkit import Alert, SyncAlertManager
from alertkit.model.errors import ValidationError
from alertkit.model.triage_stats import time_to_acknowledge, time_to_resolve

T0 = datetime(2026, 1, 5, 15, tzinfo=UTC)


def make(i: int, rule: str, status: str, ack_min: int | None, closed_min: int | None) -> Alert:
    return an_alert(
        f"s{i}", rule=rule, status=status, strategy_id=i, ack_after=ack_min, closed_after=closed_min
    )


@pytest.fixture
def scan(tmp_path: Path) -> pl.LazyFrame:
    manager = SyncAlertManager(tmp_path / "alerts", maintain_every=0)
    manager.initialize()
    manager.insert_alerts(
        [
            make(1, "gamma_risk", "resolved", 10, 70),
            make(2, "gamma_risk", "acknowledged", 20, None),
            make(3, "gamma_risk", "dismissed", None, 5),
            make(4, "time_exit", "resolved", None, 600),
            make(5, "time_exit", "active", None, None),
        ]
    )
    return manager.scan_alerts()


def test_time_to_acknowledge_per_rule(scan: pl.LazyFrame) -> None:
    frame = time_to_acknowledge(scan, unit="minutes").collect()
    assert frame.columns == ["rule", "alerts", "median_minutes", "mean_minutes", "p90_minutes"]
    assert frame.rows() == [("gamma_risk", 2, 15.0, 15.0, 19.0)]


def test_time_to_resolve_counts_resolutions_only(scan: pl.LazyFrame) -> None:
    frame = time_to_resolve(scan).collect()
    assert frame.columns == ["rule", "alerts", "median_hours", "mean_hours", "p90_hours"]
    assert frame.rows() == [
        ("gamma_risk", 1, 1.1667, 1.1667, 1.1667),
        ("time_exit", 1, 10.0, 10.0, 10.0),
    ]  # 70 min


def test_overall_and_rounded(scan: pl.LazyFrame) -> None:
    frame = time_to_acknowledge(scan, by=(), unit="days").collect()
    assert frame.rows() == [(2, 0.01042, 0.01042, 0.01319)]  # 15 min is 0.0104166... days


def test_unknown_unit_is_refused(scan: pl.LazyFrame) -> None:
    with pytest.raises(ValidationError, match="unit: expected one of minutes, hours, days"):
        time_to_acknowledge(scan, unit="weeks")  # type: ignore[arg-type]
