"""The board's policy inputs: snooze, assign and silence the ticked rows, and the silence form.

:class:`PolicyControls` is the second action bar (its buttons act on the ticked rows, as the
lifecycle buttons do); :class:`SilenceForm` is the silence being made: the matchers proposed
from the ticked alerts (editable, in the values of :mod:`alertkit.policy.matchers`), how long,
why, and the button that creates it (which asks again, as "Confirm silence", when the manager
finds the silence too broad).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import ipywidgets as w

from alertkit.widgets._policy_query import PROPOSED_FIELDS

__all__ = ["CONFIRM", "CREATE", "PolicyControls", "SilenceForm"]

_WIDE: Final = {"description_width": "initial"}
CREATE: Final = "Create silence"
CONFIRM: Final = "Confirm silence"
"""The create button's label once the manager refused the silence as too broad."""


def _button(label: str, tip: str, css: str, style: str = "") -> Any:
    button = w.Button(
        description=label,
        button_style=style,
        tooltip=tip,
        disabled=True,
        layout=w.Layout(width="auto"),
    )
    return button.add_class(css)


def _text(label: str, placeholder: str, width: str, value: str = "") -> Any:
    return w.Text(
        value=value,
        placeholder=placeholder,
        description=label,
        style=_WIDE,
        layout=w.Layout(width=width),
    )


@dataclass(slots=True)
class PolicyControls:
    """Snooze (for ``duration``), assign (to ``assignee``), unassign and silence the ticked."""

    snooze: Any
    duration: Any
    assign: Any
    assignee: Any
    unassign: Any
    silence: Any

    @classmethod
    def create(cls, *, snooze_for: str = "1h") -> PolicyControls:
        controls = cls(
            snooze=_button(
                "Snooze",
                "Send nothing about the ticked open alerts for the time given (they leave"
                " the default view until then)",
                "alertkit-snooze",
            ),
            duration=_text("for", "1h, 30m, 1d", "8em", snooze_for),
            assign=_button(
                "Assign", "Assign the ticked alerts to the name given", "alertkit-assign"
            ),
            assignee=_text("to", "a name", "10em"),
            unassign=_button(
                "Unassign", "Take the ticked alerts' assignee away", "alertkit-unassign"
            ),
            silence=_button(
                "Silence\u2026",
                "Propose a silence matching what the ticked alerts share",
                "alertkit-silence",
            ),
        )
        controls.duration.add_class("alertkit-snooze-for")
        controls.assignee.add_class("alertkit-assign-to")
        return controls

    def buttons(self) -> tuple[Any, Any, Any, Any]:
        return (self.snooze, self.assign, self.unassign, self.silence)

    def box(self) -> Any:
        return w.HBox(
            [self.snooze, self.duration, self.assign, self.assignee, self.unassign, self.silence],
            layout=w.Layout(flex_flow="row wrap", align_items="center"),
        ).add_class("alertkit-policy-actions")


@dataclass(slots=True)
class SilenceForm:
    """The silence being made; hidden until proposed (``open``)."""

    rule: Any
    symbol: Any
    strategy_id: Any
    duration: Any
    comment: Any
    submit: Any
    cancel: Any
    container: Any

    @classmethod
    def create(cls, *, silence_for: str = "2h") -> SilenceForm:
        matcher_tip = "SPY, !=SPY, =~vix_.*, !~cat.*; empty: not matched"
        rule = _text("Silence rule", matcher_tip, "16em")
        symbol = _text("symbol", matcher_tip, "10em")
        strategy_id = _text("strategy", matcher_tip, "9em")
        duration = _text("for", "2h, 30m, 1d", "8em", silence_for)
        comment = _text("Comment", "why (required, kept with the silence)", "20em")
        submit = _button(
            CREATE, "Create this silence (By is who makes it)", "alertkit-silence-create"
        )
        submit.disabled = False
        cancel = w.Button(
            description="Cancel", tooltip="Close the form", layout=w.Layout(width="auto")
        ).add_class("alertkit-silence-cancel")
        container = w.HBox(
            [rule, symbol, strategy_id, duration, comment, submit, cancel],
            layout=w.Layout(flex_flow="row wrap", align_items="center", display="none"),
        ).add_class("alertkit-silence-form")
        return cls(rule, symbol, strategy_id, duration, comment, submit, cancel, container)

    def inputs(self) -> tuple[Any, ...]:
        """The widgets whose change makes a refused silence a new one (asked again)."""
        return (self.rule, self.symbol, self.strategy_id, self.duration, self.comment)

    @property
    def is_open(self) -> bool:
        return bool(self.container.layout.display != "none")

    def open(self, proposal: Mapping[str, str]) -> None:
        """Show the form with ``proposal``'s matchers (the others empty)."""
        for name in PROPOSED_FIELDS:
            getattr(self, name).value = proposal.get(name, "")
        self.container.layout.display = "flex"

    def close(self) -> None:
        self.container.layout.display = "none"
        self.ask_confirmation(False)

    def matchers(self) -> dict[str, str]:
        """The matchers typed in: each field with a value, as written."""
        given = {name: getattr(self, name).value.strip() for name in PROPOSED_FIELDS}
        return {name: value for name, value in given.items() if value}

    def ask_confirmation(self, asking: bool) -> None:
        """The create button as "Confirm silence" (danger) while ``asking``, else as usual."""
        self.submit.description = CONFIRM if asking else CREATE
        self.submit.button_style = "danger" if asking else ""
