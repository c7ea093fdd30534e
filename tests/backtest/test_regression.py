"""compare_alerts / assert_alerts_equal on hand-built alert frames with known differences."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from alertkit.backtest import assert_alerts_equal, compare_alerts, summarize_changes

T = datetime(2026, 1, 5, 15, tzinfo=UTC)


def alerts(rows: list[tuple[str, int, int, str]]) -> pl.DataFrame:
    """rows of (rule, strategy_id, minutes after T, severity)."""
    return pl.DataFrame(
        {
            "rule": [r[0] for r in rows],
            "engine_rule": [r[0].split("_")[0] for r in rows],
            "strategy_id": [r[1] for r in rows],
            "symbol": ["SPY"] * len(rows),
            "created_at": [T + timedelta(minutes=r[2]) for r in rows],
            "severity": [r[3] for r in rows],
            "type": ["warning"] * len(rows),
            "occurrences": [1] * len(rows),
            "status": ["active"] * len(rows),
            "resolved_at": [None] * len(rows),
        },
        schema_overrides={"resolved_at": pl.Datetime("us", "UTC")},
    )


BASE = alerts(
    [
        ("take_profit_full", 1, 0, "normal"),
        ("take_profit_full", 1, 90, "normal"),  # the same condition re-opened later
        ("gamma_risk", 2, 30, "high"),
        ("vix_level", 3, 10, "high"),
    ]
)
CANDIDATE = alerts(
    [
        ("take_profit_full", 1, 0, "normal"),
        ("take_profit_full", 1, 60, "normal"),  # second opening moved 30 min earlier
        ("gamma_risk", 2, 30, "immediate"),  # same time, different severity
        ("time_exit", 4, 5, "immediate"),  # new
    ]
)


def test_compare_alerts_classifies_every_alert() -> None:
    changes = compare_alerts(BASE, CANDIDATE)
    assert changes.select("rule", "strategy_id", "ordinal", "change", "shift").rows() == [
        ("gamma_risk", 2, 0, "changed", timedelta(0)),
        ("take_profit_full", 1, 0, "same", timedelta(0)),
        ("take_profit_full", 1, 1, "moved", timedelta(minutes=-30)),
        ("time_exit", 4, 0, "added", None),
        ("vix_level", 3, 0, "removed", None),
    ]
    assert changes["differs"].to_list() == [["severity"], [], [], None, None]
    assert summarize_changes(changes).rows() == [
        ("take_profit_full", 1, 0, 1, 0, 0),
        ("gamma_risk", 0, 1, 0, 0, 0),
        ("time_exit", 0, 0, 0, 0, 1),
        ("vix_level", 0, 0, 0, 1, 0),
    ]


def test_assert_alerts_equal_passes_on_equal_and_lists_differences() -> None:
    assert_alerts_equal(BASE, BASE.sample(fraction=1.0, shuffle=True, seed=1))
    with pytest.raises(AssertionError) as info:
        assert_alerts_equal(BASE, CANDIDATE)
    assert str(info.value).splitlines() == [
        "alerts differ (1 added, 1 changed, 1 moved, 1 removed):",
        "changed gamma_risk strategy_id=2 SPY #0: 2026-01-05 15:30:00+00:00 ->"
        " 2026-01-05 15:30:00+00:00 (differs: severity)",
        "  moved take_profit_full strategy_id=1 SPY #1: 2026-01-05 16:30:00+00:00 ->"
        " 2026-01-05 16:00:00+00:00",
        "  added time_exit strategy_id=4 SPY #0: None -> 2026-01-05 15:05:00+00:00",
        "removed vix_level strategy_id=3 SPY #0: 2026-01-05 15:10:00+00:00 -> None",
    ]
