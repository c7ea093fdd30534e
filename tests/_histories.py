"""Generated position histories for the property tests that replay them (backtest modes,
live cycles): small, with nulls, NaN, exact rule boundaries and positions opening and
closing anywhere."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl
from hypothesis import strategies as st

from alertkit.model.snapshot_schema import SNAPSHOT_SCHEMA

T0 = datetime(2026, 1, 5, 14, 30, tzinfo=UTC)


def around(*values: float) -> list[float]:
    return [x for v in values for x in (v, math.nextafter(v, math.inf), math.nextafter(v, -1e9))]


def maybe(values: list[Any], low: float, high: float) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), st.just(math.nan), st.sampled_from(values), st.floats(low, high))


VALUES = st.fixed_dictionaries(
    {
        "dte": st.one_of(st.none(), st.sampled_from([0, 1, 6, 7, 13, 14, 21, 22, 25, 26, 40])),
        "unrealized_pnl": st.one_of(st.none(), st.sampled_from([-2500.0, -600.0, 300.0, 800.0])),
        "upl_pct": maybe([*around(0.8, 0.5, -0.5, -2.0, 0.2, 0.4), 0.55, 0.1], -3.0, 1.5),
        "net_gamma": maybe(around(0.1, -0.1), -0.3, 0.3),
        "underlying_change_1h": maybe(around(-0.03), -0.04, 0.04),
        "iv_change_1h": maybe(around(0.5), -0.2, 0.6),
        "iv_change_since_entry": maybe(around(-0.3), -0.5, 0.5),
        "vix": maybe([*around(35.0), 25.0, 30.5], 10.0, 40.0),
        "iv_percentile": maybe([0.0, 0.3, math.nextafter(0.3, 0), 1.0], 0.0, 1.0),
        "portfolio_delta": maybe(around(0.3, -0.4), -0.6, 0.6),
        "symbol_delta": maybe(around(0.3, 0.4), -0.6, 0.6),
    }
)
# Besides random values, calm snapshots (nothing fires) and a few recurring conditions, so
# triggers come and go: repeats, quiet periods that elapse, alerts that re-open.
CALM = {"dte": 40, "upl_pct": 0.1}
RECURRING = [{"dte": 40, "upl_pct": 0.55}, {"dte": 40, "upl_pct": 0.85}, {"dte": 40, "vix": 36.0}]
SNAPSHOT_VALUES = st.one_of(VALUES, st.just(CALM), st.sampled_from(RECURRING))
KINDS = ["iron_condor", "vertical_spread", "calendar_spread", "long_put", "short_call", "custom"]
QUIET = [None, timedelta(minutes=30), timedelta(hours=1), timedelta(minutes=90), timedelta(hours=3)]


@st.composite
def histories(draw: st.DrawFn) -> pl.DataFrame:
    gaps = draw(st.lists(st.sampled_from([30, 30, 60, 90, 180]), min_size=3, max_size=30))
    instants = [T0]
    for minutes in gaps:
        instants.append(instants[-1] + timedelta(minutes=minutes))
    rows = []
    for sid in range(1, draw(st.integers(1, 4)) + 1):
        start = draw(st.integers(0, len(instants) - 1))
        stop = draw(st.integers(start + 1, len(instants)))  # positions open and close anywhere
        position = {
            "strategy_id": sid,
            "symbol": draw(st.sampled_from(["SPY", "QQQ"])),  # several positions per symbol
            "strategy_type": draw(st.sampled_from(KINDS)),
            "expiry": date(2026, 1, 20),
            "entry_price": draw(st.sampled_from([None, 0.0, 1000.0])),
            "vix_at_entry": draw(st.sampled_from([None, 20.0, 25.0])),
        }
        for as_of in instants[start:stop]:
            rows.append({**position, **draw(SNAPSHOT_VALUES), "as_of": as_of})
    return pl.DataFrame(rows, schema=SNAPSHOT_SCHEMA)
