"""The policy half of the async adapter: each of :class:`~alertkit.live.policing.Policing`'s
operations run in a worker thread, so a silence's Delta I/O never blocks an event loop.

:class:`AsyncPolicing` is a mixin of :class:`~alertkit.live.manager.AlertManager`, which
holds the core as ``sync``; the semantics, the arguments and the errors are the core's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import polars as pl

from alertkit.model.alerts import Alert
from alertkit.policy import DEFAULT_MAX_SHARE, Inhibition, Policies, Silence

if TYPE_CHECKING:
    from alertkit.live.sync_manager import SyncAlertManager

__all__ = ["AsyncPolicing"]


class AsyncPolicing:
    """Silences, inhibitions, snoozes, assignees and policies, awaited."""

    sync: SyncAlertManager

    async def create_silence(
        self,
        matchers: Mapping[str, Any],
        *,
        ends_at: datetime | None = None,
        duration: timedelta | float | None = None,
        starts_at: datetime | None = None,
        created_by: str,
        comment: str,
        confirm: bool = False,
        max_share: float = DEFAULT_MAX_SHARE,
    ) -> Silence:
        """Store a silence; see :meth:`SyncAlertManager.create_silence`."""
        return await asyncio.to_thread(
            self.sync.create_silence,
            matchers,
            ends_at=ends_at,
            duration=duration,
            starts_at=starts_at,
            created_by=created_by,
            comment=comment,
            confirm=confirm,
            max_share=max_share,
        )

    async def list_silences(
        self, *, active_at: datetime | None = None, include_expired: bool = False
    ) -> pl.DataFrame:
        """The stored silences and what they suppressed; see
        :meth:`SyncAlertManager.list_silences`."""
        return await asyncio.to_thread(
            self.sync.list_silences, active_at=active_at, include_expired=include_expired
        )

    async def expire_silence(self, silence_id: str, *, by: str | None = None) -> Silence:
        """End a silence now."""
        return await asyncio.to_thread(self.sync.expire_silence, silence_id, by=by)

    async def silences_matching(
        self, alert_id: str, *, include_expired: bool = True
    ) -> list[Silence]:
        """The stored silences whose matchers match the alert."""
        return await asyncio.to_thread(
            self.sync.silences_matching, alert_id, include_expired=include_expired
        )

    async def create_inhibition(
        self,
        source_matchers: Mapping[str, Any],
        target_matchers: Mapping[str, Any],
        equal: Collection[str] = (),
        *,
        created_by: str,
        comment: str,
        starts_at: datetime | None = None,
        ends_at: datetime | None = None,
    ) -> Inhibition:
        """Store an inhibition rule; see :meth:`SyncAlertManager.create_inhibition`."""
        return await asyncio.to_thread(
            self.sync.create_inhibition,
            source_matchers,
            target_matchers,
            equal,
            created_by=created_by,
            comment=comment,
            starts_at=starts_at,
            ends_at=ends_at,
        )

    async def list_inhibitions(self, *, include_expired: bool = False) -> pl.DataFrame:
        """The stored inhibitions; see :meth:`SyncAlertManager.list_inhibitions`."""
        return await asyncio.to_thread(self.sync.list_inhibitions, include_expired=include_expired)

    async def expire_inhibition(self, inhibition_id: str, *, by: str | None = None) -> Inhibition:
        """End an inhibition now."""
        return await asyncio.to_thread(self.sync.expire_inhibition, inhibition_id, by=by)

    async def snooze_alert(
        self, alert_id: str, *, until: datetime, by: str | None = None, note: str | None = None
    ) -> Alert:
        """Send nothing of the open alert until ``until``; see
        :meth:`SyncAlertManager.snooze_alert`."""
        return await asyncio.to_thread(
            self.sync.snooze_alert, alert_id, until=until, by=by, note=note
        )

    async def assign_alert(
        self, alert_id: str, assignee: str | None, *, by: str | None = None, note: str | None = None
    ) -> Alert:
        """Give the alert an owner (None: nobody)."""
        return await asyncio.to_thread(self.sync.assign_alert, alert_id, assignee, by=by, note=note)

    @property
    def policies(self) -> Policies:
        """The in-process policies (snooze rules, flap detection, escalation)."""
        return self.sync.policies

    def set_policies(self, policies: Policies) -> None:
        """Apply ``policies`` from the next commit on (no I/O: plain, not awaited); see
        :meth:`SyncAlertManager.set_policies`."""
        self.sync.set_policies(policies)
