"""A backtest on disk: :meth:`BacktestResult.write` and :func:`read_backtest`.

A run written once can be shared and compared later without re-running it. The layout of
the directory ``path``::

    path/
      decisions.parquet   BacktestResult.decisions (one row per snapshot, time order)
      alerts.parquet      BacktestResult.alerts (ALERT_SCHEMA, plus any policy columns)
      outcomes.parquet    BacktestResult.outcomes (OUTCOME_SCHEMA, one row per alert)
      summary.parquet     BacktestResult.summary() (SUMMARY_SCHEMA), for readers without alertkit
      manifest.json       what produced it: {"format": "alertkit-backtest", "format_version",
                          "alertkit_version", "mode", "quiet_period_seconds", "lake_version",
                          "policies" (their name or null), "rules" (each rule's repr, in
                          evaluation order), "triggers" (trigger ids in engine order),
                          "rows" (row count per file)}

Every frame reads back equal, with its exact dtypes (Parquet keeps polars' UTC datetimes,
dates and Int32). The manifest is written last: a directory without one is refused, so a
write cut short is never read as a whole run. Rules and policies are code, not data: the
manifest names them, and a result read back has no ``rules`` (its :attr:`triggers` keep the
summary's row order) and no ``policies`` object.

Examples
--------
>>> from alertkit.backtest import run_backtest, synthetic_history
>>> result = run_backtest(synthetic_history(4, seed=3), progress=False)
>>> result.write("run")
>>> sorted(p.name for p in Path("run").iterdir())
['alerts.parquet', 'decisions.parquet', 'manifest.json', 'outcomes.parquet', 'summary.parquet']
>>> read_backtest("run").alerts.equals(result.alerts)
True
"""

from __future__ import annotations

import json
from datetime import timedelta
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import polars as pl

from alertkit.model.errors import ValidationError
from alertkit.rules import in_order

if TYPE_CHECKING:
    from alertkit.backtest.runner import BacktestResult

__all__ = ["FORMAT", "FORMAT_VERSION", "FRAMES", "read_backtest", "write_backtest"]

FORMAT: Final = "alertkit-backtest"
FORMAT_VERSION: Final = 1
FRAMES: Final = ("decisions", "alerts", "outcomes", "summary")
MANIFEST: Final = "manifest.json"


def write_backtest(result: BacktestResult, path: str | Path, *, overwrite: bool = False) -> None:
    """Write ``result`` to the directory ``path`` (created if needed) in the layout above.

    Raises
    ------
    ValidationError
        ``path`` already holds a written backtest and ``overwrite`` is False, or is a file.
    """
    root = Path(path)
    if root.exists() and not root.is_dir():
        raise ValidationError(f"path: expected a directory, got the file {root}")
    if (root / MANIFEST).exists() and not overwrite:
        raise ValidationError(
            f"path: {root} already holds a backtest; pass overwrite=True to replace it"
        )
    root.mkdir(parents=True, exist_ok=True)
    (root / MANIFEST).unlink(missing_ok=True)  # until the new files are all there
    frames = _frames(result)
    for name, frame in frames.items():
        frame.write_parquet(root / f"{name}.parquet")
    manifest = _manifest(result, {name: frame.height for name, frame in frames.items()})
    (root / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def read_backtest(path: str | Path) -> BacktestResult:
    """The :class:`BacktestResult` written to ``path`` by :func:`write_backtest`.

    Raises
    ------
    ValidationError
        ``path`` holds no manifest, or one of another format or a newer format version.
    """
    from alertkit.backtest.runner import BacktestResult

    root = Path(path)
    manifest = read_manifest(root)
    frames = {name: pl.read_parquet(root / f"{name}.parquet") for name in FRAMES}
    seconds = manifest["quiet_period_seconds"]
    return BacktestResult(
        decisions=frames["decisions"],
        alerts=frames["alerts"],
        outcomes=frames["outcomes"],
        mode=manifest["mode"],
        quiet_period=None if seconds is None else timedelta(seconds=seconds),
        rules=(),
        lake_version=manifest["lake_version"],
        triggers=tuple(manifest["triggers"]),
    )


def read_manifest(path: str | Path) -> dict[str, Any]:
    """The manifest of the backtest written to ``path`` (checked: format and version)."""
    file = Path(path) / MANIFEST
    if not file.is_file():
        raise ValidationError(f"path: {path} holds no backtest ({MANIFEST} is missing)")
    manifest: dict[str, Any] = json.loads(file.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT or not 1 <= manifest.get("format_version", 0) <= (
        FORMAT_VERSION
    ):
        raise ValidationError(
            f"{file}: expected format {FORMAT!r} version <= {FORMAT_VERSION}, got"
            f" {manifest.get('format')!r} version {manifest.get('format_version')!r}"
        )
    return manifest


def _frames(result: BacktestResult) -> dict[str, pl.DataFrame]:
    return {
        "decisions": result.decisions,
        "alerts": result.alerts,
        "outcomes": result.outcomes,
        "summary": pl.DataFrame(result.summary()),
    }


def _manifest(result: BacktestResult, rows: dict[str, int]) -> dict[str, Any]:
    quiet = result.quiet_period
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "alertkit_version": version("alertkit"),
        "mode": result.mode,
        "quiet_period_seconds": None if quiet is None else quiet.total_seconds(),
        "lake_version": result.lake_version,
        "policies": None if result.policies is None else result.policies.name,
        "rules": [repr(rule) for rule in in_order(result.rules)],
        "triggers": list(result.trigger_order()),
        "rows": rows,
    }
