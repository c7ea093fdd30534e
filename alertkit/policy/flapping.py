"""Flap detection: a fingerprint that keeps changing status is flapping (Kibana's rule).

Each evaluation of a position (a snapshot of it decided by the rules: a backtest row, or a
live cycle that carries it) gives every fingerprint of the position a status: *firing* (the
decision's trigger is the fingerprint's) or not. A *status change* is an evaluation whose
status differs from the previous one (before its first firing a fingerprint is not firing,
so the first firing is a change). A fingerprint is **flapping** at an evaluation when at least
``changes`` (default 4) of its last ``evaluations`` (default 20) evaluations were changes.

While a fingerprint flaps, the notifications of its alerts are muted (the log records
``suppressed``, ``flapping``); one notification with reason ``flapping_started`` says when it
starts, and one with ``flapping_stopped`` when it stops, each for the fingerprint's latest
alert created at or before that evaluation.

The same rule runs over a whole history at once (:func:`flap_states`, the replay) and one
cycle at a time from stored state (:func:`advance`, the live cycle): the state of a
fingerprint is its last status and the change flags of its last ``evaluations`` evaluations
(a fingerprint never seen is not firing, with no flags).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

import polars as pl

from alertkit.model.errors import ValidationError

__all__ = [
    "FLAP_STATE_SCHEMA",
    "FlapDetection",
    "advance",
    "flap_states",
    "flap_transitions",
    "forgettable",
]

_TS: Final = pl.Datetime("us", "UTC")
_FP: Final = ("trigger", "strategy_id", "symbol")

FLAP_STATE_SCHEMA: Final[dict[str, pl.DataType]] = {
    "trigger": pl.String(),
    "strategy_id": pl.Int64(),
    "symbol": pl.String(),
    "firing": pl.Boolean(),
    "flags": pl.String(),
    "flapping": pl.Boolean(),
    "evaluated_at": _TS,
    "changed_at": _TS,
}
"""One fingerprint's flap state after an evaluation: ``firing`` (its last status),
``flags`` (``0``/``1`` per evaluation, a ``1`` for a change, oldest first, at most
``evaluations`` long), ``flapping``, ``evaluated_at`` (the evaluation's instant) and
``changed_at`` (the evaluation at which ``flapping`` last changed; null before)."""


def forgettable(before: datetime) -> pl.Expr:
    """The stored states that may be deleted: those last evaluated before ``before`` whose
    next evaluations decide exactly what they would for a fingerprint never seen.

    A never-seen fingerprint is not firing, has no flags and is not flapping. A state is as
    good as that when it is not firing, not flapping, never flapped (``changed_at`` null: a
    flap change still feeds a ``flapping_*`` notification and mutes older dues), and holds no
    ``1`` flag: its last change is out of the window, so the changes counted in every later
    window are the later evaluations' alone, whatever ``evaluations`` is. (A state that was
    firing at its last evaluation is kept: its next not-firing evaluation is a change, which a
    forgotten one would not count.) ``before`` keeps the states of recent evaluations, which
    a cycle run again at its own instant must find to count nothing twice.
    """
    return (
        (pl.col("evaluated_at") < before)
        & ~pl.col("firing")
        & ~pl.col("flapping")
        & pl.col("changed_at").is_null()
        & ~pl.col("flags").str.contains("1", literal=True)
    )


@dataclass(frozen=True, slots=True)
class FlapDetection:
    """Flapping: at least ``changes`` status changes in the last ``evaluations``."""

    changes: int = 4
    evaluations: int = 20

    def __post_init__(self) -> None:
        for name in ("changes", "evaluations"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValidationError(f"{name}: expected a positive int, got {value!r}")
        if self.changes > self.evaluations:
            raise ValidationError(
                f"changes: {self.changes} changes cannot happen in {self.evaluations}"
                " evaluations; expected changes <= evaluations"
            )


def flap_states(decisions: pl.DataFrame, detection: FlapDetection) -> pl.DataFrame:
    """Every evaluation of every fingerprint from its first firing on: the fingerprint
    columns, ``as_of``, ``firing``, ``changes`` (in the window) and ``flapping``.

    ``decisions`` has ``as_of``, ``trigger`` (null: HOLD), ``strategy_id`` and ``symbol``,
    one row per position per instant (a backtest's decisions)."""
    rows = decisions.select("as_of", "trigger", "strategy_id", "symbol")
    fired = (
        rows.filter(pl.col("trigger").is_not_null()).group_by(*_FP).agg(first=pl.col("as_of").min())
    )
    return (
        fired.join(
            rows.rename({"trigger": "decided"}),
            on=["strategy_id", "symbol"],
            how="inner",
            nulls_equal=True,
        )
        .filter(pl.col("as_of") >= pl.col("first"))
        .sort(*_FP, "as_of", nulls_last=False)
        .with_columns(firing=(pl.col("decided") == pl.col("trigger")).fill_null(False))
        .with_columns(
            change=(pl.col("firing") != pl.col("firing").shift(1).over(_FP).fill_null(False)).cast(
                pl.Int32
            )
        )
        .with_columns(
            changes=pl.col("change").rolling_sum(detection.evaluations, min_samples=1).over(_FP)
        )
        .select(*_FP, "as_of", "firing", "changes", flapping=pl.col("changes") >= detection.changes)
    )


def flap_transitions(states: pl.DataFrame) -> pl.DataFrame:
    """The evaluations at which a fingerprint starts or stops flapping: the fingerprint
    columns, ``as_of`` and ``reason`` (``flapping_started`` or ``flapping_stopped``)."""
    before = pl.col("flapping").shift(1).over(_FP).fill_null(False)
    return (
        states.sort(*_FP, "as_of", nulls_last=False)
        .with_columns(before=before)
        .filter(pl.col("flapping") != pl.col("before"))
        .select(
            *_FP,
            "as_of",
            reason=pl.when(pl.col("flapping"))
            .then(pl.lit("flapping_started"))
            .otherwise(pl.lit("flapping_stopped")),
        )
    )


def advance(
    state: pl.DataFrame, decisions: pl.DataFrame, detection: FlapDetection
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The flap state after the evaluations of ``decisions`` (one or more instants, the
    positions evaluated), from ``state`` (:data:`FLAP_STATE_SCHEMA`, the fingerprints of
    those positions); returns (the new state of every fingerprint evaluated, and the
    transitions as :func:`flap_transitions`). An instant at or before a fingerprint's
    ``evaluated_at`` was already counted and is skipped, so replaying a cycle counts
    nothing twice."""
    current = {
        (t, s, y): (f, flags, flapping, at, changed)
        for t, s, y, f, flags, flapping, at, changed in state.select(
            list(FLAP_STATE_SCHEMA)
        ).iter_rows()
    }
    transitions = []
    by_position: dict[tuple[int | None, str | None], list[str]] = {}
    for t, s, y in current:
        by_position.setdefault((s, y), []).append(t)
    touched: set[tuple[str, int | None, str | None]] = set()
    rows = decisions.select("as_of", "trigger", "strategy_id", "symbol").sort("as_of")
    for as_of, trigger, sid, symbol in rows.iter_rows():
        triggers = by_position.setdefault((sid, symbol), [])
        if trigger is not None and trigger not in triggers:
            triggers.append(trigger)
        for fp_trigger in triggers:
            key = (fp_trigger, sid, symbol)
            firing, flags, flapping, at, changed = current.get(key, (False, "", False, None, None))
            if at is not None and as_of <= at:
                continue
            now_firing = trigger == fp_trigger
            flags = (flags + ("1" if now_firing != firing else "0"))[-detection.evaluations :]
            now_flapping = flags.count("1") >= detection.changes
            if now_flapping != flapping:
                changed = as_of
                transitions.append(
                    (
                        fp_trigger,
                        sid,
                        symbol,
                        as_of,
                        "flapping_started" if now_flapping else "flapping_stopped",
                    )
                )
            current[key] = (now_firing, flags, now_flapping, as_of, changed)
            touched.add(key)
    new_state = pl.DataFrame(
        [
            (t, s, y, *current[(t, s, y)])
            for (t, s, y) in sorted(touched, key=lambda k: (k[1] or 0, k[2] or "", k[0]))
        ],
        schema=FLAP_STATE_SCHEMA,
        orient="row",
    )
    return new_state, pl.DataFrame(
        transitions,
        schema={**{c: FLAP_STATE_SCHEMA[c] for c in _FP}, "as_of": _TS, "reason": pl.String()},
        orient="row",
    )
