"""Time-ordered alert ids (UUID version 7, RFC 9562).

The 48-bit millisecond prefix is the alert's ``created_at``, so ids sort by creation time and
the Delta file statistics on ``alert_id`` prune a lookup to the file that holds it (random
uuid4 ids defeat those statistics). The creation date is recoverable from the id, which lets a
transition name the partition to touch without reading the table first.
"""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Final

import numpy as np
import polars as pl
from numpy.typing import NDArray

from alertkit.model.errors import ValidationError

__all__ = [
    "ALERT_ID_PATTERN",
    "ALERT_ID_REGEX",
    "ID_TIME_MAX",
    "ID_TIME_MIN",
    "check_id_time",
    "created_date_of",
    "deterministic_alert_id",
    "deterministic_alert_ids",
    "new_alert_id",
    "new_alert_ids",
]

_ID_BODY: Final = r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}"
# \A and \Z, not ^ and $: Python's $ also matches before a trailing newline ("id\n").
ALERT_ID_PATTERN: Final = re.compile(rf"\A{_ID_BODY}\Z")
"""Ids alertkit accepts from users: letters, digits and ``._:-``, at most 128 characters.
Anything else (quotes, spaces, predicate text, a trailing newline) can never name a stored
alert. ``ALERT_ID_PATTERN.match`` checks the whole string."""
ALERT_ID_REGEX: Final = rf"^{_ID_BODY}$"
"""The same pattern for polars (Rust's ``$`` matches only at the very end of the text)."""

_UUID7: Final = re.compile(
    r"\A[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\Z"
)

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
ID_TIME_MIN: Final = _EPOCH
"""The earliest ``created_at`` an alert id can encode (a UUIDv7 counts milliseconds from it)."""
ID_TIME_MAX: Final = datetime.max.replace(tzinfo=UTC)
"""The latest: Python's own limit (9999-12-31 23:59:59.999999 UTC), far inside UUIDv7's."""


def check_id_time(value: datetime, name: str = "created_at") -> datetime:
    """``value`` (aware) if an alert id can encode it, else :class:`ValidationError` naming
    the supported range."""
    if value < ID_TIME_MIN:
        raise ValidationError(
            f"{name}: expected an instant from {ID_TIME_MIN:%Y-%m-%d %H:%M:%S} to"
            f" {ID_TIME_MAX:%Y-%m-%d %H:%M:%S.%f} UTC (the range alert ids can encode),"
            f" got {value.isoformat()}"
        )
    return value


def new_alert_id(created_at: datetime) -> str:
    """A fresh UUIDv7 string whose timestamp is ``created_at`` (aware UTC).

    Raises :class:`ValidationError` for an instant before 1970 (see :func:`check_id_time`).
    """
    # Integer arithmetic: a float timestamp rounds 9999-12-31 23:59:59.999999 up to year 10000.
    millis = (check_id_time(created_at) - _EPOCH) // timedelta(milliseconds=1)
    rand = int.from_bytes(os.urandom(10), "big")  # 80 random bits, 74 of them used
    value = (millis << 80) | (0x7 << 76) | ((rand >> 68) & 0xFFF) << 64
    value |= (0b10 << 62) | (rand & ((1 << 62) - 1))
    return str(uuid.UUID(int=value))


def created_date_of(alert_id: str) -> date | None:
    """The UTC creation date encoded in a UUIDv7 alert id, or None for other ids."""
    if not _UUID7.match(alert_id):
        return None
    millis = int(alert_id[:8] + alert_id[9:13], 16)
    try:
        return (_EPOCH + timedelta(milliseconds=millis)).date()
    except OverflowError:  # beyond year 9999: not an id alertkit minted
        return None


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


# -- deterministic ids (backtests) --------------------------------------------------------------

_ID_KEY_SEPARATOR: Final = "\x1f"


