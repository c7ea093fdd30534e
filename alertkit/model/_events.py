"""The ``history`` column: an alert's lifecycle events, declared once, checked twice.

Each event is a JSON object with exactly the keys :data:`EVENT_KEYS`, in that order::

    {"at": "2026-01-05T15:00:00.000000Z", "action": "create", "from": null, "to": "active",
     "by": null, "note": null}

``at`` is UTC in :data:`EVENT_TIME_FORMAT` (fixed width, so text order is time order),
``action`` one of :data:`EVENT_ACTIONS`, ``from`` and ``to`` statuses (``from`` null for a
create), ``by`` and ``note`` text or null. :func:`check_history` holds a Python list of events
to this (what :class:`~alertkit.model.alerts.Alert` accepts) and :func:`dumps_history` writes it;
:func:`history_column_problems` holds a column of JSON text to the same rules, vectorised, for
bulk inserts. Readers (``scan_transitions``, DuckDB's JSON functions) can then rely on it.

This module is the one owner of the format: :func:`history_event` makes one event, and the
polars expressions write and read it for whole frames (:func:`event_json_expr`,
:func:`history_json_expr`, :func:`append_event_expr`; :func:`decode_history_expr`,
:func:`event_time_expr`), byte for byte what :func:`dumps_history` writes.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any, Final

import polars as pl

from alertkit.model._text import check_unicode
from alertkit.model.errors import ValidationError
from alertkit.model.status import AlertStatus

__all__ = [
    "EVENT_ACTIONS",
    "EVENT_KEYS",
    "EVENT_STATUSES",
    "EVENT_STRUCT",
    "EVENT_TIME_FORMAT",
    "EVENT_TIME_FORMAT_POLARS",
    "append_event_expr",
    "check_history",
    "decode_history_expr",
    "dumps_history",
    "event_json_expr",
    "event_time_expr",
    "history_column_problems",
    "history_event",
    "history_json_expr",
]

EVENT_TIME_FORMAT: Final = "%Y-%m-%dT%H:%M:%S.%fZ"
"""How transition times are written in the history JSON: fixed width, always UTC."""
EVENT_TIME_FORMAT_POLARS: Final = "%Y-%m-%dT%H:%M:%S%.6fZ"
""":data:`EVENT_TIME_FORMAT` in polars' (chrono's) spelling, where ``%f`` alone would be
nanoseconds: for ``dt.strftime`` and ``str.strptime``."""
EVENT_KEYS: Final = ("at", "action", "from", "to", "by", "note")
EVENT_ACTIONS: Final = ("create", "acknowledge", "resolve", "dismiss", "snooze", "assign")
"""Lifecycle actions; ``snooze`` and ``assign`` keep the status (``from`` equals ``to``)."""
EVENT_STATUSES: Final = tuple(s.value for s in AlertStatus)
"""The values of :class:`~alertkit.model.status.AlertStatus`: what ``from`` and ``to`` hold."""
EVENT_STRUCT: Final = pl.Struct(dict.fromkeys(EVENT_KEYS, pl.String()))
"""One event as polars reads it from the JSON (every key text; ``at`` parsed by
:func:`event_time_expr`)."""

# EVENT_TIME_FORMAT as a regular expression valid in Python and in polars (Rust) alike, the
# calendar included (no 31 April, 29 February in leap years only, no year 0), so that the
# frame check needs no parsing pass: every text it matches is a real instant.
_YEAR: Final = r"(?:[1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])"
_LEAP_YEAR: Final = (
    r"(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)"
)
_MONTH_DAY: Final = (
    r"(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)"
    r"|(?:0[13578]|1[02])-31)"
)
_TIME: Final = (
    rf"(?:{_YEAR}-{_MONTH_DAY}|{_LEAP_YEAR}-02-29)"
    r"T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\.[0-9]{6}Z"
)
_TIME_RE: Final = re.compile(rf"\A{_TIME}\Z")


def _text_or_none(value: object, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(
            f"{name}: expected a str or None, got {type(value).__name__} {value!r}"
        )
    return check_unicode(value, name)


def _one_of(value: object, allowed: tuple[str, ...], name: str) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise ValidationError(f"{name}: expected one of {', '.join(allowed)}, got {value!r}")
    return value


def _event(event: object, index: int) -> dict[str, Any]:
    where = f"history[{index}]"
    if not isinstance(event, dict):
        raise ValidationError(f"{where}: expected a dict, got {type(event).__name__} {event!r}")
    unknown = [key for key in event if key not in EVENT_KEYS]
    if unknown:
        raise ValidationError(
            f"{where}: unexpected keys {unknown!r}; expected only {', '.join(EVENT_KEYS)}"
        )
    at = event.get("at")
    if not isinstance(at, str) or not _TIME_RE.match(at):
        raise ValidationError(
            f"{where}['at']: expected a real UTC instant written like {_EXAMPLE!r}, got {at!r}"
        )
    from_status = event.get("from")
    return {
        "at": at,
        "action": _one_of(event.get("action"), EVENT_ACTIONS, f"{where}['action']"),
        "from": None
        if from_status is None
        else _one_of(from_status, EVENT_STATUSES, f"{where}['from']"),
        "to": _one_of(event.get("to"), EVENT_STATUSES, f"{where}['to']"),
        # Named as the transition's arguments: the same message whichever check sees it first.
        "by": _text_or_none(event.get("by"), "by"),
        "note": _text_or_none(event.get("note"), "note"),
    }


_EXAMPLE: Final = "2026-01-05T15:00:00.000000Z"


def check_history(history: object) -> list[dict[str, Any]]:
    """``history`` as a new list of events with the keys in :data:`EVENT_KEYS` order (absent
    ``from``, ``by``, ``note`` as None), or :class:`ValidationError` naming the event and key.

    Examples
    --------
    >>> [event] = check_history(
    ...     [{"action": "create", "at": "2026-01-05T15:00:00.000000Z", "to": "active"}]
    ... )
    >>> list(event.items())  # doctest: +NORMALIZE_WHITESPACE
    [('at', '2026-01-05T15:00:00.000000Z'), ('action', 'create'), ('from', None),
     ('to', 'active'), ('by', None), ('note', None)]
    """
    if not isinstance(history, list):
        raise ValidationError(
            f"history: expected a list of events, got {type(history).__name__} {history!r}"
        )
    return [_event(event, index) for index, event in enumerate(history)]


def dumps_history(history: object) -> str:
    """The compact JSON stored in the ``history`` column (checked by :func:`check_history`)."""
    return json.dumps(check_history(history), separators=(",", ":"))


def history_event(
    at: datetime,
    action: str,
    from_status: str | None,
    to_status: AlertStatus,
    by: str | None,
    note: str | None,
) -> dict[str, Any]:
    """One entry of an alert's ``history`` column: a lifecycle event (create, acknowledge,
    resolve, dismiss), when, from which status to which, by whom and why."""
    return {
        "at": at.astimezone(UTC).strftime(EVENT_TIME_FORMAT),
        "action": action,
        "from": from_status,
        "to": to_status.value,
        "by": by,
        "note": note,
    }


# -- the same format as polars expressions (whole frames) -------------------------------------


def _json_text(value: pl.Expr | str | None) -> pl.Expr:
    """A JSON value: a literal encoded as :func:`dumps_history` does, or a column of
    statuses (plain ASCII words, so quoting is their encoding; null is ``null``)."""
    if isinstance(value, pl.Expr):
        return pl.concat_str(pl.lit('"'), value, pl.lit('"')).fill_null(pl.lit("null"))
    return pl.lit(json.dumps(value))


def event_json_expr(
    at: pl.Expr,
    action: str,
    from_status: pl.Expr | str | None,
    to_status: AlertStatus,
    by: str | None,
    note: str | None,
) -> pl.Expr:
    """One event's JSON per row, as :func:`dumps_history` writes :func:`history_event`:
    ``at`` a UTC Datetime column, ``from_status`` a literal or a column of statuses.

    Examples
    --------
    >>> t = datetime(2026, 1, 5, 15, tzinfo=UTC)
    >>> frame = pl.DataFrame({"at": [t]}, schema={"at": pl.Datetime("us", "UTC")})
    >>> made = frame.select(event_json_expr(pl.col("at"), "create", None, AlertStatus.ACTIVE,
    ...     None, None)).item()
    >>> event = history_event(t, "create", None, AlertStatus.ACTIVE, None, None)
    >>> made == dumps_history([event])[1:-1]
    True
    """
    parts = {
        "at": pl.concat_str(pl.lit('"'), at.dt.strftime(EVENT_TIME_FORMAT_POLARS), pl.lit('"')),
        "action": _json_text(action),
        "from": _json_text(from_status),
        "to": _json_text(to_status.value),
        "by": _json_text(by),
        "note": _json_text(note),
    }
    pieces: list[pl.Expr] = []
    for i, key in enumerate(EVENT_KEYS):
        pieces += [pl.lit(("{" if i == 0 else ",") + json.dumps(key) + ":"), parts[key]]
    return pl.concat_str(*pieces, pl.lit("}"))


def history_json_expr(*events: pl.Expr) -> pl.Expr:
    """A history column of ``events`` (each from :func:`event_json_expr`), in order."""
    return pl.concat_str(pl.lit("["), pl.concat_str(*events, separator=","), pl.lit("]"))


def append_event_expr(history: pl.Expr, event: pl.Expr) -> pl.Expr:
    """``history`` (JSON text; null or ``[]`` for none) with ``event`` appended."""
    empty = history.is_null() | (history == "[]")
    return (
        pl.when(empty)
        .then(pl.concat_str(pl.lit("["), event, pl.lit("]")))
        .otherwise(pl.concat_str(history.str.strip_suffix("]"), pl.lit(","), event, pl.lit("]")))
    )


def decode_history_expr(history: pl.Expr) -> pl.Expr:
    """The history column read as a list of :data:`EVENT_STRUCT`."""
    return history.str.json_decode(pl.List(EVENT_STRUCT))


def event_time_expr(at: pl.Expr) -> pl.Expr:
    """An event's ``at`` text as a UTC Datetime (microseconds)."""
    return at.str.strptime(pl.Datetime("us"), EVENT_TIME_FORMAT_POLARS).dt.replace_time_zone("UTC")


