"""The board's input widgets: filter controls (read into a BoardFilter) and the action bar."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

import ipywidgets as w
import traitlets

from alertkit.model.alerts import AlertSeverity, AlertStatus, AlertType
from alertkit.model.errors import ValidationError
from alertkit.model.status import OPEN_STATUSES
from alertkit.widgets._dates import IsoDateInput
from alertkit.widgets._query import BoardFilter

__all__ = ["ActionControls", "FilterControls", "StatusToggles", "group_by_control"]

ANY = ""
_WIDE = {"description_width": "initial"}


def _choices(values: Sequence[str]) -> list[tuple[str, str]]:
    return [("any", ANY), *((v, v) for v in values)]


def _set_choices(dropdown: Any, values: Sequence[str]) -> None:
    """New options, keeping the chosen value if it is still offered (else "any")."""
    current = dropdown.value
    dropdown.options = _choices(values)
    dropdown.value = current if current in values else ANY


class StatusToggles(w.HBox):  # type: ignore[misc]  # ipywidgets is untyped
    """One toggle button per status: a plain click adds or removes that status.

    ``value`` is the tuple of chosen statuses in lifecycle order (empty: any status), like a
    multi-select's, so setting it from Python works the same.
    """

    value = traitlets.Tuple()

    def __init__(self, value: Sequence[str] = OPEN_STATUSES, **kwargs: Any) -> None:
        self.toggles = {
            s.value: w.ToggleButton(
                description=s.value,
                tooltip=f"show {s.value} alerts (click again to hide them)",
                layout=w.Layout(width="auto"),
            ).add_class(f"alertkit-status-{s.value}")
            for s in AlertStatus
        }
        self._syncing = False
        super().__init__(list(self.toggles.values()), **kwargs)
        self.add_class("alertkit-status-toggles")
        for toggle in self.toggles.values():
            toggle.observe(self._clicked, names="value")
        self.value = tuple(value)

    @traitlets.validate("value")
    def _canonical(self, proposal: dict[str, Any]) -> tuple[str, ...]:
        chosen = set(proposal["value"])
        unknown = chosen - set(self.toggles)
        if unknown:
            raise traitlets.TraitError(
                f"status: expected some of {', '.join(self.toggles)}, got {sorted(unknown)}"
            )
        return tuple(s for s in self.toggles if s in chosen)

    @traitlets.observe("value")
    def _show(self, change: dict[str, Any]) -> None:
        self._syncing = True  # the toggles follow the value: no value change per toggle
        try:
            for status, toggle in self.toggles.items():
                toggle.value = status in change["new"]
        finally:
            self._syncing = False

    def _clicked(self, _change: dict[str, Any]) -> None:
        if not self._syncing:
            self.value = tuple(s for s, toggle in self.toggles.items() if toggle.value)


@dataclass(slots=True)
class FilterControls:
    """One widget per filter; their ``value`` traits are the board's filter state."""

    status: Any
    severity: Any
    type: Any
    symbol: Any
    strategy_id: Any
    rule: Any
    created_from: Any
    created_to: Any
    text: Any
    assignee: Any
    flapping: Any
    show_snoozed: Any

    @classmethod
    def create(cls) -> FilterControls:
        def dropdown(label: str, values: Sequence[str], width: str) -> Any:
            return w.Dropdown(
                options=_choices(values),
                value=ANY,
                description=label,
                style=_WIDE,
                layout=w.Layout(width=width),
            )

        controls = cls(
            status=StatusToggles(OPEN_STATUSES),
            severity=dropdown("Severity", [s.value for s in AlertSeverity], "12em"),
            type=dropdown("Type", [t.value for t in AlertType], "10em"),
            symbol=dropdown("Symbol", [], "10em"),
            strategy_id=w.Text(
                placeholder="any",
                description="Strategy",
                continuous_update=False,
                style=_WIDE,
                layout=w.Layout(width="9em"),
            ),
            rule=dropdown("Rule", [], "16em"),
            created_from=IsoDateInput("Created", "13em"),
            created_to=IsoDateInput("to", "9.5em"),
            text=w.Text(
                placeholder="words, symbol:SPY rule:vix_* strategy:153 status:acknowledged",
                description="Search",
                tooltip="press / in the table to come here",
                continuous_update=False,
                style=_WIDE,
                layout=w.Layout(width="30em"),
            ),
            assignee=dropdown("Assignee", [], "12em"),
            flapping=w.ToggleButton(
                value=False,
                description="flapping",
                tooltip="only alerts whose fingerprint is flapping (click again for all)",
                layout=w.Layout(width="auto"),
            ),
            show_snoozed=w.ToggleButton(
                value=False,
                description="show snoozed",
                tooltip="also show the alerts snoozed now (hidden by default)",
                layout=w.Layout(width="auto"),
            ),
        )
        for name in controls.names():
            getattr(controls, name).add_class(f"alertkit-filter-{name.replace('_', '-')}")
        return controls

    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in fields(self))

    def widgets(self) -> list[Any]:
        return [getattr(self, n) for n in self.names()]

    def box(self, *extra: Any) -> Any:
        """The filters in rows that wrap to the width there is (``extra`` widgets last)."""
        return w.HBox(
            [
                self.text,
                self.status,
                self.severity,
                self.type,
                self.symbol,
                self.rule,
                self.strategy_id,
                self.assignee,
                self.created_from,
                self.created_to,
                self.flapping,
                self.show_snoozed,
                *extra,
            ],
            layout=w.Layout(flex_flow="row wrap", align_items="center"),
        ).add_class("alertkit-filters")

    def set_options(
        self, symbols: Sequence[str], rules: Sequence[str], assignees: Sequence[str] = ()
    ) -> None:
        _set_choices(self.symbol, symbols)
        _set_choices(self.rule, rules)
        _set_choices(self.assignee, assignees)

    def read(self, picks: Sequence[tuple[str, str]] = ()) -> BoardFilter:
        """The filter these controls describe; ValidationError names a control to fix."""
        text = self.strategy_id.value.strip()
        try:
            strategy_id = int(text) if text else None
        except ValueError:
            raise ValidationError(f"strategy_id: expected a whole number, got {text!r}") from None
        for picker in (self.created_from, self.created_to):
            if picker.error:
                raise ValidationError(picker.error)
        start, end = self.created_from.value, self.created_to.value
        if start is not None and end is not None and start > end:
            raise ValidationError(f"created range: expected from <= to, got {start} > {end}")
        return BoardFilter(
            statuses=tuple(self.status.value),
            severity=self.severity.value,
            type=self.type.value,
            symbol=self.symbol.value,
            strategy_id=strategy_id,
            rule=self.rule.value,
            created_from=start,
            created_to=end,
            text=self.text.value,
            picks=tuple(picks),
            assignee=self.assignee.value,
            flapping=bool(self.flapping.value),
            show_snoozed=bool(self.show_snoozed.value),
        )


