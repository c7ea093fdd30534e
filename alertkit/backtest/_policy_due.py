"""What each subscription is due at each cycle under policies, and what the stages mute.

The dues of :mod:`alertkit.backtest._due` (new, resolved, reminder) and those the policies
derive (docs/policies.md), each at the first cycle at or after its event:

- ``silence_ended``: at the first cycle at or after a silence's ``ends_at``, every alert it
  marked (``silenced_by``) still open then, to each handler that hears of ``new``
  (:data:`~alertkit.notify.subscriptions.FOLLOW_NEW`);
- ``escalated``: at the first cycle at or after ``created_at`` plus the timeout of the alert's
  severity, if it is still ACTIVE then (neither acknowledged nor closed by that cycle), to the
  handlers the escalation names whose filters accept it (:meth:`Subscription.accepts`);
- ``flapping_started`` / ``flapping_stopped``: at the evaluation where a fingerprint starts
  (stops) flapping, its latest alert created at or before it, to each handler that hears of
  ``new``;
- ``reminder``: as live (:mod:`alertkit.live.reminders`), every ``repeat_interval`` from the
  last time the handler was told (a ``new`` or ``reminder``, muted or not: a muted one is
  logged, and counts; else the alert's creation), never at the cycle that first sees the
  alert (live holds reminders while its ``new`` is pending), until the alert is acknowledged
  or closed.

Every due passes the stages (:class:`~alertkit.backtest._mutes.Mutes`); the muted ones are
returned apart, with why, and only the rest are grouped into notifications.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

from alertkit.backtest._due import REASON_CODE, DueAlerts
from alertkit.backtest._mutes import STAGES, Mutes
from alertkit.model.alerts import FINGERPRINT
from alertkit.notify.notification import REASONS, Reason
from alertkit.notify.subscriptions import Subscription
from alertkit.policy import Policies
from alertkit.policy.flapping import flap_states, flap_transitions

__all__ = ["SUPPRESSED_SCHEMA", "PolicyDues", "policy_items", "policy_plan", "suppressed_frame"]

Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]

_TS: Final = pl.Datetime("us", "UTC")
_MICROSECOND: Final = timedelta(microseconds=1)
_EMPTY: Final = np.zeros(0, dtype=np.int64)

SUPPRESSED_SCHEMA: Final[dict[str, pl.DataType]] = {
    "handler": pl.String(),
    "reason": pl.String(),
    "at": _TS,
    "day": pl.Date(),
    "alert_id": pl.String(),
    "rule": pl.String(),
    "outcome": pl.String(),
    "why": pl.String(),
}
"""The columns of :attr:`NotificationDryRun.suppressed`: one row per muted due (alert,
handler, reason, cycle), ``outcome`` ``inhibited`` for the inhibition stage and
``suppressed`` for the others, ``why`` as the live notification log writes it."""


def _micros(column: pl.Series) -> Ints:
    return column.dt.epoch("us").to_numpy().astype(np.int64)


def _mask(due: DueAlerts, keep: Sequence[int]) -> Bools:
    return np.isin(due.kind, np.asarray(keep, dtype=np.int64))


def accepting(due: DueAlerts, subscription: Subscription) -> Bools:
    """Which alerts ``subscription``'s severity and type filters accept."""
    return _mask(due, [k for k, a in enumerate(due.samples) if subscription.accepts(a)])


def wanting(due: DueAlerts, subscription: Subscription, reason: Reason) -> Bools:
    """Which alerts ``subscription`` hears of for ``reason``."""
    return _mask(due, [k for k, a in enumerate(due.samples) if subscription.wants(a, reason)])