def deterministic_alert_id(created_at: datetime, *keys: str | int | None) -> str:
    """A UUIDv7 made from its inputs: the same ``created_at`` and ``keys`` give the same id.

    The 48-bit millisecond prefix is ``created_at`` (aware), as in :func:`new_alert_id`, so
    the id names its partition; the other 74 free bits come from a BLAKE2b hash of ``keys``
    and ``created_at`` to the microsecond. A backtest passes the fingerprint (trigger id,
    strategy_id, symbol), which is open at most once at any instant, so ids never repeat.

    Examples
    --------
    >>> at = datetime(2025, 1, 2, 15, 30, tzinfo=UTC)
    >>> deterministic_alert_id(at, "take_profit_full", 7, "SPY")
    '019427a3-48c0-767b-83a2-7e8547090ec4'
    >>> created_date_of(deterministic_alert_id(at, "dte_roll", 7, "SPY"))
    datetime.date(2025, 1, 2)
    """
    if not isinstance(created_at, datetime) or created_at.utcoffset() is None:
        raise ValidationError(f"created_at: expected an aware datetime, got {created_at!r}")
    micros = (created_at - _EPOCH) // timedelta(microseconds=1)
    digest = np.frombuffer(_key_digest(micros, keys), dtype=np.uint8)[np.newaxis, :]
    raw = _uuid7_bytes(np.array([micros], dtype=np.int64), digest)
    return str(uuid.UUID(bytes=raw[0].tobytes()))


def deterministic_alert_ids(created_at: pl.Series, keys: Sequence[pl.Series]) -> pl.Series:
    """Vectorised :func:`deterministic_alert_id`: row ``i`` gets the id of ``created_at[i]``
    and ``keys[j][i]`` for each key column (String or integer columns; nulls allowed).

    Examples
    --------
    >>> at = pl.Series([datetime(2025, 1, 2, 15, 30, tzinfo=UTC)])
    >>> ids = deterministic_alert_ids(at, [pl.Series(["take_profit_full"]), pl.Series([7]),
    ...                                    pl.Series(["SPY"])])
    >>> ids.to_list() == [deterministic_alert_id(at[0], "take_profit_full", 7, "SPY")]
    True
    """
    dtype = created_at.dtype
    if not isinstance(dtype, pl.Datetime) or dtype.time_zone is None:
        raise ValidationError(f"created_at: expected an aware Datetime column, got {dtype}")
    n = created_at.len()
    if created_at.null_count():
        raise ValidationError("created_at: expected no nulls")
    if any(key.len() != n for key in keys):
        raise ValidationError(
            f"keys: expected columns of length {n}, got {[k.len() for k in keys]}"
        )
    micros = created_at.dt.epoch("us").to_numpy().astype(np.int64)
    rows = zip(*(key.to_list() for key in keys), strict=True) if keys else iter([()] * n)
    digests = b"".join(
        _key_digest(int(m), values) for m, values in zip(micros.tolist(), rows, strict=True)
    )
    raw = _uuid7_bytes(micros, np.frombuffer(digests, dtype=np.uint8).reshape(n, _DIGEST_SIZE))
    text = np.full((n, 36), ord("-"), dtype=np.uint8)
    columns = [c for c in range(36) if c not in _DASHES]
    text[:, columns[0::2]] = _HEX[raw >> 4]
    text[:, columns[1::2]] = _HEX[raw & 0x0F]
    return pl.Series("alert_id", text.view("S36").ravel()).cast(pl.String)


_DIGEST_SIZE: Final = 10  # 80 bits, of which a UUIDv7 has room for 74


def _key_digest(micros: int, keys: Sequence[object]) -> bytes:
    parts = [_key_text(key) for key in keys]
    parts.append(f"t{micros}")
    text = _ID_KEY_SEPARATOR.join(parts).encode()
    return hashlib.blake2b(text, digest_size=_DIGEST_SIZE, person=b"alertkit.id").digest()


def _key_text(value: object) -> str:
    # Typed, so None, the int 7 and the string "7" hash differently.
    if value is None:
        return "n"
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValidationError(f"keys: expected str, int or None values, got {value!r}")
    return f"i{value}" if isinstance(value, int) else f"s{value}"


def _uuid7_bytes(micros: NDArray[np.int64], digest: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """(n, 16) UUIDv7 bytes: millisecond prefix from ``micros``, the rest from ``digest``."""
    millis = (micros // 1000) & ((1 << 48) - 1)  # floor, as for instants before 1970
    raw = np.zeros((len(micros), 16), dtype=np.uint8)
    for i in range(6):  # big-endian 48-bit millisecond prefix
        raw[:, i] = (millis >> (8 * (5 - i))) & 0xFF
    raw[:, 6] = (digest[:, 0] & 0x0F) | 0x70  # version 7
    raw[:, 7] = digest[:, 1]
    raw[:, 8] = (digest[:, 2] & 0x3F) | 0x80  # RFC 9562 variant
    raw[:, 9:] = digest[:, 3:]
    return raw
