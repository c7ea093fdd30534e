"""The position snapshot model: one position at one instant.

:class:`PositionSnapshot` mirrors one row of ``SNAPSHOT_SCHEMA``. ``None`` means "not known":
rules never fire on it. It is normalised by the one snapshot normaliser
(:func:`alertkit.model.snapshot_rows.snapshot_row`), so the model and a dict row cannot come
to differ.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from alertkit.model._time import to_utc
from alertkit.model.errors import ValidationError
from alertkit.model.snapshot_rows import snapshot_row
from alertkit.model.snapshot_schema import SNAPSHOT_SCHEMA, STRATEGY_TYPES

__all__ = ["PositionSnapshot"]


@dataclass(slots=True)
class PositionSnapshot:
    """One position at one instant; the fields are the columns of ``SNAPSHOT_SCHEMA``.

    ``upl_pct`` is derived from ``unrealized_pnl / entry_price`` when not given (and stays None
    when ``entry_price <= 0``); ``dte`` is derived from ``expiry`` and ``as_of``'s date.
    A naive ``as_of`` is taken as local time and stored as UTC.
    """

    as_of: datetime
    strategy_id: int
    symbol: str
    strategy_type: str
    expiry: date | None = None
    dte: int | None = None
    entry_price: float | None = None
    unrealized_pnl: float | None = None
    upl_pct: float | None = None
    net_delta: float | None = None
    net_gamma: float | None = None
    underlying_change_1h: float | None = None
    iv_change_1h: float | None = None
    iv_change_since_entry: float | None = None
    vix: float | None = None
    vix_at_entry: float | None = None
    iv_percentile: float | None = None
    portfolio_delta: float | None = None
    symbol_delta: float | None = None

    def __post_init__(self) -> None:
        self.as_of = to_utc(self.as_of, "as_of")
        if isinstance(self.strategy_id, bool) or not isinstance(self.strategy_id, int):
            raise ValidationError(f"strategy_id: expected an int, got {self.strategy_id!r}")
        if not isinstance(self.symbol, str) or not self.symbol:
            raise ValidationError(f"symbol: expected a non-empty str, got {self.symbol!r}")
        if self.strategy_type not in STRATEGY_TYPES:
            raise ValidationError(
                f"strategy_type: expected one of {', '.join(sorted(STRATEGY_TYPES))},"
                f" got {self.strategy_type!r}"
            )
        # The rest (types, NaN, derivations, units) is the one snapshot normaliser's.
        row = snapshot_row({name: getattr(self, name) for name in SNAPSHOT_SCHEMA})
        for name in SNAPSHOT_SCHEMA:
            setattr(self, name, row[name])

    def to_dict(self) -> dict[str, Any]:
        """The snapshot as a plain dict keyed by ``SNAPSHOT_SCHEMA`` column names."""
        return asdict(self)
