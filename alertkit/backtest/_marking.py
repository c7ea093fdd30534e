"""Marking a synthetic history: every position priced every bar, cut at its exit, as snapshots.

:func:`mark_to_market` prices every leg of every position at every bar of its life in one
vectorised pass (Black-Scholes at the smile's implied vol), applies each position's trading
plan, and assembles the frame in ``SNAPSHOT_SCHEMA``. The conventions are in the docstring
of :mod:`alertkit.backtest.synthetic` ("Marking", "Columns").
"""

from __future__ import annotations

from typing import Final

import numpy as np
import polars as pl

from alertkit.backtest._book import (
    YEAR_US,
    Book,
    Config,
    FloatArray,
    IntArray,
    Legs,
    entry_bars,
)
from alertkit.backtest.market_paths import (
    SYMBOL_SPECS,
    MarketPaths,
    session_close_us,
    smile_vol,
    term_structure,
)
from alertkit.backtest.pricing import black_scholes
from alertkit.model.snapshot_schema import SNAPSHOT_SCHEMA

__all__ = ["CARRY_RATE", "CONTRACT_MULTIPLIER", "mark_to_market"]

CARRY_RATE: Final = 0.0  # see "Marking" in alertkit.backtest.synthetic
CONTRACT_MULTIPLIER: Final = 100.0
_MIN_YEARS: Final = 1.0 / (365 * 24 * 60)


def _value_legs(
    legs: Legs,
    market: MarketPaths,
    config: Config,
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
    years = np.maximum((close_us - market.bar_time_us[lr_bar]) / YEAR_US, _MIN_YEARS)
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


def mark_to_market(book: Book, legs: Legs, market: MarketPaths, config: Config) -> pl.DataFrame:
    """Mark every position every bar, cut each at its exit, and build the snapshot frame."""
    n = config.n_positions
    bpd = market.bars_per_day
    entry_bar = entry_bars(book, market)
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
