"""Synthetic market: a bar grid, underlying prices, the VIX and each symbol's implied vol.

Everything is drawn from one ``numpy.random.Generator`` in a fixed order, so a seed fixes
the market. The model is deliberately small; each piece exists because a decision rule or a
realistic P&L needs it.

Calendar
    Trading days are weekdays (exchange holidays are not modelled). A day has
    ``bars_per_day`` bars covering 09:30-16:00 America/New_York; a bar is stamped with its
    *end* time (10:00, 10:30, ..., 16:00 for 30-minute bars), converted to UTC with the US
    daylight-saving rule in force since 2007 (UTC-4 from the second Sunday of March to the
    first Sunday of November, else UTC-5). 252 warm-up days are simulated before the first
    live day so the IV percentile has a full year of history.

Volatility regimes
    A daily Markov chain over calm / normal / stressed, with realised market vol 11 % / 17 % /
    32 % a year and expected stays of about 33 / 20 / 10 trading days. One fifth of a day's
    variance falls overnight and lands on the day's first bar (the gap), the rest is spread
    evenly over the bars. The market drifts at 6 % a year.

Jumps
    Crash-like market jumps arrive with 0.5 / 2 / 10 a year in the three regimes (about 2.4
    a year on average), of size N(-3.5 %, 1.2 %); they move every symbol by its beta and push
    the VIX up sharply. Separate vol-only shocks (1.5 a year) lift log VIX by U(0.35, 0.65)
    with no price jump, as on an event-risk headline. Both are what the catastrophe rule
    (1 h drop < -3 % or IV +50 % in 1 h) is there for; their rates are on the high side of
    history, so that a year or two of bars exercises that rule.

VIX
    log VIX mean-reverts (speed 10 a year, a half-life of about 17 trading days) to the
    regime's level (13.5 / 18.5 / 30 points), with vol-of-vol 0.5, an elasticity of -5 to the
    market's diffusive return (a -1 % bar lifts the VIX about 5 %) and of -10 to jumps; it is
    kept within [9, 90]. The VIX therefore rises when prices fall and sits above realised vol
    (a variance risk premium).

Symbols and implied vol
    ``SYMBOL_SPECS`` holds each symbol's price before the first live day, beta to the
    market, idiosyncratic vol, IV-to-VIX ratio and smile parameters. A symbol's 30-day ATM
    implied vol is ``VIX / 100 * iv_ratio * exp(y)``, with ``y`` a small mean-reverting
    idiosyncratic factor (speed 20 a year, stationary sd about 0.06). Other maturities follow
    the VIX-dependent term structure of :func:`term_structure`, other strikes the SSVI smile
    of :func:`smile_vol`.

IV percentile
    The fraction (0-1) of the previous 252 daily closing ATM IVs of the symbol that are
    strictly below the current bar's ATM IV.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "SYMBOL_SPECS",
    "MarketPaths",
    "SymbolSpec",
    "simulate_market",
    "smile_vol",
    "term_structure",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

TRADING_DAYS_PER_YEAR: Final = 252
SESSION_MINUTES: Final = 390  # 09:30-16:00
_US_PER_MINUTE: Final = 60_000_000
_US_PER_DAY: Final = 86_400_000_000
_EPOCH: Final = date(1970, 1, 1)

# Regimes: calm, normal, stressed.
REGIME_VOL: Final = np.array([0.11, 0.17, 0.32])
REGIME_VIX: Final = np.array([13.5, 18.5, 30.0])
REGIME_JUMPS_PER_YEAR: Final = np.array([0.5, 2.0, 10.0])
REGIME_TRANSITION: Final = np.array(
    [
        [0.970, 0.030, 0.000],
        [0.025, 0.950, 0.025],
        [0.000, 0.100, 0.900],
    ]
)
MARKET_DRIFT: Final = 0.06
OVERNIGHT_VARIANCE_SHARE: Final = 0.20
JUMP_MEAN, JUMP_SD = -0.035, 0.012
VOL_SHOCKS_PER_YEAR: Final = 1.5
VOL_SHOCK_LOW, VOL_SHOCK_HIGH = 0.35, 0.65
VIX_SPEED: Final = 10.0
VIX_VOL_OF_VOL: Final = 0.5
VIX_ELASTICITY: Final = 5.0
VIX_JUMP_ELASTICITY: Final = 10.0
VIX_FLOOR, VIX_CAP = 9.0, 90.0
IV_FACTOR_SPEED: Final = 20.0
IV_FACTOR_VOL: Final = 0.38  # sd of the stationary factor = 0.38 / sqrt(2 * 20) ~ 0.06
IV_LOOKBACK_DAYS: Final = 252


@dataclass(frozen=True, slots=True)
class SymbolSpec:
    """How one underlying behaves in the synthetic market.

    Attributes
    ----------
    spot : float
        Price at the close before the first live day (the path is scaled to pass there).
    beta : float
        Sensitivity to the market factor, applied to diffusion and jumps alike.
    idio_vol : float
        Annualised idiosyncratic vol, independent across symbols.
    iv_ratio : float
        The symbol's 30-day ATM implied vol divided by VIX / 100.
    smile_rho, smile_eta : float
        SSVI skew (spot-vol correlation) and curvature parameters (see :func:`smile_vol`).
    """

    spot: float
    beta: float
    idio_vol: float
    iv_ratio: float
    smile_rho: float
    smile_eta: float


SYMBOL_SPECS: Final[dict[str, SymbolSpec]] = {
    # Prices near their levels at the start of 2025.
    "SPY": SymbolSpec(
        590.0, beta=1.00, idio_vol=0.00, iv_ratio=0.90, smile_rho=-0.70, smile_eta=0.8
    ),
    "QQQ": SymbolSpec(
        515.0, beta=1.15, idio_vol=0.08, iv_ratio=1.15, smile_rho=-0.65, smile_eta=0.8
    ),
    "IWM": SymbolSpec(
        222.0, beta=1.10, idio_vol=0.12, iv_ratio=1.30, smile_rho=-0.55, smile_eta=0.8
    ),
}

TERM_REFERENCE_YEARS: Final = 30.0 / 365.0
TERM_SLOPE_AT_15, TERM_SLOPE_PER_POINT = 0.08, 0.008
TERM_SLOPE_LOW, TERM_SLOPE_HIGH = -0.20, 0.10


def term_structure(atm_30d: FloatArray, t: FloatArray, vix: FloatArray) -> FloatArray:
    """ATM implied vol at maturity ``t`` (years) from the 30-day ATM vol and the VIX.

    ``atm(t) = atm_30d * (max(t, 1 day) / 30 days) ** beta`` with
    ``beta = 0.08 - 0.008 * (vix - 15)`` clipped to [-0.20, 0.10]: upward sloping
    (contango) when the VIX is low, flat near 25 and inverted in a sell-off, as the VIX
    futures curve behaves. Total ATM variance still grows with ``t`` for every ``beta`` in
    that range, so the surface stays free of calendar arbitrage.
    """
    beta = np.clip(
        TERM_SLOPE_AT_15 - TERM_SLOPE_PER_POINT * (vix - 15.0), TERM_SLOPE_LOW, TERM_SLOPE_HIGH
    )
    return atm_30d * (np.maximum(t, 1.0 / 365.0) / TERM_REFERENCE_YEARS) ** beta


def smile_vol(
    atm_iv: FloatArray,
    log_moneyness: FloatArray,
    t: FloatArray,
    rho: FloatArray | float,
    eta: FloatArray | float,
) -> FloatArray:
    """Implied vol of a strike on an SSVI surface (Gatheral and Jacquier, 2014).

    With ATM total variance ``theta = atm_iv**2 * t``, ``phi = eta / sqrt(theta)`` and ``k`` the
    forward log-moneyness, total variance is
    ``w = theta / 2 * (1 + rho * phi * k + sqrt((phi * k + rho)**2 + 1 - rho**2))`` and the vol
    ``sqrt(w / t)``. For ``eta**2 * (1 + |rho|) <= 4`` this surface has no butterfly or
    calendar arbitrage, so butterflies and calendars never price below zero; the skew scales
    as ``1 / sqrt(t)``, steepening towards expiry as listed skews do. With SPY's
    ``rho = -0.7, eta = 0.8`` a 25-delta put trades about 19 % above ATM vol and a 25-delta
    call about 18 % below.
    """
    theta = atm_iv * atm_iv * t
    phi_k = eta * log_moneyness / np.sqrt(theta)
    w = 0.5 * theta * (1.0 + rho * phi_k + np.sqrt((phi_k + rho) ** 2 + 1.0 - rho * rho))
    return np.sqrt(w / t)


@dataclass(frozen=True, slots=True)
class MarketPaths:
    """The simulated market on a bar grid (warm-up days first, then live days).

    Attributes
    ----------
    symbols : tuple of str
        Row order of the per-symbol arrays.
    bars_per_day, bars_per_hour : int
        Grid resolution; ``bars_per_hour`` is the lag of the one-hour changes.
    first_live_bar : int
        Index of the first bar of the first live day.
    day_dates : ndarray of int64, shape (n_days,)
        Each trading day as days since 1970-01-01.
    bar_day : ndarray of int64, shape (n_bars,)
        Trading-day index of each bar.
    bar_time_us : ndarray of int64, shape (n_bars,)
        Bar end time, microseconds since the epoch, UTC.
    regime : ndarray of int64, shape (n_days,)
        0 calm, 1 normal, 2 stressed.
    spot, atm_iv, iv_percentile : ndarray, shape (n_symbols, n_bars)
        Underlying price, 30-day ATM implied vol (decimal), IV percentile (0-1).
    vix : ndarray, shape (n_bars,)
        VIX in index points.
    """

    symbols: tuple[str, ...]
    bars_per_day: int
    bars_per_hour: int
    first_live_bar: int
    day_dates: IntArray
    bar_day: IntArray
    bar_time_us: IntArray
    regime: IntArray
    spot: FloatArray
    atm_iv: FloatArray
    iv_percentile: FloatArray
    vix: FloatArray


def weekdays_from(first: date, count: int) -> IntArray:
    """``count`` consecutive weekdays from ``first`` (or the next weekday), as day numbers."""
    start = (first - _EPOCH).days
    # 1970-01-01 was a Thursday: (n + 3) % 7 is 0 on Mondays.
    span = np.arange(start, start + count * 7 // 5 + 7, dtype=np.int64)
    return span[(span + 3) % 7 < 5][:count]


def weekdays_before(last_exclusive: date, count: int) -> IntArray:
    """The ``count`` weekdays immediately before ``last_exclusive``, ascending."""
    end = (last_exclusive - _EPOCH).days
    span = np.arange(end - count * 7 // 5 - 7, end, dtype=np.int64)
    return span[(span + 3) % 7 < 5][-count:]


def new_york_utc_offset_minutes(day_numbers: IntArray) -> IntArray:
    """UTC offset of America/New_York on each day (-240 in daylight time, else -300)."""
    out = np.empty(len(day_numbers), dtype=np.int64)
    for i, n in enumerate(day_numbers.tolist()):
        d = _EPOCH + timedelta(days=n)
        march_1 = date(d.year, 3, 1)
        dst_start = march_1 + timedelta(days=(6 - march_1.weekday()) % 7 + 7)
        nov_1 = date(d.year, 11, 1)
        dst_end = nov_1 + timedelta(days=(6 - nov_1.weekday()) % 7)
        out[i] = -240 if dst_start <= d < dst_end else -300
    return out


def session_close_us(day_numbers: IntArray) -> IntArray:
    """16:00 New York time on each day, in UTC microseconds since the epoch."""
    offset = new_york_utc_offset_minutes(day_numbers)
    return day_numbers * _US_PER_DAY + (16 * 60 - offset) * _US_PER_MINUTE


def _ar1(decay: float, shocks: FloatArray, x0: FloatArray) -> FloatArray:
    """``x[t] = decay * x[t-1] + shocks[t]`` along the last axis, starting from ``x0``.

    Solved in blocks with powers of ``decay`` instead of a Python loop per bar; the block
    length keeps ``decay ** -L`` below 1e3 so the rescaling loses no precision.
    """
    n = shocks.shape[-1]
    block = max(1, min(1024, int(math.log(1e3) / -math.log(decay)))) if decay < 1.0 else 1024
    out = np.empty_like(shocks)
    prev = np.asarray(x0, dtype=np.float64)
    for lo in range(0, n, block):
        hi = min(n, lo + block)
        k = np.arange(hi - lo, dtype=np.float64)
        up = decay**k  # decay ** j for j = 0..L-1
        # x[lo+j] = decay^(j+1) * prev + sum_{i<=j} decay^(j-i) * u[lo+i]
        acc = np.cumsum(shocks[..., lo:hi] / up, axis=-1) * up
        out[..., lo:hi] = acc + np.multiply.outer(prev, up * decay)
        prev = out[..., hi - 1]
    return out


def simulate_market(
    rng: np.random.Generator,
    *,
    start: date,
    live_days: int,
    bars_per_day: int,
    symbols: tuple[str, ...],
) -> MarketPaths:
    """Simulate the market over 252 warm-up days before ``start`` and ``live_days`` from it.

    Parameters
    ----------
    rng : numpy.random.Generator
        The only source of randomness; draws happen in a fixed order.
    start : date
        First live day (moved forward to a weekday if needed).
    live_days : int
        Trading days from ``start`` on.
    bars_per_day : int
        Bars per session; must divide 390 minutes into whole minutes.
    symbols : tuple of str
        Keys of :data:`SYMBOL_SPECS`.
    """
    warmup_days = IV_LOOKBACK_DAYS
    minutes_per_bar = SESSION_MINUTES // bars_per_day
    bars_per_hour = 60 // minutes_per_bar
    specs = [SYMBOL_SPECS[s] for s in symbols]
    n_sym = len(specs)

    day_dates = np.concatenate(
        [weekdays_before(start, warmup_days), weekdays_from(start, live_days)]
    )
    n_days = len(day_dates)
    n_bars = n_days * bars_per_day
    bar_day = np.repeat(np.arange(n_days, dtype=np.int64), bars_per_day)
    bar_in_day = np.tile(np.arange(1, bars_per_day + 1, dtype=np.int64), n_days)
    open_us = session_close_us(day_dates) - SESSION_MINUTES * _US_PER_MINUTE
    bar_time_us = open_us[bar_day] + bar_in_day * minutes_per_bar * _US_PER_MINUTE

    # Regimes: a daily chain, starting in the normal regime a year before the live window.
    uniforms = rng.random(n_days)
    cumulative = np.cumsum(REGIME_TRANSITION, axis=1)
    regime = np.empty(n_days, dtype=np.int64)
    state = 1
    for d in range(n_days):
        regime[d] = state
        state = int(np.searchsorted(cumulative[state], uniforms[d], side="right"))
        state = min(state, 2)
    bar_regime = regime[bar_day]

    dt_day = 1.0 / TRADING_DAYS_PER_YEAR
    dt_bar = dt_day / bars_per_day
    vol = REGIME_VOL[bar_regime]
    first_bar = bar_in_day == 1
    variance = vol * vol * dt_day * (1.0 - OVERNIGHT_VARIANCE_SHARE) / bars_per_day
    variance = variance + np.where(first_bar, vol * vol * dt_day * OVERNIGHT_VARIANCE_SHARE, 0.0)
    diffusion = np.sqrt(variance) * rng.standard_normal(n_bars)
    drift = (MARKET_DRIFT - 0.5 * vol * vol) * dt_bar
    jump_hit = rng.random(n_bars) < REGIME_JUMPS_PER_YEAR[bar_regime] * dt_bar
    jumps = np.where(jump_hit, rng.normal(JUMP_MEAN, JUMP_SD, n_bars), 0.0)
    vol_shock_hit = rng.random(n_bars) < VOL_SHOCKS_PER_YEAR * dt_bar
    vol_shocks = np.where(vol_shock_hit, rng.uniform(VOL_SHOCK_LOW, VOL_SHOCK_HIGH, n_bars), 0.0)

    # VIX: log level mean-reverting to the regime's level, driven by market moves.
    theta = np.log(REGIME_VIX[bar_regime])
    decay = 1.0 - VIX_SPEED * dt_bar
    vix_shocks = (
        VIX_SPEED * dt_bar * theta
        + VIX_VOL_OF_VOL * math.sqrt(dt_bar) * rng.standard_normal(n_bars)
        - VIX_ELASTICITY * diffusion
        - VIX_JUMP_ELASTICITY * jumps
        + vol_shocks
    )
    log_vix = _ar1(decay, vix_shocks, np.asarray(theta[0]))
    vix = np.clip(np.exp(log_vix), VIX_FLOOR, VIX_CAP)

    # Symbols: beta to the market plus idiosyncratic noise, anchored at the live start price.
    idio_z = rng.standard_normal((n_sym, n_bars))
    iv_z = rng.standard_normal((n_sym, n_bars))
    beta = np.array([s.beta for s in specs])[:, None]
    idio = np.array([s.idio_vol for s in specs])[:, None]
    log_ret = beta * (drift + diffusion + jumps) + idio * math.sqrt(dt_bar) * idio_z
    log_ret = log_ret - 0.5 * idio * idio * dt_bar
    log_path = np.cumsum(log_ret, axis=1)
    first_live_bar = warmup_days * bars_per_day
    anchor = log_path[:, first_live_bar] - log_ret[:, first_live_bar]  # the first live open
    spot0 = np.array([s.spot for s in specs])[:, None]
    spot = spot0 * np.exp(log_path - anchor[:, None])

    iv_decay = 1.0 - IV_FACTOR_SPEED * dt_bar
    factor = _ar1(iv_decay, IV_FACTOR_VOL * math.sqrt(dt_bar) * iv_z, np.zeros(n_sym))
    iv_ratio = np.array([s.iv_ratio for s in specs])[:, None]
    atm_iv = vix[None, :] / 100.0 * iv_ratio * np.exp(factor)

    iv_percentile = _iv_percentile(atm_iv, bars_per_day)

    return MarketPaths(
        symbols=tuple(symbols),
        bars_per_day=bars_per_day,
        bars_per_hour=bars_per_hour,
        first_live_bar=first_live_bar,
        day_dates=day_dates,
        bar_day=bar_day,
        bar_time_us=bar_time_us,
        regime=regime,
        spot=spot,
        atm_iv=atm_iv,
        iv_percentile=iv_percentile,
        vix=vix,
    )


def _iv_percentile(atm_iv: FloatArray, bars_per_day: int) -> FloatArray:
    """Percentile of each bar's ATM IV among the previous 252 daily closes (NaN in warm-up)."""
    n_sym, n_bars = atm_iv.shape
    n_days = n_bars // bars_per_day
    closes = atm_iv[:, bars_per_day - 1 :: bars_per_day]
    out = np.full_like(atm_iv, np.nan)
    for d in range(IV_LOOKBACK_DAYS, n_days):
        window = np.sort(closes[:, d - IV_LOOKBACK_DAYS : d], axis=1)
        bars = slice(d * bars_per_day, (d + 1) * bars_per_day)
        for s in range(n_sym):
            below = np.searchsorted(window[s], atm_iv[s, bars], side="left")
            out[s, bars] = below / IV_LOOKBACK_DAYS
    return out
