"""Damage delta-rs and polars would not report: an empty latest commit, missing data files.

delta-rs reads an empty commit file as one that changed nothing, and polars fails on a
missing data file only when it reaches it, so either would pass for a table with fewer rows,
or fail later with a raw error. (A commit that is not valid JSON, or a corrupt checkpoint,
delta-rs refuses itself.) Local tables only: object stores are not listed.
"""

from __future__ import annotations

from pathlib import Path

from deltalake import DeltaTable

from alertkit.lake.paths import local_file_paths
from alertkit.model.errors import StoreError

__all__ = ["check_intact"]


def check_intact(name: str, uri: str, table: DeltaTable, *, files: bool = True) -> None:
    """Refuse (:class:`StoreError`) the local table ``name`` at ``uri`` when the commit of
    version ``table`` is an empty file or (with ``files``) a data file it references is gone."""
    commit = Path(uri, "_delta_log", f"{table.version():020d}.json")
    if commit.is_file() and commit.stat().st_size == 0:
        raise StoreError(
            f"the {name} table at {uri} is damaged: its latest commit"
            f" {commit.name} is an empty file (restore it from a backup, or delete it to"
            " return to the previous version)"
        )
    if files:
        missing = [path for path in local_file_paths(table) if not path.exists()]
        if missing:
            raise StoreError(
                f"the {name} table at {uri} is damaged: {len(missing)} data"
                f" file(s) its latest version references are missing, e.g. {missing[0]}"
            )
