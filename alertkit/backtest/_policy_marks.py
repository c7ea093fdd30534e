"""The policy columns of replayed alerts: what the live commits would have written on them.

docs/policies.md, restated over a whole backtest at once:

- ``silenced_by``: the silence covering the alert's earliest covered firing (a firing at
  ``t`` is covered by a silence active at ``t`` whose matchers match the alert), the earliest
  ``starts_at`` then the smallest id among those covering it;
- ``snoozed_at`` / ``snoozed_until``: the first snooze rule (in order) matching the alert as
  it opens snoozes it from ``created_at`` for the rule's duration;
- ``acknowledged_at`` (a replay's ``ack_delay`` d): ``created_at + d`` when that is before
  the close; the alert's status becomes ``acknowledged`` if it is still open at the end, and
  its history gets the ``acknowledge`` event (by ``backtest``) between the creation and the
  close, whose ``from`` it becomes;
- ``flapping``: the fingerprint's flap state at the alert's latest firing.

The firings of an alert are the decisions of its fingerprint between ``created_at`` and
``last_seen_at`` (a backtest's decisions); without them, only ``created_at`` and
``last_seen_at`` are known firings.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Final

import polars as pl

from alertkit.live.episodes import QUIET_RESOLVER
from alertkit.model._events import EVENT_TIME_FORMAT_POLARS, event_json_expr
from alertkit.model.alerts import FINGERPRINT, AlertStatus
from alertkit.policy import FlapDetection, Policies, Silence
from alertkit.policy.flapping import flap_states

__all__ = ["ACK_BY", "ack_note", "covering_silence", "firings", "marked", "unmarked"]

ACK_BY: Final = QUIET_RESOLVER
"""The ``by`` of an acknowledgement a replay's ``ack_delay`` writes."""

_NEXT_EVENT: Final = ',{"at":'
"""Where the second event of a history begins (a JSON string cannot hold an unescaped
quote, so this text only occurs between events)."""
_SAMPLE_TIME: Final = "2026-01-05T15:00:00.000000Z"
"""An event's ``at`` (:data:`EVENT_TIME_FORMAT`: fixed width)."""
_TS: Final = pl.Datetime("us", "UTC")


def ack_note(delay: timedelta) -> str:
    """The note on an ``ack_delay`` acknowledgement."""
    return f"ack_delay {delay}"


def firings(alerts: pl.DataFrame, decisions: pl.DataFrame | None) -> pl.DataFrame:
    """``alert_id`` and ``as_of`` of every firing of ``alerts`` (see the module docstring)."""
    if decisions is None:
        return pl.concat(
            [
                alerts.select("alert_id", as_of="created_at"),
                alerts.select("alert_id", as_of=pl.coalesce("last_seen_at", "created_at")),
            ]
        ).unique(maintain_order=True)
    fired = decisions.filter(pl.col("trigger").is_not_null()).select(
        "as_of", *FINGERPRINT[1:], rule="trigger"
    )
    return (
        alerts.select("alert_id", *FINGERPRINT, "created_at", "last_seen_at")
        .join(fired, on=list(FINGERPRINT), nulls_equal=True)
        .filter(
            (pl.col("as_of") >= pl.col("created_at"))
            & (pl.col("as_of") <= pl.coalesce("last_seen_at", "created_at"))
        )
        .select("alert_id", "as_of")
    )


def covering_silence(
    alerts: pl.DataFrame, silences: Iterable[Silence], decisions: pl.DataFrame | None
) -> pl.DataFrame:
    """``alert_id`` and ``silenced_by`` of every alert with a firing some silence covers."""
    found = []
    for silence in silences:
        matched = alerts.filter(silence.match.expr())
        if matched.is_empty():
            continue
        covered = firings(matched, decisions).filter(
            (pl.col("as_of") >= silence.starts_at) & (pl.col("as_of") < silence.ends_at)
        )
        found.append(
            covered.group_by("alert_id")
            .agg(first=pl.col("as_of").min())
            .with_columns(
                starts_at=pl.lit(silence.starts_at, dtype=_TS),
                silenced_by=pl.lit(silence.silence_id),
            )
        )
    if not found:
        return pl.DataFrame(schema={"alert_id": pl.String, "silenced_by": pl.String})
    return (
        pl.concat(found)
        .sort("alert_id", "first", "starts_at", "silenced_by")
        .unique("alert_id", keep="first", maintain_order=True)
        .select("alert_id", "silenced_by")
    )


