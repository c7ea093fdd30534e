"""What each subscription would be told at each cycle, computed on arrays (the dry run's core).

The rules are those of live delivery (:mod:`alertkit.notify`), restated over a whole history
at once. Cycles are the instants ``c[0] < c[1] < ...`` at which the book is decided; an
instant ``x`` is first seen by the cycle ``searchsorted(c, x, "left")``, the first
``c[i] >= x`` (so an alert created at a cycle instant is seen by that cycle):

- ``new``: at the cycle that first sees ``created_at``;
- ``resolved``: at the cycle that first sees ``resolved_at`` (resolved or dismissed), for a
  subscription whose ``reasons`` include it. An alert closed because its position left the
  history (note :data:`~alertkit.live.episodes.GONE_NOTE`) is dated at the position's last
  snapshot, but live learns of it only at the next cycle, the first without the position:
  that cycle is its close;
- ``reminder``: at the first cycle at or after ``last_told + repeat_interval`` while the
  alert is open and unacknowledged there (``acknowledged_at`` null or after it, and the
  cycle before its close), ``last_told`` being the previous new or reminder notification's
  cycle.

New and resolved items are one vectorised selection each. Reminders advance every alert due
one step per round (each round a single ``searchsorted`` over the alerts still due), so the
rounds number the most reminders any one alert gets, not the alerts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

from alertkit.live.episodes import GONE_NOTE
from alertkit.model.alerts import Alert
from alertkit.model.schema import alert_from_row
from alertkit.notify.notification import REASONS, Reason
from alertkit.notify.subscriptions import Subscription

__all__ = ["DueAlerts", "due_items"]

Ints = npt.NDArray[np.int64]

_NEVER: Final = np.iinfo(np.int64).max
_MICROSECOND: Final = timedelta(microseconds=1)
REASON_CODE: Final[dict[Reason, int]] = {reason: i for i, reason in enumerate(REASONS)}


def _micros(column: pl.Series) -> Ints:
    # Null instants (never acknowledged, never closed) become "after every cycle".
    return column.dt.epoch("us").fill_null(_NEVER).to_numpy().astype(np.int64)


@dataclass(frozen=True, slots=True)
class DueAlerts:
    """The alerts as arrays: what every subscription's items are selected from.

    ``told`` and ``closed`` are cycle indices (``len(cycles)`` = after the last cycle, i.e.
    never within the dry run); ``stop`` is the first instant at which reminders stop
    (acknowledged or closed, whichever comes first).
    """

    cycles: Ints
    told: Ints
    closed: Ints
    stop: Ints
    kind: Ints
    """Index of each alert's (severity, type) pair in ``samples``."""
    samples: tuple[Alert, ...]
    """One :class:`~alertkit.Alert` per (severity, type) pair present, for ``wants``."""

    @classmethod
    def of(cls, alerts: pl.DataFrame, cycles: Ints) -> DueAlerts:
        """Arrays of ``alerts`` (ALERT_SCHEMA, checked) against the cycle instants (us)."""
        closed_at = alerts["resolved_at"]
        acknowledged = _micros(alerts["acknowledged_at"])
        gone = alerts["history"].str.contains(json.dumps(GONE_NOTE), literal=True).to_numpy()
        # the close's cycle: the first that sees resolved_at, or for a position that left,
        # the first after it (see the module docstring)
        closed = np.where(
            closed_at.is_null().to_numpy(),
            len(cycles),
            np.where(
                gone,
                np.searchsorted(cycles, _micros(closed_at), "right"),
                np.searchsorted(cycles, _micros(closed_at), "left"),
            ),
        ).astype(np.int64)
        closed_seen = np.where(
            closed < len(cycles), cycles[np.minimum(closed, len(cycles) - 1)], _NEVER
        )
        kinds = alerts.select(
            (pl.struct("severity", "type").rank("dense").cast(pl.Int64) - 1).alias("kind")
        ).with_row_index("row")
        # wants() reads only the severity and the type of an alert (besides the reason), so
        # one real alert of each pair asks it for all alerts of that pair: the filter keeps
        # one owner (Subscription.wants) and the selection stays vectorised.
        firsts = kinds.group_by("kind").agg(pl.col("row").first()).sort("kind")
        samples = tuple(alert_from_row(alerts.row(r, named=True)) for r in firsts["row"])
        return cls(
            cycles=cycles,
            told=np.searchsorted(cycles, _micros(alerts["created_at"]), "left").astype(np.int64),
            closed=closed,
            stop=np.minimum(acknowledged, closed_seen),
            kind=kinds["kind"].to_numpy().astype(np.int64),
            samples=samples,
        )

    def wanted(
        self, subscription: Subscription, reasons: tuple[Reason, ...]
    ) -> npt.NDArray[np.bool_]:
        """Which alerts ``subscription`` hears of for any of ``reasons`` (its filters)."""
        kinds = [
            k
            for k, alert in enumerate(self.samples)
            if any(subscription.wants(alert, reason) for reason in reasons)
        ]
        return np.isin(self.kind, np.asarray(kinds, dtype=np.int64))


def due_items(due: DueAlerts, subscription: Subscription) -> pl.DataFrame:
    """One row per (alert, cycle, reason) ``subscription`` would be told of: ``row`` (the
    alert's row in the frame), ``cycle`` (index) and ``reason`` (code in :data:`REASONS`)."""
    n = len(due.cycles)
    parts: list[tuple[Ints, Ints, int]] = []
    seen = due.told < n
    new = np.flatnonzero(seen & due.wanted(subscription, ("new",)))
    parts.append((new, due.told[new], REASON_CODE["new"]))
    if "resolved" in subscription.reasons:
        closed = np.flatnonzero((due.closed < n) & due.wanted(subscription, ("resolved",)))
        parts.append((closed, due.closed[closed], REASON_CODE["resolved"]))
    if subscription.repeat_interval is not None:
        reminded = np.flatnonzero(seen & due.wanted(subscription, ("reminder",)))
        interval = subscription.repeat_interval // _MICROSECOND
        parts.extend(
            (rows, cycles, REASON_CODE["reminder"])
            for rows, cycles in _reminders(due, reminded, interval)
        )
    return pl.DataFrame(
        {
            "row": np.concatenate([rows for rows, _, _ in parts]),
            "cycle": np.concatenate([cycles for _, cycles, _ in parts]),
            "reason": np.concatenate(
                [np.full(len(rows), code, dtype=np.int64) for rows, _, code in parts]
            ),
        },
        schema={"row": pl.Int64, "cycle": pl.Int64, "reason": pl.Int64},
    )


def _reminders(due: DueAlerts, rows: Ints, interval: int) -> list[tuple[Ints, Ints]]:
    """Each round's reminders: the alerts still due after their last notification."""
    rounds: list[tuple[Ints, Ints]] = []
    last = due.told[rows]  # the new notification's cycle counts as the last told
    last_cycle = len(due.cycles) - 1
    while len(rows):
        after = np.searchsorted(due.cycles, due.cycles[last] + interval, "left")
        # The clip only keeps the gather in bounds: past the end, `after <= last_cycle` fails.
        at = due.cycles[np.minimum(after, last_cycle)]
        keep = (after <= last_cycle) & (at < due.stop[rows])
        rows, last = rows[keep], after[keep].astype(np.int64)
        rounds.append((rows, last))
    return rounds