@dataclass(slots=True)
class ActionControls:
    """Who acts, an optional note, the bulk-action buttons and refreshing."""

    user: Any
    note: Any
    acknowledge: Any
    resolve: Any
    dismiss: Any
    refresh: Any
    auto_refresh: Any
    interval: Any

    @classmethod
    def create(cls, *, user: str = "", interval_s: int = 30) -> ActionControls:
        def button(label: str, style: str, tip: str, css: str) -> Any:
            b = w.Button(
                description=label,
                button_style=style,
                tooltip=tip,
                disabled=True,
                layout=w.Layout(width="auto"),
            )
            b.add_class(css)
            return b

        controls = cls(
            user=w.Text(
                value=user,
                placeholder="your name",
                description="By",
                style=_WIDE,
                layout=w.Layout(width="12em"),
            ),
            note=w.Text(
                placeholder="optional note, kept with the action",
                description="Note",
                style=_WIDE,
                layout=w.Layout(width="22em"),
            ),
            acknowledge=button(
                "Acknowledge",
                "info",
                "Acknowledge the ticked alerts and groups (key a)",
                "alertkit-acknowledge",
            ),
            resolve=button(
                "Resolve",
                "success",
                "Resolve the ticked alerts and groups (key r)",
                "alertkit-resolve",
            ),
            dismiss=button(
                "Dismiss",
                "warning",
                "Dismiss the ticked alerts and groups (key d)",
                "alertkit-dismiss",
            ),
            refresh=w.Button(
                description="Refresh",
                icon="refresh",
                tooltip="Read the table again",
                layout=w.Layout(width="auto"),
            ),
            auto_refresh=w.ToggleButton(
                value=False,
                description="Auto-refresh",
                tooltip="Refresh every few seconds",
                layout=w.Layout(width="auto"),
            ),
            interval=w.BoundedIntText(
                value=interval_s,
                min=1,
                max=3600,
                description="every (s)",
                style=_WIDE,
                layout=w.Layout(width="9em"),
            ),
        )
        controls.refresh.add_class("alertkit-refresh")
        controls.auto_refresh.add_class("alertkit-auto-refresh")
        return controls

    def buttons(self) -> tuple[Any, Any, Any]:
        return (self.acknowledge, self.resolve, self.dismiss)

    def box(self) -> Any:
        return w.HBox(
            [
                *self.buttons(),
                self.note,
                self.user,
                self.refresh,
                self.auto_refresh,
                self.interval,
            ],
            layout=w.Layout(flex_flow="row wrap", align_items="center"),
        ).add_class("alertkit-actions")


def group_by_control() -> Any:
    """The "Group by" dropdown: its value is "" (no grouping) or a grouping name."""
    return w.Dropdown(
        options=[("nothing", ""), ("position", "position"), ("rule", "rule"), ("symbol", "symbol")],
        value="",
        description="Group by",
        style=_WIDE,
        layout=w.Layout(width="12em"),
    ).add_class("alertkit-group-by")
