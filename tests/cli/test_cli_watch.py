"""`alertkit watch` runs live monitoring from the terminal; read commands never create a table."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from alertkit.cli import main

T = datetime(2026, 1, 5, 15, tzinfo=UTC)


def positions(path: Path, vix: float = 41.0) -> Path:
    pl.DataFrame(
        {
            "as_of": [T] * 4,
            "strategy_id": [1, 2, 3, 4],
            "symbol": ["SPY", "SPY", "QQQ", "IWM"],
            "strategy_type": ["iron_condor"] * 4,
            "dte": [40] * 4,
            "upl_pct": [0.1] * 4,
            "vix": [vix] * 4,
        }
    ).write_parquet(path)
    return path


def test_watch_runs_a_cycle_per_interval_and_reports_each(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lake = str(tmp_path / "alerts")
    source = positions(tmp_path / "book.parquet")
    assert main(["--lake", lake, "watch", str(source), "--every", "0.001", "--cycles", "3"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"watching {source} every 0.001 s (Ctrl-C stops)"
    assert [line.split(" ", 1)[1] for line in out[1:4]] == [
        "4 snapshots: 4 new, 0 repeats, 0 resolved (version 1)",
        "4 snapshots: 0 new, 4 repeats, 0 resolved (version 2)",
        "4 snapshots: 0 new, 4 repeats, 0 resolved (version 3)",
    ]
    assert out[4] == "stopped after 3 cycles: 4 new alerts, 8 repeats, 0 resolved, 0 failed cycles"
    assert pl.read_delta(lake)["occurrences"].to_list() == [3, 3, 3, 3]


def test_watch_refuses_a_missing_source_before_any_cycle(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Was: counted as failed cycles, exit 0 (issue 18 §8); a source that fails at some ticks
    # is still counted and carried on (tests/live/test_monitor.py).
    lake = str(tmp_path / "alerts")
    missing = tmp_path / "nowhere.parquet"
    assert main(["--lake", lake, "watch", str(missing), "--every", "0.001", "--cycles", "2"]) == 2
    assert capsys.readouterr().err == f"alertkit: error: source: {missing} does not exist\n"


def test_watch_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    lake = str(tmp_path / "alerts")
    source = positions(tmp_path / "book.parquet")
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "alertkit.cli",
            "--lake",
            lake,
            "watch",
            str(source),
            "--every",
            "0.05",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline().startswith("watching")
    time.sleep(1.0)
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=30)
    assert child.returncode == 0, err
    assert out.splitlines()[-1].startswith("stopped after ")
    assert "Traceback" not in err


def test_a_read_command_on_a_missing_lake_says_so_and_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    typo = tmp_path / "typo"
    assert main(["--lake", str(typo), "list"]) == 2
    assert capsys.readouterr().err.startswith(f"alertkit: error: no alerts table at {typo}")
    assert not typo.exists()
