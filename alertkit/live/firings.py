"""Writing firings to the lake: new alerts and repeats, decided and committed on one table version.

One function, :func:`commit_firings`, serves a single ``create_alert`` and a whole monitoring
cycle alike. Each attempt reads the open alerts that the firings can touch from one table
version, applies the identity rules of :mod:`alertkit.live.episodes` to them, and commits every
insert and update in one MERGE on that same table version, whose read set is the open alerts of
those rules and positions (:meth:`AlertStore.merge_rows` with ``reads="open"``). A
concurrent commit that opened, repeated or closed such an alert in between makes delta-rs
refuse the MERGE, and the attempt is re-decided on the new table. So a fingerprint never has
two open alerts, no firing is counted twice or lost, and a process killed at any point leaves
either the whole commit or none of it: there is no intermediate state to repair.

Timelines never contradict themselves (docs/domain.md §6). A cycle may be dated before
events already in the lake (a stale cycle: a slow process, a replayed feed, a person who
acknowledged or resolved "now" while the cycle was deciding on an earlier instant). Such a
cycle is not refused; its events are dated no earlier than the latest event of the
fingerprint's timeline: a quiet-period (or position-gone) resolution of an alert no earlier
than the alert's creation and acknowledgement, a new alert no earlier than the close of any
alert of its fingerprint (so no two alerts of one fingerprint are ever open at one instant
by :func:`alertkit.model.lifecycle.is_open_at`), and each later event of the cycle on that
fingerprint no earlier than the one before. How many events were dated later than their
snapshot is reported (``redated``). In time-ordered cycles without people (a backtest
replayed live) nothing is ever redated, so live still equals replay.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

import polars as pl
from deltalake import DeltaTable

from alertkit.lake.store import AlertStore, audit
from alertkit.live.episodes import (
    EPISODE_SCHEMA,
    FINGERPRINT,
    OPEN_ALERT_COLUMNS,
    alert_episodes,
    resolve_event_expr,
)
from alertkit.live.outbox import Outbox
from alertkit.live.policy_marks import PolicyMarks
from alertkit.model._events import append_event_expr, history_event
from alertkit.model.alerts import FINGERPRINT as ALERT_FINGERPRINT
from alertkit.model.alerts import Alert, AlertStatus
from alertkit.model.decisions import Decision
from alertkit.model.errors import StoreError, ValidationError
from alertkit.model.mapping import decision_to_alert
from alertkit.model.schema import ALERT_SCHEMA, alert_from_row, alert_to_row
from alertkit.model.status import OPEN_STATUSES

__all__ = ["FiringsCommit", "NewRows", "commit_decision", "commit_firings", "refuse_clashes"]

NewRows = Callable[[pl.DataFrame], pl.DataFrame]
"""Makes the table rows (``ALERT_SCHEMA``) of the new alerts among some episodes."""

_KEYS: Final = list(ALERT_FINGERPRINT)


@dataclass(frozen=True, slots=True)
class FiringsCommit:
    """What one commit of firings did (frames typed as ``ALERT_SCHEMA``, as committed)."""

    new: pl.DataFrame
    """Alerts opened, in order of their first firing."""
    continued: pl.DataFrame
    """Open alerts that fired again or whose quiet period resolved them."""
    repeated: frozenset[str]
    """Ids of the ``continued`` alerts that fired again."""
    version: int | None
    """The commit's table version; None when there was nothing to write."""
    redated: int = 0
    """Events dated later than their snapshot so that no timeline contradicts itself (a
    stale cycle; see the module docstring)."""

    @property
    def written(self) -> bool:
        return self.version is not None