@dataclass(frozen=True, slots=True)
class PolicyDues:
    """The derived dues of every alert, before the handlers' filters: (rows, cycles)."""

    created: Ints
    """Each alert's ``created_at`` (microseconds): the base of a reminder never told."""
    silence_ended: tuple[Ints, Ints]
    escalated: tuple[Ints, Ints]
    flap: tuple[Ints, Ints, Ints]
    """Rows, cycles and reason codes of the flap news."""
    escalation_handlers: frozenset[str]

    @classmethod
    def of(
        cls,
        alerts: pl.DataFrame,
        due: DueAlerts,
        policies: Policies,
        flaps: pl.DataFrame | None,
    ) -> PolicyDues:
        n = len(due.cycles)
        seen = np.arange(len(alerts))
        ended_rows, ended_cycles = [], []
        marks = alerts["silenced_by"].to_numpy()
        for s in policies.silences:
            end = int(np.searchsorted(due.cycles, _micros(pl.Series([s.ends_at]))[0], "left"))
            if end >= n:
                continue
            rows = seen[(marks == s.silence_id) & (due.told <= end) & (end < due.closed)]
            ended_rows.append(rows)
            ended_cycles.append(np.full(len(rows), end, dtype=np.int64))
        created = _micros(alerts["created_at"])
        escalated: tuple[Ints, Ints] = (_EMPTY, _EMPTY)
        handlers: frozenset[str] = frozenset()
        if policies.escalation is not None:
            handlers = frozenset(policies.escalation.handlers)
            timeouts = policies.escalation.timeout_micros()
            after = alerts["severity"].replace_strict(timeouts, default=None, return_dtype=pl.Int64)
            has = after.is_not_null().to_numpy()
            at = np.searchsorted(due.cycles, created + after.fill_null(0).to_numpy(), "left")
            # ACTIVE at that cycle: before both the acknowledgement and the close's cycle
            active = has & (at < n)
            active &= due.cycles[np.minimum(at, n - 1)] < due.stop
            rows = seen[active]
            escalated = (rows, at[active].astype(np.int64))
        return cls(
            created=created,
            silence_ended=(_cat(ended_rows), _cat(ended_cycles)),
            escalated=escalated,
            flap=_flap_news(alerts, due, flaps),
            escalation_handlers=handlers,
        )


def _cat(parts: list[Ints]) -> Ints:
    return np.concatenate(parts).astype(np.int64) if parts else _EMPTY


def _flap_news(
    alerts: pl.DataFrame, due: DueAlerts, flaps: pl.DataFrame | None
) -> tuple[Ints, Ints, Ints]:
    if flaps is None:
        return _EMPTY, _EMPTY, _EMPTY
    changes = flap_transitions(flaps).rename({"trigger": "rule"})
    news = (
        changes.join(
            alerts.with_row_index("row").select("row", *FINGERPRINT, "created_at", "alert_id"),
            on=list(FINGERPRINT),
            nulls_equal=True,
        )
        .filter(pl.col("created_at") <= pl.col("as_of"))
        .sort("as_of", "created_at", "alert_id")
        .group_by(*FINGERPRINT, "as_of", "reason", maintain_order=True)
        .agg(pl.col("row").last())
    )
    cycles = np.searchsorted(due.cycles, _micros(news["as_of"]), "left").astype(np.int64)
    codes = news["reason"].replace_strict(REASON_CODE, return_dtype=pl.Int64).to_numpy()
    return news["row"].to_numpy().astype(np.int64), cycles, codes.astype(np.int64)


def policy_items(due: DueAlerts, subscription: Subscription, dues: PolicyDues) -> pl.DataFrame:
    """One row per (alert, cycle, reason) due to ``subscription``, muted or not: ``row``,
    ``cycle`` and ``reason`` (code in :data:`REASONS`)."""
    n = len(due.cycles)
    seen = due.told < n
    parts: list[tuple[Ints, Ints, Ints]] = []

    def add(rows: Ints, cycles: Ints, reason: Reason | Ints) -> None:
        codes = reason if isinstance(reason, np.ndarray) else REASON_CODE[reason]
        parts.append((rows, cycles, np.broadcast_to(codes, rows.shape).astype(np.int64)))

    hears_new = seen & wanting(due, subscription, "new")
    new = np.flatnonzero(hears_new)
    add(new, due.told[new], "new")
    if "resolved" in subscription.reasons:
        closed = np.flatnonzero((due.closed < n) & wanting(due, subscription, "resolved"))
        add(closed, due.closed[closed], "resolved")
    if subscription.repeat_interval is not None:
        reminded = np.flatnonzero(seen & wanting(due, subscription, "reminder"))
        for rows, cycles in _reminders(due, dues, reminded, hears_new, subscription):
            add(rows, cycles, "reminder")
    rows, cycles = dues.silence_ended
    keep = wanting(due, subscription, "silence_ended")[rows]
    add(rows[keep], cycles[keep], "silence_ended")
    if subscription.name in dues.escalation_handlers:
        rows, cycles = dues.escalated
        keep = accepting(due, subscription)[rows]
        add(rows[keep], cycles[keep], "escalated")
    rows, cycles, codes = dues.flap
    for reason in ("flapping_started", "flapping_stopped"):
        keep = (codes == REASON_CODE[reason]) & wanting(due, subscription, reason)[rows]
        add(rows[keep], cycles[keep], reason)
    return pl.DataFrame(
        {
            "row": np.concatenate([p[0] for p in parts]),
            "cycle": np.concatenate([p[1] for p in parts]),
            "reason": np.concatenate([p[2] for p in parts]),
        },
        schema={"row": pl.Int64, "cycle": pl.Int64, "reason": pl.Int64},
    )


