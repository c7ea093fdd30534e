"""The fatigue frontier: alerts per position-day against P&L saved, Pareto settings marked."""

from __future__ import annotations

import polars as pl
import pytest
from _factories import condor_history

from alertkit import ValidationError
from alertkit.backtest.frontier import FRONTIER_MEASURES, fatigue_frontier, pareto
from alertkit.backtest.runner import BacktestResult
from alertkit.charts import frontier_chart

# upl_pct: position 1 0.10 0.60 0.75 0.70 0.30 | position 2 0.20 0.65 0.40 0.30 |
# position 3 0.90 0.85 0.30; all end at 300 USD, all on 2026-01-05: 3 position-days.
PROFITS = condor_history(
    [{"unrealized_pnl": p} for p in (100.0, 600.0, 750.0, 700.0, 300.0)],
    [{"unrealized_pnl": p} for p in (200.0, 650.0, 400.0, 300.0)],
    [{"unrealized_pnl": p} for p in (900.0, 850.0, 300.0)],
)
GRID = {"take_profit.full": [0.7, 0.8], "take_profit.partial": [0.5, 0.62]}


def test_a_two_threshold_frontier_by_hand() -> None:
    table = fatigue_frontier(PROFITS, GRID)
    assert table.columns == ["take_profit.full", "take_profit.partial", *FRONTIER_MEASURES]
    assert table.rows() == [
        # full 0.7, partial 0.5: p1 partial at 600 and full at 750 (its 700 repeats), p2
        # partial at 650, p3 full at 900: 300 + 450 + 350 + 600 saved against ending at 300.
        (0.7, 0.5, 4, 3, 1.3333, 1700.0, True),
        # partial 0.62: p1 nothing at 0.60, full at 750; p2 partial at 650; p3 full at 900.
        (0.7, 0.62, 3, 3, 1.0, 1400.0, True),
        # full 0.8, partial 0.5: p1 partial at 600, p2 at 650, p3 full at 900.
        (0.8, 0.5, 3, 3, 1.0, 1250.0, False),  # as many alerts as the next, less saved
        # full 0.8, partial 0.62: p1 partial at 750, p2 at 650, p3 full at 900.
        (0.8, 0.62, 3, 3, 1.0, 1400.0, True),
    ]


def test_counting_every_alert_and_a_pluggable_pnl() -> None:
    # The trailing stop adds p1 at 0.30 (peak 0.75) and p3 at 0.30 (peak 0.90), worth 0.
    table = fatigue_frontier(PROFITS, {"take_profit.full": [0.7, 0.8]}, counted="all")
    assert table.select("alerts", "pnl_saved_usd").rows() == [(6, 1700.0), (5, 1250.0)]

    def alerts_at_full(result: BacktestResult) -> float:
        return float(result.alerts.filter(pl.col("rule") == "take_profit_full").height)

    table = fatigue_frontier(PROFITS, {"take_profit.full": [0.7, 0.8]}, pnl=alerts_at_full)
    assert table.select("take_profit.full", "pnl_saved_usd", "pareto").rows() == [
        (0.7, 2.0, True),
        (0.8, 1.0, True),
    ]


def test_pareto_on_any_two_columns() -> None:
    table = pl.DataFrame(
        {"alerts": [1, 2, 2, 3, None], "score": [5.0, 8.0, 4.0, 8.0, 9.0]},
        schema={"alerts": pl.Int64, "score": pl.Float64},
    )
    marked = pareto(table, cost="alerts", gain="score")
    assert marked["pareto"].to_list() == [True, True, False, False, False]
    with pytest.raises(ValidationError, match="'pnl': expected a column of the table"):
        pareto(table, cost="alerts", gain="pnl")


@pytest.mark.parametrize(
    ("grid", "message"),
    [
        ({}, r"grid: expected one or two thresholds"),
        ({"a.b": [1], "c.d": [1], "e.f": [1]}, r"grid: expected one or two thresholds"),
        ({"take_profit": [0.5]}, r"grid: expected keys 'rule.parameter', got 'take_profit'"),
        ({"take_profit.full": []}, r"grid\['take_profit.full'\]: expected at least one value"),
        ({"take_profit.full": [80]}, r"take_profit.full: expected a fraction of the premium"),
        ({"take_profits.full": [0.8]}, r"rule: expected one of"),
    ],
)
def test_bad_grids_are_refused(grid: dict[str, list[float]], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        fatigue_frontier(PROFITS, grid)


def test_bad_counted_is_refused() -> None:
    with pytest.raises(ValidationError, match="counted: expected 'swept' or 'all', got 'some'"):
        fatigue_frontier(PROFITS, {"take_profit.full": [0.8]}, counted="some")  # type: ignore[arg-type]


def test_frontier_chart_spec() -> None:
    spec = frontier_chart(fatigue_frontier(PROFITS, GRID)).to_dict()
    line, points = spec["layer"]
    assert (line["mark"]["type"], points["mark"]["type"]) == ("line", "point")
    datasets = spec["datasets"]
    assert len(datasets[line["data"]["name"]]) == 3  # the efficient settings only
    drawn = datasets[points["data"]["name"]]
    assert [(p["alerts_per_position_day"], p["kind"]) for p in drawn] == [
        (1.0, "dominated"),
        (1.0, "efficient"),
        (1.0, "efficient"),
        (1.3333, "efficient"),
    ]
    tips = [t["field"] for t in points["encoding"]["tooltip"]]
    assert tips[:2] == ["take_profit\\.full", "take_profit\\.partial"]
    assert points["encoding"]["color"]["scale"]["domain"] == ["efficient", "dominated"]
    empty = frontier_chart(fatigue_frontier(PROFITS, GRID).clear())
    assert empty.to_dict()["mark"]["type"] == "text"
