"""The positions of a synthetic history: what to open, and the option legs of each.

:class:`Config` checks :func:`~alertkit.backtest.synthetic_history`'s arguments;
:func:`draw_book` draws every position (symbol, strategy type, entry bar, expiry, contracts,
trading plan) and :func:`place_legs` places its legs' strikes on the simulated market at
entry. The rules they follow are in the docstring of :mod:`alertkit.backtest.synthetic`
("Positions", "Exits").
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
from numpy.typing import NDArray

from alertkit.backtest.market_paths import (
    SESSION_MINUTES,
    SYMBOL_SPECS,
    MarketPaths,
    session_close_us,
    weekdays_from,
)
from alertkit.model.errors import ValidationError

__all__ = [
    "CALENDAR_BACK_MONTH_DAYS",
    "DEFAULT_STRATEGY_MIX",
    "SUPPORTED_STRATEGY_TYPES",
    "YEAR_US",
    "Book",
    "BoolArray",
    "Config",
    "FloatArray",
    "IntArray",
    "Legs",
    "draw_book",
    "entry_bars",
    "place_legs",
]

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
CALENDAR_BACK_MONTH_DAYS: Final = 28
YEAR_US: Final = 365 * 86_400_000_000  # microseconds in an ACT/365 year
_BAR_PATTERN: Final = re.compile(r"^\s*(\d+)\s*(m|min|minutes?)\s*$", re.IGNORECASE)
# Calendar days from entry to the earliest front expiry; the next Friday adds 0-6.
_DTE_LOW, _DTE_HIGH = 30, 54


@dataclass(frozen=True, slots=True)
class Config:
    """The checked arguments of ``synthetic_history`` (:meth:`parse` says what is refused)."""

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
    ) -> Config:
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
class Book:
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


def draw_book(rng: np.random.Generator, config: Config) -> Book:
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
    # pricing, so keep both and choose in mark_to_market.
    stop = np.where(sl_on, 0.0, -np.inf)[order]
    return Book(
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
class Legs:
    """One element per option leg."""

    position: IntArray
    is_call: BoolArray
    strike: FloatArray
    quantity: FloatArray  # +1 long, -1 short, per spread
    expiry: IntArray  # days since the epoch


def place_legs(rng: np.random.Generator, book: Book, market: MarketPaths, config: Config) -> Legs:
    entry_bar = entry_bars(book, market)
    spot = market.spot[book.symbol, entry_bar]
    years = (session_close_us(book.expiry) - market.bar_time_us[entry_bar]) / YEAR_US
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

    return Legs(
        position=np.array(position, dtype=np.int64),
        is_call=np.array(is_call, dtype=np.bool_),
        strike=np.array(strike, dtype=np.float64),
        quantity=np.array(quantity, dtype=np.float64),
        expiry=np.array(expiry, dtype=np.int64),
    )


def entry_bars(book: Book, market: MarketPaths) -> IntArray:
    return market.first_live_bar + book.entry_day * market.bars_per_day + book.entry_bar_in_day
