"""Shared fixtures: real Delta tables in temp dirs, a deterministic clock, example decisions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from alertkit import AlertManager, Decision, SyncAlertManager

T0 = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)


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


def close_now(rule: str = "catastrophe_drop") -> Decision:
    return Decision("close", "Underlying fell 4% in an hour", rule, "immediate", {"change": -0.04})


def roll(rule: str = "dte_roll") -> Decision:
    return Decision("roll", "DTE 23 <= 25: roll to 45 DTE", rule, "normal", {"dte": 23})


def position(symbol: str = "SPY", strategy_id: int = 1, minutes: int = 0) -> dict[str, object]:
    return {"symbol": symbol, "strategy_id": strategy_id, "as_of": T0 + timedelta(minutes=minutes)}
