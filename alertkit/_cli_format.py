"""The CLI's output formats: ``--format table|csv|json`` for ``list``, ``history``, ``show``
and ``notifications``.

``table`` (the default) is the one Markdown style of :func:`alertkit._console.print_table`,
for people. ``json`` and ``csv`` are for pipes: the rows and nothing else on standard output
(a notice, such as rows cut by ``--limit``, goes to standard error), timestamps in ISO 8601
(``2026-01-05T15:00:00+00:00``).

- ``json``: a list of objects, one per row (``show``: one object); nested values (an alert's
  metadata and history) stay JSON values; a missing value is ``null``.
- ``csv``: a header row, then one line per row; a missing value is an empty field, a nested
  value its JSON text, a boolean ``true``/``false``.

An alert's object holds the fields of :class:`alertkit.Alert`, by name.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import sys
from collections.abc import Sequence
from datetime import date, datetime
from enum import Enum
from typing import Any, Final, Literal

from alertkit.model.alerts import Alert

__all__ = [
    "ALERT_FIELDS",
    "FORMATS",
    "add_format_argument",
    "alert_record",
    "notice",
    "write_csv",
    "write_json",
]

Format = Literal["table", "csv", "json"]
FORMATS: Final[tuple[Format, ...]] = ("table", "csv", "json")

ALERT_FIELDS: Final = tuple(f.name for f in dataclasses.fields(Alert))
"""The keys of an alert's record, in the model's order."""

FORMAT_HELP: Final = (
    "output format (default table): table, a Markdown table to read; json, {json}; csv, a"
    " header row then {rows}. json and csv print nothing else on standard output (notices go"
    " to standard error); timestamps are ISO 8601"
)


def add_format_argument(parser: argparse.ArgumentParser, *, json_shape: str, rows: str) -> None:
    """Add ``--format`` to ``parser``; ``json_shape`` and ``rows`` word its help."""
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="table",
        help=FORMAT_HELP.format(json=json_shape, rows=rows),
    )


def alert_record(alert: Alert) -> dict[str, Any]:
    """``alert``'s fields by name, enums as their stored values."""
    return {
        name: value.value if isinstance(value, Enum) else value
        for name, value in ((n, getattr(alert, n)) for n in ALERT_FIELDS)
    }


def _json_value(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def write_json(data: object) -> None:
    """``data`` (records, or one record) as indented JSON on standard output."""
    print(json.dumps(data, indent=2, default=_json_value, ensure_ascii=False))


def _csv_field(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, default=_json_value, ensure_ascii=False)
    return value


def write_csv(records: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
    """``records`` as CSV on standard output: a header of ``columns``, then one line each."""
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(columns)
    for record in records:
        writer.writerow([_csv_field(record[c]) for c in columns])


def notice(text: str, output_format: str) -> None:
    """A line for the reader: after a table on standard output, else on standard error, so
    that json and csv output stays parseable."""
    print(text, file=sys.stdout if output_format == "table" else sys.stderr)
