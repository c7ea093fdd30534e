"""Progress bars for long backtests: ``tqdm.auto`` (a widget in notebooks, text in terminals).

A bar appears only when asked for, when the work is not tiny, and only after the run has
taken :data:`DELAY_SECONDS`, so quick runs, tests and doctests print nothing.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Final

__all__ = ["DELAY_SECONDS", "Progress"]

DELAY_SECONDS: Final = 0.5


class Progress:
    """A context manager over one ``tqdm`` bar, or over nothing when ``enabled`` is False.

    Parameters
    ----------
    enabled
        False: every method is a no-op and ``tqdm`` is not even imported.
    total
        Units of work (snapshots, stages, sweep values).
    desc, unit
        The bar's label and unit name.
    """

    def __init__(self, enabled: bool, total: int, desc: str, unit: str) -> None:
        self._bar: Any = None
        if enabled and total > 0:
            from tqdm.auto import tqdm

            self._bar = tqdm(
                total=total, desc=desc, unit=unit, delay=DELAY_SECONDS, dynamic_ncols=True
            )

    def update(self, n: int = 1) -> None:
        """Advance by ``n`` units."""
        if self._bar is not None:
            self._bar.update(n)

    def stage(self, name: str) -> None:
        """Name what runs now (shown after the bar)."""
        if self._bar is not None:
            self._bar.set_postfix_str(name, refresh=False)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
