"""DuckDB with its Delta extension: an independent reader of alertkit's lake (delta-kernel-rs).

``duckdb==1.4.4`` cannot download extensions here; the PyPI package ``duckdb-ext-delta`` ships
the extension file inside site-packages (``duckdb_ext/extensions/v<version>/<platform>/``).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import duckdb
import polars as pl

from alertkit.model.schema import ALERT_SCHEMA


def delta_extension() -> Path:
    """The delta extension file shipped for the installed duckdb version."""
    spec = importlib.util.find_spec("duckdb_ext")
    assert spec is not None and spec.submodule_search_locations, "pip install duckdb-ext-delta"
    found = [
        path
        for root in spec.submodule_search_locations
        for path in Path(root).glob(f"extensions/v{duckdb.__version__}/*/delta.duckdb_extension")
    ]
    assert len(found) == 1, f"expected one delta extension for duckdb {duckdb.__version__}: {found}"
    return found[0]


def connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(config={"allow_unsigned_extensions": "true"})
    con.execute(f"LOAD '{delta_extension()}'")
    con.execute("SET TimeZone = 'UTC'")
    return con


def delta_scan(con: duckdb.DuckDBPyConnection, path: str) -> pl.DataFrame:
    """The table as DuckDB reads it, typed and ordered as alertkit's frames (by alert_id)."""
    frame = con.execute(
        f"SELECT * FROM delta_scan('{path}') ORDER BY alert_id"  # a test's own path
    ).pl()
    return frame.select(list(ALERT_SCHEMA)).cast(ALERT_SCHEMA)  # type: ignore[arg-type]


def json_columns_parse(con: duckdb.DuckDBPyConnection, path: str) -> tuple[int, int]:
    """Rows whose metadata and history DuckDB's JSON functions read as an object and a list
    starting with the create event (every row, for a readable lake), and the row count."""
    return con.execute(
        "SELECT count(*) FILTER (WHERE json_type(metadata) = 'OBJECT'"
        " AND json_type(history) = 'ARRAY'"
        " AND json_extract_string(history, '$[0].action') = 'create'), count(*)"
        f" FROM delta_scan('{path}')"
    ).fetchone()  # type: ignore[return-value]
