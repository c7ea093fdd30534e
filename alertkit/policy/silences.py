"""Silences: a time window during which matching alerts are recorded but not notified.

Prometheus Alertmanager's silence: matchers (:mod:`alertkit.policy.matchers`), a window
``[starts_at, ends_at)``, who made it and why. While a silence is active:

- a firing it covers is still recorded as an alert (nothing is lost), and the alert names the
  silence in ``silenced_by`` (the first silence, by start, that covered one of its firings);
- no notification of a matching alert is sent: the notification log records ``suppressed``
  with the silence's id.

Expiring a silence ends it now (``ends_at`` becomes the expiry time; the silence is kept, so
``list_silences(include_expired=True)`` and ``silences_matching`` still show it). When a silence
ends, its alerts that are still open notify once, with reason ``silence_ended``.

Silences are rows of a Delta table beside the alerts (:data:`SILENCES_TABLE`, at
``<alerts table>_silences``), written with the same conditional MERGE as the alerts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Final, Literal

import polars as pl

from alertkit.model._time import to_utc
from alertkit.model.alerts import Alert
from alertkit.model.tables import TableSpec
from alertkit.policy._common import (
    check_interval,
    check_policy_id,
    check_text,
    new_policy_id,
    optional_utc,
)
from alertkit.policy.matchers import Matchers

__all__ = [
    "DEFAULT_MAX_SHARE",
    "SILENCES_TABLE",
    "SILENCE_SCHEMA",
    "Silence",
    "SilenceState",
    "check_silence_id",
]

_TS: Final = pl.Datetime("us", "UTC")

DEFAULT_MAX_SHARE: Final = 0.5
"""A silence that would match more than this share of the open alerts needs ``confirm=True``
(Alertmanager #3492: a silence that is too broad hides what matters)."""

SilenceState = Literal["pending", "active", "expired"]

SILENCE_SCHEMA: Final[dict[str, pl.DataType]] = {
    "silence_id": pl.String(),
    "matchers": pl.String(),
    "starts_at": _TS,
    "ends_at": _TS,
    "created_by": pl.String(),
    "comment": pl.String(),
    "created_at": _TS,
    "expired_at": _TS,
    "expired_by": pl.String(),
    "revision": pl.Int64(),
}

SILENCES_TABLE: Final = TableSpec(
    name="silences",
    description="alertkit silences (one row per silence; expired ones are kept)",
    schema=SILENCE_SCHEMA,
    key="silence_id",
    revision="revision",
)


def check_silence_id(value: object, name: str = "silence_id") -> str:
    return check_policy_id(value, "sil", name)


@dataclass(frozen=True, slots=True)
class Silence:
    """A silence: ``Silence(matchers, starts_at, ends_at, created_by, comment)``.

    ``matchers`` is a dict such as ``{"symbol": "SPY", "rule": "=~vix_.*"}``; ``starts_at``
    and ``ends_at`` bound the window (naive datetimes are local time); ``created_by`` and
    ``comment`` are required, as in Alertmanager. Every argument is checked here: an end
    before the start, an empty matcher set, an unknown field or an invalid regex raise
    ``ValidationError``.
    """

    matchers: Matchers | Mapping[str, Any]
    starts_at: datetime
    ends_at: datetime
    created_by: str
    comment: str
    silence_id: str = field(default_factory=lambda: new_policy_id("sil"))
    created_at: datetime | None = None
    expired_at: datetime | None = None
    expired_by: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "matchers", Matchers.of(self.matchers))
        object.__setattr__(self, "starts_at", to_utc(self.starts_at, "starts_at"))
        object.__setattr__(self, "ends_at", to_utc(self.ends_at, "ends_at"))
        if not (self.expired_at is not None and self.ends_at == self.starts_at):
            check_interval(self.starts_at, self.ends_at, "silence")  # (empty once expired early)
        object.__setattr__(self, "created_by", check_text(self.created_by, "created_by"))
        object.__setattr__(self, "comment", check_text(self.comment, "comment"))
        check_silence_id(self.silence_id)
        object.__setattr__(self, "created_at", optional_utc(self.created_at, "created_at"))
        object.__setattr__(self, "expired_at", optional_utc(self.expired_at, "expired_at"))

    @property
    def match(self) -> Matchers:
        assert isinstance(self.matchers, Matchers)
        return self.matchers

    def state(self, at: datetime) -> SilenceState:
        if at < self.starts_at:
            return "pending"
        return "active" if at < self.ends_at else "expired"

    def is_active(self, at: datetime) -> bool:
        return self.starts_at <= at < self.ends_at

    def covers(self, alert: Alert, at: datetime) -> bool:
        """Whether this silence is active at ``at`` and matches ``alert``."""
        return self.is_active(at) and self.match.matches(alert)

    def expired(self, at: datetime, by: str | None) -> Silence:
        """This silence ended at ``at`` (no later than it would have ended); a pending one
        becomes the empty window ``[at, at)``, as Alertmanager expires a pending silence."""
        starts = min(self.starts_at, at)
        ends = min(self.ends_at, at)
        return replace(self, starts_at=starts, ends_at=ends, expired_at=at, expired_by=by)

    def to_row(self, revision: int = 0) -> dict[str, Any]:
        return {
            "silence_id": self.silence_id,
            "matchers": self.match.to_json(),
            "starts_at": self.starts_at,
            "ends_at": self.ends_at,
            "created_by": self.created_by,
            "comment": self.comment,
            "created_at": self.created_at,
            "expired_at": self.expired_at,
            "expired_by": self.expired_by,
            "revision": revision,
        }

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Silence:
        return cls(
            Matchers.from_json(row["matchers"]),
            row["starts_at"],
            row["ends_at"],
            row["created_by"],
            row["comment"],
            silence_id=row["silence_id"],
            created_at=row["created_at"],
            expired_at=row["expired_at"],
            expired_by=row["expired_by"],
        )
