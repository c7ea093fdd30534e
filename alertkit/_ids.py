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

__all__ = ["ALERT_ID_PATTERN", "created_date_of", "new_alert_id"]

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
