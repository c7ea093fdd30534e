"""The fatigue frontier as a chart: every setting's alert load against its P&L, the
Pareto-efficient ones joined by a line (:func:`alertkit.backtest.frontier.fatigue_frontier`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import altair as alt
import polars as pl

from alertkit.charts._aggregate import Frame
from alertkit.charts._board import WIDTH, no_data

PARETO_COLORS: Final = {"efficient": "#e45756", "dominated": "#bab0ac"}
_MEASURES: Final = (
    "alerts",
    "position_days",
    "alerts_per_position_day",
    "pnl_saved_usd",
    "pareto",
)


def frontier_chart(
    frontier: Frame,
    *,
    cost: str = "alerts_per_position_day",
    gain: str = "pnl_saved_usd",
    settings: Sequence[str] | None = None,
) -> alt.LayerChart | alt.Chart:
    """Alerts per position-day (x) against P&L saved (y), one point per setting; the
    Pareto-efficient settings in red and joined in order of cost, the others grey.

    Parameters
    ----------
    frontier
        :func:`~alertkit.backtest.frontier.fatigue_frontier` output (any frame with ``cost``,
        ``gain`` and a Boolean ``pareto`` column).
    cost, gain
        The columns on the axes (gain in USD).
    settings
        The threshold columns shown in the tooltip; default every column that is not a
        measure (``take_profit.full``...).

    Examples
    --------
    >>> import polars as pl
    >>> table = pl.DataFrame({"take_profit.full": [0.6, 0.8], "alerts_per_position_day":
    ...     [0.02, 0.01], "pnl_saved_usd": [120.0, 90.0], "pareto": [True, True]})
    >>> spec = frontier_chart(table).to_dict()
    >>> [layer["mark"]["type"] for layer in spec["layer"]]
    ['line', 'point']
    """
    lf = frontier.lazy()
    names = lf.collect_schema().names()
    shown = [c for c in names if c not in _MEASURES] if settings is None else list(settings)
    data = (
        lf.select(*shown, cost, gain, "pareto")
        .with_columns(
            kind=pl.when(pl.col("pareto")).then(pl.lit("efficient")).otherwise(pl.lit("dominated"))
        )
        .sort(cost, gain, nulls_last=True)
        .collect()
    )
    title = f"Fatigue frontier: {gain} against {cost}"
    if data.is_empty():
        return no_data(title)
    x = alt.X(f"{cost}:Q").title(f"{cost} (alerts per position-day)").scale(zero=False)
    y = alt.Y(f"{gain}:Q").axis(format="$,.0f").title(f"{gain} (USD)").scale(zero=False)
    # Field names with dots would be read as nested paths by Vega-Lite: escape them.
    tips = [alt.Tooltip(f"{c.replace('.', chr(92) + '.')}:Q", title=c) for c in shown]
    tips += [
        alt.Tooltip(f"{cost}:Q", format=".4f"),
        alt.Tooltip(f"{gain}:Q", format="$,.2f"),
        alt.Tooltip("kind:N", title="setting"),
    ]
    line = (
        alt.Chart(data.filter(pl.col("pareto")))
        .mark_line(color=PARETO_COLORS["efficient"], strokeDash=[4, 3])
        .encode(x=x, y=y, order=alt.Order(f"{cost}:Q"))
    )
    points = (
        alt.Chart(data)
        .mark_point(filled=True, size=70)
        .encode(
            x=x,
            y=y,
            color=alt.Color("kind:N")
            .scale(domain=list(PARETO_COLORS), range=list(PARETO_COLORS.values()))
            .title("setting"),
            tooltip=tips,
        )
    )
    return alt.LayerChart(layer=[line, points], title=title, width=WIDTH)
