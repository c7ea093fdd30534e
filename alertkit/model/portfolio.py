"""Portfolio risk from a set of open positions, and the snapshot columns it fills.

Greeks are summed per portfolio and per symbol; exposure is ``|quantity| x strike x 100``
summed over legs; concentration is a symbol's share of total exposure. Sums use ``math.fsum``
(correctly rounded), so the result does not depend on the order the positions come in. A sum
with an unknown (null) term is unknown: one position without a delta makes the portfolio
delta null, and the delta rules then do not fire on it rather than fire on a wrong number.

Examples
--------
>>> risk = portfolio_risk([
...     OpenPosition(1, "SPY", net_delta=0.20, net_gamma=0.01, legs=(Leg(-1, 500.0),)),
...     OpenPosition(2, "SPY", net_delta=0.15, net_gamma=0.02, legs=(Leg(1, 480.0),)),
...     OpenPosition(3, "QQQ", net_delta=-0.05, net_gamma=0.00, legs=(Leg(2, 400.0),)),
... ])
>>> round(risk.delta, 10), risk.delta_by_symbol["SPY"], risk.exposure
(0.3, 0.35, 178000.0)
>>> round(risk.concentration["QQQ"], 4)
0.4494
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from numbers import Real
from types import MappingProxyType

import polars as pl

from alertkit.model.errors import ValidationError
from alertkit.model.snapshot_rows import SnapshotLike, SnapshotRow, snapshot_row

__all__ = [
    "Leg",
    "OpenPosition",
    "PortfolioRisk",
    "portfolio_columns",
    "portfolio_risk",
    "with_portfolio_columns",
]

CONTRACT_MULTIPLIER = 100


def _number(value: object, name: str, *, optional: bool = False) -> float | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise ValidationError(f"{name}: expected a finite number, got {value!r}")
    return float(value)


@dataclass(frozen=True, slots=True)
class Leg:
    """One option leg: signed ``quantity`` of contracts at ``strike``."""

    quantity: float
    strike: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "quantity", _number(self.quantity, "quantity"))
        strike = _number(self.strike, "strike")
        if strike is None or strike < 0:
            raise ValidationError(f"strike: expected a number >= 0, got {self.strike!r}")
        object.__setattr__(self, "strike", strike)

    @property
    def exposure(self) -> float:
        """``|quantity| x strike x 100``."""
        return abs(self.quantity) * self.strike * CONTRACT_MULTIPLIER


@dataclass(frozen=True, slots=True)
class OpenPosition:
    """An open position's greeks (per-contract units, as ``net_delta`` in snapshots) and legs."""

    strategy_id: int
    symbol: str
    net_delta: float | None
    net_gamma: float | None
    net_theta: float | None = None
    net_vega: float | None = None
    legs: tuple[Leg, ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.strategy_id, bool) or not isinstance(self.strategy_id, int):
            raise ValidationError(f"strategy_id: expected an int, got {self.strategy_id!r}")
        if not isinstance(self.symbol, str) or not self.symbol:
            raise ValidationError(f"symbol: expected a non-empty str, got {self.symbol!r}")
        for name in ("net_delta", "net_gamma", "net_theta", "net_vega"):
            object.__setattr__(self, name, _number(getattr(self, name), name, optional=True))
        legs = tuple(self.legs)
        if not all(isinstance(leg, Leg) for leg in legs):
            raise ValidationError(f"legs: expected Leg objects, got {legs!r}")
        object.__setattr__(self, "legs", legs)

    @classmethod
    def from_snapshot(cls, snapshot: SnapshotLike, legs: Iterable[Leg] = ()) -> OpenPosition:
        """The position a snapshot describes (its greeks; legs only if given)."""
        row = snapshot_row(snapshot)
        return cls(
            row["strategy_id"], row["symbol"], row["net_delta"], row["net_gamma"], legs=tuple(legs)
        )

    @property
    def exposure(self) -> float:
        return math.fsum(leg.exposure for leg in self.legs)


@dataclass(frozen=True, slots=True)
class PortfolioRisk:
    """Risk of a set of open positions; ``None`` where some term is unknown."""

    delta: float | None
    gamma: float | None
    theta: float | None
    vega: float | None
    delta_by_symbol: Mapping[str, float | None]
    gamma_by_symbol: Mapping[str, float | None]
    exposure: float
    exposure_by_symbol: Mapping[str, float]
    concentration: Mapping[str, float] = field(default_factory=dict)
    """Each symbol's share of total exposure (empty when total exposure is 0)."""
    positions: int = 0

    def symbol_delta(self, symbol: str | None) -> float | None:
        """Net delta of the open positions on ``symbol`` (0.0 when there are none)."""
        if symbol is None:
            return None
        return self.delta_by_symbol.get(symbol, 0.0)