def commit_firings(
    store: AlertStore,
    decisions: pl.DataFrame,
    new_rows: NewRows,
    *,
    quiet_period: timedelta | None = None,
    resolved_by: str = "alertkit",
    complete: bool = False,
    last_snapshots: Mapping[int, datetime] | None = None,
    outbox: Outbox | None = None,
    marks: PolicyMarks | None = None,
    operation: str,
    subject: str,
) -> FiringsCommit:
    """Apply ``decisions`` (time order; ``as_of``, ``trigger``, ``strategy_id``, ``symbol``)
    to the lake's open alerts and commit the result in one MERGE, retrying on conflicts.

    With ``complete`` the decisions carry the whole book: every open alert of a position
    absent from their latest instant resolves (note :data:`~alertkit.live.episodes.GONE_NOTE`) at
    the position's last snapshot: its latest row in ``decisions`` if any, else
    ``last_snapshots[strategy_id]`` (what this process saw earlier), else the alert's
    ``last_seen_at`` (the latest instant the lake knows the position was there). Alerts
    without a strategy_id belong to no position and stay open.

    ``outbox`` marks the notifications the commit makes due on the rows it writes (new
    alerts, and alerts it closes), in the same MERGE (:mod:`alertkit.live.outbox`), and
    ``marks`` the policy marks of its rows (:mod:`alertkit.live.policy_marks`).

    ``operation`` and ``subject`` go into the commit's metadata (``DeltaTable.history()``).
    """

    def attempt() -> FiringsCommit:
        table = store.table()
        stored = _open_rows(table, decisions, quiet_period, complete=complete)
        end = decisions.get_column("as_of").max() if complete and decisions.height else None
        episodes = alert_episodes(
            decisions,
            quiet_period,
            open_alerts=stored.select(OPEN_ALERT_COLUMNS),
            left_before=end,  # type: ignore[arg-type]
        )
        if complete:
            episodes = pl.concat([episodes, _absent(stored, decisions, last_snapshots or {})])
        episodes, redated = _dated_in_order(episodes, stored, _closed_until(table, decisions))
        opened = episodes.filter(pl.col("alert_id").is_null())
        new = new_rows(opened) if not opened.is_empty() else pl.DataFrame(schema=ALERT_SCHEMA)
        continued = _continued_rows(stored, episodes, quiet_period, resolved_by)
        repeated = frozenset(
            continued.join(stored, on="alert_id", suffix="_before")
            .filter(pl.col("occurrences") > pl.col("occurrences_before"))
            .get_column("alert_id")
        )
        if new.is_empty() and continued.is_empty():
            return FiringsCommit(new, continued, repeated, None, redated)
        if marks is not None:  # on this attempt's rows: decided on the same table version
            new, continued = marks.apply(new, continued, repeated, decisions)
        if outbox:
            closing = pl.col("resolved_at").is_not_null()
            new = outbox.mark(outbox.mark(new, "new"), "resolved", where=closing)
            continued = outbox.mark(continued, "resolved", where=closing)
        rows = pl.concat(
            [
                new.with_columns(expected_revision=pl.lit(None, pl.Int64)),
                continued.with_columns(expected_revision=pl.col("revision") - 1),
            ]
        )
        meta = audit(operation, subject, None)
        meta["alertkit.counts"] = f"new={new.height} continued={continued.height}"
        outcome = store.merge_rows(table, rows, reads="open", custom_metadata=meta)
        if (outcome.inserted, outcome.updated) != (new.height, continued.height):
            # Cannot happen: the MERGE ran on the table version we decided on, and delta-rs refuses
            # it if a concurrent commit changed an open alert it read. Say so loudly if ever.
            raise StoreError(
                f"{subject}: planned {new.height} inserts and {continued.height} updates on"
                f" version {table.version()}, the MERGE did {outcome}"
            )
        return FiringsCommit(new, continued, repeated, outcome.version, redated)

    return store.retrying(attempt, subject)


_FIRING_SCHEMA: Final[dict[str, pl.DataType]] = {
    "as_of": ALERT_SCHEMA["created_at"],
    "trigger": pl.String(),
    "strategy_id": pl.Int64(),
    "symbol": pl.String(),
}


def commit_decision(
    store: AlertStore,
    decision: Decision,
    snapshot: Any,
    when: datetime,
    outbox: Outbox | None = None,
    marks: PolicyMarks | None = None,
) -> tuple[Alert | None, bool]:
    """One decision's firing at ``when``, committed: the alert it opened or repeated (None
    for HOLD, writing nothing) and whether it is new. The one-firing case of a cycle: the
    same identity code (:func:`commit_firings`), one commit."""
    alert = decision_to_alert(decision, snapshot, when)
    if alert is None:
        return None, False
    alert.history = [history_event(when, "create", None, AlertStatus.ACTIVE, None, None)]
    row = pl.DataFrame([alert_to_row(alert)], schema=ALERT_SCHEMA)  # encodes metadata now
    firing = pl.DataFrame(
        {
            "as_of": [when],
            "trigger": [alert.rule],
            "strategy_id": [alert.strategy_id],
            "symbol": [alert.symbol],
        },
        schema=_FIRING_SCHEMA,
    )

    def new_row(opened: pl.DataFrame) -> pl.DataFrame:
        at = opened.get_column("created_at")[0]
        if at == when:
            return row
        # Redated after a later close of its fingerprint (see the module docstring): mint
        # the alert at its new instant, so its id names its partition.
        later = decision_to_alert(decision, snapshot, at)
        assert later is not None  # the same decision, not HOLD
        later.history = [history_event(at, "create", None, AlertStatus.ACTIVE, None, None)]
        return pl.DataFrame([alert_to_row(later)], schema=ALERT_SCHEMA)

    commit = commit_firings(
        store,
        firing,
        new_row,
        outbox=outbox,
        marks=marks,
        operation="create",
        subject=alert.alert_id,
    )
    if not commit.new.is_empty():
        made = commit.new.row(0, named=True)
        if commit.redated:
            return alert_from_row(made), True
        for name in ("silenced_by", "snoozed_at", "snoozed_until"):  # the policy marks
            setattr(alert, name, made[name])
        return alert, True
    return alert_from_row(commit.continued.row(0, named=True)), False


