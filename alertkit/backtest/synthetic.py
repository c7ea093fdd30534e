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
    (docs/domain.md §4) is the first match on some row; ``tests/test_synthetic_history.py``
    pins the counts. Most rules fire thousands of times, but two are rare by nature: ``gamma_risk``
    needs ``|net_gamma| > 0.10`` per contract, which at these underlyings' prices (ATM gamma
    ``0.4 / (S * sigma * sqrt(t))``) happens only in the last day or two before expiry, near a
    strike, on a position whose P&L has not already triggered an earlier rule; and
    ``time_exit`` needs a position held into its last day without an earlier rule firing.
    Other seeds and sizes may lack one of those two.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from types import MappingProxyType
from typing import Final

import numpy as np
import polars as pl
from numpy.typing import NDArray

from alertkit.backtest.market_paths import (
    SESSION_MINUTES,
    SYMBOL_SPECS,
    MarketPaths,
    session_close_us,
    simulate_market,
    smile_vol,
    term_structure,
    weekdays_from,
)
from alertkit.backtest.pricing import black_scholes
from alertkit.errors import ValidationError
from alertkit.snapshot import SNAPSHOT_SCHEMA

__all__ = ["DEFAULT_STRATEGY_MIX", "SUPPORTED_STRATEGY_TYPES", "synthetic_history"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

SUPPORTED_STRATEGY_TYPES: Final = (
    "iron_condor",
    "vertical_spread",
    "calendar_spread",
    "long_call",
    "long_put",
    "short_call",
    "short_put",
)
DEFAULT_STRATEGY_MIX: Final[Mapping[str, float]] = MappingProxyType(
    {
        "iron_condor": 0.30,
        "vertical_spread": 0.30,
        "calendar_spread": 0.20,
        "long_call": 0.05,
        "long_put": 0.05,
        "short_call": 0.05,
        "short_put": 0.05,
    }
)
CARRY_RATE: Final = 0.0  # see "Marking" above
CONTRACT_MULTIPLIER: Final = 100.0
CALENDAR_BACK_MONTH_DAYS: Final = 28
_YEAR_US: Final = 365 * 86_400_000_000
_MIN_YEARS: Final = 1.0 / (365 * 24 * 60)
_BAR_PATTERN: Final = re.compile(r"^\s*(\d+)\s*(m|min|minutes?)\s*$", re.IGNORECASE)
_EPOCH: Final = date(1970, 1, 1)
# Calendar days from entry to the earliest front expiry; the next Friday adds 0-6.
_DTE_LOW, _DTE_HIGH = 30, 54


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
    config = _Config.parse(
        n_positions, seed, start, bar, symbols, strategy_mix, entry_days, early_exits
    )
    rng = np.random.default_rng(config.seed)
    book = _draw_book(rng, config)
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
    legs = _place_legs(rng, book, market, config)
    return _mark_to_market(book, legs, market, config)


@dataclass(frozen=True, slots=True)
class _Config:
    n_positions: int
    seed: int
    start: date
    bars_per_day: int
    symbols: tuple[str, ...]
    types: tuple[str, ...]
    weights: FloatArray
    entry_days: int
    early_exits: bool

    @classmethod
    def parse(
        cls,
        n_positions: int,
        seed: int,
        start: date,
        bar: str,
        symbols: Sequence[str],
        strategy_mix: Mapping[str, float] | None,
        entry_days: int | None,
        early_exits: bool,
    ) -> _Config:
        if isinstance(n_positions, bool) or not isinstance(n_positions, int) or n_positions < 1:
            raise ValidationError(f"n_positions: expected an int >= 1, got {n_positions!r}")
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValidationError(f"seed: expected an int >= 0, got {seed!r}")
        if isinstance(start, datetime) or not isinstance(start, date):
            raise ValidationError(f"start: expected a date (not a datetime), got {start!r}")
        bars_per_day = _parse_bar(bar)
        if isinstance(symbols, str):  # a lone "SPY" would otherwise iterate as letters
            raise ValidationError(f"symbols: expected a sequence of symbols, got {symbols!r}")
        syms = tuple(symbols)
        unknown = [s for s in syms if s not in SYMBOL_SPECS]
        if not syms or unknown or len(set(syms)) != len(syms):
            raise ValidationError(
                f"symbols: expected distinct symbols from {', '.join(SYMBOL_SPECS)}, got {syms!r}"
            )
        mix = DEFAULT_STRATEGY_MIX if strategy_mix is None else strategy_mix
        bad = [k for k in mix if k not in SUPPORTED_STRATEGY_TYPES]
        values = [mix[k] for k in mix]
        if (
            bad
            or any(
                isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= v < math.inf
                for v in values
            )
            or sum(values) <= 0
        ):
            raise ValidationError(
                "strategy_mix: expected non-negative weights, not all zero, for"
                f" {', '.join(SUPPORTED_STRATEGY_TYPES)}; got {dict(mix)!r}"
            )
        types = tuple(t for t in SUPPORTED_STRATEGY_TYPES if mix.get(t, 0.0) > 0)
        weights = np.array([mix[t] for t in types], dtype=np.float64)
        days = 3 * n_positions if entry_days is None else entry_days
        if isinstance(days, bool) or not isinstance(days, int) or days < 1:
            raise ValidationError(f"entry_days: expected an int >= 1 or None, got {entry_days!r}")
        return cls(
            n_positions=n_positions,
            seed=seed,
            start=start,
            bars_per_day=bars_per_day,
            symbols=syms,
            types=types,
            weights=weights / weights.sum(),
            entry_days=days,
            early_exits=bool(early_exits),
        )


def _parse_bar(bar: str) -> int:
    """Bars per session for a bar length such as ``"30m"``."""
    match = _BAR_PATTERN.match(bar) if isinstance(bar, str) else None
    minutes = int(match.group(1)) if match else 0
    if minutes < 1 or 60 % minutes or SESSION_MINUTES % minutes:
        raise ValidationError(
            "bar: expected '<n>m' with n one of 1, 2, 3, 5, 6, 10, 15, 30"
            f" (whole bars per hour and per 390-minute session), got {bar!r}"
        )
    return SESSION_MINUTES // minutes


@dataclass(frozen=True, slots=True)
class _Book:
    """One element per position, in strategy_id order."""

    symbol: IntArray  # index into config.symbols
    strategy: IntArray  # index into config.types
    entry_day: IntArray  # live trading-day index
    entry_bar_in_day: IntArray
    expiry: IntArray  # front expiry, days since the epoch
    back_expiry: IntArray  # latest leg expiry (calendars), days since the epoch
    contracts: IntArray
    take_profit: FloatArray  # upl_pct at or above which the trader closes (inf: never)
    stop_loss: FloatArray  # (2, n) stop levels for a credit, a debit (-inf: never)
    close_dte: IntArray  # dte at or below which the trader closes (-1000: never)
    shape: FloatArray  # (n, 4) uniforms that place the strikes (the last is spare)


def _draw_book(rng: np.random.Generator, config: _Config) -> _Book:
    n = config.n_positions
    symbol = rng.integers(0, len(config.symbols), n)
    strategy = rng.choice(len(config.types), size=n, p=config.weights)
    entry_day = rng.integers(0, config.entry_days, n)
    entry_bar_in_day = rng.integers(0, config.bars_per_day, n)
    target_dte = rng.integers(_DTE_LOW, _DTE_HIGH + 1, n)
    contracts = rng.integers(1, 11, n)
    shape = rng.random((n, 4))
    tp_on, sl_on, dte_on = rng.random((3, n)) < np.array([[0.55], [0.45], [0.35]])
    tp = rng.uniform(0.5, 0.9, n)
    sl_credit = rng.uniform(-2.0, -1.0, n)
    sl_debit = rng.uniform(-0.8, -0.4, n)
    dte_exit = rng.integers(3, 22, n)
    if not config.early_exits:
        tp_on[:] = sl_on[:] = dte_on[:] = False

    # strategy_id follows the order of entry.
    order = np.lexsort((entry_bar_in_day, entry_day))
    dates = weekdays_from(config.start, config.entry_days)
    entry_date = dates[entry_day[order]]
    earliest = entry_date + target_dte[order]
    expiry = earliest + (4 - (earliest + 3) % 7) % 7  # the next Friday (weekday 4)
    types = np.array(config.types)[strategy[order]]
    back = np.where(types == "calendar_spread", expiry + CALENDAR_BACK_MONTH_DAYS, expiry)
    # The stop depends on whether the premium is a credit; the sign is known only after
    # pricing, so keep both and choose in _mark_to_market.
    stop = np.where(sl_on, 0.0, -np.inf)[order]
    return _Book(
        symbol=symbol[order],
        strategy=strategy[order],
        entry_day=entry_day[order],
        entry_bar_in_day=entry_bar_in_day[order],
        expiry=expiry,
        back_expiry=back,
        contracts=contracts[order],
        take_profit=np.where(tp_on, tp, np.inf)[order],
        stop_loss=np.stack([stop + sl_credit[order], stop + sl_debit[order]]),
        close_dte=np.where(dte_on, dte_exit, -1000)[order],
        shape=shape[order],
    )


@dataclass(frozen=True, slots=True)
class _Legs:
    """One element per option leg."""

    position: IntArray
    is_call: BoolArray
    strike: FloatArray
    quantity: FloatArray  # +1 long, -1 short, per spread
    expiry: IntArray  # days since the epoch


def _place_legs(
    rng: np.random.Generator, book: _Book, market: MarketPaths, config: _Config
) -> _Legs:
    entry_bar = _entry_bars(book, market)
    spot = market.spot[book.symbol, entry_bar]
    years = (session_close_us(book.expiry) - market.bar_time_us[entry_bar]) / _YEAR_US
    sd = market.atm_iv[book.symbol, entry_bar] * np.sqrt(years)
    u = book.shape
    wing = np.maximum(1.0, np.round(spot * (0.008 + 0.012 * u[:, 2])))
    debit_width = np.maximum(1.0, np.round(spot * (0.015 + 0.015 * u[:, 2])))
    flavour = rng.random(len(spot))  # direction / call-or-put choice

    def k(x: float) -> float:
        return float(np.round(x))

    position: list[int] = []
    is_call: list[bool] = []
    strike: list[float] = []
    quantity: list[float] = []
    expiry: list[int] = []

    def leg(p: int, call: bool, kk: float, q: float, exp: int) -> None:
        position.append(p)
        is_call.append(call)
        strike.append(kk)
        quantity.append(q)
        expiry.append(exp)

    for p in range(len(spot)):
        s, z, f, e = float(spot[p]), float(sd[p]), float(flavour[p]), int(book.expiry[p])
        kind = config.types[book.strategy[p]]
        a = float(u[p, 0])
        if kind == "iron_condor":
            kp = k(s * np.exp(-(0.8 + 0.5 * a) * z))
            kc = k(s * np.exp((0.8 + 0.5 * float(u[p, 1])) * z))
            w = float(wing[p])
            leg(p, False, kp - w, 1.0, e)
            leg(p, False, kp, -1.0, e)
            leg(p, True, kc, -1.0, e)
            leg(p, True, kc + w, 1.0, e)
        elif kind == "vertical_spread":
            if f < 0.25:  # bull put, credit
                ks = k(s * np.exp(-(0.4 + 0.5 * a) * z))
                leg(p, False, ks, -1.0, e)
                leg(p, False, ks - float(wing[p]), 1.0, e)
            elif f < 0.5:  # bear call, credit
                ks = k(s * np.exp((0.4 + 0.5 * a) * z))
                leg(p, True, ks, -1.0, e)
                leg(p, True, ks + float(wing[p]), 1.0, e)
            elif f < 0.75:  # bull call, debit
                kl = k(s * np.exp((0.4 * a - 0.2) * z))
                leg(p, True, kl, 1.0, e)
                leg(p, True, kl + float(debit_width[p]), -1.0, e)
            else:  # bear put, debit
                kl = k(s * np.exp((0.2 - 0.4 * a) * z))
                leg(p, False, kl, 1.0, e)
                leg(p, False, kl - float(debit_width[p]), -1.0, e)
        elif kind == "calendar_spread":
            kk = k(s * np.exp((0.6 * a - 0.3) * z))
            leg(p, f < 0.5, kk, -1.0, e)
            leg(p, f < 0.5, kk, 1.0, int(book.back_expiry[p]))
        else:
            long = kind.startswith("long")
            call = kind.endswith("call")
            away = (0.6 * a - 0.1) if long else (0.5 + 0.5 * a)
            kk = k(s * np.exp((away if call else -away) * z))
            leg(p, call, kk, 1.0 if long else -1.0, e)

    return _Legs(
        position=np.array(position, dtype=np.int64),
        is_call=np.array(is_call, dtype=np.bool_),
        strike=np.array(strike, dtype=np.float64),
        quantity=np.array(quantity, dtype=np.float64),
        expiry=np.array(expiry, dtype=np.int64),
    )


def _entry_bars(book: _Book, market: MarketPaths) -> IntArray:
    return market.first_live_bar + book.entry_day * market.bars_per_day + book.entry_bar_in_day


def _value_legs(
    legs: _Legs,
    market: MarketPaths,
    config: _Config,
    sym: IntArray,
    row_start: IntArray,
    row_bar: IntArray,
    n_full: IntArray,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Value, net delta and net gamma per spread for every position-row of the full lives."""
    # Leg-rows: every leg at every bar of its position's full life, priced in one pass.
    total = len(row_bar)
    leg_n = n_full[legs.position]
    leg_start = np.concatenate([[0], np.cumsum(leg_n)[:-1]])
    lr_leg = np.repeat(np.arange(len(leg_n)), leg_n)
    lr_row = row_start[legs.position][lr_leg] + (np.arange(int(leg_n.sum())) - leg_start[lr_leg])
    lr_bar = row_bar[lr_row]
    lr_sym = sym[legs.position][lr_leg]
    spot = market.spot[lr_sym, lr_bar]
    strike = legs.strike[lr_leg]
    close_us = session_close_us(legs.expiry)[lr_leg]
    years = np.maximum((close_us - market.bar_time_us[lr_bar]) / _YEAR_US, _MIN_YEARS)
    specs = [SYMBOL_SPECS[s] for s in config.symbols]
    rho = np.array([s.smile_rho for s in specs])[lr_sym]
    eta = np.array([s.smile_eta for s in specs])[lr_sym]
    forward_moneyness = np.log(strike / spot) - CARRY_RATE * years
    atm = term_structure(market.atm_iv[lr_sym, lr_bar], years, market.vix[lr_bar])
    vol = smile_vol(atm, forward_moneyness, years, rho, eta)
    greeks = black_scholes(legs.is_call[lr_leg], spot, strike, years, vol, CARRY_RATE)
    qty = legs.quantity[lr_leg]
    return (
        _sum_by(lr_row, qty * greeks.price, total),
        _sum_by(lr_row, qty * greeks.delta, total),
        _sum_by(lr_row, qty * greeks.gamma, total),
    )


def _sum_by(index: IntArray, weights: FloatArray, length: int) -> FloatArray:
    """Sums of ``weights`` per ``index`` value, in input order (so bit-for-bit repeatable)."""
    sums: FloatArray = np.bincount(index, weights=weights, minlength=length).astype(
        np.float64, copy=False
    )
    return sums


def _mark_to_market(book: _Book, legs: _Legs, market: MarketPaths, config: _Config) -> pl.DataFrame:
    """Mark every position every bar, cut each at its exit, and build the snapshot frame."""
    n = config.n_positions
    bpd = market.bars_per_day
    entry_bar = _entry_bars(book, market)
    expiry_day = np.searchsorted(market.day_dates, book.expiry)
    last_bar = expiry_day * bpd + bpd - 1
    n_full = last_bar - entry_bar + 1
    row_start = np.concatenate([[0], np.cumsum(n_full)[:-1]])
    total = int(n_full.sum())
    row_pos = np.repeat(np.arange(n), n_full)
    row_k = np.arange(total) - row_start[row_pos]
    row_bar = entry_bar[row_pos] + row_k
    sym = book.symbol

    value, net_delta, net_gamma = _value_legs(legs, market, config, sym, row_start, row_bar, n_full)

    premium = value[row_start]
    size = CONTRACT_MULTIPLIER * book.contracts
    entry_price = np.abs(premium) * size
    pnl = (value - premium[row_pos]) * size[row_pos]
    upl = pnl / entry_price[row_pos]
    dte = book.expiry[row_pos] - market.day_dates[market.bar_day[row_bar]]

    if config.early_exits:
        stop = np.where(premium < 0, book.stop_loss[0], book.stop_loss[1])
        hit = (upl >= book.take_profit[row_pos]) | (upl <= stop[row_pos])
        hit |= dte <= book.close_dte[row_pos]
        first_exit = np.minimum.reduceat(np.where(hit, row_k, total), row_start)
        keep = np.flatnonzero(row_k <= first_exit[row_pos])
    else:
        keep = np.arange(total)

    pos = row_pos[keep]
    bar = row_bar[keep]
    rsym = sym[pos]
    net_delta = net_delta[keep]
    lag = market.bars_per_hour
    n_sym = len(config.symbols)
    rel_bar = bar - bar.min()
    n_rel = int(rel_bar.max()) + 1
    portfolio = _sum_by(rel_bar, net_delta, n_rel)[rel_bar]
    by_symbol = _sum_by(rel_bar * n_sym + rsym, net_delta, n_rel * n_sym)
    entry = entry_bar[pos]

    order = np.argsort(bar * n + pos, kind="stable")
    columns: dict[str, object] = {
        "as_of": market.bar_time_us[bar],
        "strategy_id": pos + 1,
        "symbol": rsym,
        "strategy_type": book.strategy[pos],
        "expiry": book.expiry[pos],
        "dte": dte[keep],
        "entry_price": entry_price[pos],
        "unrealized_pnl": pnl[keep],
        "upl_pct": upl[keep],
        "net_delta": net_delta,
        "net_gamma": net_gamma[keep],
        "underlying_change_1h": market.spot[rsym, bar] / market.spot[rsym, bar - lag] - 1.0,
        "iv_change_1h": market.atm_iv[rsym, bar] / market.atm_iv[rsym, bar - lag] - 1.0,
        "iv_change_since_entry": market.atm_iv[rsym, bar] / market.atm_iv[rsym, entry] - 1.0,
        "vix": market.vix[bar],
        "vix_at_entry": market.vix[entry],
        "iv_percentile": market.iv_percentile[rsym, bar],
        "portfolio_delta": portfolio,
        "symbol_delta": by_symbol[rel_bar * n_sym + rsym],
    }
    series: list[pl.Series] = []
    for name, dtype in SNAPSHOT_SCHEMA.items():
        values = np.asarray(columns[name])[order]
        if name == "symbol":
            s = pl.Series(name, config.symbols, dtype=pl.String).gather(values)
        elif name == "strategy_type":
            s = pl.Series(name, config.types, dtype=pl.String).gather(values)
        else:
            s = pl.Series(name, values).cast(dtype)
        series.append(s)
    return pl.DataFrame(series)
