"""JSON for alert metadata: richer than ``json`` (datetimes, Decimal, numpy), strict about the rest.

Round trip: datetimes and dates become ISO-8601 strings, Decimal becomes its exact string,
numpy scalars become the matching Python number, tuples become lists. Refused, so that a bad
value fails at create time, before anything is written:

- NaN and infinities (JSON has no spelling for them and other Delta readers would choke);
- strings or keys holding a lone surrogate (not UTF-8: DuckDB's JSON functions reject the
  ``\\udcff`` escape it would become, for the whole column);
- nesting deeper than :data:`MAX_METADATA_DEPTH` (Python's own JSON reader gives up near 1,000
  levels, with a ``RecursionError``), and more than :data:`MAX_METADATA_BYTES` of JSON;
- integers longer than Python's int-string limit (``sys.get_int_max_str_digits()``, 4,300
  digits by default: Python can neither write nor read them);
- in JSON text (bulk inserts), an object with the same key twice: alertkit's reader keeps the
  last value and DuckDB's the first, so the row would mean two things;
- anything else that is not plainly JSON.

:func:`metadata_column_problems` applies the same rules to a column of JSON text (bulk
inserts), in polars for the common case and through :func:`dumps_metadata` itself for the few
rows polars cannot judge.
"""

from __future__ import annotations

import json
import math
import sys
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, Final

import polars as pl

from alertkit.model._text import surrogate_position
from alertkit.model.errors import MetadataError

__all__ = [
    "MAX_METADATA_BYTES",
    "MAX_METADATA_DEPTH",
    "dumps_metadata",
    "metadata_column_problems",
]

MAX_METADATA_BYTES: Final = 64 * 1024
"""Metadata describes a decision's inputs; anything larger is a bug upstream, not an alert."""
MAX_METADATA_DEPTH: Final = 64
"""Most levels of nested dicts and lists, the metadata dict itself being level 1."""


def _text(value: str, path: str, what: str) -> str:
    position = surrogate_position(value)
    if position is not None:
        raise MetadataError(
            f"metadata{path}: expected {what} of valid Unicode, got a lone surrogate"
            f" {value[position]!r} at position {position} (not storable as UTF-8)"
        )
    return value


_INT_BITS_CHECKED: Final = 4096
"""Integers this short are far below any int-string limit Python allows (640 digits)."""


def _check_int_text(value: int, path: str) -> None:
    try:
        str(value)
    except ValueError:  # past sys.get_int_max_str_digits(): json.dumps would raise the same
        limit = sys.get_int_max_str_digits()
        raise MetadataError(
            f"metadata{_short(path)}: expected an integer of at most {limit} digits (Python's"
            f" int-string limit), got one of about {int(value.bit_length() * 0.30103)} digits"
        ) from None


def _short(path: str) -> str:
    return path if len(path) <= 60 else path[:57] + "..."


def _encode(value: Any, path: str, depth: int = 0) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return _text(value, path, "a string")
    if isinstance(value, int):
        if value.bit_length() > _INT_BITS_CHECKED:
            _check_int_text(value, path)
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise MetadataError(f"metadata{path}: expected a finite number, got {value!r}")
        return value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise MetadataError(f"metadata{path}: expected a finite Decimal, got {value!r}")
        return str(value)
    if isinstance(value, dict | list | tuple) and depth == MAX_METADATA_DEPTH:
        # Checked before recursing: a self-containing dict would otherwise recurse forever.
        raise MetadataError(
            f"metadata{_short(path)}: expected at most {MAX_METADATA_DEPTH} levels of nested"
            " dicts and lists, got more"
        )
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise MetadataError(
                    f"metadata{path}: expected str keys, got {type(key).__name__} {key!r}"
                )
            _text(key, path, "keys")
            out[key] = _encode(item, f"{path}[{key!r}]", depth + 1)
        return out
    if isinstance(value, list | tuple):
        return [_encode(item, f"{path}[{i}]", depth + 1) for i, item in enumerate(value)]
    item = getattr(value, "item", None)  # numpy scalars (np.float64, np.int32, np.bool_ ...)
    if callable(item) and getattr(value, "shape", None) == ():
        return _encode(item(), path, depth)
    raise MetadataError(
        f"metadata{path}: expected a JSON-compatible value, got {type(value).__name__} {value!r}"
    )