def _reminders(
    due: DueAlerts,
    dues: PolicyDues,
    rows: Ints,
    hears_new: Bools,
    subscription: Subscription,
) -> list[tuple[Ints, Ints]]:
    """The reminders of ``rows``, one per round, whether a stage mutes them or not: a muted
    reminder still counts as told (as live, where its ``suppressed`` row is the last told),
    so a muted alert is logged once per interval, not at every cycle."""
    assert subscription.repeat_interval is not None
    interval = subscription.repeat_interval // _MICROSECOND
    last_cycle = len(due.cycles) - 1
    told_at = due.told[rows]
    base = np.where(
        hears_new[rows], due.cycles[np.minimum(told_at, last_cycle)], dues.created[rows]
    )
    # reminders are due at cycles before this one (acknowledged or closed)
    stop = np.searchsorted(due.cycles, due.stop[rows], "left").astype(np.int64)
    # never at the cycle of the creation: live holds reminders while the new is pending
    floor = told_at + 1
    found: list[tuple[Ints, Ints]] = []
    while len(rows):
        at = np.searchsorted(due.cycles, base + interval, "left").astype(np.int64)
        at = np.maximum(at, floor)
        keep = at < stop
        rows, at, stop, floor = rows[keep], at[keep], stop[keep], floor[keep]
        found.append((rows, at))
        base = due.cycles[np.minimum(at, last_cycle)]
    return found


def suppressed_frame(
    resolved: pl.DataFrame, alerts: pl.DataFrame, handlers: Sequence[str], at: pl.DataFrame
) -> pl.DataFrame:
    """The muted items of ``resolved`` (with ``order``, the handler's index) as
    :data:`SUPPRESSED_SCHEMA` rows, by cycle, handler order, reason and alert id."""
    muted = resolved.filter(pl.col("stage").is_not_null())
    names = pl.Series(list(handlers), dtype=pl.String)
    return (
        muted.with_columns(
            handler=names.gather(muted["order"]),
            alert_id=alerts["alert_id"].gather(muted["row"]),
            rule=alerts["rule"].gather(muted["row"]),
        )
        .join(at, on="cycle", how="left")
        .sort("cycle", "order", "reason", "alert_id")
        .select(
            "handler",
            pl.col("reason").replace_strict(
                list(REASON_CODE.values()), list(REASONS), return_dtype=pl.String
            ),
            "at",
            day=pl.col("at").dt.date(),
            alert_id="alert_id",
            rule="rule",
            outcome=pl.when(pl.col("stage") == STAGES.index("inhibition"))
            .then(pl.lit("inhibited"))
            .otherwise(pl.lit("suppressed")),
            why="why",
        )
    )


def policy_plan(
    alerts: pl.DataFrame,
    due: DueAlerts,
    subs: list[Subscription],
    policies: Policies,
    decisions: pl.DataFrame | None,
    at: pl.DataFrame,
) -> tuple[list[pl.DataFrame], pl.DataFrame]:
    """Each subscription's items that no stage mutes, and the muted ones as rows."""
    flaps = None
    if policies.flapping is not None:
        assert decisions is not None
        flaps = flap_states(decisions, policies.flapping)
    mutes = Mutes.of(alerts, due, policies, flaps)
    dues = PolicyDues.of(alerts, due, policies, flaps)
    every = pl.concat(
        [
            policy_items(due, sub, dues).with_columns(order=pl.lit(i, pl.Int64))
            for i, sub in enumerate(subs)
        ]
    )
    resolved = mutes.resolve(every)
    kept = resolved.filter(pl.col("stage").is_null())
    items = [
        kept.filter(pl.col("order") == i).select("row", "cycle", "reason") for i in range(len(subs))
    ]
    return items, suppressed_frame(resolved, alerts, [s.name for s in subs], at)
