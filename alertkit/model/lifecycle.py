"""An alert's lifecycle state, derived in one place as polars expressions.

The table stores ``status`` beside the timestamps of the transitions that led to it
(``created_at``, ``acknowledged_at``, ``resolved_at``) and the ``history`` JSON of every
event. Because RESOLVED and DISMISSED are terminal and each timestamp records when its
transition happened (docs/domain.md §6), the status an alert had at any instant follows
exactly from those columns; so does when it was dismissed, although one ``resolved_at``
column holds both ways of closing. Every reader that asks "open?", "status then?" or
"dismissed when?" (the triage board, the charts, the triage statistics) uses these
expressions, so two views of one table never disagree under time travel.

``when=None`` means "as stored": the ``status`` column itself, so current views read one
column and stay as fast as before.

Examples
--------
>>> from datetime import UTC, datetime
>>> import polars as pl
>>> t = datetime(2026, 1, 5, 9, tzinfo=UTC)
>>> alerts = pl.DataFrame({
...     "status": ["dismissed", "resolved", "acknowledged"],
...     "created_at": [t, t, t.replace(hour=11)],
...     "acknowledged_at": [None, t.replace(hour=10), t.replace(hour=12)],
...     "resolved_at": [t.replace(hour=10), t.replace(hour=12), None],
... })
>>> eleven = t.replace(hour=11)
>>> then = alerts.select(status_at(), status_at(eleven).alias("then"), is_open_at(eleven))
>>> for row in then.rows():
...     print(row)
('dismissed', 'dismissed', False)
('resolved', 'acknowledged', True)
('acknowledged', 'active', True)
>>> alerts.select(dismissed_at().dt.hour(), resolution_at().dt.hour()).rows()
[(10, None), (None, 12), (None, None)]
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from alertkit.model._time import to_utc
from alertkit.model.alerts import AlertStatus
from alertkit.model.status import OPEN_STATUSES

__all__ = [
    "acknowledged_at",
    "closed_at",
    "dismissed_at",
    "is_open_at",
    "resolution_at",
    "status_at",
    "time_to_acknowledge_expr",
    "time_to_resolve_expr",
]

_ACTIVE = AlertStatus.ACTIVE.value
_ACKNOWLEDGED = AlertStatus.ACKNOWLEDGED.value


def _instant(when: datetime) -> pl.Expr:
    return pl.lit(to_utc(when, "when"), dtype=pl.Datetime("us", "UTC"))


def status_at(when: datetime | None = None) -> pl.Expr:
    """The status each alert had at instant ``when`` (null if not yet created then).

    Reads ``status``, ``created_at``, ``acknowledged_at`` and ``resolved_at``. An alert
    closed by ``when`` has its stored (terminal) status; an open one is acknowledged from
    ``acknowledged_at`` on, if the stored status says it ever was. Every event at or before
    ``when`` counts, as replaying the ``history`` up to ``when`` would.

    Parameters
    ----------
    when
        The instant (a naive datetime is local time); None for the stored status.

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> import polars as pl
    >>> t = datetime(2026, 1, 5, 9, tzinfo=UTC)
    >>> row = pl.DataFrame({"status": ["resolved"], "created_at": [t],
    ...     "acknowledged_at": [t.replace(hour=10)], "resolved_at": [t.replace(hour=12)]})
    >>> [row.select(status_at(t.replace(hour=h))).item() for h in (8, 9, 10, 12)]
    [None, 'active', 'acknowledged', 'resolved']
    >>> row.select(status_at()).item()
    'resolved'
    """
    status = pl.col("status")
    if when is None:
        return status.alias("status")
    at = _instant(when)
    closed = pl.col("resolved_at") <= at
    # Only an alert whose stored status passed through ACKNOWLEDGED was acknowledged; the
    # terminal ones tell by acknowledged_at, which only the acknowledge transition sets.
    acknowledged = (status != _ACTIVE) & (pl.col("acknowledged_at") <= at)
    return (
        pl.when(pl.col("created_at") > at)
        .then(pl.lit(None, dtype=pl.String))
        .when(closed.fill_null(False))
        .then(status)
        .when(acknowledged.fill_null(False))
        .then(pl.lit(_ACKNOWLEDGED))
        .otherwise(pl.lit(_ACTIVE))
        .alias("status")
    )


def is_open_at(when: datetime | None = None) -> pl.Expr:
    """Whether each alert was open (active or acknowledged) at ``when``.

    With ``when`` it reads only ``created_at`` and ``resolved_at`` (so it also works on a
    frame without ``status``), and equals ``status_at(when)`` being an open status; with
    None it is the stored ``status`` being open.

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> import polars as pl
    >>> t = datetime(2026, 1, 5, 9, tzinfo=UTC)
    >>> row = pl.DataFrame({"created_at": [t], "resolved_at": [t.replace(hour=12)]})
    >>> [row.select(is_open_at(t.replace(hour=h))).item() for h in (8, 9, 11, 12)]
    [False, True, True, False]
    """
    if when is None:
        return pl.col("status").is_in(OPEN_STATUSES).alias("open")
    at = _instant(when)
    return (
        (pl.col("created_at") <= at)
        & (pl.col("resolved_at").is_null() | (pl.col("resolved_at") > at))
    ).alias("open")


def acknowledged_at(when: datetime | None = None) -> pl.Expr:
    """When each alert was acknowledged (null if never, or not yet at ``when``)."""
    return _by(pl.col("acknowledged_at"), when).alias("acknowledged_at")


def closed_at(when: datetime | None = None) -> pl.Expr:
    """When each alert was resolved or dismissed (null while open, or not yet closed at
    ``when``): the stored ``resolved_at``, which records either way of closing."""
    return _by(pl.col("resolved_at"), when).alias("closed_at")


def dismissed_at(when: datetime | None = None) -> pl.Expr:
    """When each dismissed alert was dismissed (null for every other alert, and for one
    not yet dismissed at ``when``).

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> import polars as pl
    >>> t = datetime(2026, 1, 5, 9, tzinfo=UTC)
    >>> pl.DataFrame({"status": ["dismissed", "resolved"], "resolved_at": [t, t]}).select(
    ...     dismissed_at().is_not_null()
    ... ).to_series().to_list()
    [True, False]
    """
    return _by(_closed_as(AlertStatus.DISMISSED), when).alias("dismissed_at")


def resolution_at(when: datetime | None = None) -> pl.Expr:
    """When each resolved alert was resolved (null for every other alert, dismissed ones
    included: a dismissal is not a resolution; and for one not yet resolved at ``when``)."""
    return _by(_closed_as(AlertStatus.RESOLVED), when).alias("resolution_at")


def _by(instant: pl.Expr, when: datetime | None) -> pl.Expr:
    if when is None:
        return instant
    return pl.when(instant <= _instant(when)).then(instant)


def _closed_as(status: AlertStatus) -> pl.Expr:
    return pl.when(pl.col("status") == status.value).then(pl.col("resolved_at"))


def time_to_acknowledge_expr(when: datetime | None = None) -> pl.Expr:
    """How long each alert waited to be acknowledged: ``acknowledged_at - created_at``, a
    Duration (null if it never was, or not yet at ``when``). The one definition the triage
    statistics, the charts and the board's header measure.

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> import polars as pl
    >>> t = datetime(2026, 1, 5, 9, tzinfo=UTC)
    >>> frame = pl.DataFrame({"created_at": [t, t], "acknowledged_at": [t.replace(hour=11), None]})
    >>> frame.select(time_to_acknowledge_expr().dt.total_hours()).to_series().to_list()
    [2, None]
    """
    return (acknowledged_at(when) - pl.col("created_at")).alias("time_to_acknowledge")


def time_to_resolve_expr(when: datetime | None = None) -> pl.Expr:
    """How long each *resolved* alert took to resolve (``resolution_at - created_at``, null
    for open and dismissed ones: a dismissal is not a resolution)."""
    return (resolution_at(when) - pl.col("created_at")).alias("time_to_resolve")
