"""Backtesting support: synthetic position histories and loading recorded ones.

:func:`synthetic_history` generates a seeded, deterministic history in the snapshot schema
(DOMAIN 3); :func:`load_history` reads a recorded one from Parquet, CSV, a Delta table or a
polars frame and validates it against that schema.
"""

from alertkit.backtest.history import load_history
from alertkit.backtest.synthetic import synthetic_history

__all__ = ["load_history", "synthetic_history"]
