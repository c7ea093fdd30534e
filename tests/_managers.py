"""Drive either manager through one synchronous interface, so each test runs on both.

The ``either`` fixture is registered in tests/conftest.py.

``Driver`` calls the :class:`SyncAlertManager` directly, or the :class:`AlertManager`'s
coroutines through ``asyncio.run``; tests parametrised with ``either`` (see
tests/live/conftest.py) then assert the same outcomes of both managers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from alertkit import AlertManager, SyncAlertManager


class ManualClock:
    """A clock that stands still until moved (reminder tests)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Driver:
    """One manager of either kind, called synchronously."""

    def __init__(self, manager: AlertManager | SyncAlertManager) -> None:
        self.manager = manager
        self.core = manager if isinstance(manager, SyncAlertManager) else manager.sync

    @property
    def kind(self) -> str:
        return type(self.manager).__name__

    def call(self, method_name: str, /, *args: Any, **kwargs: Any) -> Any:
        method: Callable[..., Any] = getattr(self.manager, method_name)
        result = method(*args, **kwargs)
        if asyncio.iscoroutine(result):
            return asyncio.run(_awaited(result))
        return result

    def __getattr__(self, name: str) -> Any:
        member = getattr(self.manager, name)
        if not callable(member):
            return member  # a property (path, handler_failures)
        return lambda *args, **kwargs: self.call(name, *args, **kwargs)


async def _awaited(coroutine: Any) -> Any:
    return await coroutine


MakeDriver = Callable[..., Driver]


@pytest.fixture(params=["SyncAlertManager", "AlertManager"])
def either(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MakeDriver]:
    """``either(clock=..., path=...)``: a Driver of the parametrised kind on an initialised
    lake (default ``tmp_path/lake/alerts``)."""
    made: list[Driver] = []

    def make(
        path: str | None = None, clock: Callable[[], datetime] | None = None, **kw: Any
    ) -> Driver:
        where = path or str(tmp_path / "lake" / "alerts")
        options: dict[str, Any] = {"maintain_every": 0, **kw}
        if clock is not None:
            options["clock"] = clock
        kind = SyncAlertManager if request.param == "SyncAlertManager" else AlertManager
        driver = Driver(kind(where, **options))
        driver.initialize()
        made.append(driver)
        return driver

    yield make
    for driver in made:  # no delivery left running into the next test
        driver.core.flush_notifications(30)
