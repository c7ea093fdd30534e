"""Fixtures of the live tests: ``either`` builds a Driver of each manager kind in turn."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from _managers import Driver

from alertkit import AlertManager, SyncAlertManager

MakeDriver = Callable[..., Driver]


@pytest.fixture(params=["SyncAlertManager", "AlertManager"])
def either(request: pytest.FixtureRequest, tmp_path: Path) -> MakeDriver:
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

    yield make  # type: ignore[misc]
    for driver in made:  # no delivery left running into the next test
        driver.core.flush_notifications(30)
