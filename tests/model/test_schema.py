"""alertkit.model.schema: the table's columns declared once, and Alert <-> row in one place."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from functools import partial

import polars as pl
import pytest
from _factories import an_alert

from alertkit import ValidationError
from alertkit.model.schema import (
    ALERT_SCHEMA,
    alert_from_row,
    alert_to_row,
    alerts_to_frame,
    check_alert_frame,
)

T0 = datetime(2026, 1, 5, 15, tzinfo=UTC)
ORIGINAL_COLUMNS = [
    *("alert_id", "type", "severity", "status", "title", "message", "rule", "symbol"),
    *("strategy_id", "metadata", "created_at", "acknowledged_at", "resolved_at"),
]


# A VIX exit with metadata a row must convert (a date, a Decimal), unless a test says otherwise.
vix_alert = partial(
    an_alert,
    title="Close position: vix_level",
    message="VIX 36.00 > 35.0",
    rule="vix_level",
    strategy_id=7,
    metadata={"vix": 36.0, "when": date(2026, 1, 5), "size": Decimal("1.5")},
    engine_rule="vix_exit",
    rule_priority=1.5,
)


def test_the_original_thirteen_columns_come_first_with_their_names() -> None:
    assert list(ALERT_SCHEMA)[:13] == ORIGINAL_COLUMNS
    assert ALERT_SCHEMA["created_at"] == pl.Datetime("us", "UTC")
    assert ALERT_SCHEMA["metadata"] == pl.String()


def test_an_alert_round_trips_through_its_row_and_frame() -> None:
    alert = vix_alert()
    row = alert_to_row(alert, revision=2)
    assert (row["revision"], row["created_date"]) == (2, date(2026, 1, 5))
    again = alert_from_row(row)
    assert again.metadata == {"vix": 36.0, "when": "2026-01-05", "size": "1.5"}
    assert again == vix_alert(alert_id=alert.alert_id, metadata=again.metadata)
    frame = alerts_to_frame([alert])
    assert frame.schema == pl.Schema(ALERT_SCHEMA)
    assert frame["history"].str.json_decode().list.first().struct.field("action").to_list() == [
        "create"
    ]
    assert check_alert_frame(frame).equals(frame)


def test_a_bulk_frame_is_refused_as_an_alert_would_be() -> None:
    frame = alerts_to_frame([vix_alert()]).with_columns(revision=pl.lit(-1, pl.Int64))
    with pytest.raises(ValidationError, match="revision is null or negative"):
        check_alert_frame(frame)
