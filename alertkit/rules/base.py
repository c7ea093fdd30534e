"""Rules and their triggers: each condition declared once, decided per row or per frame.

A :class:`Rule` is an engine rule (``take_profit``, priority 2) with an ordered tuple of
:class:`Trigger` s (``take_profit_full``, then ``take_profit_partial``); the first trigger whose
condition is True decides. A decision's reason and metadata are a pure function of the trigger,
the row's values and the rule's thresholds (:meth:`Rule.decision_for`), so the vectorized
backtest can build the very same :class:`Decision` for the rows that fired.
"""

from __future__ import annotations

import math
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from numbers import Integral, Real
from types import MappingProxyType
from typing import Any, Final, Literal, Protocol, TypeVar, cast

from alertkit.model.decisions import Decision, DecisionAction, Urgency
from alertkit.model.errors import ValidationError
from alertkit.model.snapshot_rows import SnapshotLike, snapshot_row
from alertkit.rules import compile_row
from alertkit.rules.conditions import Expr, any_of, lit

__all__ = [
    "MAX_PRIORITY",
    "MIN_PRIORITY",
    "Rule",
    "RuleLike",
    "Trigger",
    "bind_by_name",
    "check_priority",
    "in_order",
]

MIN_PRIORITY: Final = 1.0
MAX_PRIORITY: Final = 12.0


class RuleLike(Protocol):
    """What the engine runs: any object with these members, not only :class:`Rule`."""

    @property
    def name(self) -> str: ...

    @property
    def priority(self) -> float: ...

    async def evaluate(
        self, snapshot: SnapshotLike, market_data: Mapping[str, Any] | None = None
    ) -> Decision | None: ...


_R = TypeVar("_R", bound=RuleLike)


@dataclass(frozen=True, slots=True, eq=False)
class Trigger:
    """One way a rule fires: a condition and the decision it leads to.

    Parameters
    ----------
    id
        The trigger id, the decision's ``rule`` and the alert's fingerprint (``vix_change``).
    when
        The condition; the trigger fires only where it is True.
    action, urgency
        The decision's action and urgency; ``urgency`` may be an expression giving an urgency
        value per row (``dte_roll`` is HIGH when forced).
    reason
        A ``str.format`` template over the metadata names, e.g. ``"VIX {vix:.2f} > {threshold}"``.
    metadata
        Name -> expression (or constant) recorded in the decision: the inputs the condition
        read and the thresholds it compared them with.
    """

    id: str
    when: Expr
    action: DecisionAction
    urgency: Urgency | Expr
    reason: str
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        wrapped = {k: v if isinstance(v, Expr) else lit(v) for k, v in self.metadata.items()}
        object.__setattr__(self, "metadata", MappingProxyType(wrapped))

    def urgency_expr(self) -> Expr:
        """The urgency as an expression (a constant for most triggers)."""
        return self.urgency if isinstance(self.urgency, Expr) else lit(self.urgency)


class _Formatter(string.Formatter):
    """``str.format`` that prints null inputs as ``n/a`` instead of failing on a format spec."""

    def format_field(self, value: Any, format_spec: str) -> Any:
        return "n/a" if value is None else super().format_field(value, format_spec)


