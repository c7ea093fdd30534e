"""The README's Python examples run as written, again and in any order, in one working dir.

A new user runs them one after another in one checkout (they share ``data/lake``), and then
again: each must still work on what the others, or its own earlier run, left behind. Each run
happens in a temp dir standing in for that checkout, never in this one.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)


def run_example(number: int, workdir: Path) -> str:
    script = workdir / f"example_{number}.py"
    script.write_text(BLOCKS[number])
    done = subprocess.run(
        [sys.executable, script.name],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"README example {number} failed:\n{done.stderr}"
    return done.stdout


def first_lines(number: int, workdir: Path) -> list[str]:
    return run_example(number, workdir).splitlines()[:1]


@pytest.mark.slow
def test_python_examples_rerun_in_any_order(tmp_path: Path) -> None:
    assert len(BLOCKS) >= 3
    forward = list(range(len(BLOCKS)))
    # In order, again in reverse on the lakes the first pass left, then in order once more.
    for number in forward + forward[::-1] + forward:
        lines = first_lines(number, tmp_path)
        if number == 0:
            assert lines == ["take_profit_full close"]
    # Every example left its lake under data/lake, where the README says it writes.
    lakes = sorted(p.name for p in (tmp_path / "data" / "lake").iterdir())
    assert lakes == ["alerts", "alerts_notifications", "alerts_silences", "backtest"]  # beside it


def test_live_example_acknowledges_and_resolves_what_it_opened(tmp_path: Path) -> None:
    [number] = [n for n, code in enumerate(BLOCKS) if "acknowledge_alerts(" in code]
    for _ in range(2):  # the second run opens fresh alerts: the first run's are resolved
        lines = run_example(number, tmp_path).splitlines()
        assert lines[0].startswith("3 snapshots: 2 new, 0 repeats, 0 resolved (version ")
        assert lines[2:] == ["acknowledged 2 of 2 alerts", "resolved 2 of 2 alerts"]


def test_notifications_example_groups_the_storm_and_reruns(tmp_path: Path) -> None:
    [number] = [n for n, code in enumerate(BLOCKS) if "dry_run_notifications" in code]
    first = run_example(number, tmp_path).splitlines()
    assert first[0] == "new {'rule': 'vix_level'} 200 alerts"  # one call for 200 positions
    assert "│ __main__.desk ┆ new    ┆ sent    ┆ 200 │" in first
    again = run_example(number, tmp_path).splitlines()
    assert not again[0].startswith("new ")  # the 200 alerts are still open: repeats, told once
    assert "│ __main__.desk ┆ new    ┆ sent    ┆ 200 │" in again
