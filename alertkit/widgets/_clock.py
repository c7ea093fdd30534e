"""The board's "now": its clock, never earlier than the newest event the board shows.

A board's clock can lag the manager's: a notebook pins ``now`` for reproducible output while
the manager stamps each action with its own clock, a minute later each time. Ages measured
from the lagging clock would then call a past action future ("in 7 min"). :class:`BoardClock`
keeps the source (a fixed instant, a callable, the manager's clock) and a floor that the
board raises to the newest event it reads (:meth:`BoardClock.catch_up`), so "now" is never
before something that already happened.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

__all__ = ["BoardClock"]


class BoardClock:
    """``now()``: the later of ``source()`` and the newest instant passed to
    :meth:`catch_up`.

    >>> from datetime import UTC, datetime, timedelta
    >>> t = datetime(2026, 1, 5, 15, tzinfo=UTC)
    >>> clock = BoardClock(lambda: t)
    >>> clock() == t
    True
    >>> clock.catch_up(t + timedelta(minutes=7), None)
    >>> clock() - t
    datetime.timedelta(seconds=420)
    """

    __slots__ = ("_floor", "_source")

    def __init__(self, source: Callable[[], datetime]) -> None:
        self._source = source
        self._floor: datetime | None = None

    def __call__(self) -> datetime:
        now = self._source()
        return now if self._floor is None or now >= self._floor else self._floor

    def catch_up(self, *instants: datetime | None) -> None:
        """Never be earlier than any of ``instants`` again (None ones are skipped)."""
        for instant in instants:
            if instant is not None and (self._floor is None or instant > self._floor):
                self._floor = instant
