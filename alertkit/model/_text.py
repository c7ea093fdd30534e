"""Text alertkit stores: one declaration of each limit, checked per value and per column.

Every string written to the alerts table must be valid UTF-8, which a Python ``str`` holding a
lone surrogate (``"\\udcff"``, what a non-UTF-8 command-line byte decodes to) is not: polars and
deltalake refuse it with a raw ``UnicodeEncodeError``, and JSON escapes it into text that other
Delta engines' JSON functions reject. :class:`TextRule` states, for one field, whether it may
be null or blank and how long it may be, and checks it twice from that one statement: on a
Python value (:meth:`TextRule.check`, used by :class:`~alertkit.model.alerts.Alert`) and on a polars
column (:meth:`TextRule.column_problems`, used by the bulk-insert frame check), so the two can
never disagree.

"Blank" means nothing but the characters Python's ``str.strip()`` removes (:data:`WHITESPACE`);
the frame check strips exactly that set rather than polars' own notion of whitespace.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import polars as pl

from alertkit.model.errors import ValidationError

__all__ = [
    "MAX_FREE_TEXT",
    "WHITESPACE",
    "TextRule",
    "check_free_text",
    "check_unicode",
    "surrogate_position",
]

WHITESPACE: Final = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
"""Every character ``str.strip()`` removes (``str.isspace``: 29 of them, the ASCII separators
0x1c-0x1f included, which polars' own ``strip_chars()`` keeps)."""

MAX_FREE_TEXT: Final = 10_000
"""Longest ``by`` or ``note`` accepted for a transition (characters)."""


def surrogate_position(value: str) -> int | None:
    """Index of the first lone surrogate in ``value`` (not encodable as UTF-8), or None."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        return exc.start
    return None


def check_unicode(value: str, name: str) -> str:
    """``value`` if it is valid Unicode text (storable as UTF-8), else ValidationError."""
    position = surrogate_position(value)
    if position is not None:
        raise ValidationError(
            f"{name}: expected valid Unicode text, got a lone surrogate"
            f" {value[position]!r} at position {position} (not storable as UTF-8)"
        )
    return value


@dataclass(frozen=True, slots=True)
class TextRule:
    """What one text field accepts: null or not, blank or not, at most ``max_chars``."""

    nullable: bool = False
    blank: bool = False
    max_chars: int = 10_000

    def check(self, value: object, name: str) -> str | None:
        """``value`` if it is acceptable, else :class:`ValidationError` naming ``name``."""
        if value is None:
            if self.nullable:
                return None
            raise ValidationError(f"{name}: expected a str, got None")
        if not isinstance(value, str):
            kind = "a str or None" if self.nullable else "a str"
            raise ValidationError(f"{name}: expected {kind}, got {type(value).__name__} {value!r}")
        check_unicode(value, name)
        if not self.blank and not value.strip(WHITESPACE):
            raise ValidationError(f"{name}: expected a non-empty string, got {value!r}")
        if len(value) > self.max_chars:
            raise ValidationError(
                f"{name}: expected at most {self.max_chars} characters, got {len(value)}"
            )
        return value

    def column_problems(self, name: str) -> dict[str, pl.Expr]:
        """Boolean expressions, one per way a row of column ``name`` breaks this rule
        (true where it does). Polars strings are UTF-8 already: no surrogate can be in one."""
        column = pl.col(name)
        problems = {
            f"{name} is too long (over {self.max_chars} characters)": column.str.len_chars()
            > self.max_chars
        }
        if not self.nullable:
            problems[f"{name} is null"] = column.is_null()
        if not self.blank:
            problems[f"{name} is empty"] = column.str.strip_chars(WHITESPACE).str.len_chars() == 0
        return {label: expr.fill_null(False) for label, expr in problems.items()}


def check_free_text(value: object, name: str) -> str | None:
    """A transition's ``by`` or ``note``: None, or a str of valid Unicode (no lone
    surrogates) of at most :data:`MAX_FREE_TEXT` characters; blank is allowed.

    Examples
    --------
    >>> check_free_text("ann", "by")
    'ann'
    >>> check_free_text("\\udcff", "by")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    alertkit.model.errors.ValidationError: by: expected valid Unicode text, got a lone surrogate ...
    """
    if value is not None and not isinstance(value, str):
        raise ValidationError(f"{name}: expected a str or None, got {value!r}")
    return _FREE_TEXT.check(value, name)


_FREE_TEXT: Final = TextRule(nullable=True, blank=True, max_chars=MAX_FREE_TEXT)
