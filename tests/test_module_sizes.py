"""No room too big (issue 19 item 10): every module at most 450 lines, the median at most 200.

A module past the limit has more than one job: split it, one job per module, each saying its
job in its docstring.
"""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "alertkit"
LARGEST = 450
MEDIAN = 200


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


MODULES = {path.relative_to(PACKAGE).as_posix(): path for path in sorted(PACKAGE.rglob("*.py"))}


@pytest.mark.parametrize("name", list(MODULES))
def test_no_module_is_above_the_largest_size(name: str) -> None:
    assert _lines(MODULES[name]) <= LARGEST, f"{name}: {_lines(MODULES[name])} lines"


def test_the_median_module_is_small() -> None:
    assert statistics.median(_lines(path) for path in MODULES.values()) <= MEDIAN
