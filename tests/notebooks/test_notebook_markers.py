"""Every nbval marker in the notebooks is one nbval recognises.

nbval honours a comment only when it is exactly the marker (``# NBVAL_SKIP``):
``# NBVAL_SKIP: because ...`` is silently ignored, and the cell runs and is compared. So the
reason goes on the next line, and this test refuses any other spelling.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbval.plugin import comment_markers, find_comment_markers

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))


def marker_like_comments(source: str) -> list[str]:
    """Comment lines that mention an nbval marker word, as nbval reads comments."""
    comments = [line.strip().lstrip("#").strip() for line in source.splitlines()]
    words = ("NBVAL", "PYTEST_VALIDATE")
    return [
        comment
        for line, comment in zip(source.splitlines(), comments, strict=True)
        if line.strip().startswith("#") and any(word in comment for word in words)
    ]


def unrecognised_markers(path: Path) -> list[str]:
    book = nbformat.read(path, as_version=4)
    code = [cell for cell in book.cells if cell.cell_type == "code"]
    return [
        f"{path.name}::Cell {number}: {comment!r}"
        for number, cell in enumerate(code)
        for comment in marker_like_comments(cell.source)
        if comment not in comment_markers
    ]


def test_the_check_catches_a_marker_with_a_reason() -> None:
    source = "# NBVAL_SKIP: runs in real time\nprint(1)"
    assert marker_like_comments(source) == ["NBVAL_SKIP: runs in real time"]
    assert dict(find_comment_markers(source)) == {}  # what nbval makes of it: nothing


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_nbval_marker_is_recognised(path: Path) -> None:
    assert unrecognised_markers(path) == []


def test_the_cells_that_must_not_run_under_test_are_skipped() -> None:
    """The cell opening the user's own lake and the real-time live monitor are skipped."""
    book = nbformat.read(NOTEBOOKS[1], as_version=4)
    skipped = [
        cell.source.splitlines()[1]
        for cell in book.cells
        if cell.cell_type == "code" and dict(find_comment_markers(cell.source)).get("skip")
    ]
    assert skipped == [
        "# Not run by the notebook tests: it opens your own lake, which no test may read.",
        "# Not run by the notebook tests: it runs in the background in real time.",
    ]
