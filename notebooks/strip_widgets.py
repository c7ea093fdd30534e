"""Drop widget views and widget state from executed notebooks, keeping every other output.

``make notebooks`` runs this after executing them. A notebook opened in JupyterLab before it
runs has no kernel behind its widgets: from saved widget state JupyterLab draws a disconnected
copy covered in broken-link icons, and without it prints "Error displaying widget: model not
found". Without the widget view the output's ``text/plain`` shows instead, which for the
triage board says to run the cell. nbval never compares widget views, so the notebooks test
the same things.

Usage: ``python notebooks/strip_widgets.py NOTEBOOK.ipynb...``
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def strip_widgets(book: nbformat.NotebookNode) -> None:
    """Remove widget views from ``book``'s outputs and its saved widget state, in place."""
    book.metadata.pop("widgets", None)
    for cell in book.cells:
        for output in cell.get("outputs", []):
            output.get("data", {}).pop(WIDGET_VIEW, None)


def main(paths: list[str]) -> None:
    for path in map(Path, paths):
        book = nbformat.read(path, as_version=4)
        strip_widgets(book)
        nbformat.write(book, path)


if __name__ == "__main__":
    main(sys.argv[1:])
