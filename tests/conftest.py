"""Shared fixtures: real Delta tables in temp dirs, a deterministic clock, and ``writes_nothing``.

The example decisions and positions live in ``_factories`` (re-exported here, where older
tests import them from).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

import polars as pl
import pytest
from _factories import T0 as T0
from _factories import close_now as close_now
from _factories import position as position
from _factories import roll as roll
from _managers import either as either
from deltalake import DeltaTable

from alertkit import AlertkitError, AlertManager, SyncAlertManager


class StepClock:
    """Returns T0, T0+1min, T0+2min, ... so every transition time is known in advance."""

    def __init__(self, start: datetime = T0, step: timedelta = timedelta(minutes=1)) -> None:
        self.now = start
        self.step = step

    def __call__(self) -> datetime:
        current = self.now
        self.now += self.step
        return current


@pytest.fixture
def clock() -> StepClock:
    return StepClock()


@pytest.fixture
def lake(tmp_path: Path) -> str:
    return str(tmp_path / "lake" / "alerts")


@pytest.fixture
def manager(lake: str, clock: StepClock) -> AlertManager:
    return AlertManager(lake, clock=clock)


@pytest.fixture
def sync_manager(lake: str, clock: StepClock) -> SyncAlertManager:
    m = SyncAlertManager(lake, clock=clock)
    m.initialize()
    return m


def files_under(root: Path) -> dict[str, int]:
    """Every file under ``root`` with its size."""
    return {str(p.relative_to(root)): p.stat().st_size for p in root.rglob("*") if p.is_file()}


@contextmanager
def unchanged(lake: str | Path, also: Path | None = None) -> Iterator[None]:
    """Asserts that the block wrote nothing: the lake keeps its table version, its rows and its
    files (and every file under ``also`` stays as it was)."""
    root = Path(lake)
    exists = (root / "_delta_log").is_dir()
    version = DeltaTable(root).version() if exists else None
    rows = pl.read_delta(str(root)) if exists else None
    files = files_under(root) if root.exists() else {}
    others = files_under(also) if also is not None else {}
    yield
    assert (root / "_delta_log").is_dir() == exists
    if exists:
        assert DeltaTable(root).version() == version
        assert rows is not None and pl.read_delta(str(root)).equals(rows)
    assert (files_under(root) if root.exists() else {}) == files
    assert (files_under(also) if also is not None else {}) == others


WritesNothing = Callable[..., AbstractContextManager[None]]


@pytest.fixture
def writes_nothing(lake: str) -> WritesNothing:
    """``with writes_nothing():`` asserts the block left the test's lake as it found it
    (``writes_nothing(also=tmp_path)`` also holds every file under ``tmp_path``)."""
    return partial(unchanged, lake)


def refused(call: Callable[[], object], error: type[Exception], message: str) -> Exception:
    """``call()`` raises ``error``, an AlertkitError whose one line starts with ``message``."""
    with pytest.raises(error) as info:
        call()
    assert isinstance(info.value, AlertkitError)
    assert str(info.value).startswith(message), str(info.value)
    assert "\n" not in str(info.value)  # one clear line
    return info.value


RefusesBesideAnAlert = Callable[
    [Callable[[SyncAlertManager, str], object], type[Exception], str], None
]


@pytest.fixture
def refuses_beside_an_alert(
    sync_manager: SyncAlertManager, writes_nothing: WritesNothing
) -> RefusesBesideAnAlert:
    """``refuses_beside_an_alert(call, error, message)``: on a lake holding one alert,
    ``call(manager, that_alert_id)`` is :func:`refused` and writes nothing: the shape of
    every table-driven bad-input case."""

    def check(
        call: Callable[[SyncAlertManager, str], object], error: type[Exception], message: str
    ) -> None:
        existing = sync_manager.create_alert(close_now(), position("SPY", 1))
        assert existing is not None
        with writes_nothing():
            refused(lambda: call(sync_manager, existing.alert_id), error, message)

    return check


@pytest.fixture
def new_york(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The process's local time zone is New York (UTC-5 in January), then back: where
    naive times are read as local time."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()
