"""Case-insensitive ``str`` enums: lenient at the boundary, one canonical stored form."""

from __future__ import annotations

from enum import StrEnum
from typing import Self

from alertkit.model.errors import ValidationError


class LowerStrEnum(StrEnum):
    """A str enum whose values are the lowercase member names (the form stored in Delta)."""

    @staticmethod
    def _generate_next_value_(name: str, start: int, count: int, last_values: list[str]) -> str:
        return name.lower()

    @classmethod
    def _missing_(cls, value: object) -> Self | None:
        if isinstance(value, str):
            folded = value.strip().lower()
            for member in cls:
                if member.value == folded:
                    return member
        return None

    @classmethod
    def parse(cls, value: object, field: str) -> Self:
        """Return the member for ``value`` (a member or its name, any case) or raise."""
        if isinstance(value, cls):
            return value
        try:
            return cls(value)  # type: ignore[arg-type]  # _missing_ handles non-str
        except ValueError:
            allowed = ", ".join(m.value for m in cls)
            raise ValidationError(
                f"{field}: expected one of {allowed} (any case), got {value!r}"
            ) from None
