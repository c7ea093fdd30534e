"""`alertkit demo`: synthetic history -> backtest -> lake -> triage -> summary and board."""

from __future__ import annotations

import pytest

from alertkit import SyncAlertManager
from alertkit.cli import main
from alertkit.demo import run_demo


def test_demo_writes_the_backtest_and_triages_three_alerts(
    lake: str, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_demo(lake)
    out = capsys.readouterr().out
    assert "history: 45,872 snapshots of 160 positions, 2025-01-15 to 2026-12-01" in out
    assert "backtest: 1,195 alerts (216 open, 979 resolved after a quiet 1 day)" in out
    assert "from 36,135 firings" in out
    assert "alerts in the lake: 1195 (active 213, acknowledged 1, resolved 980, dismissed 1)" in out
    assert "| take_profit            | take_profit_partial   | 150    | 2848 " in out
    assert (result.alerts.height, result.lake_version) == (1195, 1)
    counts = {s: SyncAlertManager(lake).get_alert_count(s) for s in ("acknowledged", "dismissed")}
    assert counts == {"acknowledged": 1, "dismissed": 1}


def test_demo_runs_again_on_the_same_lake(lake: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--lake", lake, "demo"]) == 0
    first = capsys.readouterr().out
    assert main(["--lake", lake, "demo"]) == 0
    second = capsys.readouterr().out
    # Same output but the table version: the second run overwrote the first's alerts.
    assert first.replace("(table version 1)", "(table version 5)") == second
