"""A background timer that calls a function every few seconds until stopped.

A daemon thread (not an asyncio task) so it runs the same in a kernel and in a plain test
process, and so the board's Delta reads happen off the kernel's main thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

__all__ = ["Ticker"]

log = logging.getLogger(__name__)


class Ticker:
    """Calls ``tick`` every ``interval_s`` seconds between :meth:`start` and :meth:`stop`.

    ``on_error`` receives any exception ``tick`` raises; the ticker keeps running.
    """

    def __init__(self, tick: Callable[[], None], on_error: Callable[[Exception], None]) -> None:
        self._tick = tick
        self._on_error = on_error
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, interval_s: float) -> None:
        """Start ticking (restarting with the new interval if already running)."""
        self.stop(wait=False)
        stop = self._stop = threading.Event()  # a fresh event: the old thread keeps its own
        self._thread = threading.Thread(
            target=self._run, args=(stop, interval_s), name="alertkit-auto-refresh", daemon=True
        )
        self._thread.start()

    def stop(self, *, wait: bool = True, timeout_s: float = 10.0) -> None:
        """Stop ticking; with ``wait``, return once the thread has finished its last tick."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if wait and thread is not None and thread is not threading.current_thread():
            thread.join(timeout_s)

    def _run(self, stop: threading.Event, interval_s: float) -> None:
        while not stop.wait(interval_s):
            try:
                self._tick()
            except Exception as exc:  # a background loop must report, not die silently
                log.exception("auto-refresh failed")
                self._on_error(exc)
