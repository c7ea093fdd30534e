"""Seeded synthetic position histories in the snapshot schema (docs/domain.md §3).

:func:`synthetic_history` opens ``n_positions`` option positions on SPY, QQQ and IWM over a
window of trading days, marks each one to market every bar with Black-Scholes until the
trader closes it or it expires, and returns one snapshot row per position per bar. The
market underneath (regimes, jumps, VIX, implied vols) is described in
:mod:`alertkit.backtest.market_paths`.

Positions
    Each position draws a symbol, a strategy type (``strategy_mix``), an entry bar on one
    of the first ``entry_days`` trading days, a front expiry on the first Friday at least
    30-54 calendar days out (so 30-60 DTE at entry) and 1-10 contracts. Strikes are placed
    in standard deviations of the entry ATM vol over the time to expiry and rounded to whole
    dollars:

    - ``iron_condor``: short put and short call 0.8-1.3 sd out of the money (about 10-20
      delta), long wings 0.8-2 % of spot further out; a credit.
    - ``vertical_spread``: one of bull put or bear call (credit, short strike 0.4-0.9 sd out,
      wing 0.8-2 % of spot) or bull call or bear put (debit, long strike within 0.2 sd of
      the money, short strike 1.5-3 % of spot away).
    - ``calendar_spread``: call or put at a strike within 0.3 sd of spot; short the front
      expiry, long the same strike 28 days later; a debit. ``expiry`` is the front leg's.
    - ``long_call`` / ``long_put``: 0.1 sd in to 0.5 sd out of the money; ``short_call`` /
      ``short_put``: 0.5-1.0 sd out.

Marking
    Every leg is priced at mid with :func:`~alertkit.backtest.pricing.black_scholes` at the
    implied vol of its strike and maturity (the VIX-dependent term structure of
    :func:`~alertkit.backtest.market_paths.term_structure`, then the SSVI smile of
    :func:`~alertkit.backtest.market_paths.smile_vol`), with time to expiry measured to 16:00
    New York on the expiry date (ACT/365, floored at one minute so greeks stay finite at the
    closing bar). Carry is zero: over 30-90 days the 4-5 % rate and the funds' 1-1.5 %
    dividend yields largely cancel, and a positive rate would let European puts deep in
    the money (hence put calendars) price below what the American-style listed contracts
    ever trade at. The position's value per spread is ``sum(quantity * leg price)`` with +1
    for a long leg and -1 for a short one; its value at the entry bar is the premium
    (negative for a credit).

Columns
    ``entry_price`` is ``|premium| * 100 * contracts`` (USD); ``unrealized_pnl`` is the
    change in value since entry times ``100 * contracts``; ``upl_pct`` their ratio.
    ``net_delta`` and ``net_gamma`` are ``sum(quantity * leg greek)`` for one spread: per
    contract, neither times 100 nor times the number of contracts. The one-hour changes
    compare with the bar one hour earlier on the grid (across the overnight gap for the
    first hour of a session). A position's implied vol, for ``iv_change_1h`` and
    ``iv_change_since_entry``, is its underlying's 30-day ATM vol; ``iv_percentile`` is that
    vol's percentile (0-1). ``portfolio_delta`` sums ``net_delta`` over every position open
    at the bar, ``symbol_delta`` over those on the same symbol.

Exits
    With ``early_exits`` each position carries a trading plan drawn at entry: take profit at
    upl_pct >= U(0.5, 0.9) (55 % of positions), stop out at upl_pct <= U(-2, -1) for a credit
    or U(-0.8, -0.4) for a debit (45 %), close when dte <= U{3..21} (35 %). The first bar at
    which the plan triggers is the position's last row; otherwise its last row is the
    closing bar of its expiry day. Exits depend only on the position's own marks, never on
    the alertkit rules, so a backtest of those rules sees histories they did not shape.

The default history and the twelve rules
    With its defaults (160 positions over 480 trading days, seed 7: 45,872 rows) every rule
    (docs/domain.md §4) is the first match on some row; ``tests/backtest/test_synthetic.py``
    pins the counts. Most rules fire thousands of times, but two are rare by nature: ``gamma_risk``
    needs ``|net_gamma| > 0.10`` per contract, which at these underlyings' prices (ATM gamma
    ``0.4 / (S * sigma * sqrt(t))``) happens only in the last day or two before expiry, near a
    strike, on a position whose P&L has not already triggered an earlier rule; and
    ``time_exit`` needs a position held into its last day without an earlier rule firing.
    Other seeds and sizes may lack one of those two.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import numpy as np
import polars as pl

from alertkit.backtest._book import (
    CALENDAR_BACK_MONTH_DAYS,
    DEFAULT_STRATEGY_MIX,
    SUPPORTED_STRATEGY_TYPES,
    Config,
    draw_book,
    place_legs,
)
from alertkit.backtest._marking import CARRY_RATE, CONTRACT_MULTIPLIER, mark_to_market
from alertkit.backtest.market_paths import simulate_market, weekdays_from

__all__ = [
    "CALENDAR_BACK_MONTH_DAYS",
    "CARRY_RATE",
    "CONTRACT_MULTIPLIER",
    "DEFAULT_STRATEGY_MIX",
    "SUPPORTED_STRATEGY_TYPES",
    "synthetic_history",
]


def synthetic_history(
    n_positions: int = 160,
    *,
    seed: int = 7,
    start: date = date(2025, 1, 2),
    bar: str = "30m",
    symbols: Sequence[str] = ("SPY", "QQQ", "IWM"),
    strategy_mix: Mapping[str, float] | None = None,
    entry_days: int | None = None,
    early_exits: bool = True,
) -> pl.DataFrame:
    """Generate a deterministic history of option positions, one snapshot row per bar.

    Parameters
    ----------
    n_positions : int, default 160
        Positions to open.
    seed : int, default 7
        Seed of the one ``numpy.random.default_rng`` that draws everything: the same
        arguments give a byte-identical frame.
    start : date, default 2025-01-02
        First trading day of the window (moved to the next weekday if needed).
    bar : str, default "30m"
        Bar length in minutes, ``"<n>m"``, with n dividing both 60 and the 390-minute
        session: 1, 2, 3, 5, 6, 10, 15 or 30 (13 bars a day at 30 minutes, 78 at 5).
    symbols : sequence of str, default ("SPY", "QQQ", "IWM")
        Underlyings, a subset of :data:`~alertkit.backtest.market_paths.SYMBOL_SPECS`.
    strategy_mix : mapping of str to float, optional
        Relative weights of the strategy types in :data:`SUPPORTED_STRATEGY_TYPES`;
        defaults to :data:`DEFAULT_STRATEGY_MIX` (30 % iron condors, 30 % verticals, 20 %
        calendars, 5 % each single leg).
    entry_days : int, optional
        Trading days over which positions open; defaults to ``3 * n_positions`` (a new
        position every three days on average, about seven open at a time).
    early_exits : bool, default True
        Let positions close early on their trading plan (see the module docstring); with
        False every position is observed until the closing bar of its expiry day.

    Returns
    -------
    polars.DataFrame
        Exactly the columns and dtypes of ``SNAPSHOT_SCHEMA``, sorted by
        ``(as_of, strategy_id)``. ``strategy_id`` runs from 1 in order of entry.

    Raises
    ------
    ValidationError
        If an argument is out of range or of the wrong type.

    Examples
    --------
    >>> df = synthetic_history(3, seed=1)
    >>> df.columns[:4]
    ['as_of', 'strategy_id', 'symbol', 'strategy_type']
    >>> df["strategy_id"].unique().sort().to_list()
    [1, 2, 3]
    """
    config = Config.parse(
        n_positions, seed, start, bar, symbols, strategy_mix, entry_days, early_exits
    )
    rng = np.random.default_rng(config.seed)
    book = draw_book(rng, config)
    # Front expiries fall at most 60 calendar days (44 weekdays) after the last entry.
    dates = weekdays_from(config.start, config.entry_days + 45)
    live_days = int(np.searchsorted(dates, book.expiry.max())) + 1
    market = simulate_market(
        rng,
        start=config.start,
        live_days=live_days,
        bars_per_day=config.bars_per_day,
        symbols=config.symbols,
    )
    legs = place_legs(rng, book, market, config)
    return mark_to_market(book, legs, market, config)