def _open_rows(
    table: DeltaTable,
    decisions: pl.DataFrame,
    quiet_period: timedelta | None,
    *,
    complete: bool = False,
) -> pl.DataFrame:
    """The open alerts the decisions can touch: those of a firing fingerprint and, with a
    quiet period, every open alert of a position in the frame (it may resolve); with
    ``complete``, every open alert (any position may have left the book)."""
    firing = _firing_keys(decisions)
    scan = pl.scan_delta(table).select(list(ALERT_SCHEMA))
    open_now = scan.filter(pl.col("status").is_in(OPEN_STATUSES))
    if complete:
        return open_now.collect()
    # is_in filters reach the Parquet scan (file statistics prune); the semi join is exact.
    # (Python lists: polars prunes files by statistics for those, not for imploded series.)
    pushed = pl.col("rule").is_in(firing["rule"].unique().to_list())
    ids = firing["strategy_id"]
    if ids.null_count() == 0:
        pushed &= pl.col("strategy_id").is_in(ids.unique().to_list())
    wanted = open_now.filter(pushed).join(firing.lazy(), on=_KEYS, how="semi", nulls_equal=True)

    if quiet_period is not None:
        positions = decisions.get_column("strategy_id").drop_nulls().unique()
        wanted = pl.concat(
            [wanted, open_now.filter(pl.col("strategy_id").is_in(positions.to_list()))]
        ).unique("alert_id", keep="first")
    return wanted.collect()


def _firing_keys(decisions: pl.DataFrame) -> pl.DataFrame:
    return (
        decisions.filter(pl.col("trigger").is_not_null())
        .select(pl.col(ours).alias(theirs) for ours, theirs in zip(FINGERPRINT, _KEYS, strict=True))
        .unique()
    )


def _closed_until(table: DeltaTable, decisions: pl.DataFrame) -> pl.DataFrame:
    """Per firing fingerprint with closed alerts in ``table``: the latest close (``floor``).
    A new alert of that fingerprint must not open before it."""
    firing = _firing_keys(decisions)
    schema = {"trigger": pl.String(), "strategy_id": pl.Int64(), "symbol": pl.String()}
    if firing.is_empty():
        return pl.DataFrame(schema={**schema, "floor": ALERT_SCHEMA["resolved_at"]})
    pushed = ~pl.col("status").is_in(OPEN_STATUSES) & pl.col("rule").is_in(
        firing["rule"].unique().to_list()
    )
    ids = firing["strategy_id"]
    if ids.null_count() == 0:
        pushed &= pl.col("strategy_id").is_in(ids.unique().to_list())
    return (
        pl.scan_delta(table)
        .select(*_KEYS, "status", "resolved_at")
        .filter(pushed)
        .join(firing.lazy(), on=_KEYS, how="semi", nulls_equal=True)
        .group_by(_KEYS)
        .agg(floor=pl.col("resolved_at").max())
        .rename({"rule": "trigger"})
        .collect()
    )


def _absent(
    stored: pl.DataFrame, decisions: pl.DataFrame, last_snapshots: Mapping[int, datetime]
) -> pl.DataFrame:
    """Episodes resolving the open alerts of positions not in ``decisions`` at all (a cycle
    carrying the whole book): at the position's last snapshot known, never before the
    alert last fired."""
    present = decisions.get_column("strategy_id").drop_nulls().unique().to_list()
    gone = stored.filter(
        pl.col("strategy_id").is_not_null() & ~pl.col("strategy_id").is_in(present)
    )
    last = pl.DataFrame(
        {"strategy_id": list(last_snapshots), "last_snapshot": list(last_snapshots.values())},
        schema={"strategy_id": pl.Int64(), "last_snapshot": ALERT_SCHEMA["resolved_at"]},
    )
    return (
        gone.join(last, on="strategy_id", how="left")
        .select(
            pl.col("rule").alias("trigger"),
            "strategy_id",
            "symbol",
            "created_at",
            "last_seen_at",
            "occurrences",
            resolved_at=pl.max_horizontal("last_snapshot", "last_seen_at"),
            opening_row=pl.lit(None, pl.UInt32),
            alert_id=pl.col("alert_id"),
            gone=pl.lit(True),
        )
        .cast(EPISODE_SCHEMA)  # type: ignore[arg-type]
    )


