"""preview_silence over a result, frames, a lake and managers; compare_policies per rule and
item by item; the inputs both refuse. The alerts are those of tests/_policy_book.py's BOOK."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from _policy_book import BOOK, BOOK_QUIET, START, STEP, c, ids, names

from alertkit import AlertManager, SyncAlertManager
from alertkit.backtest import (
    BacktestResult,
    PolicyComparison,
    compare_policies,
    preview_silence,
    run_backtest,
    write_alerts,
)
from alertkit.model.errors import ValidationError
from alertkit.model.schema import ALERT_SCHEMA
from alertkit.notify.subscriptions import Subscription
from alertkit.policy import Inhibition, Policies, Silence

SPY_AT_1630 = Silence({"symbol": "SPY"}, c(2.5), c(3.5), "desk", "SPY is noisy")


@pytest.fixture(scope="module")
def book() -> BacktestResult:
    return run_backtest(BOOK, quiet_period=BOOK_QUIET, progress=False)


def hidden(frame: pl.DataFrame, result: BacktestResult) -> list[str]:
    return [names(result)[i] for i in frame["alert_id"]]


# -- preview_silence --------------------------------------------------------------------------


def test_over_a_result_a_silence_hides_the_alerts_with_a_covered_firing(
    book: BacktestResult,
) -> None:
    # 16:15-16:45 on SPY: tp1 fires at c3 (16:30); cat2 is open then but fired at c2 only
    found = preview_silence(SPY_AT_1630, book)
    assert hidden(found, book) == ["tp1"]
    assert found.schema == pl.Schema(ALERT_SCHEMA)
    assert found.equals(book.alerts.filter(pl.col("alert_id") == ids(book)["tp1"]))


def test_over_a_frame_it_hides_the_matching_alerts_open_in_its_window(
    book: BacktestResult,
) -> None:
    assert hidden(preview_silence(SPY_AT_1630, book.alerts), book) == ["tp1", "cat2"]
    assert hidden(preview_silence(SPY_AT_1630, book.alerts.lazy()), book) == ["tp1", "cat2"]
    # vix3 resolves at c6 and vix2 opens at c7: a window [c6, c7) holds neither
    between = Silence({"rule": "vix_level"}, c(6), c(7), "desk", "between")
    assert preview_silence(between, book.alerts).is_empty()
    assert preview_silence(between, book).is_empty()
    wider = Silence({"rule": "vix_level"}, c(6) - timedelta(microseconds=1), c(7), "d", "w")
    assert hidden(preview_silence(wider, book.alerts), book) == ["vix3"]
    everything = Silence({"rule": "*"}, START, c(9) + STEP, "desk", "all")
    order = ["tp1", "vix3", "cat2", "ivp2", "vix2"]  # by created_at, then id
    assert hidden(preview_silence(everything, book), book) == order
    assert hidden(preview_silence(everything, book.alerts), book) == order


def test_over_a_lake_and_managers_it_reads_the_table(book: BacktestResult, tmp_path: Path) -> None:
    lake = tmp_path / "alerts"
    write_alerts(book.alerts, lake)
    expected = ["tp1", "cat2"]
    assert hidden(preview_silence(SPY_AT_1630, lake), book) == expected
    assert hidden(preview_silence(SPY_AT_1630, str(lake)), book) == expected
    assert hidden(preview_silence(SPY_AT_1630, SyncAlertManager(lake)), book) == expected
    assert hidden(preview_silence(SPY_AT_1630, AlertManager(lake)), book) == expected
    stored = preview_silence(SPY_AT_1630, lake)
    assert stored.schema == pl.Schema(ALERT_SCHEMA)
    assert stored.equals(preview_silence(SPY_AT_1630, book.alerts))


@pytest.mark.parametrize(
    ("silence", "alerts", "message"),
    [
        ({"symbol": "SPY"}, "frame", "silence: expected an alertkit.policy.Silence, got dict"),
        (SPY_AT_1630, "list", "alerts: expected a BacktestResult, an alerts frame.*got list"),
        (SPY_AT_1630, "nowhere", "alerts: no alerts table at '.*nowhere'"),
        (SPY_AT_1630, "no severity", "alerts frame: missing column 'severity'"),
    ],
)
def test_preview_refuses_bad_input(
    book: BacktestResult, tmp_path: Path, silence: Any, alerts: str, message: str
) -> None:
    given: Any = {
        "frame": book.alerts,
        "list": book.alerts.rows(),
        "nowhere": tmp_path / "nowhere",
        "no severity": book.alerts.drop("severity"),
    }[alerts]
    with pytest.raises(ValidationError, match=message):
        preview_silence(silence, given)


# -- compare_policies -------------------------------------------------------------------------

DESK = Subscription.create(
    print, name="desk", reasons=["new", "resolved", "reminder"], repeat_interval=STEP
)
CRASH = Inhibition({"rule": "catastrophe_*"}, {"rule": "!~catastrophe_.*"}, equal=("symbol",))
QUIET = {"quiet_period": BOOK_QUIET, "progress": False}


def crash_and_two_silences() -> Policies:
    return Policies(
        silences=[
            Silence(
                {"strategy_id": "1"}, c(2.5), c(3.5), "d", "one", silence_id="sil-00000000000a"
            ),
            Silence({"symbol": "SPY"}, c(3.5), c(4.5), "d", "spy", silence_id="sil-00000000000b"),
        ],
        inhibitions=[CRASH],
        name="crash",
    )


def test_compare_policies_counts_per_rule_what_stopped_and_started() -> None:
    # Before: 21 items (tp1 5, cat2 3, vix3 5, ivp2 5, vix2 3). After: tp1's reminders at
    # c2 (inhibited by cat2), c3 and c4 (silenced) and cat2's close at c4 (silenced) stop.
    comparison = compare_policies(BOOK, None, crash_and_two_silences(), subscriptions=DESK, **QUIET)
    assert isinstance(comparison, PolicyComparison)
    assert comparison.per_rule().rows() == [
        ("take_profit_partial", 5, 2, 3, 0),
        ("catastrophe_drop", 3, 2, 1, 0),
        ("iv_percentile_exit", 5, 5, 0, 0),
        ("vix_level", 8, 8, 0, 0),
    ]
    short = names(comparison.result)
    cat2 = ids(comparison.result)["cat2"]
    assert [
        (h, r, short[a], (at - START) / STEP, rule, why)
        for h, r, a, at, rule, why in comparison.stopped.rows()
    ] == [
        ("desk", "reminder", "tp1", 2, "take_profit_partial", f"inhibition: {cat2}"),
        ("desk", "reminder", "tp1", 3, "take_profit_partial", "silence: sil-00000000000a"),
        ("desk", "reminder", "tp1", 4, "take_profit_partial", "silence: sil-00000000000b"),
        ("desk", "resolved", "cat2", 4, "catastrophe_drop", "silence: sil-00000000000b"),
    ]
    assert comparison.started.is_empty()
    assert comparison.stopped.columns == ["handler", "reason", "alert_id", "at", "rule", "why"]
    assert repr(comparison) == (
        "PolicyComparison('none' -> 'crash': 21 -> 17 alert notifications, 4 stopped, 0 started)"
    )


def test_a_silence_stops_what_it_covers_and_starts_the_news_of_its_end() -> None:
    vix = Policies(
        silences=[
            Silence({"rule": "=~vix_.*"}, c(1.5), c(3.5), "d", "vix", silence_id="sil-0000000000cc")
        ],
        name="vix",
    )
    forward = compare_policies(BOOK, None, vix, subscriptions=DESK, **QUIET)
    short = names(forward.result)
    rows = [
        (r, short[a], (at - START) / STEP, why) for _, r, a, at, _, why in forward.stopped.rows()
    ]
    assert rows == [
        ("new", "vix3", 2, "silence: sil-0000000000cc"),
        ("reminder", "vix3", 3, "silence: sil-0000000000cc"),
    ]
    rows = [
        (r, short[a], (at - START) / STEP, why) for _, r, a, at, _, why in forward.started.rows()
    ]
    assert rows == [("silence_ended", "vix3", 4, None)]
    assert forward.per_rule().rows()[0] == ("vix_level", 8, 7, 2, 1)
    back = compare_policies(BOOK, vix, None, subscriptions=DESK, **QUIET)
    assert back.stopped.select("reason", "why").rows() == [("silence_ended", None)]
    assert back.started["why"].to_list() == ["silence: sil-0000000000cc"] * 2
    # without subscriptions: one handler hearing every reason, no reminders
    default = compare_policies(BOOK, None, vix, **QUIET)
    assert default.per_rule().rows() == [
        ("vix_level", 4, 4, 1, 1),
        ("catastrophe_drop", 2, 2, 0, 0),
        ("iv_percentile_exit", 1, 1, 0, 0),
        ("take_profit_partial", 2, 2, 0, 0),
    ]


@pytest.mark.parametrize(
    ("args", "options", "message"),
    [
        (("x", None), {}, "before: expected an alertkit.policy.Policies or None, got str"),
        ((None, [CRASH]), {}, "after: expected an alertkit.policy.Policies or None, got list"),
        ((None, None), {"policies": Policies()}, "policies: compare_policies replays"),
        ((None, None), {"subscriptions": "desk"}, "subscriptions: expected Subscription"),
        ((None, None), {"mode": "fast"}, "mode: expected 'vectorized' or 'engine'"),
    ],
)
def test_compare_refuses_bad_input(args: Any, options: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        compare_policies(BOOK, *args, **{**QUIET, **options})
