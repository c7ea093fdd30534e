"""What silences and inhibitions share: ids, text checks and the active interval."""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from typing import Final

from alertkit.model._text import TextRule
from alertkit.model._time import to_utc
from alertkit.model.errors import ValidationError

__all__ = ["check_policy_id", "check_text", "new_policy_id", "optional_utc"]

_ID_FORM: Final = re.compile(r"\A(sil|inh)-[0-9a-f]{12}\Z")
_TEXT: Final = TextRule(nullable=False, blank=False, max_chars=2_000)


def new_policy_id(prefix: str) -> str:
    """``sil-`` or ``inh-`` and 48 random bits in hex: short enough to type in a CLI."""
    return f"{prefix}-{secrets.token_hex(6)}"


def check_policy_id(value: object, prefix: str, name: str) -> str:
    """``value`` if it is an id of the ``prefix`` kind, else a clear ValidationError."""
    if not isinstance(value, str) or not _ID_FORM.match(value) or not value.startswith(prefix):
        raise ValidationError(
            f"{name}: expected an id like '{prefix}-0123456789ab', got {value!r}"[:200]
        )
    return value


def check_text(value: object, name: str) -> str:
    checked = _TEXT.check(value, name)
    assert checked is not None
    return checked


def optional_utc(value: datetime | None, name: str) -> datetime | None:
    return None if value is None else to_utc(value, name)


def check_interval(starts_at: datetime, ends_at: datetime | None, what: str) -> None:
    if ends_at is not None and ends_at <= starts_at:
        raise ValidationError(
            f"ends_at: a {what} must end after it starts; got ends_at {ends_at.isoformat()}"
            f" <= starts_at {starts_at.isoformat()}"
        )
