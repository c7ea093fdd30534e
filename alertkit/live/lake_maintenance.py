"""Maintaining a manager's whole lake: the alerts table and every table beside it.

A lake is the alerts table plus the tables kept beside it: the notification log (one commit
per delivery round) and the policy tables (silences, inhibitions, and the flap state, merged
into at every cycle that evaluated a fingerprint). Each grows by small files like the alerts
do, and each commit's cost grows with the files of the snapshot it loads, so
:func:`maintain_lake` runs :func:`~alertkit.lake.maintenance.maintain` on each table that
exists (each under its own compaction lock), after pruning the flap states a later
evaluation could not tell from none (:meth:`~alertkit.live.policy_store.PolicyStore.prune_flaps`),
which would otherwise pile up for every position ever closed.

The alerts table comes first, so a lake that cannot be written is refused as before, before
any side table is touched.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Final

from alertkit.lake.maintenance import MaintenanceReport, maintain
from alertkit.lake.store import AlertStore, DeltaStore
from alertkit.live.policy_store import PolicyStore

__all__ = ["FLAP_STATE_KEPT", "LakeMaintenanceReport", "maintain_lake"]

FLAP_STATE_KEPT: Final = timedelta(days=1)
"""Flap states evaluated this recently are never pruned (see
:func:`~alertkit.policy.flapping.forgettable`): a cycle re-run after a crash replays its own
recent instants, and must find their states to count nothing twice."""


@dataclass(frozen=True, slots=True)
class LakeMaintenanceReport(MaintenanceReport):
    """What :func:`maintain_lake` did: the alerts table's report (its fields, as before the
    side tables were maintained), each side table's by table name (``notifications``,
    ``silences``, ``inhibitions``, ``flaps``; a table not created yet is absent), and how many
    flap states were pruned."""

    side_tables: Mapping[str, MaintenanceReport] = field(default_factory=dict)
    flap_states_pruned: int = 0

    def describe(self) -> str:
        """One line per table, each naming it, for the CLI and logs."""
        lines = [f"alerts: {MaintenanceReport.describe(self)}"]
        for name, report in self.side_tables.items():
            pruned = f"pruned {self.flap_states_pruned} flap states; " if name == "flaps" else ""
            lines.append(f"{name}: {pruned}{report.describe()}")
        return "\n".join(lines)


def maintain_lake(
    alerts: AlertStore,
    side_tables: list[DeltaStore],
    policies: PolicyStore,
    *,
    now: datetime,
    vacuum_retention_hours: int | None = None,
) -> LakeMaintenanceReport:
    """Prune the flap state last evaluated before ``now - FLAP_STATE_KEPT`` that no later
    evaluation could tell from none, then compact, checkpoint and optionally vacuum
    ``alerts`` and each of ``side_tables`` that exists."""
    main = maintain(alerts, vacuum_retention_hours=vacuum_retention_hours)
    pruned = 0
    reports: dict[str, MaintenanceReport] = {}
    for store in side_tables:
        if not store.exists():
            continue
        if store is policies.flap_table:
            pruned = policies.prune_flaps(now - FLAP_STATE_KEPT)
        reports[store.spec.name] = maintain(store, vacuum_retention_hours=vacuum_retention_hours)
    alerts_fields = {f.name: getattr(main, f.name) for f in fields(main)}
    return LakeMaintenanceReport(**alerts_fields, side_tables=reports, flap_states_pruned=pruned)
