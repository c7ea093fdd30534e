"""Engine mode has no identity code of its own: stepping an engine by hand through the
:class:`BacktestAlertSink` and :func:`replay` both come out as the episodes of
:mod:`alertkit.live.episodes` say."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import polars as pl
import pytest

from alertkit.backtest import synthetic_history
from alertkit.backtest.replay import BacktestAlertSink, replay
from alertkit.model.snapshot_rows import snapshot_row
from alertkit.model.snapshot_schema import SNAPSHOT_SCHEMA
from alertkit.rules import default_rules
from alertkit.rules.engine import DecisionEngine


@pytest.mark.parametrize("quiet", [None, timedelta(hours=4)])
def test_the_sink_stepped_by_hand_equals_replay(quiet: timedelta | None) -> None:
    history = synthetic_history(3, seed=5).head(400).sort("as_of", maintain_order=True)
    _, alerts = replay(history, default_rules(), quiet_period=quiet)
    sink = BacktestAlertSink(quiet)
    engine = DecisionEngine(default_rules(), alert_manager=sink)

    async def run() -> None:
        for raw in history.select(list(SNAPSHOT_SCHEMA)).iter_rows(named=True):
            row = snapshot_row(raw)
            await engine.evaluate(row)
            sink.resolve_quiet(row["strategy_id"], row["as_of"])

    asyncio.run(run())
    last = history.group_by("strategy_id").agg(pl.col("as_of").max()).rows()
    sink.resolve_gone(dict(last), history.get_column("as_of").max())
    assert alerts.height > 0
    assert sink.frame().equals(alerts)
