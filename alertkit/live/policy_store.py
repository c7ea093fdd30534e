"""Where a manager's policies are kept: silences, inhibitions and flap state, beside the alerts.

Three Delta tables next to the alerts table (``<alerts>_silences``, ``<alerts>_inhibitions``,
``<alerts>_flaps``), each kept by the generic :class:`~alertkit.lake.store.DeltaStore` with
the alerts' guarantees: every write is a conditional MERGE (a row's ``revision`` must still
be the one read), retried on a conflicting concurrent commit, so two processes that expire
the same silence or advance the same flap state never lose an update. A table is created
by its first write; reading one that does not exist yet reads as empty.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, TypeVar

import polars as pl
from deltalake import CommitProperties

from alertkit.lake.delta_errors import delta_errors
from alertkit.lake.store import AlertStore, DeltaStore, audit
from alertkit.model.errors import StoreError, ValidationError
from alertkit.model.tables import TableSpec
from alertkit.policy.flapping import FLAP_STATE_SCHEMA, FlapDetection, advance, forgettable
from alertkit.policy.inhibitions import INHIBITIONS_TABLE, Inhibition, check_inhibition_id
from alertkit.policy.silences import SILENCES_TABLE, Silence, check_silence_id

__all__ = ["FLAPS_TABLE", "PolicyNotFoundError", "PolicyStore"]

FLAPS_TABLE: Final = TableSpec(
    name="flaps",
    description="alertkit flap state (one row per fingerprint that has fired)",
    schema={"fingerprint": pl.String(), **FLAP_STATE_SCHEMA, "revision": pl.Int64()},
    key="fingerprint",
    revision="revision",
)

_FP: Final = ("trigger", "strategy_id", "symbol")

P = TypeVar("P", Silence, Inhibition)


class PolicyNotFoundError(ValidationError, LookupError):
    """No silence or inhibition has that id."""


def fingerprint_key_expr() -> pl.Expr:
    """The flap table's key: the fingerprint as compact JSON."""
    return pl.struct(*_FP).struct.json_encode()


