"""alertkit.live.episodes: the identity rules as frame operations, on hand-made decisions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl

from alertkit.live.episodes import EPISODE_SCHEMA, alert_episodes

T0 = datetime(2026, 1, 5, 15, tzinfo=UTC)


def decisions(*rows: tuple[int, str | None, int]) -> pl.DataFrame:
    """(minutes after T0, trigger or None for HOLD, strategy_id) on SPY, in time order."""
    return pl.DataFrame(
        [
            {"as_of": T0 + timedelta(minutes=m), "trigger": t, "strategy_id": s, "symbol": "SPY"}
            for m, t, s in rows
        ],
        schema={
            "as_of": pl.Datetime("us", "UTC"),
            "trigger": pl.String(),
            "strategy_id": pl.Int64(),
            "symbol": pl.String(),
        },
    )


def summary(episodes: pl.DataFrame) -> list[tuple[str, int, int, int | None]]:
    """(trigger, strategy_id, occurrences, minutes to resolved_at) per alert."""
    return [
        (
            row["trigger"],
            row["strategy_id"],
            row["occurrences"],
            None
            if row["resolved_at"] is None
            else (row["resolved_at"] - T0) // timedelta(minutes=1),
        )
        for row in episodes.iter_rows(named=True)
    ]


def test_a_repeat_is_one_alert_and_another_trigger_or_position_is_another() -> None:
    frame = decisions(
        (0, "take_profit_partial", 1),
        (30, "take_profit_partial", 1),
        (30, "take_profit_partial", 2),
        (60, "take_profit_full", 1),  # an escalation is never swallowed
        (90, None, 1),
    )
    episodes = alert_episodes(frame)
    assert episodes.schema == pl.Schema(EPISODE_SCHEMA)
    assert summary(episodes) == [
        ("take_profit_partial", 1, 2, None),
        ("take_profit_partial", 2, 1, None),
        ("take_profit_full", 1, 1, None),
    ]


def test_the_quiet_period_resolves_and_a_later_firing_reopens() -> None:
    frame = decisions(
        (0, "vix_level", 1),
        (30, None, 1),
        (60, None, 1),  # 60 min after the last firing: resolved here
        (90, "vix_level", 1),  # a new alert
    )
    assert summary(alert_episodes(frame, timedelta(hours=1))) == [
        ("vix_level", 1, 1, 60),
        ("vix_level", 1, 1, None),
    ]
    assert summary(alert_episodes(frame, timedelta(hours=2))) == [("vix_level", 1, 2, None)]


def test_an_open_alert_of_the_lake_is_continued_not_reopened() -> None:
    lake = pl.DataFrame(
        {
            "alert_id": ["019427a3-48c0-767b-83a2-7e8547090ec4"],
            "rule": ["vix_level"],
            "strategy_id": [1],
            "symbol": ["SPY"],
            "created_at": [T0 - timedelta(days=1)],
            "last_seen_at": [T0 - timedelta(hours=1)],
            "occurrences": [3],
        }
    )
    episodes = alert_episodes(decisions((0, "vix_level", 1)), open_alerts=lake)
    assert episodes.select("alert_id", "occurrences", "last_seen_at").rows() == [
        ("019427a3-48c0-767b-83a2-7e8547090ec4", 4, T0)
    ]
