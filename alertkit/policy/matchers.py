"""Matchers: which alerts a silence, an inhibition or a snooze rule is about.

Prometheus Alertmanager's matchers, over the alert fields :data:`MATCHER_FIELDS`. A matcher
set is a dict of field to value; every matcher must hold (an empty set is refused: it would
match everything by accident). A value is written as Alertmanager writes it:

===============  ====================================================================
value            matches a field whose value
===============  ====================================================================
``"SPY"``        equals ``SPY``
``"!=SPY"``      is not ``SPY`` (a missing value is not ``SPY``)
``"=~cat.*"``    matches the regular expression, anchored at both ends
``"!~vix_.*"``   does not match it
``"*"``          is anything, missing included
``"cat*"``       a ``*`` inside an equal (or ``!=``) value is a wildcard: starts with ``cat``
===============  ====================================================================

``severity`` and ``type`` compare case-insensitively with their stored (lower-case) values;
``strategy_id`` compares as its decimal text. Regular expressions use the syntax both Python
and polars (Rust's ``regex``) accept; one that either refuses is refused here, at creation.
The same matchers run on one :class:`~alertkit.Alert` (:meth:`Matchers.matches`) and on a
frame of alert rows (:meth:`Matchers.expr`), with the same answer.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

import polars as pl

from alertkit.model.alerts import Alert
from alertkit.model.errors import ValidationError

__all__ = ["MATCHER_FIELDS", "Matcher", "Matchers"]

MATCHER_FIELDS: Final = ("symbol", "strategy_id", "rule", "engine_rule", "severity", "type")
"""The alert fields a matcher can test (``rule`` is the trigger id)."""

_CASELESS: Final = frozenset({"severity", "type"})
_MAX_VALUE: Final = 500

Op = Literal["=", "!=", "=~", "!~"]


@dataclass(frozen=True, slots=True)
class Matcher:
    """One field test: ``field`` ``op`` ``value`` (``value`` as written, without the op)."""

    field: str
    op: Op
    value: str

    @property
    def text(self) -> str:
        """The value as written in a matcher set (``"!=SPY"``, ``"=~cat.*"``, ``"SPY"``).

        An equal value that starts like an operator keeps the explicit ``=``: the text
        ``=~x`` is written ``"==~x"``, so it reads back as the text and not as a regex.
        """
        if self.op != "=":
            return self.op + self.value
        return "=" + self.value if self.value.startswith(("=", "!=", "!~")) else self.value

    @property
    def pattern(self) -> str:
        """The anchored regular expression this matcher tests."""
        if self.op in ("=~", "!~"):
            body = self.value
        else:  # '*' is a wildcard, the rest literal
            body = ".*".join(re.escape(part) for part in self.value.split("*"))
        return f"^(?:{body})$"

    @property
    def negated(self) -> bool:
        return self.op in ("!=", "!~")

    def test(self, value: str | None) -> bool:
        if self.value == "*" and self.op == "=":
            return True
        found = value is not None and re.fullmatch(self.pattern, value, self._flags) is not None
        return found != self.negated

    def expr(self) -> pl.Expr:
        if self.value == "*" and self.op == "=":
            return pl.lit(True)
        column = pl.col(self.field)
        if self.field == "strategy_id":
            column = column.cast(pl.String)
        pattern = ("(?i)" if self.field in _CASELESS else "") + self.pattern
        found = column.str.contains(pattern).fill_null(False)
        return ~found if self.negated else found

    @property
    def _flags(self) -> int:
        return re.IGNORECASE if self.field in _CASELESS else 0


def _parse(field: object, raw: object) -> Matcher:
    if not isinstance(field, str) or field not in MATCHER_FIELDS:
        raise ValidationError(
            f"matchers: unknown field {field!r}; expected some of {', '.join(MATCHER_FIELDS)}"
        )
    if isinstance(raw, bool) or not isinstance(raw, (str, int)):
        raise ValidationError(
            f"matchers[{field!r}]: expected a text value such as 'SPY', '!=SPY', '=~cat.*'"
            f" or '*', got {type(raw).__name__} {raw!r}"
        )
    text = str(raw)
    op: Op = "="
    for prefix in ("!=", "=~", "!~"):
        if text.startswith(prefix):
            op, text = prefix, text[len(prefix) :]
            break
    if text.startswith("=") and op == "=":  # '=SPY' is the explicit form of 'SPY'
        text = text[1:]
    if not text:
        raise ValidationError(f"matchers[{field!r}]: the value after {op!r} is empty")
    if len(text) > _MAX_VALUE:
        raise ValidationError(f"matchers[{field!r}]: longer than {_MAX_VALUE} characters")
    matcher = Matcher(field, op, text)
    _check_pattern(matcher)
    return matcher


def _check_pattern(matcher: Matcher) -> None:
    """Refuse a regex that Python or polars would not compile (or would read differently)."""
    try:
        re.compile(matcher.pattern)
    except re.error as exc:
        raise ValidationError(
            f"matchers[{matcher.field!r}]: invalid regular expression {matcher.value!r} ({exc})"
        ) from None
    try:
        pl.Series([""], dtype=pl.String).str.contains(matcher.pattern)
    except pl.exceptions.ComputeError as exc:
        raise ValidationError(
            f"matchers[{matcher.field!r}]: regular expression {matcher.value!r} is not one"
            f" polars accepts ({str(exc).splitlines()[0][:120]})"
        ) from None


@dataclass(frozen=True, slots=True)
class Matchers:
    """A set of matchers, all of which must hold (build with :meth:`of`)."""

    items: tuple[Matcher, ...]

    @classmethod
    def of(cls, given: Matchers | Mapping[str, Any], name: str = "matchers") -> Matchers:
        """Parse and check a dict of field to value (see the module docstring)."""
        if isinstance(given, Matchers):
            return given
        if not isinstance(given, Mapping):
            raise ValidationError(
                f"{name}: expected a dict of field to value, e.g. {{'rule': 'vix_level'}},"
                f" got {type(given).__name__} {given!r}"[:300]
            )
        if not given:
            raise ValidationError(
                f"{name}: empty; a silence needs at least one matcher (use"
                " {'rule': '*'} to mean every alert on purpose)"
            )
        try:
            items = tuple(_parse(field, value) for field, value in given.items())
        except ValidationError as exc:
            raise ValidationError(str(exc).replace("matchers", name, 1)) from None
        return cls(tuple(sorted(items, key=lambda m: MATCHER_FIELDS.index(m.field))))

    @classmethod
    def from_json(cls, text: str) -> Matchers:
        return cls.of(json.loads(text))

    def to_dict(self) -> dict[str, str]:
        return {m.field: m.text for m in self.items}

    def to_json(self) -> str:
        """Compact JSON, fields in :data:`MATCHER_FIELDS` order (how the tables store it)."""
        return json.dumps(self.to_dict(), separators=(",", ":"))

    def __str__(self) -> str:
        return ", ".join(f"{m.field}{m.op}{m.value}" for m in self.items)

    def matches(self, alert: Alert) -> bool:
        """Whether every matcher holds for ``alert``."""
        return all(m.test(_field_text(alert, m.field)) for m in self.items)

    def expr(self) -> pl.Expr:
        """The same test over a frame with the alert columns (true where every one holds)."""
        combined = pl.lit(True)
        for m in self.items:
            combined &= m.expr()
        return combined


def _field_text(alert: Alert, field: str) -> str | None:
    value = getattr(alert, field)
    if value is None:
        return None
    return str(value.value if hasattr(value, "value") else value)
