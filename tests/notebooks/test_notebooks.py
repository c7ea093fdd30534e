"""The notebooks are regression tests: prove that a behaviour change makes nbval fail.

The notebooks themselves run under nbval in `make test`; this test copies the backtest
notebook, changes one rule threshold in it (as a code change in alertkit would change
behaviour), and checks that nbval reports exactly the changed outputs: on this CPU, and with
numpy's best SIMD kernels switched off, as on a CPU other than the one that recorded them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import nbformat
import pytest
from reduced_simd import for_this_cpu

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
BACKTEST_CALL = "result = run_backtest(history, quiet_period=QUIET, progress=False)"
CHANGED_CALL = (
    "from alertkit.backtest.sweep import with_threshold\n"
    "from alertkit.rules import default_rules\n"
    "result = run_backtest(history, quiet_period=QUIET, progress=False,\n"
    '                      rules=with_threshold(default_rules(), "take_profit", "full", 0.7))'
)


def run_nbval(
    folder: Path, notebook: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    # Run from the copy's folder so the repository's pytest settings are not picked up.
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "--nbval",
            "--nbval-current-env",
            "--nbval-sanitize-with",
            "sanitize.cfg",
            notebook,
        ],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.slow
@pytest.mark.parametrize("simd", ["all", "reduced"])
def test_a_changed_threshold_makes_the_backtest_notebook_fail(tmp_path: Path, simd: str) -> None:
    folder = tmp_path / "notebooks"
    folder.mkdir()
    shutil.copy(NOTEBOOKS / "sanitize.cfg", folder)
    book = nbformat.read(NOTEBOOKS / "01_backtest_rules.ipynb", as_version=4)
    [cell] = [c for c in book.cells if BACKTEST_CALL in c.source]
    cell.source = cell.source.replace(BACKTEST_CALL, CHANGED_CALL)
    nbformat.write(book, folder / "01_changed.ipynb")

    env = {k: v for k, v in os.environ.items() if k != "NPY_DISABLE_CPU_FEATURES"}
    env["ALERTKIT_NOTEBOOK_LAKES"] = str(tmp_path / "notebook_lakes")
    if simd == "reduced":
        env["NPY_DISABLE_CPU_FEATURES"] = for_this_cpu()
    run = run_nbval(folder, "01_changed.ipynb", env)

    assert run.returncode == 1, run.stdout[-2000:]
    # The summary (code cell 3), both alert charts (4, 5), the busiest position's alerts (6)
    # and its P&L chart (7) change; the history cells before and the sweep and quiet-period
    # cells after (which build their own rules) and the policy cells (their own backtests)
    # still match.
    failed = [line.split(" - ")[0] for line in run.stdout.splitlines() if line.startswith("FAILED")]
    assert failed == [f"FAILED 01_changed.ipynb::Cell {n}" for n in (3, 4, 5, 6, 7)]
    assert run.stdout.splitlines()[-1].startswith("===") and "5 failed, 11 passed" in run.stdout


@pytest.mark.slow
def test_triage_notebook_passes_beside_a_users_own_lake(tmp_path: Path) -> None:
    """A user who ran the README's examples has alerts in data/lake/alerts: notebook 02 still
    passes (its "your own lake" cell is skipped under test) and leaves that lake as it was."""
    from alertkit import SyncAlertManager

    checkout = tmp_path / "checkout"
    folder = checkout / "notebooks"
    folder.mkdir(parents=True)
    shutil.copy(NOTEBOOKS / "sanitize.cfg", folder)
    shutil.copy(NOTEBOOKS / "02_triage_alerts.ipynb", folder)
    own = SyncAlertManager(checkout / "data" / "lake" / "alerts")
    own.initialize()
    own.run_cycle(
        [{"strategy_id": 7, "symbol": "SPY", "strategy_type": "iron_condor", "upl_pct": 0.83}],
        at=datetime(2026, 1, 5, 15, 30, tzinfo=UTC),
    )
    before = own.version()

    env = {k: v for k, v in os.environ.items() if k != "NPY_DISABLE_CPU_FEATURES"}
    env["ALERTKIT_NOTEBOOK_LAKES"] = str(tmp_path / "notebook_lakes")
    run = run_nbval(folder, "02_triage_alerts.ipynb", env)

    assert run.returncode == 0, run.stdout[-3000:]
    # The own-lake cell and the real-time live monitor did not run.
    assert run.stdout.splitlines()[-1].startswith("===") and "2 skipped" in run.stdout
    assert SyncAlertManager(checkout / "data" / "lake" / "alerts").version() == before
    assert sorted(p.name for p in (checkout / "data" / "lake").iterdir()) == ["alerts"]
