"""The board's search box: field-qualified terms and free words, parsed into one polars filter.

``symbol:SPY rule:vix_* strategy:153 status:acknowledged gamma`` keeps alerts on SPY, from a
rule matching ``vix_*``, of strategy 153, acknowledged, whose title, message, symbol or rule
contains "gamma". Terms of different fields all apply; repeating a field (``symbol:SPY
symbol:QQQ``) or listing values (``status:active,acknowledged``) means any of them. Values are
case-insensitive; ``*`` and ``?`` are wildcards in ``symbol:`` and ``rule:``. A word whose
prefix is not a field (``15:30``) is a free word; when that prefix looks like a field name
(``foo:bar``, a typo of one) the search also carries a notice naming the fields, so it is never
searched as words silently. Quotes keep a phrase together.

>>> parse_search('symbol:spy rule:vix_* "above 35" Gamma').highlights
('above 35', 'gamma', 'spy')
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from functools import reduce
from typing import Final

import polars as pl

from alertkit.model.alerts import AlertSeverity, AlertStatus, AlertType
from alertkit.model.errors import ValidationError

__all__ = ["FIELDS", "Search", "parse_search"]

FIELDS: Final = ("symbol", "rule", "strategy", "status", "severity", "type", "id")
_FIELD_LIKE: Final = re.compile(r"[a-z_]+")
"""A prefix that reads as a field name (``foo`` in ``foo:bar``; not ``15`` in ``15:30``)."""
FREE_TEXT_COLUMNS: Final = ("title", "message", "symbol", "rule")
_CHOICES: Final = {
    "status": tuple(s.value for s in AlertStatus),
    "severity": tuple(s.value for s in AlertSeverity),
    "type": tuple(t.value for t in AlertType),
}


def _glob(pattern: str) -> str:
    """A case-insensitive, anchored regex for a ``*``/``?`` glob; everything else literal."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern.lower())
    return f"^{body}$"


def _wild(value: str) -> bool:
    return "*" in value or "?" in value


def _any(parts: list[pl.Expr]) -> pl.Expr:
    return reduce(lambda a, b: a | b, parts)


@dataclass(frozen=True, slots=True)
class Search:
    """A parsed search: the values of each qualified field (lowercase) and the free words."""

    terms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    words: tuple[str, ...] = ()
    notices: tuple[str, ...] = ()
    """What the search did that the person may not have meant (an unknown field)."""

    @property
    def statuses(self) -> tuple[str, ...]:
        """The ``status:`` values; when given they replace the board's status choice."""
        return self.terms.get("status", ())

    @property
    def highlights(self) -> tuple[str, ...]:
        """What to mark in the table: the free words and the literal symbol values."""
        symbols = (s for s in self.terms.get("symbol", ()) if not _wild(s))
        return tuple(sorted({*self.words, *symbols}))

    def expr(self) -> pl.Expr | None:
        """Every term ANDed (values of one field ORed); None when the search is empty.

        ``status:`` is left out: the board applies it in place of its status control.
        """
        parts: list[pl.Expr] = []
        for name, values in self.terms.items():
            if name in ("symbol", "rule"):
                col = pl.col(name).str.to_lowercase()
                parts.append(
                    _any([col.str.contains(_glob(v)) if _wild(v) else col == v for v in values])
                )
            elif name == "strategy":
                parts.append(pl.col("strategy_id").is_in([int(v) for v in values]))
            elif name == "id":
                parts.append(pl.col("alert_id").is_in(list(values)))
            elif name in ("severity", "type"):
                parts.append(pl.col(name).is_in(list(values)))
        for word in self.words:
            parts.append(
                _any(
                    [
                        pl.col(c).str.to_lowercase().str.contains(word, literal=True)
                        for c in FREE_TEXT_COLUMNS
                    ]
                )
            )
        return reduce(lambda a, b: a & b, parts) if parts else None


def _tokens(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:  # an unbalanced quote: take the words as typed
        return text.split()


def parse_search(text: str) -> Search:
    """Parse the search box; a ValidationError says which term is wrong and why."""
    terms: dict[str, list[str]] = {}
    words: list[str] = []
    notices: list[str] = []
    for token in _tokens(text.strip()):
        name, colon, value = token.partition(":")
        name = name.lower()
        if not colon or name not in FIELDS:
            words.append(token.lower())
            if colon and _FIELD_LIKE.fullmatch(name):
                notices.append(
                    f"search: {name}: not a field, so {token!r} was searched as words"
                    f" (the fields are {', '.join(f + ':' for f in FIELDS)})"
                )
            continue
        values = [v.strip() for v in value.split(",") if v.strip()]
        if not values:
            raise ValidationError(f"search: {name}: needs a value, e.g. {name}:{_example(name)}")
        if name != "id":
            values = [v.lower() for v in values]
        for v in values:
            _check(name, v)
        terms.setdefault(name, []).extend(values)
    return Search({k: tuple(v) for k, v in terms.items()}, tuple(words), tuple(notices))


def _example(name: str) -> str:
    return {"symbol": "SPY", "rule": "vix_*", "strategy": "153", "id": "<alert id>"}.get(
        name, _CHOICES.get(name, ("",))[0]
    )


def _check(name: str, value: str) -> None:
    if name == "strategy" and not re.fullmatch(r"-?\d+", value):
        raise ValidationError(f"search: strategy: expected a whole number, got {value!r}")
    choices = _CHOICES.get(name)
    if choices is not None and value not in choices:
        raise ValidationError(
            f"search: {name}: expected one of {', '.join(choices)}, got {value!r}"
        )
