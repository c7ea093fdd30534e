"""SQL literals for the few Delta predicates and updates alertkit writes.

deltalake's ``update(new_values=...)`` wraps strings in quotes without escaping them, so a
note containing ``'`` would end the literal and the rest would run as SQL. Every value that
reaches SQL text in alertkit goes through :func:`sql_literal` instead.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime

from alertkit.model._events import EVENT_TIME_FORMAT

__all__ = ["sql_literal", "sql_where"]


def sql_literal(value: object) -> str:
    """``value`` as a DataFusion SQL literal (strings quoted with ``'`` doubled)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"cannot write a non-finite float to SQL: {value!r}")
        return repr(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"cannot write a naive datetime to SQL: {value!r}")
        text = value.astimezone(UTC).strftime(EVENT_TIME_FORMAT)
        return f"arrow_cast('{text}', 'Timestamp(Microsecond, Some(\"UTC\"))')"
    if isinstance(value, date):
        return f"'{value.isoformat()}'::date"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"no SQL literal for {type(value).__name__} {value!r}")


def sql_where(equalities: dict[str, object]) -> str:
    """``col = literal AND ...`` for a conjunction of equalities on alertkit's own columns."""
    return " AND ".join(f"{column} = {sql_literal(value)}" for column, value in equalities.items())
