"""Drive either manager through one synchronous interface, so each test runs on both.

``Driver`` calls the :class:`SyncAlertManager` directly, or the :class:`AlertManager`'s
coroutines through ``asyncio.run``; tests parametrised with ``either`` (see
tests/live/conftest.py) then assert the same outcomes of both managers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any

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