@dataclass
class PolicyStore:
    """The policy tables of one alerts table."""

    silence_table: DeltaStore
    inhibition_table: DeltaStore
    flap_table: DeltaStore

    @classmethod
    def beside(
        cls, alerts: AlertStore, storage_options: Mapping[str, str] | None = None
    ) -> PolicyStore:
        base = alerts.uri.rstrip("/")
        options = storage_options if storage_options is not None else alerts.storage_options
        return cls(
            DeltaStore(f"{base}_silences", SILENCES_TABLE, options),
            DeltaStore(f"{base}_inhibitions", INHIBITIONS_TABLE, options),
            DeltaStore(f"{base}_flaps", FLAPS_TABLE, options),
        )

    # -- reading ---------------------------------------------------------------------------

    @staticmethod
    def _frame(store: DeltaStore) -> pl.DataFrame:
        if not store.exists():
            return pl.DataFrame(schema=dict(store.spec.schema))
        return store.scan().collect()

    def silences_frame(self) -> pl.DataFrame:
        """Every stored silence (expired ones too), by ``starts_at`` then id."""
        return self._frame(self.silence_table).sort("starts_at", "silence_id")

    def silences(self) -> list[Silence]:
        return [Silence.from_row(r) for r in self.silences_frame().iter_rows(named=True)]

    def inhibitions_frame(self) -> pl.DataFrame:
        """Every stored inhibition (expired ones too), by ``created_at`` then id."""
        return self._frame(self.inhibition_table).sort("created_at", "inhibition_id")

    def inhibitions(self) -> list[Inhibition]:
        return [Inhibition.from_row(r) for r in self.inhibitions_frame().iter_rows(named=True)]

    def flap_state(self, positions: pl.DataFrame | None = None) -> pl.DataFrame:
        """The flap state (:data:`FLAP_STATE_SCHEMA`), of the fingerprints of ``positions``
        (a frame with ``strategy_id`` and ``symbol``) when given."""
        frame = self._frame(self.flap_table)
        if positions is not None:
            keys = positions.select("strategy_id", "symbol").unique()
            frame = frame.join(keys, on=["strategy_id", "symbol"], how="semi", nulls_equal=True)
        return frame.select(list(FLAP_STATE_SCHEMA))

    # -- writing ---------------------------------------------------------------------------

    def add_silence(self, silence: Silence) -> Silence:
        self._insert(self.silence_table, silence.to_row(), silence.silence_id, "silence")
        return silence

    def add_inhibition(self, inhibition: Inhibition) -> Inhibition:
        self._insert(
            self.inhibition_table, inhibition.to_row(), inhibition.inhibition_id, "inhibition"
        )
        return inhibition

    def expire_silence(self, silence_id: str, at: datetime, by: str | None) -> Silence:
        """End the silence now (kept, with ``expired_at``); one already over is refused."""
        check_silence_id(silence_id)
        return self._expire(self.silence_table, silence_id, at, by, Silence.from_row)

    def expire_inhibition(self, inhibition_id: str, at: datetime, by: str | None) -> Inhibition:
        check_inhibition_id(inhibition_id)
        return self._expire(self.inhibition_table, inhibition_id, at, by, Inhibition.from_row)

    def _insert(self, store: DeltaStore, row: dict[str, Any], key: str, what: str) -> None:
        store.ensure_table()
        frame = pl.DataFrame(
            [{**row, "expected_revision": None}],
            schema={**store.spec.schema, "expected_revision": pl.Int64()},
        )

        def attempt() -> None:
            outcome = store.merge_rows(
                store.table(), frame, reads="table", custom_metadata=audit("add", key, None)
            )
            if outcome.inserted != 1:
                raise StoreError(f"{what} {key} was not stored: its id is already taken")

        store.retrying(attempt, f"store {what} {key}")

    def _expire(
        self,
        store: DeltaStore,
        key: str,
        at: datetime,
        by: str | None,
        parse: Callable[[Mapping[str, Any]], P],
    ) -> P:
        kind = store.spec.name[:-1]  # "silence", "inhibition"

        def attempt() -> P:
            table = store.table() if store.exists() else None
            found = (
                store.scan_version(table).filter(pl.col(store.spec.key) == key).collect()
                if table is not None
                else pl.DataFrame()
            )
            if found.is_empty():
                raise PolicyNotFoundError(f"{store.spec.key}: no {kind} {key!r} is stored")
            row = found.row(0, named=True)
            current = parse(row)
            # Expired already, whatever ``at`` is: a racing expiry with an earlier clock
            # re-reads a row whose end is after its ``at``, and must still be refused.
            over = current.ends_at is not None and current.ends_at <= at
            if over or current.expired_at is not None:
                assert current.ends_at is not None
                raise ValidationError(
                    f"{store.spec.key}: {kind} {key} already ended at {current.ends_at.isoformat()}"
                )
            expired = current.expired(at, by)
            frame = pl.DataFrame(
                [{**expired.to_row(row["revision"] + 1), "expected_revision": row["revision"]}],
                schema={**store.spec.schema, "expected_revision": pl.Int64()},
            )
            assert table is not None
            outcome = store.merge_rows(
                table, frame, reads="table", custom_metadata=audit("expire", key, by)
            )
            if outcome.updated != 1:
                raise StoreError(f"expiring {kind} {key} did {outcome}")
            return expired

        return store.retrying(attempt, f"expire {kind} {key}")

    def advance_flaps(
        self, decisions: pl.DataFrame, detection: FlapDetection
    ) -> tuple[pl.DataFrame, pl.DataFrame]:
        """Count the evaluations of ``decisions`` (a cycle's, with ``as_of``, ``trigger``,
        ``strategy_id``, ``symbol``) into the stored flap state, in one conditional MERGE
        (re-read and redone on a concurrent change); returns (the state of the fingerprints
        evaluated, the transitions), as :func:`alertkit.policy.flapping.advance`."""
        store = self.flap_table
        store.ensure_table()
        keys = decisions.select("strategy_id", "symbol").unique()

        def attempt() -> tuple[pl.DataFrame, pl.DataFrame]:
            table = store.table()
            stored = (
                store.scan_version(table)
                .join(keys.lazy(), on=["strategy_id", "symbol"], how="semi", nulls_equal=True)
                .collect()
            )
            state, transitions = advance(
                stored.select(list(FLAP_STATE_SCHEMA)), decisions, detection
            )
            if state.is_empty():
                return state, transitions
            revisions = stored.select("fingerprint", expected_revision="revision")
            rows = (
                state.with_columns(fingerprint=fingerprint_key_expr())
                .join(revisions, on="fingerprint", how="left")
                .with_columns(
                    revision=pl.col("expected_revision").fill_null(-1) + 1,
                )
            )
            changed = rows.join(
                stored.select("fingerprint", *FLAP_STATE_SCHEMA),
                on=list(rows.select("fingerprint", *FLAP_STATE_SCHEMA).columns),
                how="anti",
                nulls_equal=True,
            )
            if not changed.is_empty():
                outcome = store.merge_rows(
                    table,
                    changed,
                    reads="table",
                    custom_metadata=audit("flaps", f"{changed.height} fingerprints", None),
                )
                if outcome.inserted + outcome.updated != changed.height:
                    raise StoreError(f"advancing {changed.height} flap states did {outcome}")
            return state, transitions

        return store.retrying(attempt, "advance flap state")

    def prune_flaps(self, before: datetime) -> int:
        """Delete the flap states a later evaluation could not tell from none
        (:func:`~alertkit.policy.flapping.forgettable`, last evaluated before ``before``: the
        fingerprints of positions no longer evaluated, once quiet), in one MERGE that deletes
        a row only at the revision read (a row advanced meanwhile is kept, and the commit,
        which read the whole table, is redone on a conflicting commit). Returns how many."""
        store = self.flap_table
        if not store.exists():
            return 0

        def attempt() -> int:
            table = store.table()
            doomed = (
                store.scan_version(table)
                .filter(forgettable(before))
                .select("fingerprint", "revision")
                .collect()
            )
            if doomed.is_empty():
                return 0
            store.check_writable()
            merger = table.merge(
                doomed.to_arrow(),
                predicate="t.fingerprint = s.fingerprint AND t.revision = s.revision",
                source_alias="s",
                target_alias="t",
                commit_properties=CommitProperties(
                    custom_metadata=audit("prune", f"{doomed.height} flap states", None)
                ),
            ).when_matched_delete()
            with delta_errors(store.uri, f"pruning {store.uri} failed"):
                metrics = merger.execute()
            return int(metrics.get("num_target_rows_deleted", 0))

        return store.retrying(attempt, "prune flap state")
