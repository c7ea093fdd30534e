"""Live monitoring: every interval, pull the current positions and run the cycle on them.

:class:`Monitor` is the runner around :meth:`SyncAlertManager.run_cycle
<alertkit.SyncAlertManager.run_cycle>`. Its source is a callable returning snapshots, a
Parquet/CSV file or a Delta table of positions (read each tick; a file holding several
instants contributes its latest), or a :class:`HistoryReplay` that plays a recorded history
back one instant per tick. A tick that fails (the source raised, a snapshot was refused, the
store was unreachable) is logged and counted and the monitor carries on: the cycle commits
whole or not at all, so the next tick starts from a consistent lake and nothing is lost.

In a terminal, :meth:`Monitor.run` blocks until Ctrl-C (or ``cycles``) and stops cleanly; in
a notebook, :meth:`Monitor.start` runs it as a background asyncio task (the triage board's
auto-refresh then shows the alerts arriving) and :meth:`Monitor.stop` ends it.

Examples
--------
>>> import tempfile
>>> from datetime import UTC, datetime
>>> from alertkit import SyncAlertManager
>>> manager = SyncAlertManager(tempfile.mkdtemp() + "/alerts")
>>> manager.initialize()
>>> book = [{"as_of": datetime(2026, 1, 5, 15, tzinfo=UTC), "strategy_id": 1, "symbol": "SPY",
...          "strategy_type": "iron_condor", "dte": 40, "upl_pct": 0.1, "vix": 41.0}]
>>> monitor = Monitor(manager, lambda: book, every=0)
>>> monitor.run(cycles=2)
>>> monitor.stats
MonitorStats(ticks=2, failures=0, new_alerts=1, repeats=1, resolved=0, last_error=None)
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import polars as pl

from alertkit.lake.snapshot_files import read_snapshot_file
from alertkit.live.cycle import CycleInput, CycleResult
from alertkit.live.manager import sync_manager_of
from alertkit.model.errors import ValidationError
from alertkit.rules import Rule

__all__ = ["HistoryReplay", "Monitor", "MonitorStats"]

log = logging.getLogger(__name__)

Source = Callable[[], CycleInput | None] | str | Path


@dataclass(slots=True)
class MonitorStats:
    """What a monitor has done so far."""

    ticks: int = 0
    failures: int = 0
    new_alerts: int = 0
    repeats: int = 0
    resolved: int = 0
    last_error: str | None = None


class HistoryReplay:
    """A recorded history played back one instant per call: a :class:`Monitor` source.

    Returns the snapshots of the next ``as_of`` each time it is called, and None once the
    history is exhausted (the monitor then stops). ``instants_per_tick`` plays several
    instants per tick (a faster replay).
    """

    def __init__(self, history: pl.DataFrame, *, instants_per_tick: int = 1) -> None:
        if "as_of" not in history.columns:
            raise ValidationError("history: expected an as_of column to replay in time order")
        if instants_per_tick < 1:
            raise ValidationError(f"instants_per_tick: expected >= 1, got {instants_per_tick}")
        self._frames = [
            frame for _, frame in history.sort("as_of").group_by("as_of", maintain_order=True)
        ]
        self._step = instants_per_tick
        self._next = 0

    def __len__(self) -> int:
        """Instants left to play."""
        return len(self._frames) - self._next

    def __call__(self) -> pl.DataFrame | None:
        if self._next >= len(self._frames):
            return None
        frames = self._frames[self._next : self._next + self._step]
        self._next += len(frames)
        return pl.concat(frames)


class Monitor:
    """Run the monitoring cycle on ``source``'s snapshots every ``every``.

    Parameters
    ----------
    manager
        An :class:`~alertkit.AlertManager` or :class:`~alertkit.SyncAlertManager`.
    source
        A callable returning the current snapshots (a polars frame or a sequence of dicts;
        None ends the run), or the path of a Parquet/CSV file or Delta table of positions.
    every
        The interval between the starts of two ticks (seconds or a timedelta; 0: no pause).
    rules, quiet_period
        Passed to every :meth:`~alertkit.SyncAlertManager.run_cycle`.
    on_cycle
        Called with each :class:`~alertkit.live.cycle.CycleResult` after its commit. One that
        raises is logged and counted as a failure (``stats.failures``, ``stats.last_error``)
        and the run goes on; the tick still returns its committed result.
    complete
        Each tick carries the whole book (``run_cycle(complete=True)``: alerts of positions
        that left it resolve). Default: True for a file or Delta source and a
        :class:`HistoryReplay` (then live equals a backtest of the history), False for
        other callables (they may return part of the book).
    """

    def __init__(
        self,
        manager: object,
        source: Source,
        *,
        every: float | timedelta,
        rules: Iterable[Rule] | None = None,
        quiet_period: timedelta | None = None,
        on_cycle: Callable[[CycleResult], Any] | None = None,
        complete: bool | None = None,
    ) -> None:
        self.manager = sync_manager_of(manager)
        self._read = _reader(source)
        seconds = every.total_seconds() if isinstance(every, timedelta) else every
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
            raise ValidationError(f"every: expected seconds >= 0 or a timedelta, got {every!r}")
        self.every_s = float(seconds)
        self.rules = None if rules is None else list(rules)
        self.quiet_period = quiet_period
        self.on_cycle = on_cycle
        if complete is None:
            complete = not callable(source) or isinstance(source, HistoryReplay)
        self.complete = complete
        self.stats = MonitorStats()
        self.last_result: CycleResult | None = None
        self._stop = threading.Event()
        self._task: asyncio.Task[None] | None = None

    def tick(self) -> CycleResult | None:
        """Pull the snapshots and run one cycle now. A failure is logged and counted (see
        ``stats``) and returns None; so does an exhausted source (which stops the run).

        Each tick also queues delivery of whatever an earlier process committed and did not
        deliver (``deliver_pending``), without waiting for it."""
        self.manager.delivery.submit((), scan_outbox=True)
        try:
            snapshots = self._read()
            if snapshots is None:
                self._stop.set()
                return None
            result = self.manager.run_cycle(
                snapshots, rules=self.rules, quiet_period=self.quiet_period, complete=self.complete
            )
        except Exception as exc:  # a bad tick must not end live monitoring
            self.stats.ticks += 1
            self.stats.failures += 1
            self.stats.last_error = f"{type(exc).__name__}: {exc}"
            log.exception("monitor tick failed; the next tick starts from the lake as it is")
            return None
        self.stats.ticks += 1
        self.stats.new_alerts += len(result.new_alerts)
        self.stats.repeats += len(result.repeats)
        self.stats.resolved += len(result.resolved)
        self.last_result = result
        if self.on_cycle is not None:
            try:
                self.on_cycle(result)
            except Exception as exc:  # the cycle is committed; a failing callback is a bad tick
                self.stats.failures += 1
                self.stats.last_error = f"on_cycle: {type(exc).__name__}: {exc}"
                log.exception("monitor on_cycle callback failed; the cycle is committed")
        return result

    def run(self, *, cycles: int | None = None) -> None:
        """Tick every ``every`` until ``cycles`` ticks, :meth:`stop`, an exhausted source or
        Ctrl-C. The first Ctrl-C lets the tick in progress finish (a cycle commits whole or
        not at all) and then stops; a second one interrupts at once."""
        self._stop.clear()
        done = 0
        with self._ctrl_c_stops():
            while not self._stop.is_set() and (cycles is None or done < cycles):
                started = time.monotonic()
                self.tick()
                done += 1
                pause = self.every_s - (time.monotonic() - started)
                if pause > 0 and (cycles is None or done < cycles):
                    self._stop.wait(pause)
        log.info("monitor stopped after %d ticks: %s", done, self.stats)

    @contextmanager
    def _ctrl_c_stops(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield  # only the main thread receives signals
            return

        def first_ctrl_c(_signum: int, _frame: object) -> None:
            self._stop.set()
            signal.signal(signal.SIGINT, previous)  # a second Ctrl-C interrupts

        previous = signal.signal(signal.SIGINT, first_ctrl_c)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)

    def start(self) -> asyncio.Task[None]:
        """Run in the background of the current event loop (a notebook's); returns the task.

        Each tick runs in a worker thread, so the notebook stays responsive.
        """
        if self._task is not None and not self._task.done():
            raise RuntimeError("this monitor is already running; stop() it first")
        self._stop.clear()
        self._task = asyncio.get_running_loop().create_task(self._loop())
        return self._task

    def stop(self) -> None:
        """Stop after the current tick (a tick in progress completes or fails whole)."""
        self._stop.set()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def _loop(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            await asyncio.to_thread(self.tick)
            pause = self.every_s - (time.monotonic() - started)
            if pause > 0:
                await asyncio.sleep(pause)


def _reader(source: Source) -> Callable[[], CycleInput | None]:
    if callable(source):
        return source
    if not isinstance(source, str | Path):
        raise ValidationError(
            "source: expected a callable, or the path of a Parquet/CSV file or Delta table,"
            f" got {type(source).__name__}"
        )
    path = Path(source)

    def read() -> pl.DataFrame:
        # The backtest's reader (load_history's): a file reads the same way live and in a
        # replay, its CSV separator detected the same way.
        frame = read_snapshot_file(path)
        if "as_of" in frame.columns and frame.height:
            frame = frame.filter(pl.col("as_of") == pl.col("as_of").max())  # the latest instant
        return frame

    return read
