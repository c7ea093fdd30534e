"""The monitoring cycle: a portfolio's snapshots in, the alerts they raise committed at once.

:meth:`SyncAlertManager.run_cycle <alertkit.SyncAlertManager.run_cycle>` takes the positions
at one instant (or several instants in time order), decides every snapshot vectorized from the
same rule declarations the engine runs (:func:`alertkit.rules.evaluate_frame`), applies the
identity rules of :mod:`alertkit.live.episodes` to the lake's open alerts and commits everything in
one MERGE (:func:`alertkit.live.firings.commit_firings`). This module turns the input into the
decisions frame and the commit into a :class:`CycleResult`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

import polars as pl

from alertkit.lake.store import AlertStore
from alertkit.live.episodes import episode_alerts
from alertkit.live.firings import FiringsCommit, commit_firings
from alertkit.live.outbox import Outbox
from alertkit.live.policy_marks import PolicyMarks
from alertkit.model._time import to_utc
from alertkit.model.alerts import Alert, AlertStatus
from alertkit.model.errors import ValidationError
from alertkit.model.schema import alert_from_committed_row
from alertkit.model.snapshot import PositionSnapshot
from alertkit.model.snapshot_frames import as_polars, normalize_frame, refuse_duplicates
from alertkit.model.snapshot_rows import ROW_SCHEMA, SnapshotLike, snapshot_row
from alertkit.rules import Rule, default_rules, evaluate_frame
from alertkit.rules.peaks import PeakBook

__all__ = [
    "LIVE_RESOLVER",
    "CycleInput",
    "CycleResult",
    "check_quiet_period",
    "commit_cycle",
    "cycle_decisions",
    "cycle_result",
]

CycleInput = pl.DataFrame | pl.LazyFrame | Sequence[SnapshotLike]
"""Snapshots of one or more instants: a polars frame, or a sequence of snapshots or dicts.
A pandas DataFrame is accepted too (converted with ``pl.from_pandas``)."""


@dataclass(frozen=True, slots=True)
class CycleResult:
    """What one monitoring cycle decided and committed."""

    decisions: pl.DataFrame
    """Every snapshot, normalised, with the peak and the decision columns (``trigger`` null
    means HOLD), in time order."""
    new_alerts: tuple[Alert, ...]
    """Alerts opened by this cycle (each notified once, after the commit), ordered by
    (created_at, strategy_id, symbol, rule): the same order for the same input, whatever
    the order of its rows and the (random) ids minted."""
    repeats: tuple[Alert, ...]
    """Open alerts that fired again: their occurrences and ``last_seen_at`` moved (same
    order as ``new_alerts``)."""
    resolved: tuple[Alert, ...]
    """Alerts the quiet period resolved in this cycle, or, with ``complete=True``, whose
    position left the book (same order as ``new_alerts``)."""
    version: int | None
    """The table version of the cycle's commit; None when nothing fired or resolved."""
    redated: int = 0
    """Events of this cycle dated later than their snapshot because the alert's timeline
    had already moved past it (a stale cycle; see :mod:`alertkit.live.firings`)."""

    def summary(self) -> str:
        """One line, e.g. ``200 snapshots: 12 new, 30 repeats, 4 resolved (version 17)``."""
        text = (
            f"{self.decisions.height} snapshots: {len(self.new_alerts)} new,"
            f" {len(self.repeats)} repeats, {len(self.resolved)} resolved"
        )
        if self.redated:
            text += f", {self.redated} redated"
        return text + (f" (version {self.version})" if self.version is not None else "")


def cycle_decisions(
    snapshots: CycleInput,
    *,
    at: datetime | None,
    rules: Iterable[Rule],
    peaks: PeakBook,
    now: datetime,
) -> pl.DataFrame:
    """Decide every snapshot, in time order, with peaks carried over from ``peaks``.

    Snapshots without ``as_of`` are taken at ``at``, else at ``now``; the peaks are updated.
    """
    frame = _as_frame(snapshots)
    when = to_utc(at, "at") if at is not None else now
    frame = frame.with_columns(pl.col("as_of").fill_null(pl.lit(when, ROW_SCHEMA["as_of"])))
    # Stable: the snapshots of one instant keep their given order.
    frame = frame.sort("as_of", maintain_order=True)
    decided = evaluate_frame(frame, rules, order_by=None, prior_peaks=peaks.prior())
    peaks.observe_frame(decided)
    return decided


_ORDER: Final = ["created_at", "strategy_id", "symbol", "rule", "alert_id"]


def cycle_result(decisions: pl.DataFrame, commit: FiringsCommit) -> CycleResult:
    """The :class:`CycleResult` of a committed cycle (alerts in a deterministic order)."""
    # Rows checked and committed by this cycle: not checked again (alert_from_committed_row).
    new = [alert_from_committed_row(r) for r in commit.new.sort(_ORDER).iter_rows(named=True)]
    continued = [
        alert_from_committed_row(r) for r in commit.continued.sort(_ORDER).iter_rows(named=True)
    ]
    resolved = sorted(
        (a for a in new + continued if a.status is AlertStatus.RESOLVED), key=_sort_key
    )
    return CycleResult(
        decisions=decisions,
        new_alerts=tuple(new),
        repeats=tuple(a for a in continued if a.alert_id in commit.repeated),
        resolved=tuple(resolved),
        version=commit.version,
        redated=commit.redated,
    )