# -- a column of history JSON (bulk inserts) -----------------------------------------------------


def _alternatives(values: tuple[str, ...]) -> str:
    return "(?:" + "|".join(re.escape(v) for v in values) + ")"


# A JSON string holding no control character unescaped and no lone surrogate escape.
_STRING: Final = (
    r'"(?:[^"\\\x00-\x1f]|\\["\\/bfnrt]|\\u(?:[0-9a-cA-Ce-fE-F][0-9a-fA-F]{3}|[dD][0-7][0-9a-fA-F]{2}'
    r"|[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}))*\""
)
_STATUS: Final = '"' + _alternatives(EVENT_STATUSES) + '"'


def _event_pattern(actions: tuple[str, ...]) -> str:
    return (
        rf'\{{"at":"{_TIME}","action":"{_alternatives(actions)}","from":(?:null|{_STATUS}),'
        rf'"to":{_STATUS},"by":(?:null|{_STRING}),"note":(?:null|{_STRING})\}}'
    )


_HISTORY: Final = rf"^\[{_event_pattern(('create',))}(?:,{_event_pattern(EVENT_ACTIONS)})*\]$"
"""A history as :func:`dumps_history` writes it, beginning with the create event."""
_ANY_EVENTS: Final = (
    rf"^\[(?:{_event_pattern(EVENT_ACTIONS)}(?:,{_event_pattern(EVENT_ACTIONS)})*)?\]$"
)


def history_column_problems(texts: pl.Series) -> dict[str, int]:
    """Problems in a column of history JSON text, each with its number of rows (empty when
    every row is fine). Every row must be what :func:`dumps_history` writes for events that
    :func:`check_history` accepts, beginning with the create event: one regular expression,
    calendar included, decides it in one pass over the column."""
    column = pl.col(texts.name)
    frame = texts.to_frame()
    nulls, bad = (
        frame.lazy()
        .select(
            nulls=column.is_null().sum(),
            bad=(column.is_not_null() & ~column.str.contains(_HISTORY)).sum(),
        )
        .collect()
        .row(0)
    )
    found = {"history is null": nulls}
    if bad:  # rare: tell a missing create event from a malformed history
        rows = frame.filter(column.is_not_null() & ~column.str.contains(_HISTORY))
        no_create = int(rows.select(column.str.contains(_ANY_EVENTS).sum()).item())
        found["history does not begin with the create event"] = no_create
        found["history is not a JSON list of alertkit events (as history_event writes them)"] = (
            bad - no_create
        )
    return {label: count for label, count in found.items() if count}