def _dated_in_order(
    episodes: pl.DataFrame, stored: pl.DataFrame, closed: pl.DataFrame
) -> tuple[pl.DataFrame, int]:
    """``episodes`` with every event dated no earlier than the one before it on its
    fingerprint's timeline (see the module docstring), and how many were moved.

    Per fingerprint, in order (the lake's open alert, then the new ones by first firing),
    each creation is at least the latest event before it (``closed``' floor, the previous
    alert's resolution) and each resolution at least its alert's creation and
    acknowledgement; ``last_seen_at`` is at least ``created_at``.
    """
    if episodes.is_empty():
        return episodes, 0
    frame = (
        episodes.with_row_index("__position")
        .join(
            stored.select("alert_id", "acknowledged_at"),
            on="alert_id",
            how="left",
            maintain_order="left",
        )
        .join(closed, on=list(FINGERPRINT), how="left", nulls_equal=True, maintain_order="left")
    )
    order = frame.sort(
        *FINGERPRINT,
        pl.col("alert_id").is_null(),  # the lake's open alert first
        "opening_row",
        nulls_last=True,
    )
    latest: dict[tuple[Any, ...], datetime] = {}
    created: dict[int, datetime] = {}
    seen: dict[int, datetime] = {}
    resolved: dict[int, datetime | None] = {}
    moved = 0
    for row in order.iter_rows(named=True):
        key = tuple(row[k] for k in FINGERPRINT)
        floor = latest.get(key, row["floor"])
        start = row["created_at"]
        if row["alert_id"] is None and floor is not None and floor > start:
            start = floor
            moved += 1
        events = [start, floor, row["acknowledged_at"]]
        floor = max(t for t in events if t is not None)
        end = row["resolved_at"]
        if end is not None and end < floor:
            end = floor
            moved += 1
        latest[key] = floor if end is None else end
        created[row["__position"]] = start
        seen[row["__position"]] = max(start, row["last_seen_at"])
        resolved[row["__position"]] = end
    if not moved:
        return episodes, 0
    positions = frame.get_column("__position").to_list()
    ts = EPISODE_SCHEMA["created_at"]
    return episodes.with_columns(
        created_at=pl.Series([created[i] for i in positions], dtype=ts),
        last_seen_at=pl.Series([seen[i] for i in positions], dtype=ts),
        resolved_at=pl.Series([resolved[i] for i in positions], dtype=ts),
    ), moved


def _continued_rows(
    stored: pl.DataFrame,
    episodes: pl.DataFrame,
    quiet_period: timedelta | None,
    resolved_by: str,
) -> pl.DataFrame:
    """The new state of every stored alert an episode continues (revision moved on)."""
    changes = episodes.filter(pl.col("alert_id").is_not_null()).select(
        "alert_id", "last_seen_at", "occurrences", "resolved_at", "gone"
    )
    if changes.is_empty():
        return pl.DataFrame(schema=ALERT_SCHEMA)
    rows = stored.drop("last_seen_at", "occurrences", "resolved_at").join(
        changes, on="alert_id", how="inner"
    )
    resolved = pl.col("resolved_at").is_not_null()
    rows = rows.with_columns(
        status=pl.when(resolved).then(pl.lit(AlertStatus.RESOLVED.value)).otherwise("status"),
        # The stored status (before this change) is the resolve event's "from".
        history=pl.when(resolved)
        .then(
            append_event_expr(
                pl.col("history"),
                resolve_event_expr(
                    pl.col("resolved_at"), pl.col("status"), quiet_period, resolved_by
                ),
            )
        )
        .otherwise("history"),
        revision=pl.col("revision") + 1,
    )
    return rows.select(list(ALERT_SCHEMA))


def refuse_clashes(table: DeltaTable, rows: pl.DataFrame) -> None:
    """Refuse (``ValidationError``) a bulk insert of ``rows`` into table version ``table`` that
    repeats a stored alert id or opens a fingerprint already open there; says how many."""
    scan = pl.scan_delta(table).select(list(ALERT_SCHEMA))
    ids = rows.get_column("alert_id").implode()
    taken = scan.filter(pl.col("alert_id").is_in(ids)).select("alert_id").collect()["alert_id"]
    opening = rows.filter(pl.col("status").is_in(OPEN_STATUSES)).select(_KEYS)
    clash = (
        scan.filter(pl.col("status").is_in(OPEN_STATUSES))
        .select(_KEYS)
        .join(opening.lazy(), on=_KEYS, how="semi", nulls_equal=True)
        .collect()
    )
    problems = []
    if taken.len():
        problems.append(
            f"{taken.len()} alert ids are already in the table (e.g. {taken.head(3).to_list()})"
        )
    if clash.height:
        problems.append(
            f"{clash.height} open alerts have fingerprints (rule, strategy_id, symbol)"
            f" already open in the table: {clash.rows()[:3]}; resolve those first, or insert"
            " these closed"
        )
    if problems:
        raise ValidationError("alerts: " + "; ".join(problems) + "; nothing was written")