def _sort_key(alert: Alert) -> tuple[Any, ...]:
    # Nulls first, as polars sorts them (strategy_id and symbol may be unknown).
    return (
        alert.created_at,
        (alert.strategy_id is not None, alert.strategy_id or 0),
        (alert.symbol is not None, alert.symbol or ""),
        alert.rule,
        alert.alert_id,
    )


# An alert is keyed by (trigger, strategy_id, symbol): a snapshot without them cannot raise
# one, so a cycle refuses it rather than reading a broken feed as a calm book.
_REQUIRED = ("strategy_id", "symbol")


def _as_frame(snapshots: CycleInput) -> pl.DataFrame:
    """The cycle's snapshots as one normalised frame: a frame (polars, or pandas via
    ``pl.from_pandas``) and a sequence of dicts go through the same normaliser
    (:mod:`alertkit.model.snapshot_rows`) and are refused with the same messages; so are
    snapshots without strategy_id or symbol and two of one position at one instant."""
    given = as_polars(snapshots)
    if given is not None:
        frame = normalize_frame(given).collect()
        present = set(given.lazy().collect_schema().names())
    elif isinstance(snapshots, Sequence) and not isinstance(snapshots, str | bytes):
        rows: list[dict[str, Any]] = [dict(snapshot_row(s)) for s in snapshots]
        frame = pl.DataFrame(rows, schema=dict(ROW_SCHEMA))
        present = (
            set(ROW_SCHEMA) if any(isinstance(s, PositionSnapshot) for s in snapshots) else set()
        )
        present |= {key for s in snapshots if isinstance(s, Mapping) for key in s}
    else:
        raise ValidationError(
            "snapshots: expected a polars (or pandas) DataFrame or LazyFrame, or a sequence of"
            f" snapshots or dicts, got {type(snapshots).__name__}"
        )
    missing = [name for name in _REQUIRED if name not in present]
    if missing and frame.height:
        raise ValidationError(
            f"snapshots: missing required column{'s' if len(missing) != 1 else ''}"
            f" {', '.join(missing)} (an alert is keyed by strategy_id and symbol)"
        )
    for name in _REQUIRED:
        nulls = frame.get_column(name).null_count()
        if nulls:
            raise ValidationError(
                f"{name}: expected a value in every snapshot (an alert is keyed by strategy_id"
                f" and symbol), got None in {nulls} of {frame.height}"
            )
    refuse_duplicates(frame)
    return frame


LIVE_RESOLVER: Final = "alertkit"
"""The ``by`` of a resolution a live cycle makes (quiet period, a position gone)."""


def check_quiet_period(value: object) -> timedelta | None:
    """``value`` if it is a positive timedelta or None."""
    if value is None or (isinstance(value, timedelta) and value > timedelta(0)):
        return value
    raise ValidationError(f"quiet_period: expected a positive timedelta or None, got {value!r}")


def commit_cycle(
    store: AlertStore,
    snapshots: CycleInput,
    *,
    at: datetime | None,
    now: datetime,
    rules: Iterable[Rule] | None,
    quiet_period: timedelta | None,
    peaks: PeakBook,
    complete: bool,
    outbox: Outbox | None = None,
    marks: PolicyMarks | None = None,
) -> tuple[pl.DataFrame, FiringsCommit]:
    """Decide ``snapshots`` and commit what they raise, repeat and resolve in one MERGE
    (see :meth:`SyncAlertManager.run_cycle <alertkit.SyncAlertManager.run_cycle>`): the
    decisions frame and the commit.

    ``marks`` are the policy marks of the rows (:mod:`alertkit.live.policy_marks`). With
    flap detection, the decisions are counted into the stored flap state first, before the
    alerts commit: a cycle whose commit failed, run again, counts nothing twice."""
    rule_list = default_rules() if rules is None else list(rules)
    quiet_period = check_quiet_period(quiet_period)
    if not isinstance(complete, bool):
        raise ValidationError(f"complete: expected True or False, got {complete!r}")
    # The positions' last snapshots before this cycle (for those that left it).
    seen_before = peaks.last_snapshots() if complete else None
    decisions = cycle_decisions(snapshots, at=at, rules=rule_list, peaks=peaks, now=now)
    if marks is not None:
        marks = marks.evaluated(decisions)
    commit = commit_firings(
        store,
        decisions,
        lambda opened: episode_alerts(
            decisions, opened, rule_list, quiet_period, ids="random", resolved_by=LIVE_RESOLVER
        ),
        quiet_period=quiet_period,
        resolved_by=LIVE_RESOLVER,
        complete=complete,
        last_snapshots=seen_before,
        outbox=outbox,
        marks=marks,
        operation="cycle",
        subject=f"{decisions.height} snapshots",
    )
    return decisions, commit
