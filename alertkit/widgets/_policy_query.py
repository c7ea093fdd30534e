"""What the board reads for its policies: who is snoozed now, and a silence's proposal.

Pure functions over the alerts scan (no widgets): :func:`snoozed_now` applies the snooze
rule of :mod:`alertkit.policy.snooze` (``wake_times``) to the alerts that may be snoozed at
an instant, and :func:`proposed_matchers` turns the alerts a person ticked into the matchers
a silence of them would start from.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

import polars as pl

from alertkit.policy.snooze import wake_times

__all__ = ["PROPOSED_FIELDS", "exact_value", "proposed_matchers", "snoozed_now"]

PROPOSED_FIELDS: Final = ("rule", "symbol", "strategy_id")
"""The fields a silence of ticked alerts proposes to match, when they all share a value."""

_WAKE_COLUMNS: Final = (
    "alert_id",
    "strategy_id",
    "severity",
    "created_at",
    "snoozed_at",
    "snoozed_until",
)
_REGEX_SPECIAL: Final = frozenset("\\.^$|?*+()[]{}")


def snoozed_now(scan: pl.LazyFrame, now: datetime) -> dict[str, datetime]:
    """When each alert snoozed at ``now`` wakes: ``{alert_id: wakes_at}``.

    An alert is snoozed at ``now`` iff ``snoozed_at <= now < wakes_at``, ``wakes_at`` being
    the earlier of ``snoozed_until`` and the creation of the first more severe alert on its
    position after the snooze (:func:`~alertkit.policy.snooze.wake_times`). Only the alerts
    whose stored window holds ``now`` and the other alerts of their positions are read.
    """
    held = (pl.col("snoozed_at") <= now) & (pl.col("snoozed_until") > now)
    candidates = scan.filter(held).select(_WAKE_COLUMNS).collect()
    if candidates.is_empty():
        return {}
    strategies = candidates["strategy_id"].drop_nulls().unique()
    others = (
        scan.filter(
            pl.col("strategy_id").is_in(strategies.implode())
            & ~pl.col("alert_id").is_in(candidates["alert_id"].implode())
        )
        .select(_WAKE_COLUMNS)
        .collect()
    )
    times = wake_times(pl.concat([candidates, others]))
    awake_later = times.filter((pl.col("snoozed_at") <= now) & (pl.col("wakes_at") > now))
    return dict(zip(awake_later["alert_id"], awake_later["wakes_at"], strict=True))


def exact_value(text: str) -> str:
    """A matcher value (:mod:`alertkit.policy.matchers`) matching exactly ``text``.

    Plain text is its own value; text that would read as an operator gets the explicit
    ``=`` form, and text with a ``*`` (a wildcard in an equal value) becomes an escaped
    regular expression.

    >>> exact_value("SPY"), exact_value("!=x"), exact_value("a*b")
    ('SPY', '=!=x', '=~a\\\\*b')
    """
    if "*" in text:
        return "=~" + "".join("\\" + c if c in _REGEX_SPECIAL else c for c in text)
    if text.startswith(("=", "!=", "!~")):
        return "=" + text
    return text


def proposed_matchers(alerts: pl.DataFrame) -> dict[str, str]:
    """The matchers of a silence of ``alerts`` (rows with ``rule``, ``symbol`` and
    ``strategy_id``): each of :data:`PROPOSED_FIELDS` whose value every alert shares, in
    that order; a field some alert lacks (null) is not proposed.

    >>> proposed_matchers(pl.DataFrame(
    ...     {"rule": ["vix_level", "vix_level"], "symbol": ["SPY", "QQQ"], "strategy_id": [4, 4]}
    ... ))
    {'rule': 'vix_level', 'strategy_id': '4'}
    """
    proposal: dict[str, str] = {}
    if alerts.is_empty():
        return proposal
    for field in PROPOSED_FIELDS:
        values = alerts[field]
        if values.null_count() == 0 and values.n_unique() == 1:
            proposal[field] = exact_value(str(values[0]))
    return proposal
