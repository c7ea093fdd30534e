"""Committed notebook outputs show no float digits that nobody reads, and no dead widgets.

A number written with 9 or more decimals (an SVG coordinate, a float's repr, a value in a
JSON spec) shows the last bits of a float, and those depend on the CPU: numpy runs AVX-512
kernels for ``exp``/``log`` where the CPU has them and libm elsewhere. An output that records
them passes nbval only on the machine that recorded it. The fix belongs where the number is
made (``alertkit.charts`` rounds chart data to display precision and SVG coordinates to
hundredths of a pixel; tables are rounded in the notebook), never in ``sanitize.cfg``.

A notebook opened before it runs cannot draw its widgets either: ``make notebooks`` saves no
widget views or state, so that JupyterLab shows the outputs' text (the triage board's says to
run its cell) instead of broken-link icons.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
LONG_DECIMALS = re.compile(r"\d+\.\d{9,}")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def output_texts(output: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(kind, text) for everything an output shows: streams, every mime type, errors."""
    if "text" in output:
        yield output.get("name", "stream"), "".join(output["text"])
    for mime, data in output.get("data", {}).items():
        if isinstance(data, str):
            yield mime, data
        elif isinstance(data, list):
            yield mime, "".join(data)
        else:  # JSON mime types (Vega specs, widget views) are stored as objects
            yield mime, json.dumps(data)
    if output.get("output_type") == "error":
        yield "error", "\n".join([output.get("evalue", ""), *output.get("traceback", [])])


def long_decimals(path: Path) -> list[str]:
    """One line per output of ``path`` that holds numbers with 9+ decimals, naming the cell
    as nbval does (``Cell n`` counts code cells from 0)."""
    book = nbformat.read(path, as_version=4)
    findings = []
    code_cells = [cell for cell in book.cells if cell.cell_type == "code"]
    for number, cell in enumerate(code_cells):
        for output in cell.get("outputs", []):
            for kind, text in output_texts(output):
                found = LONG_DECIMALS.findall(text)
                if found:
                    findings.append(
                        f"{path.name}::Cell {number} ({kind}): {len(found)} numbers with 9 or"
                        f" more decimals, e.g. {found[0]}"
                    )
    return findings


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.name)
def test_committed_outputs_show_no_float_bits(path: Path) -> None:
    findings = long_decimals(path)
    assert findings == [], "\n".join(findings)


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.name)
def test_committed_notebooks_hold_no_widget_views(path: Path) -> None:
    # Saved widget state draws as broken-link icons, a bare widget view as an error.
    book = nbformat.read(path, as_version=4)
    assert "widgets" not in book.metadata, "re-record with `make notebooks`"
    views = [
        output.data
        for cell in book.cells
        for output in cell.get("outputs", [])
        if WIDGET_VIEW in output.get("data", {})
    ]
    assert views == [], "re-record with `make notebooks`"


def test_the_unrun_board_says_to_run_its_cell() -> None:
    book = nbformat.read(NOTEBOOKS / "02_triage_alerts.ipynb", as_version=4)
    [cell] = [c for c in book.cells if c.source.startswith("board = TriageBoard(")]
    [output] = cell.outputs
    assert set(output.data) == {"text/plain"}
    assert output.data["text/plain"].endswith(". Run this cell to open the triage board.")


def test_the_scan_names_notebook_cell_and_output(tmp_path: Path) -> None:
    book = nbformat.v4.new_notebook()
    book.cells = [
        nbformat.v4.new_markdown_cell("pi is 3.14159265358979"),  # prose is not an output
        nbformat.v4.new_code_cell("1", outputs=[nbformat.v4.new_output("stream", text="1.5\n")]),
        nbformat.v4.new_code_cell(
            "chart",
            outputs=[
                nbformat.v4.new_output(
                    "execute_result",
                    {
                        "image/svg+xml": '<g transform="translate(169.9586043761088,64.57)">',
                        "text/plain": "alt.Chart(...)",
                    },
                    execution_count=2,
                )
            ],
        ),
        nbformat.v4.new_code_cell(
            "spec",
            outputs=[
                nbformat.v4.new_output(
                    "display_data", {"application/json": {"y": [0.1 + 0.2, 0.25]}}
                ),
                nbformat.v4.new_output("stream", text="0.30000000000000004 and 1.000000001\n"),
            ],
        ),
    ]
    path = tmp_path / "book.ipynb"
    nbformat.write(book, path)
    assert long_decimals(path) == [
        "book.ipynb::Cell 1 (image/svg+xml): 1 numbers with 9 or more decimals,"
        " e.g. 169.9586043761088",
        "book.ipynb::Cell 2 (application/json): 1 numbers with 9 or more decimals,"
        " e.g. 0.30000000000000004",
        "book.ipynb::Cell 2 (stdout): 2 numbers with 9 or more decimals, e.g. 0.30000000000000004",
    ]
