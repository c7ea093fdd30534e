"""Writing firings to the lake: new alerts and repeats, decided and committed on one snapshot.

One function, :func:`commit_firings`, serves a single ``create_alert`` and a whole monitoring
cycle alike. Each attempt reads the open alerts that the firings can touch from one table
snapshot, applies the identity rules of :mod:`alertkit.episodes` to them, and commits every
insert and update in one MERGE on that same snapshot, whose read set is the open alerts of
those rules and positions (:meth:`AlertStore.merge_alerts` with ``reads="open"``). A
concurrent commit that opened, repeated or closed such an alert in between makes delta-rs
refuse the MERGE, and the attempt is re-decided on the new table. So a fingerprint never has
two open alerts, no firing is counted twice or lost, and a process killed at any point leaves
either the whole commit or none of it: there is no intermediate state to repair.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

import polars as pl
from deltalake import DeltaTable

from alertkit._events import dumps_history
from alertkit.alerts import AlertStatus
from alertkit.episodes import OPEN_ALERT_COLUMNS, alert_episodes, resolve_event
from alertkit.errors import StoreError, ValidationError
from alertkit.schema import ALERT_SCHEMA, OPEN_STATUSES
from alertkit.store import AlertStore, audit

__all__ = ["FiringsCommit", "NewRows", "commit_firings", "refuse_clashes"]

NewRows = Callable[[pl.DataFrame], pl.DataFrame]
"""Makes the table rows (``ALERT_SCHEMA``) of the new alerts among some episodes."""

_KEYS: Final = ["rule", "strategy_id", "symbol"]


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
    operation: str,
    subject: str,
) -> FiringsCommit:
    """Apply ``decisions`` (time order; ``as_of``, ``trigger``, ``strategy_id``, ``symbol``)
    to the lake's open alerts and commit the result in one MERGE, retrying on conflicts.

    ``operation`` and ``subject`` go into the commit's metadata (``DeltaTable.history()``).
    """

    def attempt() -> FiringsCommit:
        table = store.table()
        stored = _open_rows(table, decisions, quiet_period)
        episodes = alert_episodes(
            decisions, quiet_period, open_alerts=stored.select(OPEN_ALERT_COLUMNS)
        )
        opened = episodes.filter(pl.col("alert_id").is_null())
        new = new_rows(opened) if not opened.is_empty() else pl.DataFrame(schema=ALERT_SCHEMA)
        continued = _continued_rows(stored, episodes, quiet_period, resolved_by)
        repeated = frozenset(
            continued.join(stored, on="alert_id", suffix="_before")
            .filter(pl.col("occurrences") > pl.col("occurrences_before"))
            .get_column("alert_id")
        )
        if new.is_empty() and continued.is_empty():
            return FiringsCommit(new, continued, repeated, None)
        rows = pl.concat(
            [
                new.with_columns(expected_revision=pl.lit(None, pl.Int64)),
                continued.with_columns(expected_revision=pl.col("revision") - 1),
            ]
        )
        meta = audit(operation, subject, None)
        meta["alertkit.counts"] = f"new={new.height} continued={continued.height}"
        outcome = store.merge_alerts(table, rows, reads="open", custom_metadata=meta)
        if (outcome.inserted, outcome.updated) != (new.height, continued.height):
            # Cannot happen: the MERGE ran on the snapshot we decided on, and delta-rs refuses
            # it if a concurrent commit changed an open alert it read. Say so loudly if ever.
            raise StoreError(
                f"{subject}: planned {new.height} inserts and {continued.height} updates on"
                f" version {table.version()}, the MERGE did {outcome}"
            )
        return FiringsCommit(new, continued, repeated, outcome.version)

    return store.retrying(attempt, subject)


def _open_rows(
    table: DeltaTable, decisions: pl.DataFrame, quiet_period: timedelta | None
) -> pl.DataFrame:
    """The open alerts the decisions can touch: those of a firing fingerprint and, with a
    quiet period, every open alert of a position in the frame (it may resolve)."""
    firing = (
        decisions.filter(pl.col("trigger").is_not_null())
        .select(pl.col("trigger").alias("rule"), "strategy_id", "symbol")
        .unique()
    )
    scan = pl.scan_delta(table).select(list(ALERT_SCHEMA))
    open_now = scan.filter(pl.col("status").is_in(OPEN_STATUSES))
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


def _continued_rows(
    stored: pl.DataFrame,
    episodes: pl.DataFrame,
    quiet_period: timedelta | None,
    resolved_by: str,
) -> pl.DataFrame:
    """The new state of every stored alert an episode continues (revision moved on)."""
    changes = episodes.filter(pl.col("alert_id").is_not_null()).select(
        "alert_id", "last_seen_at", "occurrences", "resolved_at"
    )
    if changes.is_empty():
        return pl.DataFrame(schema=ALERT_SCHEMA)
    rows = stored.drop("last_seen_at", "occurrences", "resolved_at").join(
        changes, on="alert_id", how="inner"
    )
    resolved = pl.col("resolved_at").is_not_null()
    rows = rows.with_columns(
        status=pl.when(resolved).then(pl.lit(AlertStatus.RESOLVED.value)).otherwise("status"),
        history=_with_resolve_events(rows, quiet_period, resolved_by),
        revision=pl.col("revision") + 1,
    )
    return rows.select(list(ALERT_SCHEMA))


def _with_resolve_events(
    rows: pl.DataFrame, quiet_period: timedelta | None, resolved_by: str
) -> pl.Series:
    """The history column with a resolve event appended where the quiet period resolved."""
    out: list[str] = []
    for history, status, at in rows.select("history", "status", "resolved_at").iter_rows():
        if at is None or quiet_period is None:
            out.append(history)
            continue
        events: list[Any] = json.loads(history) if history else []
        events.append(resolve_event(at, status, quiet_period, resolved_by))
        out.append(dumps_history(events))
    return pl.Series("history", out, dtype=pl.String)


def refuse_clashes(table: DeltaTable, rows: pl.DataFrame) -> None:
    """Refuse (``ValidationError``) a bulk insert of ``rows`` into snapshot ``table`` that
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
