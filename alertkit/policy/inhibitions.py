"""Inhibition: an open alert that mutes the notifications of related alerts.

Prometheus Alertmanager's inhibition rule. While an open alert matches ``source_matchers``,
the notifications of alerts that match ``target_matchers`` and have the same values of every
``equal`` field are muted; the notification log records ``inhibited`` with the source alert's
id. An alert never inhibits itself. For example, an open ``catastrophe_*`` alert on a symbol
inhibits the ``warning`` alerts of that symbol::

    Inhibition({"rule": "catastrophe_*"}, {"type": "warning"}, equal=("symbol",),
               created_by="risk", comment="a crash alert says it all")

Inhibitions are stored and managed like silences (:data:`INHIBITIONS_TABLE`, at
``<alerts table>_inhibitions``): created, listed, expired (``ends_at`` null means until
expired).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Final

import polars as pl

from alertkit.model._time import to_utc
from alertkit.model.alerts import Alert
from alertkit.model.errors import ValidationError
from alertkit.model.tables import TableSpec
from alertkit.policy._common import (
    check_interval,
    check_policy_id,
    check_text,
    new_policy_id,
    optional_utc,
)
from alertkit.policy.matchers import MATCHER_FIELDS, Matchers

__all__ = ["INHIBITIONS_TABLE", "INHIBITION_SCHEMA", "Inhibition", "check_inhibition_id"]

_TS: Final = pl.Datetime("us", "UTC")
_EPOCH: Final = datetime(1970, 1, 1)

INHIBITION_SCHEMA: Final[dict[str, pl.DataType]] = {
    "inhibition_id": pl.String(),
    "source_matchers": pl.String(),
    "target_matchers": pl.String(),
    "equal": pl.String(),
    "starts_at": _TS,
    "ends_at": _TS,
    "created_by": pl.String(),
    "comment": pl.String(),
    "created_at": _TS,
    "expired_at": _TS,
    "expired_by": pl.String(),
    "revision": pl.Int64(),
}

INHIBITIONS_TABLE: Final = TableSpec(
    name="inhibitions",
    description="alertkit inhibition rules (one row per rule; expired ones are kept)",
    schema=INHIBITION_SCHEMA,
    key="inhibition_id",
    revision="revision",
)


def check_inhibition_id(value: object, name: str = "inhibition_id") -> str:
    return check_policy_id(value, "inh", name)


def _equal(value: object) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Collection):
        raise ValidationError(f"equal: expected a list of fields, got {value!r}")
    fields = tuple(value)
    unknown = [f for f in fields if f not in MATCHER_FIELDS]
    if unknown:
        raise ValidationError(
            f"equal: unknown fields {unknown}; expected some of {', '.join(MATCHER_FIELDS)}"
        )
    return tuple(dict.fromkeys(fields))


@dataclass(frozen=True, slots=True)
class Inhibition:
    """``Inhibition(source_matchers, target_matchers, equal)``, with who and why.

    ``starts_at`` defaults to when it is stored; ``ends_at`` None means until expired.
    """

    source_matchers: Matchers | Mapping[str, Any]
    target_matchers: Matchers | Mapping[str, Any]
    equal: Collection[str] = ()
    created_by: str = "alertkit"
    comment: str = "inhibition rule"
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    inhibition_id: str = field(default_factory=lambda: new_policy_id("inh"))
    created_at: datetime | None = None
    expired_at: datetime | None = None
    expired_by: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "source_matchers", Matchers.of(self.source_matchers, "source_matchers")
        )
        object.__setattr__(
            self, "target_matchers", Matchers.of(self.target_matchers, "target_matchers")
        )
        object.__setattr__(self, "equal", _equal(self.equal))
        object.__setattr__(self, "created_by", check_text(self.created_by, "created_by"))
        object.__setattr__(self, "comment", check_text(self.comment, "comment"))
        object.__setattr__(self, "starts_at", optional_utc(self.starts_at, "starts_at"))
        object.__setattr__(self, "ends_at", optional_utc(self.ends_at, "ends_at"))
        empty = self.expired_at is not None and self.ends_at == self.starts_at  # expired early
        if self.starts_at is not None and not empty:
            check_interval(self.starts_at, self.ends_at, "inhibition")
        check_inhibition_id(self.inhibition_id)
        object.__setattr__(self, "created_at", optional_utc(self.created_at, "created_at"))
        object.__setattr__(self, "expired_at", optional_utc(self.expired_at, "expired_at"))

    @property
    def source(self) -> Matchers:
        assert isinstance(self.source_matchers, Matchers)
        return self.source_matchers

    @property
    def target(self) -> Matchers:
        assert isinstance(self.target_matchers, Matchers)
        return self.target_matchers

    @property
    def equal_fields(self) -> tuple[str, ...]:
        return tuple(self.equal)

    def is_active(self, at: datetime) -> bool:
        starts = self.starts_at or to_utc(_EPOCH, "starts_at")
        return starts <= at and (self.ends_at is None or at < self.ends_at)

    def inhibits(self, source: Alert, target: Alert) -> bool:
        """Whether open ``source`` mutes ``target`` under this rule (activity aside)."""
        return (
            source.alert_id != target.alert_id
            and self.source.matches(source)
            and self.target.matches(target)
            and all(getattr(source, f) == getattr(target, f) for f in self.equal_fields)
        )

    def expired(self, at: datetime, by: str | None) -> Inhibition:
        """This rule ended at ``at``; a pending one becomes the empty window ``[at, at)``."""
        starts = None if self.starts_at is None else min(self.starts_at, at)
        ends = at if self.ends_at is None else min(self.ends_at, at)
        return replace(self, starts_at=starts, ends_at=ends, expired_at=at, expired_by=by)

    def to_row(self, revision: int = 0) -> dict[str, Any]:
        return {
            "inhibition_id": self.inhibition_id,
            "source_matchers": self.source.to_json(),
            "target_matchers": self.target.to_json(),
            "equal": ",".join(self.equal_fields),
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
    def from_row(cls, row: Mapping[str, Any]) -> Inhibition:
        return cls(
            Matchers.from_json(row["source_matchers"]),
            Matchers.from_json(row["target_matchers"]),
            tuple(f for f in (row["equal"] or "").split(",") if f),
            created_by=row["created_by"],
            comment=row["comment"],
            starts_at=row["starts_at"],
            ends_at=row["ends_at"],
            inhibition_id=row["inhibition_id"],
            created_at=row["created_at"],
            expired_at=row["expired_at"],
            expired_by=row["expired_by"],
        )
