"""Time-ordered alert ids (UUID version 7, RFC 9562).

The 48-bit millisecond prefix is the alert's ``created_at``, so ids sort by creation time and
the Delta file statistics on ``alert_id`` prune a lookup to the file that holds it (random
uuid4 ids defeat those statistics). The creation date is recoverable from the id, which lets a
transition name the partition to touch without reading the table first.
"""

from __future__ import annotations

import os
import re
import uuid
from datetime import UTC, date, datetime
from typing import Final

import numpy as np
import polars as pl

__all__ = ["ALERT_ID_PATTERN", "created_date_of", "new_alert_id", "new_alert_ids"]

ALERT_ID_PATTERN: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}$")
"""Ids alertkit accepts from users: letters, digits and ``._:-``, at most 128 characters.
Anything else (quotes, spaces, predicate text) can never name a stored alert."""

_UUID7: Final = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def new_alert_id(created_at: datetime) -> str:
    """A fresh UUIDv7 string whose timestamp is ``created_at`` (aware UTC)."""
    millis = int(created_at.timestamp() * 1000) & ((1 << 48) - 1)
    rand = int.from_bytes(os.urandom(10), "big")  # 80 random bits, 74 of them used
    value = (millis << 80) | (0x7 << 76) | ((rand >> 68) & 0xFFF) << 64
    value |= (0b10 << 62) | (rand & ((1 << 62) - 1))
    return str(uuid.UUID(int=value))


def created_date_of(alert_id: str) -> date | None:
    """The UTC creation date encoded in a UUIDv7 alert id, or None for other ids."""
    if not _UUID7.match(alert_id):
        return None
    millis = int(alert_id[:8] + alert_id[9:13], 16)
    return datetime.fromtimestamp(millis / 1000, UTC).date()


def new_alert_ids(created_at: pl.Series, seed: int | None = None) -> pl.Series:
    """Vectorised :func:`new_alert_id` for a column of aware datetimes (bulk inserts).

    ``seed`` makes the random bits reproducible (backtests that must be byte-identical);
    leave it None for live ids.
    """
    n = created_at.len()
    millis = created_at.dt.epoch("ms").to_numpy().astype(np.uint64)
    raw = np.random.default_rng(seed).integers(0, 256, size=(n, 16), dtype=np.uint8)
    for i in range(6):  # big-endian 48-bit millisecond prefix
        raw[:, i] = ((millis >> np.uint64(8 * (5 - i))) & np.uint64(0xFF)).astype(np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x70  # version 7
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80  # RFC 9562 variant
    # Hex-encode in numpy (16 bytes -> 32 hex digits + 4 dashes), one row per id.
    text = np.full((n, 36), ord("-"), dtype=np.uint8)
    columns = [c for c in range(36) if c not in _DASHES]
    text[:, columns[0::2]] = _HEX[raw >> 4]
    text[:, columns[1::2]] = _HEX[raw & 0x0F]
    return pl.Series("alert_id", text.view("S36").ravel()).cast(pl.String)


_DASHES: Final = (8, 13, 18, 23)
_HEX: Final = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