def marked(
    alerts: pl.DataFrame, policies: Policies, decisions: pl.DataFrame | None
) -> pl.DataFrame:
    """``alerts`` (``ALERT_SCHEMA``) with the policy columns ``policies`` write; a silence's
    mark replaces the frame's ``silenced_by``, a snooze rule's its snooze, and ``ack_delay``
    acknowledges only alerts not acknowledged already. ``policies.flapping`` needs the
    ``decisions`` (the caller refuses it without)."""
    columns = alerts.columns
    silenced = covering_silence(alerts, policies.silences, decisions)
    alerts = (
        alerts.drop("silenced_by")
        .join(silenced, on="alert_id", how="left", maintain_order="left")
        .select(columns)
    )
    alerts = _snoozed(alerts, policies)
    if policies.ack_delay is not None:
        alerts = _acknowledged(alerts, policies.ack_delay)
    if policies.flapping is not None:
        assert decisions is not None
        alerts = _flapping(alerts, decisions, policies.flapping)
    return alerts


def unmarked(alerts: pl.DataFrame, policies: Policies) -> pl.DataFrame:
    """A backtest's alerts as they were before :func:`marked` with ``policies`` (a backtest
    writes no policy column of its own, so this is exact)."""
    alerts = alerts.with_columns(
        silenced_by=pl.lit(None, dtype=pl.String),
        snoozed_until=pl.lit(None, dtype=_TS),
        snoozed_at=pl.lit(None, dtype=_TS),
        flapping=pl.lit(False),
    )
    if policies.ack_delay is None:
        return alerts
    acked = pl.col("acknowledged_at").is_not_null()
    event = _ack_event(pl.col("acknowledged_at"), policies.ack_delay)
    return _rewrite_history(alerts, acked, event, insert=False).with_columns(
        status=pl.when(pl.col("status") == AlertStatus.ACKNOWLEDGED.value)
        .then(pl.lit(AlertStatus.ACTIVE.value))
        .otherwise(pl.col("status")),
        acknowledged_at=pl.lit(None, dtype=_TS),
    )


def _snoozed(alerts: pl.DataFrame, policies: Policies) -> pl.DataFrame:
    if not policies.snoozes:
        return alerts
    until: pl.Expr = pl.lit(None, dtype=_TS)
    for rule in reversed(tuple(policies.snoozes)):  # the first matching rule wins
        until = (
            pl.when(rule.match.expr()).then(pl.col("created_at") + rule.duration).otherwise(until)
        )
    return (
        alerts.with_columns(__until=until)
        .with_columns(
            snoozed_until=pl.coalesce("__until", "snoozed_until"),
            snoozed_at=pl.when(pl.col("__until").is_not_null())
            .then(pl.col("created_at"))
            .otherwise(pl.col("snoozed_at")),
        )
        .drop("__until")
    )


def _ack_event(at: pl.Expr, delay: timedelta) -> pl.Expr:
    return event_json_expr(
        at,
        "acknowledge",
        AlertStatus.ACTIVE.value,
        AlertStatus.ACKNOWLEDGED,
        ACK_BY,
        ack_note(delay),
    )


def _acknowledged(alerts: pl.DataFrame, delay: timedelta) -> pl.DataFrame:
    at = pl.col("created_at") + delay
    acks = pl.col("acknowledged_at").is_null() & (
        pl.col("resolved_at").is_null() | (at < pl.col("resolved_at"))
    )
    alerts = alerts.with_columns(
        status=pl.when(acks & (pl.col("status") == AlertStatus.ACTIVE.value))
        .then(pl.lit(AlertStatus.ACKNOWLEDGED.value))
        .otherwise(pl.col("status")),
        acknowledged_at=pl.when(acks).then(at).otherwise(pl.col("acknowledged_at")),
        __acked=acks,
    )
    event = _ack_event(pl.col("acknowledged_at"), delay)
    return _rewrite_history(alerts, pl.col("__acked"), event, insert=True).drop("__acked")