def _total(values: Iterable[float | None]) -> float | None:
    terms = list(values)
    return None if any(v is None for v in terms) else math.fsum(v for v in terms if v is not None)


def portfolio_risk(positions: Iterable[OpenPosition | SnapshotLike]) -> PortfolioRisk:
    """Portfolio greeks, per-symbol delta and gamma, exposure and concentration.

    Parameters
    ----------
    positions
        The open positions, each once: :class:`OpenPosition` s, or snapshots (their
        ``net_delta``/``net_gamma``; no legs, so no exposure).

    Raises
    ------
    ValidationError
        A ``strategy_id`` appears twice (it would be counted twice), or a snapshot lacks
        ``strategy_id`` or ``symbol``.
    """
    items = [p if isinstance(p, OpenPosition) else OpenPosition.from_snapshot(p) for p in positions]
    seen: set[int] = set()
    for item in items:
        if item.strategy_id in seen:
            raise ValidationError(f"positions: strategy_id {item.strategy_id} appears twice")
        seen.add(item.strategy_id)
    symbols = sorted({p.symbol for p in items})
    on = {s: [p for p in items if p.symbol == s] for s in symbols}
    exposure_by_symbol = {s: math.fsum(p.exposure for p in on[s]) for s in symbols}
    exposure = math.fsum(exposure_by_symbol.values())
    return PortfolioRisk(
        delta=_total(p.net_delta for p in items),
        gamma=_total(p.net_gamma for p in items),
        theta=_total(p.net_theta for p in items),
        vega=_total(p.net_vega for p in items),
        delta_by_symbol=MappingProxyType({s: _total(p.net_delta for p in on[s]) for s in symbols}),
        gamma_by_symbol=MappingProxyType({s: _total(p.net_gamma for p in on[s]) for s in symbols}),
        exposure=exposure,
        exposure_by_symbol=MappingProxyType(exposure_by_symbol),
        concentration=MappingProxyType(
            {s: e / exposure for s, e in exposure_by_symbol.items()} if exposure > 0 else {}
        ),
        positions=len(items),
    )


def with_portfolio_columns(
    snapshots: Iterable[SnapshotLike],
    positions: Iterable[OpenPosition | SnapshotLike] | None = None,
) -> list[SnapshotRow]:
    """The snapshots as rows with ``portfolio_delta`` and ``symbol_delta`` filled in.

    ``positions`` is the set of open positions (default: the snapshots themselves); a
    snapshot on a symbol with no open position gets ``symbol_delta`` 0.0.
    """
    rows = [SnapshotRow(snapshot_row(s)) for s in snapshots]
    risk = portfolio_risk(rows if positions is None else positions)
    for row in rows:
        row["portfolio_delta"] = risk.delta
        row["symbol_delta"] = risk.symbol_delta(row["symbol"])
    return rows


def portfolio_columns(frame: pl.DataFrame | pl.LazyFrame) -> pl.LazyFrame:
    """:func:`with_portfolio_columns` for a history: the rows sharing an ``as_of`` are the
    open positions at that instant, and each row gets their ``portfolio_delta`` and the
    ``symbol_delta`` of its symbol, with the same rule for unknown terms (one null
    ``net_delta`` makes the sum null). Sums are polars sums, not ``math.fsum``: they may
    differ from :func:`portfolio_risk` in the last bits.

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> at = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
    >>> frame = pl.DataFrame({"as_of": [at] * 3, "symbol": ["SPY", "SPY", "QQQ"],
    ...                       "net_delta": [0.25, 0.5, -0.125]})
    >>> portfolio_columns(frame).collect().select("portfolio_delta", "symbol_delta").rows()
    [(0.625, 0.75), (0.625, 0.75), (0.625, -0.125)]
    """
    delta = pl.col("net_delta")

    def total(*keys: str) -> pl.Expr:
        return pl.when(delta.null_count().over(keys) == 0).then(delta.sum().over(keys))

    return frame.lazy().with_columns(
        portfolio_delta=total("as_of"),
        symbol_delta=pl.when(pl.col("symbol").is_not_null()).then(total("as_of", "symbol")),
    )