def dumps_metadata(metadata: dict[str, Any]) -> str:
    """Encode ``metadata`` as compact JSON, or raise :class:`MetadataError` saying where."""
    if not isinstance(metadata, dict):
        raise MetadataError(f"metadata: expected a dict, got {type(metadata).__name__}")
    text = json.dumps(_encode(metadata, ""), separators=(",", ":"), allow_nan=False)
    size = len(text.encode())
    if size > MAX_METADATA_BYTES:
        raise MetadataError(
            f"metadata: expected at most {MAX_METADATA_BYTES} bytes of JSON, got {size}"
        )
    return text


# -- a column of metadata JSON (bulk inserts) ----------------------------------------------------

_PROBE: Final = pl.Struct({"__alertkit_probe": pl.Null()})
"""Decoding to a struct with one absent field parses every row fully but builds almost nothing."""
_OPENERS: Final = r"[\[{]"
# What polars' JSON reader accepts but Python's reader (or dumps_metadata) may not: a surrogate
# escape (lone ones pass polars), a large exponent (1e400 reads as inf), a long digit run (past
# Python's int-string limit), raw control characters; and a string that begins with a colon
# (after blanks), where ``_KEY`` would take a piece of it for a key and miss a repeated one.
# Such rows go through the exact check.
_SUSPECT: Final = r'(?i)\\ud[89a-f]|e[+]?[0-9]{3}|[0-9]{100}|[\x00-\x1f]|[{,:\[]\s*"\s*:'
_NOT_JSON: Final = "metadata is not valid JSON"
_NOT_OBJECT: Final = "metadata is not a JSON object"
_TOO_DEEP: Final = "metadata is nested too deeply"
_REFUSED: Final = "metadata holds a value alertkit refuses"
_DUPLICATE: Final = "metadata has a duplicate key"
_KEY: Final = r'"(?:[^"\\]|\\.)*"\s*:'
"""A JSON object key with its colon. In valid JSON a string followed by a colon is a key, so
this finds the keys of every object of a row (a key that begins with a colon aside), and a row
in which no key text repeats has no object with a duplicate key."""


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


class _DuplicateKey(ValueError):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(f"the key {key!r} appears twice in one object")
        out[key] = value
    return out


def metadata_text_problem(text: str) -> tuple[str, str] | None:
    """Why the stored metadata ``text`` is not what alertkit reads back as alert metadata:
    (the kind of problem, the detail), or None when it is fine. The exact, per-row check: the
    rules of :func:`dumps_metadata` but its size limit (a frame's text is measured as stored)."""
    try:
        value = json.loads(text, parse_constant=_refuse_constant, object_pairs_hook=_unique_keys)
    except RecursionError:
        return _TOO_DEEP, f"more than {MAX_METADATA_DEPTH} levels"
    except _DuplicateKey as exc:
        return _DUPLICATE, str(exc)
    except ValueError as exc:  # JSONDecodeError, NaN/Infinity, an integer past Python's limit
        if "integer string conversion" in str(exc):  # valid JSON that Python cannot read
            return _REFUSED, f"an integer longer than {sys.get_int_max_str_digits()} digits"
        return _NOT_JSON, str(exc)
    if not isinstance(value, dict):
        return _NOT_OBJECT, f"a JSON {type(value).__name__}"
    try:
        _encode(value, "")
    except MetadataError as exc:
        return _REFUSED, str(exc)
    return None


_NUMBER: Final = r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?"
_PLAIN_STRING: Final = r'"[^"\\\x00-\x1f]*"'
_SCALAR: Final = rf"(?:{_NUMBER}|{_PLAIN_STRING}|true|false|null)"
_FLAT: Final = rf"^\{{(?:{_PLAIN_STRING}:{_SCALAR}(?:,{_PLAIN_STRING}:{_SCALAR})*)?\}}$"
"""A flat JSON object as json.dumps(..., separators=(",", ":")) writes most metadata: scalar
values, no whitespace, no escapes. Every text it matches is valid JSON (a subset of the
grammar), so such rows need no JSON parser: only ``_FLAT_SUSPECT`` and repeated keys."""
_FLAT_SUSPECT: Final = r'(?i)e[+]?[0-9]{3}|[0-9]{100}|[{,:]":'
"""In a flat row: a number Python reads as inf (a 3-digit exponent, or 100+ integer digits,
which an exponent below 100 cannot bring past 1e308) or past its int-string limit, and a
string beginning with a colon, which would make ``_FLAT_KEY`` find something other than the
keys. Without it, each ``"...":`` is exactly one key (no quote or backslash in strings)."""
_FLAT_KEY: Final = r'"[^"]*":'
_ROW: Final = "__alertkit_row"


