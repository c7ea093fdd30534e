"""Alert identity under concurrency: one open alert per fingerprint, however writers race.

A first firing is a blind append (appends never conflict, so it costs what a raw append
costs), preceded by a read of the open alerts with that fingerprint. If no other commit
landed between that read and the append, nobody can have inserted the same fingerprint in
between and we are done. Otherwise we look at the table as it was just before our commit:
if an open alert with our fingerprint was already there, we lost the race, and we fold our
row into it in one atomic MERGE (delete ours, count an occurrence on theirs). The earliest
committed alert always wins, so every racer reaches the same verdict.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

import polars as pl
from deltalake import DeltaTable

from alertkit.alerts import Alert
from alertkit.errors import StoreError
from alertkit.schema import ALERT_SCHEMA, OPEN_STATUSES, alert_from_row
from alertkit.store import AlertStore, StaleReadError

__all__ = ["audit", "insert_first_firing", "open_by_fingerprint", "record_repeat", "row_version"]

SUBJECT_KEY: Final = "alertkit.subject"
CREATED_KEY: Final = "alertkit.created"
"""Set only on the commit that first wrote an alert: its commit version orders racers."""

# Fixed SQL: all values arrive in the MERGE source (alias s).
_SAME_ROW: Final = (
    "t.created_date = s.created_date AND t.alert_id = s.alert_id AND t.revision = s.revision"
)


def audit(operation: str, subject: str, by: str | None) -> dict[str, str]:
    """Commit metadata shown by ``DeltaTable.history()``: who did what to which alert."""
    meta = {"alertkit.operation": operation, SUBJECT_KEY: subject}
    if by is not None:
        meta["alertkit.by"] = by
    return meta


def row_version(row: dict[str, Any]) -> dict[str, object]:
    """The condition matching exactly this revision of this row, in its partition only."""
    return {
        "created_date": row["created_date"],
        "alert_id": row["alert_id"],
        "revision": row["revision"],
    }


def open_by_fingerprint(table: DeltaTable, alert: Alert) -> dict[str, Any] | None:
    """The earliest open alert with ``alert``'s fingerprint in snapshot ``table``."""

    rows = (
        pl.scan_delta(table)
        .filter(_same_open_fingerprint(alert))
        .sort(["created_at", "alert_id"])
        .head(1)
        .collect()
    )
    return None if rows.is_empty() else rows.row(0, named=True)


def _same_open_fingerprint(alert: Alert) -> pl.Expr:
    def same(column: str, value: object) -> pl.Expr:
        return pl.col(column).is_null() if value is None else pl.col(column) == pl.lit(value)

    return (
        pl.col("status").is_in(OPEN_STATUSES)
        & (pl.col("rule") == alert.rule)
        & same("strategy_id", alert.strategy_id)
        & same("symbol", alert.symbol)
    )


def record_repeat(
    store: AlertStore, table: DeltaTable, row: dict[str, Any], when: datetime
) -> Alert:
    """Count one more firing on the open alert ``row`` (compare-and-set on its revision)."""
    alert = alert_from_row(row)
    alert.occurrences += 1
    alert.last_seen_at = max(when, row["last_seen_at"])
    changed = store.update(
        table,
        row_version(row),
        {
            "occurrences": alert.occurrences,
            "last_seen_at": alert.last_seen_at,
            "revision": row["revision"] + 1,
        },
        custom_metadata=audit("repeat", alert.alert_id, None),
    )
    if changed != 1:
        raise StaleReadError(alert.alert_id)
    return alert


def insert_first_firing(
    store: AlertStore, table: DeltaTable, alert: Alert, row: pl.DataFrame, when: datetime
) -> tuple[Alert, bool]:
    """Append ``alert`` (no open alert had its fingerprint in ``table``) and settle any race.

    Returns the alert that now stands for the fingerprint and whether it is ours (new).
    """
    read_version = table.version()
    metadata = {**audit("create", alert.alert_id, None), CREATED_KEY: alert.alert_id}
    committed = store.append(row, metadata, table=table)
    if committed == read_version + 1:
        return alert, True  # nothing landed between our read and our write
    return store.retrying(
        lambda: _settle(store, alert, read_version, when), f"settle {alert.alert_id}"
    )


def _settle(
    store: AlertStore, alert: Alert, read_version: int, when: datetime
) -> tuple[Alert, bool]:
    """Among the open alerts with our fingerprint, the earliest committed wins; if that is
    not ours, fold ours into it. Re-run (StaleReadError) whenever the picture changes."""
    table = store.table()
    candidates = _open_rows(table, alert)
    ours = candidates.get(alert.alert_id)
    if ours is None or len(candidates) == 1:
        # Alone, or someone already resolved ours: it stands.
        return alert, True
    versions = store.commit_versions(CREATED_KEY, list(candidates), newer_than=read_version)
    # A candidate not found in the recent log was committed before our read: earliest.
    winner_id = min(candidates, key=lambda i: (versions.get(i, -1), i))
    if winner_id == alert.alert_id:
        return alert, True  # the others fold into us
    winner = candidates[winner_id]
    if ours["status"] != "active":
        # Someone acknowledged ours in the moment it existed: keep it rather than lose that.
        return alert_from_row(ours), True
    bumped = alert_from_row(winner)
    bumped.occurrences += ours["occurrences"]
    # Repeats may have landed on our row before this fold: keep their latest firing too.
    bumped.last_seen_at = max(when, winner["last_seen_at"], ours["last_seen_at"])
    source = pl.DataFrame(
        [
            {**ours, "history": "delete"},
            {
                **winner,
                "occurrences": bumped.occurrences,
                "last_seen_at": bumped.last_seen_at,
                "history": "bump",
            },
        ],
        schema=ALERT_SCHEMA,
    )  # "history" carries the fold instruction; the stored history is left untouched
    outcome = store.merge(
        table,
        source,
        _SAME_ROW,
        update={
            "occurrences": "s.occurrences",
            "last_seen_at": "s.last_seen_at",
            "revision": "t.revision + 1",
        },
        update_when="s.history = 'bump'",
        delete_when="s.history = 'delete'",
        custom_metadata=audit("fold", f"{alert.alert_id}->{winner_id}", None),
    )
    if (outcome.updated, outcome.deleted) != (1, 1):  # impossible on one consistent snapshot
        raise StoreError(f"fold of {alert.alert_id} into {winner_id} did {outcome}")
    return bumped, False


def _open_rows(table: DeltaTable, alert: Alert) -> dict[str, dict[str, Any]]:
    rows = pl.scan_delta(table).filter(_same_open_fingerprint(alert)).collect()
    return {r["alert_id"]: r for r in rows.iter_rows(named=True)}
