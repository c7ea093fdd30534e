"""`alertkit demo`: synthetic history -> backtest -> lake -> triage -> summary and board."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from alertkit import SyncAlertManager
from alertkit.cli import main
from alertkit.demo import DEMO_LAKE_PATH, run_demo
from alertkit.lake.paths import DEFAULT_LAKE_PATH
from conftest import close_now, position


def test_demo_writes_the_backtest_and_triages_the_open_alerts(
    lake: str, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_demo(lake)
    out = capsys.readouterr().out
    assert "history: 45,872 snapshots of 160 positions, 2025-01-15 to 2026-12-01" in out
    # 214 of the 216 alerts once left open belonged to positions that left the history.
    assert (
        "backtest: 1,195 alerts (2 open, 1,193 resolved: 979 after a quiet 1 day,"
        " 214 as their position left the history)" in out
    )
    assert "from 36,135 firings" in out
    assert "alerts in the lake: 1195 (active 0, acknowledged 1, resolved 1194, dismissed 0)" in out
    assert "| take_profit            | take_profit_partial   | 150    | 2848 " in out
    assert (result.alerts.height, result.lake_version) == (1195, 1)
    counts = {s: SyncAlertManager(lake).get_alert_count(s) for s in ("acknowledged", "dismissed")}
    assert counts == {"acknowledged": 1, "dismissed": 0}  # two open alerts to triage


def test_demo_runs_again_on_the_same_lake(lake: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--lake", lake, "demo"]) == 0
    first = capsys.readouterr().out
    assert main(["--lake", lake, "demo"]) == 0
    second = capsys.readouterr().out
    # Same output but the table version: the second run overwrote the first's alerts.
    assert first.replace("(table version 1)", "(table version 4)") == second


def test_demo_has_a_lake_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`alertkit demo` (the README's first command) wrote into data/lake/alerts, the default
    lake of the managers, the CLI and the board: it replaced a user's real alerts."""
    monkeypatch.chdir(tmp_path)
    real = SyncAlertManager(DEFAULT_LAKE_PATH)  # where real alerts live by default
    real.initialize()
    alert = real.create_alert(close_now(), position())
    assert main(["demo"]) == 0
    assert f"alert lake: {tmp_path / DEMO_LAKE_PATH} (table version 1)" in capsys.readouterr().out
    assert SyncAlertManager(DEMO_LAKE_PATH).get_alert_count() == 1195
    assert real.query_alerts() == [alert]
    assert real.version() == 1


def test_demo_refuses_a_lake_it_did_not_write(
    lake: str, capsys: pytest.CaptureFixture[str]
) -> None:
    real = SyncAlertManager(lake, maintain_every=0)
    real.initialize()
    alert = real.create_alert(close_now(), position())
    assert alert is not None
    before = pl.read_delta(lake)
    assert main(["--lake", lake, "demo"]) == 2
    out, err = capsys.readouterr()
    assert err == (
        f"alertkit: error: lake: {lake} holds 1 alerts the demo did not write (e.g."
        f" {alert.alert_id!r}); the demo replaces its lake's contents, so it writes only to a"
        f" new table or to one it wrote before. Run it without --lake (it uses"
        f" {DEMO_LAKE_PATH}) or give it another path\n"
    )
    assert (real.version(), out) == (1, "")
    assert pl.read_delta(lake).equals(before)
