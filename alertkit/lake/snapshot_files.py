"""Read snapshots from a file: Parquet, CSV (its separator detected) or a Delta table.

The one reader behind :func:`alertkit.backtest.load_history` and the file source of
:class:`alertkit.Monitor`, so a file reads the same way in a backtest and live. It reads and
types nothing beyond what the file says (CSV dates are parsed where they look like dates);
checking the columns is the snapshot normaliser's job (:mod:`alertkit.model.snapshot_rows`).

A CSV's separator is taken from ``separator=`` or, by default, detected from its header
line: whichever of ``,``, ``;``, tab and ``|`` occurs most there (a comma on a tie), and a
detected separator other than a comma is logged. A header that still reads as one column
(while naming more than one thing) is refused, with the ``separator=`` to pass: such a file
would otherwise read as snapshots with every snapshot column missing.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Final, Literal

import polars as pl

from alertkit.lake.paths import LocalTable, local_table_path
from alertkit.model.errors import ValidationError

__all__ = ["FileFormat", "read_snapshot_file", "sniff_separator"]

FileFormat = Literal["auto", "parquet", "csv", "delta"]

_SEPARATORS: Final = (",", ";", "\t", "|")

log = logging.getLogger(__name__)


def read_snapshot_file(
    source: str | os.PathLike[str],
    *,
    format: FileFormat = "auto",
    separator: str | None = None,
    what: str = "snapshots",
) -> pl.DataFrame:
    """Read the snapshots in ``source`` as they are written.

    Parameters
    ----------
    source
        A Parquet file, a CSV file or a Delta table directory.
    format
        ``"auto"``: a directory with a ``_delta_log`` is a Delta table, otherwise the suffix
        decides (``.parquet``/``.pq``, ``.csv``).
    separator
        A CSV's field separator; None detects it from the header line.
    what
        What the file holds, for the error when it is missing (``"history"``).

    Raises
    ------
    FileNotFoundError
        The path does not exist.
    ValidationError
        The format cannot be told or the file cannot be read as it, or a CSV's header reads
        as a single column.
    """
    path = Path(source)
    if format == "auto" and path.suffix and not path.is_dir():
        kind = _detect_format(path)  # a name that says it is no snapshot file, read or not
    if not path.exists():
        raise FileNotFoundError(f"no {what} at {str(path)!r}")
    kind = _detect_format(path) if format == "auto" else format
    try:
        if kind == "delta":
            # polars on delta-rs's percent-encoded file URIs fails under an awkward path
            # (a space): read through the table whose URIs it can open.
            return pl.read_delta(LocalTable(local_table_path(str(path))))
        if kind == "parquet":
            return pl.read_parquet(path)
        if kind == "csv":
            return _read_csv(path, separator)
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise ValidationError(f"cannot read {str(path)!r} as {kind}: {exc}") from exc
    raise ValidationError(f"format: expected auto, parquet, csv or delta, got {format!r}")


def sniff_separator(header: str) -> str:
    """The separator a CSV header line uses: the most frequent of ``,``, ``;``, tab and
    ``|`` in it (a comma on a tie, or when there is none).

    Examples
    --------
    >>> sniff_separator("as_of;strategy_id;symbol"), sniff_separator("as_of,symbol")
    (';', ',')
    """
    counts = {sep: header.count(sep) for sep in _SEPARATORS}
    best = max(counts.values())
    return next(sep for sep in _SEPARATORS if counts[sep] == best) if best else ","


def _read_csv(path: Path, separator: str | None) -> pl.DataFrame:
    with path.open(encoding="utf-8", errors="replace") as file:
        header = file.readline().rstrip("\r\n")
    if separator is None:
        separator = sniff_separator(header)
        if separator != ",":
            log.info("reading %s as %r-separated (detected from its header)", path, separator)
    # Typed by inference; the snapshot normaliser then casts or names what does not fit.
    frame = pl.read_csv(path, separator=separator, try_parse_dates=True)
    others = [sep for sep in _SEPARATORS if sep != separator and sep in header]
    if frame.width == 1 and others:
        raise ValidationError(
            f"{str(path)!r}: its header reads as one column with separator={separator!r}"
            f" ({header[:60]!r}); pass separator={sniff_separator(header)!r}"
        )
    return frame


def _detect_format(path: Path) -> str:
    if path.is_dir():
        if (path / "_delta_log").is_dir():
            return "delta"
        raise ValidationError(
            f"{str(path)!r} is a directory without a _delta_log: not a Delta table"
        )
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        return "parquet"
    if suffix == ".csv":
        return "csv"
    raise ValidationError(
        f"cannot tell the format of {str(path)!r} from its suffix; pass format='parquet',"
        " 'csv' or 'delta'"
    )
