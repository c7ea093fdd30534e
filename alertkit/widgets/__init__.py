"""Notebook widgets for alertkit (needs the ``notebook`` extra: ipywidgets and anywidget).

>>> import tempfile
>>> from alertkit import SyncAlertManager
>>> from alertkit.widgets import TriageBoard
>>> manager = SyncAlertManager(tempfile.mkdtemp() + "/alerts")  # your lake: "data/lake/alerts"
>>> manager.initialize()
>>> board = TriageBoard(manager)  # display it: the last expression of a notebook cell
>>> board.table.total, board.table.rows
(0, [])
"""

from alertkit.widgets._board import TriageBoard
from alertkit.widgets._table import AlertTable

__all__ = ["AlertTable", "TriageBoard"]
