"""The board's input widgets: filter controls (read into a BoardFilter) and the action bar."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

import ipywidgets as w

from alertkit.alerts import AlertSeverity, AlertStatus, AlertType
from alertkit.errors import ValidationError
from alertkit.schema import OPEN_STATUSES
from alertkit.widgets._query import BoardFilter

__all__ = ["ActionControls", "FilterControls"]

ANY = ""
_WIDE = {"description_width": "initial"}


def _choices(values: Sequence[str]) -> list[tuple[str, str]]:
    return [("any", ANY), *((v, v) for v in values)]


def _set_choices(dropdown: Any, values: Sequence[str]) -> None:
    """New options, keeping the chosen value if it is still offered (else "any")."""
    current = dropdown.value
    dropdown.options = _choices(values)
    dropdown.value = current if current in values else ANY


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

    @classmethod
    def create(cls) -> FilterControls:
        def dropdown(label: str, values: Sequence[str]) -> Any:
            return w.Dropdown(
                options=_choices(values),
                value=ANY,
                description=label,
                style=_WIDE,
                layout=w.Layout(width="auto"),
            )

        controls = cls(
            status=w.SelectMultiple(
                options=[s.value for s in AlertStatus],
                value=OPEN_STATUSES,
                rows=4,
                description="Status",
                style=_WIDE,
                layout=w.Layout(width="auto"),
            ),
            severity=dropdown("Severity", [s.value for s in AlertSeverity]),
            type=dropdown("Type", [t.value for t in AlertType]),
            symbol=dropdown("Symbol", []),
            strategy_id=w.Text(
                placeholder="any",
                description="Strategy",
                continuous_update=False,
                style=_WIDE,
                layout=w.Layout(width="12em"),
            ),
            rule=dropdown("Rule", []),
            created_from=w.DatePicker(description="Created from", style=_WIDE),
            created_to=w.DatePicker(description="to", style=_WIDE),
            text=w.Text(
                placeholder="search title and message",
                description="Search",
                continuous_update=False,
                style=_WIDE,
                layout=w.Layout(width="22em"),
            ),
        )
        for name in controls.names():
            getattr(controls, name).add_class(f"alertkit-filter-{name.replace('_', '-')}")
        return controls

    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in fields(self))

    def widgets(self) -> list[Any]:
        return [getattr(self, n) for n in self.names()]

    def box(self) -> Any:
        return w.HBox(
            [
                self.status,
                w.VBox([self.severity, self.type, self.symbol]),
                w.VBox([self.rule, self.strategy_id]),
                w.VBox([w.HBox([self.created_from, self.created_to]), self.text]),
            ],
            layout=w.Layout(flex_flow="row wrap"),
        )

    def set_options(self, symbols: Sequence[str], rules: Sequence[str]) -> None:
        _set_choices(self.symbol, symbols)
        _set_choices(self.rule, rules)

    def read(self, picks: Sequence[tuple[str, str]] = ()) -> BoardFilter:
        """The filter these controls describe; ValidationError names a control to fix."""
        text = self.strategy_id.value.strip()
        try:
            strategy_id = int(text) if text else None
        except ValueError:
            raise ValidationError(
                f"strategy_id: expected a whole number, got {text!r}; filter not applied"
            ) from None
        start, end = self.created_from.value, self.created_to.value
        if start is not None and end is not None and start > end:
            raise ValidationError(
                f"created range: expected from <= to, got {start} > {end}; filter not applied"
            )
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
            b = w.Button(description=label, button_style=style, tooltip=tip, disabled=True)
            b.add_class(css)
            return b

        controls = cls(
            user=w.Text(
                value=user,
                placeholder="your name",
                description="By",
                style=_WIDE,
                layout=w.Layout(width="14em"),
            ),
            note=w.Text(
                placeholder="optional note",
                description="Note",
                style=_WIDE,
                layout=w.Layout(width="24em"),
            ),
            acknowledge=button(
                "Acknowledge", "info", "Acknowledge the selected alerts", "alertkit-acknowledge"
            ),
            resolve=button("Resolve", "success", "Resolve the selected alerts", "alertkit-resolve"),
            dismiss=button("Dismiss", "warning", "Dismiss the selected alerts", "alertkit-dismiss"),
            refresh=w.Button(description="Refresh", icon="refresh", tooltip="Read the table again"),
            auto_refresh=w.ToggleButton(
                value=False, description="Auto-refresh", tooltip="Refresh every few seconds"
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
                self.user,
                self.note,
                *self.buttons(),
                self.refresh,
                self.auto_refresh,
                self.interval,
            ],
            layout=w.Layout(flex_flow="row wrap"),
        )
