"""Vectorized Black-Scholes prices and greeks (numpy only).

The normal CDF uses Hart's double-precision rational approximation (algorithm 5666, as
published by West, "Better approximations to cumulative normal functions", Wilmott 2005):
absolute error below 1e-15 over the real line (relative error below 1e-8 in the far tails),
no scipy needed, and one pass of array arithmetic, which is what lets the synthetic history
price a few million option legs a second.

Units: ``spot`` and ``strike`` in the same currency, ``t`` in years (ACT/365), ``sigma`` and
``rate`` as annualised decimals (0.20 = 20 %), continuous compounding, no dividends. Greeks
are per option on one unit of the underlying (a delta of 0.5 means half a share per option,
before the usual x100 contract multiplier): the snapshot's per-contract convention.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["OptionGreeks", "black_scholes", "norm_cdf", "norm_pdf"]

FloatArray = NDArray[np.float64]

_INV_SQRT_2PI = 0.3989422804014327
_SQRT_2PI = 2.506628274631


def norm_pdf(x: ArrayLike) -> FloatArray:
    """Standard normal density, elementwise."""
    z = np.asarray(x, dtype=np.float64)
    return _INV_SQRT_2PI * np.exp(-0.5 * z * z)


def norm_cdf(x: ArrayLike) -> FloatArray:
    """Standard normal cumulative distribution function, elementwise.

    Examples
    --------
    >>> round(float(norm_cdf(1.96)), 6)
    0.975002
    """
    z = np.atleast_1d(np.asarray(x, dtype=np.float64))
    a = np.abs(z)
    e = np.exp(-0.5 * a * a)
    # Central region: a ratio of two polynomials in |x|, Horner form, in place (this runs
    # on millions of legs, and temporaries dominate its cost).
    num = _horner(a, _NUM)
    den = _horner(a, _DEN)
    lower = np.multiply(e, num, out=num)
    lower /= den
    # Tails (|x| >= 7.07, rare): a continued fraction, evaluated only where needed.
    tail = a >= 7.07106781186547
    if tail.any():
        at = a[tail]
        cf = at + 1.0 / (at + 2.0 / (at + 3.0 / (at + 4.0 / (at + 0.65))))
        lower[tail] = e[tail] / cf / _SQRT_2PI
    lower[a > 37.0] = 0.0
    out: FloatArray = np.where(z > 0.0, 1.0 - lower, lower)
    return out.reshape(np.shape(x))


_NUM: Final = (
    3.52624965998911e-02,
    0.700383064443688,
    6.37396220353165,
    33.912866078383,
    112.079291497871,
    221.213596169931,
    220.206867912376,
)
_DEN: Final = (
    8.83883476483184e-02,
    1.75566716318264,
    16.064177579207,
    86.7807322029461,
    296.564248779674,
    637.333633378831,
    793.826512519948,
    440.413735824752,
)


def _horner(x: FloatArray, coefficients: tuple[float, ...]) -> FloatArray:
    out = x * coefficients[0]
    for c in coefficients[1:-1]:
        out += c
        out *= x
    out += coefficients[-1]
    return out


@dataclass(frozen=True, slots=True)
class OptionGreeks:
    """Black-Scholes value and greeks of one long option per element.

    Attributes
    ----------
    price : ndarray
        Option value per unit of underlying (multiply by 100 for a US equity contract).
    delta : ndarray
        dV/dS: in [0, 1] for calls, [-1, 0] for puts.
    gamma : ndarray
        d2V/dS2, per unit of underlying price.
    """

    price: FloatArray
    delta: FloatArray
    gamma: FloatArray


def black_scholes(
    is_call: ArrayLike,
    spot: ArrayLike,
    strike: ArrayLike,
    t: ArrayLike,
    sigma: ArrayLike,
    rate: ArrayLike = 0.0,
) -> OptionGreeks:
    """Price European options and their delta and gamma, broadcasting every argument.

    Parameters
    ----------
    is_call : array_like of bool
        True for a call, False for a put.
    spot, strike : array_like
        Underlying price and strike, > 0.
    t : array_like
        Time to expiry in years, > 0 (callers floor it; at t = 0 gamma is undefined).
    sigma : array_like
        Annualised volatility, > 0.
    rate : array_like, default 0.0
        Continuously compounded risk-free rate.

    Returns
    -------
    OptionGreeks
        Arrays with the broadcast shape of the inputs.

    Examples
    --------
    The textbook case (Hull): S = K = 100, one year, r = 5 %, sigma = 20 %.

    >>> g = black_scholes(True, 100.0, 100.0, 1.0, 0.2, 0.05)
    >>> round(float(g.price), 4), round(float(g.delta), 4)
    (10.4506, 0.6368)
    """
    call = np.asarray(is_call, dtype=bool)
    s = np.asarray(spot, dtype=np.float64)
    k = np.asarray(strike, dtype=np.float64)
    tt = np.asarray(t, dtype=np.float64)
    vol = np.asarray(sigma, dtype=np.float64)
    r = np.asarray(rate, dtype=np.float64)
    sd = vol * np.sqrt(tt)
    d1 = (np.log(s / k) + (r + 0.5 * vol * vol) * tt) / sd
    d2 = d1 - sd
    discounted_k = k * np.exp(-r * tt)
    # One CDF per sign: N(-x) = 1 - N(x) loses precision deep in the tails, so evaluate the
    # argument each option type actually needs.
    sign = np.where(call, 1.0, -1.0)
    n1 = norm_cdf(sign * d1)
    n2 = norm_cdf(sign * d2)
    price = sign * (s * n1 - discounted_k * n2)
    delta = sign * n1
    gamma = norm_pdf(d1) / (s * sd)
    return OptionGreeks(price=price, delta=delta, gamma=gamma)