def _rewrite_history(
    alerts: pl.DataFrame, rows: pl.Expr, event: pl.Expr, *, insert: bool
) -> pl.DataFrame:
    """Insert ``event`` (the acknowledgement at ``acknowledged_at``) into the history of the
    ``rows``, in time order, or take it out; the events after it then start from (and, for
    those that keep the status, stay at) ``acknowledged`` rather than ``active``, or back.

    A history is ``[e1,e2,...]``; it is split into its events, edited, and joined again."""
    picked = alerts.with_row_index("__row").filter(rows)
    if picked.is_empty():
        return alerts
    ack_at = pl.col("acknowledged_at").dt.strftime(EVENT_TIME_FORMAT_POLARS)
    pieces = (
        picked.select(
            "__row",
            event=event,
            ack_at=ack_at,
            text=pl.col("history")
            .str.strip_prefix("[")
            .str.strip_suffix("]")
            .str.split(_NEXT_EVENT),
        )
        .explode("text")
        .with_columns(seq=pl.int_range(pl.len()).over("__row"))
        .with_columns(
            text=pl.when(pl.col("seq") == 0)
            .then(pl.col("text"))
            .otherwise(pl.concat_str(pl.lit(_NEXT_EVENT[1:]), pl.col("text")))
        )
        .with_columns(at_text=pl.col("text").str.slice(len('{"at":"'), len(_SAMPLE_TIME)))
    )
    old, new = ("active", "acknowledged") if insert else ("acknowledged", "active")
    if insert:
        after = pl.col("at_text") > pl.col("ack_at")
        added = picked.select("__row", text=event, after=pl.lit(False), seq=pl.lit(2**40, pl.Int64))
    else:
        ack_seq = pl.col("seq").filter(pl.col("text") == pl.col("event")).first()
        after = (pl.col("seq") > ack_seq.over("__row")).fill_null(False)
    edited = pieces.with_columns(after=after, seq=pl.col("seq").cast(pl.Int64))
    if not insert:
        edited = edited.filter(pl.col("text") != pl.col("event"))
    edited = edited.with_columns(
        text=pl.when(pl.col("after"))
        .then(
            pl.col("text")
            .str.replace(f'"from":"{old}"', f'"from":"{new}"', literal=True)
            .str.replace(f'"to":"{old}"', f'"to":"{new}"', literal=True)
        )
        .otherwise(pl.col("text"))
    )
    parts = edited.select("__row", "text", "after", "seq")
    if insert:
        parts = pl.concat([parts, added])
    joined = (
        parts.sort("__row", "after", "seq")
        .group_by("__row", maintain_order=True)
        .agg(pl.col("text").str.join(","))
        .select("__row", new_history=pl.concat_str(pl.lit("["), pl.col("text"), pl.lit("]")))
    )
    return (
        alerts.with_row_index("__row")
        .join(joined, on="__row", how="left", maintain_order="left")
        .with_columns(history=pl.coalesce("new_history", "history"))
        .drop("__row", "new_history")
    )


def _flapping(
    alerts: pl.DataFrame, decisions: pl.DataFrame, detection: FlapDetection
) -> pl.DataFrame:
    states = flap_states(decisions, detection).select(
        "as_of", *FINGERPRINT[1:], "flapping", rule="trigger"
    )
    return (
        alerts.drop("flapping")
        .join(
            states,
            left_on=[*FINGERPRINT, pl.coalesce("last_seen_at", "created_at")],
            right_on=[*FINGERPRINT, "as_of"],
            how="left",
            nulls_equal=True,
            maintain_order="left",
        )
        .with_columns(pl.col("flapping").fill_null(False))
        .select(alerts.columns)
    )