_FORMATTER: Final = _Formatter()


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """An engine rule: a unique ``name``, a ``priority`` in [1, 12], ordered triggers.

    Subclasses are frozen dataclasses whose fields are the thresholds (keyword-only, with the
    defaults of docs/domain.md §4) and which build their triggers in :meth:`_build_triggers`.
    Float and int fields are checked here: finite numbers, no bools.
    """

    name: str
    priority: float
    triggers: tuple[Trigger, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValidationError(f"name: expected a non-empty str, got {self.name!r}")
        object.__setattr__(self, "priority", check_priority(self.priority, self.name))
        for f in fields(self):
            if not f.init:
                continue
            value = getattr(self, f.name)
            # f.type is the annotation string under `from __future__ import annotations`
            if f.type in ("float", float):
                if isinstance(value, bool) or not isinstance(value, Real):
                    raise ValidationError(f"{self.name}.{f.name}: expected a number, got {value!r}")
                if not math.isfinite(value):
                    raise ValidationError(
                        f"{self.name}.{f.name}: expected a finite number, got {value!r}"
                    )
                object.__setattr__(self, f.name, float(value))
            elif f.type in ("int", int) and (
                isinstance(value, bool) or not isinstance(value, Integral)
            ):
                raise ValidationError(f"{self.name}.{f.name}: expected an int, got {value!r}")
        self._check_thresholds()
        triggers = tuple(self._build_triggers())
        ids = [t.id for t in triggers]
        if not triggers or len(set(ids)) != len(ids):
            raise ValidationError(f"{self.name}: expected distinct trigger ids, got {ids}")
        object.__setattr__(self, "triggers", triggers)

    def _check_thresholds(self) -> None:
        """Refuse thresholds that cannot be meant (a percent where a fraction belongs, a
        partial target above the full one); the rules' own ranges, see :func:`check_range`."""

    def _build_triggers(self) -> Sequence[Trigger]:
        raise NotImplementedError

    def bound(self, by_name: Mapping[str, Rule]) -> Rule:
        """This rule with the rules it refers to looked up by name in ``by_name``.

        Most rules refer to none and return themselves; :class:`~alertkit.rules.DTERoll`
        gives way to whatever is registered as ``gamma_risk`` and ``time_exit``.
        """
        return self

    @property
    def trigger_ids(self) -> tuple[str, ...]:
        """The trigger ids in the order they are tried."""
        return tuple(t.id for t in self.triggers)

    def condition(self) -> Expr:
        """True where some trigger of this rule fires (never null)."""
        return any_of(*(t.when.is_true() for t in self.triggers))

    def match(self, snapshot: SnapshotLike) -> Trigger | None:
        """The first trigger that fires on ``snapshot``, or None."""
        row = snapshot_row(snapshot)
        return next((t for t in self.triggers if compile_row.fires(t.when, row)), None)

    def decide(self, snapshot: SnapshotLike) -> Decision | None:
        """The decision for ``snapshot`` (synchronous), or None when no trigger fires."""
        row = snapshot_row(snapshot)
        trigger = self.match(row)
        return None if trigger is None else self._decision(trigger, row)

    async def evaluate(
        self, snapshot: SnapshotLike, market_data: Mapping[str, Any] | None = None
    ) -> Decision | None:
        """The engine interface: :meth:`decide` on the snapshot with market data.

        The trailing stop reads ``peak_upl_pct`` from the snapshot; the engine fills it in.
        """
        return self.decide(snapshot_row(snapshot, market_data))

    def decision_for(self, trigger_id: str, snapshot: SnapshotLike) -> Decision:
        """The decision trigger ``trigger_id`` gives on ``snapshot``, assuming it fired.

        This is the one place reason and metadata are made; the backtester calls it on the
        rows a frame evaluation marked, and gets what the engine would have returned.
        """
        for trigger in self.triggers:
            if trigger.id == trigger_id:
                return self._decision(trigger, snapshot_row(snapshot))
        raise ValidationError(
            f"trigger_id: expected one of {', '.join(self.trigger_ids)} for rule {self.name},"
            f" got {trigger_id!r}"
        )

    def _decision(self, trigger: Trigger, row: Mapping[str, Any]) -> Decision:
        metadata = {
            name: compile_row.evaluate(expr, row) for name, expr in trigger.metadata.items()
        }
        return Decision(
            action=trigger.action,
            reason=_FORMATTER.format(trigger.reason, **metadata),
            rule=trigger.id,
            urgency=Urgency.parse(compile_row.evaluate(trigger.urgency_expr(), row), "urgency"),
            metadata=metadata,
            engine_rule=self.name,
            priority=self.priority,
        )


def check_range(
    rule: Rule,
    parameter: str,
    low: float,
    high: float,
    meaning: str,
    *,
    closed: Literal["both", "left", "right", "none"] = "both",
) -> None:
    """Refuse ``rule``'s ``parameter`` outside ``low``..``high`` (ends included as ``closed``
    says), naming what was expected (``meaning``) and the likely unit: a fraction given in
    percent (``TakeProfit(full=70)``) or index points given as a fraction (``level=0.35``)."""
    value = getattr(rule, parameter)

    def inside(x: float) -> bool:
        above = x >= low if closed in ("both", "left") else x > low
        below = x <= high if closed in ("both", "right") else x < high
        return above and below

    if inside(value):
        return
    hint = ""
    if inside(value / 100):
        hint = f" ({value:g} looks like percent: pass {value / 100:g})"
    elif inside(value * 100):
        hint = f" ({value:g} looks like a fraction: pass {value * 100:g})"
    raise ValidationError(f"{rule.name}.{parameter}: expected {meaning}, got {value!r}{hint}")


def check_order(rule: Rule, lower: str, upper: str, why: str) -> None:
    """Refuse ``rule.lower > rule.upper`` (an inverted pair of thresholds)."""
    if getattr(rule, lower) > getattr(rule, upper):
        raise ValidationError(
            f"{rule.name}: expected {lower} <= {upper} ({why}), got {lower}="
            f"{getattr(rule, lower)!r} and {upper}={getattr(rule, upper)!r}"
        )


# The ranges the rules' thresholds are held to (docs/domain.md §3 units). A target or stop on
# upl_pct is a fraction of the premium: a long option can make several times it and a credit
# spread lose several times it, but beyond 10x (1000 %) the number is a percent.
PROFIT = "a fraction of the premium in (0, 10] (0.8 = 80 %)"
LOSS = "a fraction of the premium in [-10, 0) (-0.5 = -50 %)"
UPL = "a fraction of the premium in [-10, 10] (0.2 = 20 %)"
RATIO = "a ratio in [0, 1]"


def check_priority(priority: object, name: str) -> float:
    """``priority`` as a float, or :class:`ValidationError` unless a number in [1, 12]."""
    if (
        isinstance(priority, bool)
        or not isinstance(priority, Real)
        or not MIN_PRIORITY <= float(priority) <= MAX_PRIORITY
    ):
        raise ValidationError(
            f"{name}.priority: expected a number in [{MIN_PRIORITY:g}, {MAX_PRIORITY:g}],"
            f" got {priority!r}"
        )
    return float(priority)


def bind_by_name(rules: Iterable[_R]) -> list[_R]:
    """``rules`` with every reference between them resolved by rule name.

    The engine calls this whenever a rule is registered, and a frame evaluation on its rule
    list, so a rule that gives way to ``gamma_risk`` gives way to the one that runs, even one
    registered later. A rule that is unchanged is returned as the same object.
    """
    rule_list = list(rules)
    by_name = {rule.name: rule for rule in rule_list if isinstance(rule, Rule)}
    return [
        cast("_R", rule.bound(by_name)) if isinstance(rule, Rule) else rule for rule in rule_list
    ]


def in_order(rules: Iterable[_R]) -> list[_R]:
    """``rules`` in evaluation order: ascending priority, ties in the given order."""
    return sorted(rules, key=lambda rule: rule.priority)
