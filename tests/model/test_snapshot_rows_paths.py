"""Issue 18 §4, §5 (duplicates), §7 (units): one normaliser decides for frames and dicts.

Each bad snapshot goes through every path a user has: a dict through ``engine.evaluate``
and ``run_cycle([dict])``, the same snapshot as a one-row frame through ``run_cycle(frame)``
and ``evaluate_many(frame)``; every path must refuse it with the same error and message.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import warnings
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import polars as pl
import pytest

from alertkit import AlertManager, DecisionEngine, SyncAlertManager, ValidationError
from alertkit.backtest import synthetic_history
from alertkit.model.snapshot_frames import as_polars
from alertkit.model.snapshot_rows import snapshot_row
from alertkit.model.snapshot_schema import SuspectUnitsWarning, suspect_units_message
from alertkit.rules import default_rules, evaluate_frame

T = datetime(2026, 1, 5, 15, tzinfo=UTC)
GOOD: dict[str, Any] = {
    "as_of": T,
    "strategy_id": 1,
    "symbol": "SPY",
    "strategy_type": "iron_condor",
    "dte": 40,
    "upl_pct": 0.1,
}
TYPES = "butterfly, calendar_spread, custom, iron_condor, long_call, long_put, short_call"
TYPES += ", short_put, strangle, vertical_spread"
KEYED = "(an alert is keyed by strategy_id and symbol)"

# (case, the snapshot, the message every path gives)
BAD: list[tuple[str, dict[str, Any], str]] = [
    ("symbol an int", {**GOOD, "symbol": 5}, "symbol: expected a str or None, got 5"),
    ("vix a bool", {**GOOD, "vix": True}, "vix: expected a number or None, got True"),
    (
        "strategy_id a str",
        {**GOOD, "strategy_id": "7"},
        "strategy_id: expected an int or None, got '7'",
    ),
    ("dte a float", {**GOOD, "dte": 21.5}, "dte: expected an int or None, got 21.5"),
    (
        "as_of a str",
        {**GOOD, "as_of": "2026-01-05 15:00"},
        "as_of: expected a datetime, got str '2026-01-05 15:00'",
    ),
    (
        "misspelt columns",
        {"as_of": T, "strategyid": 1, "sym": "SPY", "upl": 0.6},
        "misspelt columns? 'strategyid' (strategy_id?), 'sym' (symbol?), 'upl' (upl_pct?): not"
        " snapshot columns, and those are missing; rename them (see alertkit.SNAPSHOT_SCHEMA)",
    ),
    (
        "a capitalised column",
        {**{k: v for k, v in GOOD.items() if k != "symbol"}, "Symbol": "SPY"},
        "misspelt columns? 'Symbol' (symbol?): not snapshot columns, and those are missing;"
        " rename them (see alertkit.SNAPSHOT_SCHEMA)",
    ),
    (
        "unknown strategy type",
        {**GOOD, "strategy_type": "condor"},
        f"strategy_type: expected one of {TYPES}, got 'condor'",
    ),
    (
        "upl_pct in percent beyond 100",
        {**GOOD, "upl_pct": 155.3},
        "upl_pct: expected a fraction of the premium with |x| <= 100 (0.553 = 55.3 %; divide"
        " percent sources by 100), got 155.3",
    ),
    (
        "vix a fraction",
        {**GOOD, "vix": 0.18},
        "vix: expected index points >= 1 (18.5, not the fraction 0.185), got 0.18",
    ),
    (
        "vix_at_entry a fraction",
        {**GOOD, "vix": 20.0, "vix_at_entry": 0.2},
        "vix_at_entry: expected index points >= 1 (18.5, not the fraction 0.185), got 0.2",
    ),
]
# Only a cycle needs these: its alerts are keyed by them (a decision alone is not).
BAD_IN_A_CYCLE: list[tuple[str, dict[str, Any], str]] = [
    (
        "no symbol",
        {k: v for k, v in GOOD.items() if k != "symbol"},
        f"snapshots: missing required column symbol {KEYED}",
    ),
    (
        "no strategy_id nor symbol",
        {k: v for k, v in GOOD.items() if k not in ("symbol", "strategy_id")},
        f"snapshots: missing required columns strategy_id, symbol {KEYED}",
    ),
    (
        "a null symbol",
        {**GOOD, "symbol": None},
        f"symbol: expected a value in every snapshot {KEYED}, got None in 1 of 1",
    ),
]


@pytest.fixture
def sync(lake: str) -> SyncAlertManager:
    manager = SyncAlertManager(lake, maintain_every=0)
    manager.initialize()
    return manager


def paths(sync: SyncAlertManager) -> dict[str, Callable[[dict[str, Any]], object]]:
    engine = DecisionEngine(alert_manager=AlertManager.around(sync))
    return {
        "engine.evaluate(dict)": lambda row: asyncio.run(DecisionEngine().evaluate(row)),
        "run_cycle([dict])": lambda row: sync.run_cycle([row]),
        "run_cycle(frame)": lambda row: sync.run_cycle(pl.DataFrame([row])),
        "run_cycle(lazy frame)": lambda row: sync.run_cycle(pl.DataFrame([row]).lazy()),
        "evaluate_many(frame)": lambda row: asyncio.run(engine.evaluate_many(pl.DataFrame([row]))),
    }


def message_of(call: Callable[[], object]) -> str:
    with pytest.raises(ValidationError) as info:
        call()
    return str(info.value)


@pytest.mark.parametrize(("case", "row", "message"), BAD, ids=[c[0] for c in BAD])
def test_every_path_refuses_a_bad_snapshot_alike(
    sync: SyncAlertManager, case: str, row: dict[str, Any], message: str
) -> None:
    got = {name: message_of(lambda p=path: p(row)) for name, path in paths(sync).items()}
    assert got == dict.fromkeys(got, message)
    assert sync.read_board().height == 0  # nothing was written by any of them


@pytest.mark.parametrize(
    ("case", "row", "message"), BAD_IN_A_CYCLE, ids=[c[0] for c in BAD_IN_A_CYCLE]
)
def test_every_cycle_path_refuses_a_snapshot_without_its_keys(
    sync: SyncAlertManager, case: str, row: dict[str, Any], message: str
) -> None:
    cycle_paths = {k: v for k, v in paths(sync).items() if k != "engine.evaluate(dict)"}
    got = {name: message_of(lambda p=path: p(row)) for name, path in cycle_paths.items()}
    assert got == dict.fromkeys(got, message)


def test_a_misspelt_feed_is_refused_not_read_as_a_calm_book(sync: SyncAlertManager) -> None:
    feed = pl.DataFrame({"strategyid": [1, 2, 3], "sym": ["SPY"] * 3, "upl": [0.9] * 3})
    assert message_of(lambda: sync.run_cycle(feed)).startswith(
        "misspelt columns? 'strategyid' (strategy_id?), 'sym' (symbol?), 'upl' (upl_pct?)"
    )


def test_unrelated_extra_columns_are_ignored_by_both_paths(sync: SyncAlertManager) -> None:
    row = {**GOOD, "upl_pct": 0.6, "account": "A-1", "note": "rolled twice", "delta": 0.1}
    assert sync.run_cycle([row]).decisions["trigger"].to_list() == ["take_profit_partial"]
    later = {**row, "as_of": T + timedelta(minutes=1)}
    repeat = sync.run_cycle(pl.DataFrame([later]))
    assert (len(repeat.new_alerts), len(repeat.repeats)) == (0, 1)
    assert snapshot_row(row)["upl_pct"] == 0.6


def test_a_naive_as_of_is_local_time_in_a_frame_as_in_a_dict(
    sync: SyncAlertManager, new_york: None
) -> None:
    naive = datetime(2026, 1, 5, 10, 0)  # 10:00 in New York is 15:00 UTC
    fire = {**GOOD, "as_of": naive, "vix": 41.0}
    assert snapshot_row(fire)["as_of"] == T
    frame = pl.DataFrame([fire])
    assert frame.schema["as_of"] == pl.Datetime("us")  # naive: raw SchemaError on main
    (alert,) = sync.run_cycle(frame).new_alerts
    assert alert.created_at == T
    later = pl.DataFrame([{**fire, "as_of": naive + timedelta(hours=1)}])
    assert sync.run_cycle(later).repeats[0].last_seen_at == T + timedelta(hours=1)
    by_dict = sync.run_cycle([{**fire, "as_of": naive + timedelta(hours=2)}])
    assert by_dict.repeats[0].last_seen_at == T + timedelta(hours=2)


# -- duplicates (issue 18 §5) ----------------------------------------------------------------

HOLD = {**GOOD, "upl_pct": 0.1}
FIRE = {**GOOD, "upl_pct": 0.9}
TWICE = (
    "strategy_id 1: 2 snapshots at 2026-01-05T15:00:00+00:00; expected one snapshot per"
    " position and instant (which one counts would depend on row order)"
)


@pytest.mark.parametrize("rows", [[HOLD, FIRE], [FIRE, HOLD]], ids=["hold-fire", "fire-hold"])
def test_two_snapshots_of_one_position_at_one_instant_are_refused(
    sync: SyncAlertManager, rows: list[dict[str, Any]]
) -> None:
    engine = DecisionEngine(alert_manager=sync)
    quiet = timedelta(minutes=30)
    assert message_of(lambda: sync.run_cycle(rows, quiet_period=quiet)) == TWICE
    assert message_of(lambda: sync.run_cycle(pl.DataFrame(rows), quiet_period=quiet)) == TWICE
    assert message_of(lambda: asyncio.run(engine.evaluate_many(pl.DataFrame(rows)))) == TWICE
    assert sync.read_board().height == 0


def test_duplicates_without_as_of_are_at_the_cycle_instant(sync: SyncAlertManager) -> None:
    rows = [
        {k: v for k, v in r.items() if k != "as_of"}
        for r in (HOLD, FIRE, {**GOOD, "strategy_id": 2})
    ]
    assert message_of(lambda: sync.run_cycle(rows, at=T)) == (
        "strategy_id 1: 2 snapshots at the cycle's instant (no as_of); expected one snapshot"
        " per position and instant (which one counts would depend on row order)"
    )


def test_one_snapshot_per_position_and_instant_is_fine(sync: SyncAlertManager) -> None:
    rows = [FIRE, {**HOLD, "strategy_id": 2}, {**FIRE, "as_of": T + timedelta(minutes=1)}]
    (alert,) = sync.run_cycle(rows).new_alerts
    assert (alert.strategy_id, alert.occurrences) == (1, 2)


# -- units (issue 18 §7) ---------------------------------------------------------------------

PERCENT = suspect_units_message("upl_pct")


def test_the_suspect_units_warning_names_the_column() -> None:
    assert PERCENT == (
        "upl_pct: values look like percent (median |upl_pct| above 1, largest above 10);"
        " expected a fraction (0.553 = 55.3 %): divide percent sources by 100"
    )


def test_a_book_in_percent_gets_one_warning_naming_the_column(sync: SyncAlertManager) -> None:
    book = pl.DataFrame(
        {
            "as_of": [T] * 4,
            "strategy_id": [1, 2, 3, 4],
            "symbol": ["SPY"] * 4,
            "strategy_type": ["iron_condor"] * 4,
            "dte": [40] * 4,
            "upl_pct": [55.3, -12.0, 3.5, 8.0],  # percent: +55.3 %, -12 %, ...
        }
    )
    with pytest.warns(SuspectUnitsWarning) as record:
        sync.run_cycle(book)
    assert [str(w.message) for w in record] == [PERCENT]


def test_one_snapshot_in_percent_warns_on_the_dict_path_too() -> None:
    with pytest.warns(SuspectUnitsWarning) as record:
        asyncio.run(DecisionEngine().evaluate({**GOOD, "upl_pct": 55.3}))
    assert [str(w.message) for w in record] == [PERCENT]


def test_credit_losses_and_long_option_gains_are_not_suspect() -> None:
    """-3.0 (a -300 % loss on a spread) and a long call at 12x are possible: no warning."""
    book = pl.DataFrame(
        {"strategy_id": [1, 2, 3, 4, 5], "upl_pct": [-3.0, 12.0, 0.2, -0.4, 0.1], "dte": [40] * 5}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        evaluate_frame(book, default_rules())
        snapshot_row({"upl_pct": -3.0})
        snapshot_row({"upl_pct": 9.5})


@pytest.mark.parametrize("kwargs", [{"n_positions": 12, "seed": 7}, {}])
def test_the_synthetic_history_passes_silently(kwargs: dict[str, Any]) -> None:
    history = synthetic_history(**kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        evaluate_frame(history, default_rules())
    assert not history.select(pl.struct("as_of", "strategy_id").is_duplicated().any()).item()


# -- pandas (issue 18 §2) --------------------------------------------------------------------


def test_a_pandas_frame_is_recognised_without_importing_pandas() -> None:
    fake = type("DataFrame", (), {"__module__": "pandas.core.frame"})()
    with pytest.raises(
        ValidationError, match=r"snapshots: a pandas DataFrame that pl\.from_pandas"
    ):
        as_polars(fake)
    assert as_polars([GOOD]) is None


def test_alertkit_never_imports_pandas_itself() -> None:
    """pandas is optional for users: recognising its frames must not import it."""
    code = (
        "import sys, alertkit, alertkit.backtest\n"
        "from alertkit.model.snapshot_frames import as_polars\n"
        "as_polars([{'strategy_id': 1, 'symbol': 'SPY'}])\n"
        "assert 'pandas' not in sys.modules, 'alertkit imported pandas'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_a_pandas_frame_runs_a_cycle(sync: SyncAlertManager) -> None:
    frame = pd.DataFrame([{**GOOD, "vix": 41.0}])
    (alert,) = sync.run_cycle(frame).new_alerts
    assert (alert.rule, alert.strategy_id, alert.symbol, alert.created_at) == (
        "vix_level",
        1,
        "SPY",
        T,
    )
