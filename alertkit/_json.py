"""JSON for alert metadata: richer than ``json`` (datetimes, Decimal, numpy), strict about the rest.

Round trip: datetimes and dates become ISO-8601 strings, Decimal becomes its exact string,
numpy scalars become the matching Python number, tuples become lists. NaN and infinities are
refused (JSON has no spelling for them and other Delta readers would choke), as is anything
else that is not plainly JSON, so a bad value fails at create time, before anything is written.
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, Final

from alertkit.errors import MetadataError

__all__ = ["MAX_METADATA_BYTES", "dumps_metadata"]

MAX_METADATA_BYTES: Final = 64 * 1024
"""Metadata describes a decision's inputs; anything larger is a bug upstream, not an alert."""


def _encode(value: Any, path: str) -> Any:
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
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
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise MetadataError(
                    f"metadata{path}: expected str keys, got {type(key).__name__} {key!r}"
                )
            out[key] = _encode(item, f"{path}[{key!r}]")
        return out
    if isinstance(value, list | tuple):
        return [_encode(item, f"{path}[{i}]") for i, item in enumerate(value)]
    item = getattr(value, "item", None)  # numpy scalars (np.float64, np.int32, np.bool_ ...)
    if callable(item) and getattr(value, "shape", None) == ():
        return _encode(item(), path)
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
