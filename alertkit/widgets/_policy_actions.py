"""The triage board's policy actions: snooze, assign and silence the ticked rows, expire a
silence from the panel.

:class:`BoardPolicies` is the part of :class:`~alertkit.widgets.TriageBoard` that does them.
Each action is manager calls (``snooze_alert`` and ``assign_alert`` once per ticked alert,
``create_silence``, ``expire_silence``), after which the board reads the table and the
silences again and the status line says what the manager returned. A silence the manager
refuses as too broad is not forced: the create button turns into "Confirm silence", and only
a second click on the same silence passes ``confirm=True``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from alertkit.live.sync_manager import SyncAlertManager
from alertkit.model.alerts import AlertStatus
from alertkit.model.errors import AlertkitError, SilenceTooBroadError
from alertkit.model.status import OPEN_STATUSES
from alertkit.notify import parse_duration
from alertkit.policy import Matchers
from alertkit.widgets._bulk import failure_lines, ticked_ids
from alertkit.widgets._controls import ActionControls
from alertkit.widgets._policy_controls import PolicyControls, SilenceForm
from alertkit.widgets._policy_query import proposed_matchers
from alertkit.widgets._query import BoardFilter, GroupBy, labels_query
from alertkit.widgets._render import format_time, plural
from alertkit.widgets._silences import SilencesPanel
from alertkit.widgets._table import AlertTable

__all__ = ["BoardPolicies"]

ANY_STATUS: Final = tuple(s.value for s in AlertStatus)


class BoardPolicies:
    """Snooze, assign, silence and expire, on the board (a mixin of the board)."""

    if TYPE_CHECKING:  # what the actions use of the board, which defines it
        manager: SyncAlertManager
        table: AlertTable
        controls: ActionControls
        policy: PolicyControls
        silence_form: SilenceForm
        silences: SilencesPanel
        _lock: threading.RLock
        _now: Callable[[], datetime]

        def refresh(self, *, announce: bool = True) -> None: ...
        def _quietly(self) -> AbstractContextManager[None]: ...
        def _filter(self) -> BoardFilter: ...
        def _grouped(self) -> GroupBy | None: ...
        def _enable_buttons(self) -> None: ...
        def _say(self, info: Sequence[str], errors: Sequence[str] = ()) -> None: ...

    _confirming: tuple[Any, ...] | None = None
    """The silence (its inputs) the manager refused as too broad: asked again on a click."""

    # -- what a person does (also callable from Python) -------------------------------------

    def snooze(
        self, duration: str | timedelta | None = None, alert_ids: Sequence[str] | None = None
    ) -> None:
        """Snooze the ticked open alerts (or ``alert_ids``) until now plus ``duration``
        (default: the "for" field, e.g. ``"1h"``); they leave the default view until then."""
        with self._lock:
            try:
                period = (
                    duration
                    if isinstance(duration, timedelta)
                    else parse_duration((duration or self.policy.duration.value).strip(), "for")
                )
                ids = self._policy_ids(OPEN_STATUSES, alert_ids)
            except AlertkitError as exc:
                self._say([], [f"nothing was snoozed: {exc}"])
                return
            if not ids:
                self._say([], ["tick one or more open alerts or groups first"])
                return
            until = self._now() + period
            by, note = self._by_note()
            with self._busy(f"snoozing {plural(len(ids), 'alert')}..."):
                failed = self._each(
                    ids, lambda i: self.manager.snooze_alert(i, until=until, by=by, note=note)
                )
                summary = (
                    f"snoozed {len(ids) - len(failed):,} of {plural(len(ids), 'selected alert')}"
                    f" until {format_time(until, seconds=False)} (show snoozed shows them)"
                )
                self._after(summary, failure_lines(self.manager, "snooze", failed))

    def assign(self, assignee: str | None = None, alert_ids: Sequence[str] | None = None) -> None:
        """Assign the ticked alerts (or ``alert_ids``) to ``assignee`` (default: the "to"
        field)."""
        name = (assignee if assignee is not None else self.policy.assignee.value).strip()
        if not name:
            self._say([], ["type whom to assign them to first"])
            return
        self._assign_all(name, alert_ids)

    def unassign(self, alert_ids: Sequence[str] | None = None) -> None:
        """Take the ticked alerts' (or ``alert_ids``') assignee away."""
        self._assign_all(None, alert_ids)

    def propose_silence(self, alert_ids: Sequence[str] | None = None) -> dict[str, str]:
        """Open the silence form with the matchers the ticked alerts (or ``alert_ids``) share:
        their ``rule``, ``symbol`` and ``strategy_id`` when all are equal. Returns them."""
        with self._lock:
            try:
                ids = self._policy_ids(ANY_STATUS, alert_ids)
                found = labels_query(self.manager.scan_alerts(), ids).collect() if ids else None
            except AlertkitError as exc:
                self._say([], [f"could not read the ticked alerts: {exc}"])
                return {}
            if found is None or found.is_empty():
                self._say([], ["tick one or more alerts or groups first"])
                return {}
            proposal = proposed_matchers(found)
            self._confirming = None
            self.silence_form.open(proposal)
            self.silence_form.ask_confirmation(False)
            what = plural(found.height, "ticked alert")
            if proposal:
                shared = Matchers.of(proposal)
                self._say([f"a silence of the {what}: {shared}; set for how long and why"])
            else:
                self._say([f"the {what} share no rule, symbol or strategy: type the matchers"])
            return proposal

    def create_silence(self) -> None:
        """Create the silence the form describes (By is who makes it). A silence the manager
        finds too broad is shown and asked again: a second click confirms it."""
        form = self.silence_form
        with self._lock:
            matchers = form.matchers()
            by = self.controls.user.value.strip()
            comment = form.comment.value.strip()
            inputs = (tuple(matchers.items()), form.duration.value.strip(), comment, by)
            confirm = self._confirming == inputs
            try:
                period = parse_duration(form.duration.value.strip(), "for")
                silence = self.manager.create_silence(
                    matchers, duration=period, created_by=by, comment=comment, confirm=confirm
                )
            except AlertkitError as exc:
                if isinstance(exc, SilenceTooBroadError) and not confirm:
                    self._confirming = inputs
                    form.ask_confirmation(True)
                    self._say([], [str(exc), "click Confirm silence to create it anyway"])
                else:
                    self._say([], [f"no silence was created: {exc}"])
                return
            self._confirming = None
            form.close()
            with self._quietly():
                self.table.selection = []
                self.table.group_selection = []
            self.refresh(announce=False)
            self._say(
                [
                    f"silence {silence.silence_id} created: {silence.match} until"
                    f" {format_time(silence.ends_at, seconds=False)}"
                ]
            )

    def expire_silence(self, silence_id: str) -> None:
        """End silence ``silence_id`` now (By is who ends it)."""
        with self._lock:
            by = self.controls.user.value.strip() or None
            try:
                self.manager.expire_silence(silence_id, by=by)
            except AlertkitError as exc:
                self._say([], [f"could not expire silence {silence_id}: {exc}"])
                return
            self.refresh(announce=False)
            self._say([f"silence {silence_id} expired"])

    # -- the board's side -------------------------------------------------------------------

    def _wire_policies(self) -> None:
        self.policy.snooze.on_click(lambda _: self.snooze())
        self.policy.assign.on_click(lambda _: self.assign())
        self.policy.unassign.on_click(lambda _: self.unassign())
        self.policy.silence.on_click(lambda _: self.propose_silence())
        self.silence_form.submit.on_click(lambda _: self.create_silence())
        self.silence_form.cancel.on_click(lambda _: self._cancel_silence())
        for control in self.silence_form.inputs():
            control.observe(self._silence_changed, names="value")
        self.controls.user.observe(self._silence_changed, names="value")

    def _silence_changed(self, _change: Any) -> None:
        # Another silence than the one refused: it is asked about afresh.
        if self._confirming is not None:
            self._confirming = None
            self.silence_form.ask_confirmation(False)

    def _cancel_silence(self) -> None:
        self._confirming = None
        self.silence_form.close()

    def _show_silences(self) -> None:
        """Read the silences active at the board's "now" again into the panel (its now, not
        the manager's clock: the panel agrees with the rest of the board, pinned or not)."""
        now = self._now()
        try:
            frame = self.manager.list_silences(active_at=now)
        except Exception as exc:  # a side read: the board stays usable
            self.silences.unreadable(exc)
        else:
            self.silences.show(frame, now)

    def _enable_policy_buttons(self, statuses: set[str]) -> None:
        ticked = bool(self.table.selection or self.table.group_selection)
        self.policy.snooze.disabled = not statuses & set(OPEN_STATUSES)
        for button in (self.policy.assign, self.policy.unassign, self.policy.silence):
            button.disabled = not ticked

    def _policy_ids(self, statuses: Sequence[str], alert_ids: Sequence[str] | None) -> list[str]:
        if alert_ids is not None:
            return list(alert_ids)
        table = self.table
        return ticked_ids(
            self.manager,
            self._filter,
            statuses,
            table.selection,
            table.group_selection,
            self._grouped(),
        )

    def _by_note(self) -> tuple[str | None, str | None]:
        return (
            self.controls.user.value.strip() or None,
            self.controls.note.value.strip() or None,
        )

    def _assign_all(self, assignee: str | None, alert_ids: Sequence[str] | None) -> None:
        with self._lock:
            try:
                ids = self._policy_ids(ANY_STATUS, alert_ids)
            except AlertkitError as exc:
                self._say([], [f"could not read the ticked alerts: {exc}"])
                return
            if not ids:
                self._say([], ["tick one or more alerts or groups first"])
                return
            by, note = self._by_note()
            verb = "assign" if assignee is not None else "unassign"
            with self._busy(f"{verb}ing {plural(len(ids), 'alert')}..."):
                failed = self._each(
                    ids, lambda i: self.manager.assign_alert(i, assignee, by=by, note=note)
                )
                done = f"{len(ids) - len(failed):,} of {plural(len(ids), 'selected alert')}"
                summary = (
                    f"assigned {done} to {assignee}"
                    if assignee is not None
                    else f"unassigned {done}"
                )
                self._after(summary, failure_lines(self.manager, verb, failed))

    @staticmethod
    def _each(ids: Sequence[str], call: Callable[[str], object]) -> dict[str, AlertkitError]:
        """``call`` each id in turn; the ones refused, with why."""
        failed: dict[str, AlertkitError] = {}
        for alert_id in ids:
            try:
                call(alert_id)
            except AlertkitError as exc:
                failed[alert_id] = exc
        return failed

    @contextmanager
    def _busy(self, doing: str) -> Iterator[None]:
        buttons = [*self.controls.buttons(), *self.policy.buttons()]
        for button in buttons:
            button.disabled = True
        self._say([doing])
        try:
            yield
        finally:
            self._enable_buttons()

    def _after(self, summary: str, failed: Sequence[str]) -> None:
        with self._quietly():
            self.table.selection = []
            self.table.group_selection = []
        self.refresh(announce=False)
        self._say([summary], failed)