def _flat_suspects(flat: pl.DataFrame, column: str) -> pl.Series:
    """The row indices of the flat rows (``_FLAT``) that need the exact check."""
    keys = pl.col(column).str.extract_all(_FLAT_KEY)
    return flat.filter(
        pl.col(column).str.contains(_FLAT_SUSPECT) | (keys.list.len() != keys.list.n_unique())
    )[_ROW]


def _column_problems(texts: pl.Series) -> dict[str, int]:
    name = texts.name
    column = pl.col(name)
    rows = texts.to_frame().with_row_index(_ROW)
    is_flat = rows.select(column.str.contains(_FLAT).fill_null(False)).to_series()
    flat, frame = rows.filter(is_flat), rows.filter(~is_flat)
    keys = column.str.extract_all(_KEY).list.eval(pl.element().str.strip_chars_end(" \t\n\r:"))
    suspect = (
        column.str.contains(_SUSPECT)
        | (column.str.count_matches(_OPENERS) > MAX_METADATA_DEPTH)
        # Repeated key text: a duplicate key, or the same key in two nested objects (legal,
        # told apart by the exact check); an escaped key may equal another.
        | (keys.list.len() != keys.list.n_unique())
        | keys.list.eval(pl.element().str.contains("\\", literal=True)).list.any()
    ).fill_null(False)
    stats = frame.lazy().select(
        nulls=column.is_null().sum(),
        too_big=(column.str.len_bytes() > MAX_METADATA_BYTES).sum(),
        suspects=suspect.sum(),
        # The JSON text "null" decodes to null too: a row that is not an object.
        json_nulls=column.str.json_decode(_PROBE).is_null().sum() - column.is_null().sum(),
    )
    try:
        counts = stats.collect().row(0, named=True)
        exact = frame.filter(suspect)[_ROW] if counts["suspects"] else frame[_ROW].clear()
    except pl.exceptions.ComputeError:  # some row is not a JSON object: find which, exactly
        counts = stats.drop("json_nulls").collect().row(0, named=True) | {"json_nulls": 0}
        exact = frame.filter(column.is_not_null())[_ROW]
    too_big = counts["too_big"] + int((flat[name].str.len_bytes() > MAX_METADATA_BYTES).sum())
    found = {
        "metadata is null": counts["nulls"],
        _NOT_OBJECT: counts["json_nulls"],
        f"metadata is larger than {MAX_METADATA_BYTES} bytes": too_big,
    }
    examples: dict[str, str] = {}
    # In row order, so that "first" names the first row with each problem.
    exact = pl.concat([exact, _flat_suspects(flat, name)]).sort()
    for text in rows[name].gather(exact):
        problem = metadata_text_problem(text)
        if problem is not None:
            kind, detail = problem
            found[kind] = found.get(kind, 0) + 1
            examples.setdefault(kind, detail)
    return {
        f"{kind} (first: {examples[kind]})" if kind in examples else kind: count
        for kind, count in found.items()
        if count
    }


_SAMPLE: Final = 4096


def _repetitive(texts: pl.Series) -> bool:
    """Whether a sample of ``texts`` holds fewer than half as many distinct texts as rows."""
    if texts.len() <= _SAMPLE:
        return False
    return texts.sample(_SAMPLE, seed=0).n_unique() * 2 < _SAMPLE


def metadata_column_problems(texts: pl.Series) -> dict[str, int]:
    """Problems in a column of metadata JSON text: a description of each, with its number of
    rows (empty when every row is fine).

    Null, non-JSON, non-object, oversized, too deeply nested, non-finite numbers, lone
    surrogates, integers past Python's limit: what :func:`dumps_metadata` refuses; and an
    object with a duplicate key (nested objects included). Vectorised in the common case: a
    flat object (``_FLAT``) is judged by regular expressions alone, other rows by polars'
    JSON reader; only the rows these cannot judge (``_FLAT_SUSPECT``, ``_SUSPECT``), or every
    non-flat row when polars fails to parse them, are checked one by one with
    :func:`metadata_text_problem`.

    A row's verdict depends on its text alone, so a column that repeats its texts is judged
    on its distinct texts first: when they are all fine, so is every row (the counts and
    examples of a refusal come from the whole column).
    """
    if _repetitive(texts) and not _column_problems(texts.unique()):
        return {}
    return _column_problems(texts)
