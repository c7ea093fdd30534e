"""The policy marks a firings commit writes on its rows: ``silenced_by``, a snooze rule's
snooze, and ``flapping`` (docs/policies.md).

Pure functions over the rows one attempt of :func:`alertkit.live.firings.commit_firings`
is about to write (the new alerts, and the open ones it continues), so the marks are decided
on the same table version as the rows and land in the same MERGE:

- ``silenced_by``: a new or repeated alert that names no silence yet gets the first silence
  (by ``starts_at``, then id) covering its earliest firing in the commit that any silence
  covers: active at the firing's instant (its snapshot's ``as_of``) and matching the alert.
  It is never changed afterwards.
- A snooze rule (:class:`~alertkit.policy.SnoozeRule`): a new alert matching the first
  matching rule gets ``snoozed_at = created_at`` and ``snoozed_until = created_at +
  duration``.
- ``flapping``: a new or repeated alert of a monitoring cycle gets its fingerprint's flap
  state at its latest firing in the cycle, from the flap state the cycle advanced before its
  commit (:class:`FlapMarks`). ``create_alert`` is not an evaluation (it does not say what
  the other fingerprints of the position are doing), so it leaves ``flapping`` as it is.

Which rows a firing belongs to: the firings of one fingerprint in a commit are split among
its rows by time. The rows of a fingerprint, ordered by ``last_seen_at``, each own the
firings after the previous row's ``last_seen_at`` up to their own (an alert's episodes never
overlap, and a firing dated before an open alert's ``last_seen_at`` repeats it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Final

import polars as pl

from alertkit.policy.matchers import Matchers
from alertkit.policy.snooze import SnoozeRule

__all__ = ["FlapMarks", "PolicyMarks", "firing_instants", "flap_marks", "mark_rows"]

_FP: Final = ["rule", "strategy_id", "symbol"]
_STARTED: Final = "flapping_started"


@dataclass(frozen=True, slots=True)
class FlapMarks:
    """A cycle's advance of the flap state: the state of each fingerprint it evaluated
    (:data:`~alertkit.policy.flapping.FLAP_STATE_SCHEMA`) and the transitions it made."""

    state: pl.DataFrame
    transitions: pl.DataFrame


@dataclass(frozen=True, slots=True)
class PolicyMarks:
    """What a firings commit needs to mark its rows: how to read the stored silences (once
    per attempt: ``SILENCE_SCHEMA`` rows), the snooze rules, and, with flap detection, how
    a cycle's evaluations advance the stored flap state (``advance_flaps``) and what that
    advance gave (``flaps``, set by :meth:`evaluated`)."""

    silences: Callable[[], pl.DataFrame]
    snoozes: tuple[SnoozeRule, ...] = ()
    advance_flaps: Callable[[pl.DataFrame], FlapMarks] | None = None
    flaps: FlapMarks | None = None

    def evaluated(self, decisions: pl.DataFrame) -> PolicyMarks:
        """These marks after a cycle's ``decisions`` advanced the flap state (itself
        without flap detection)."""
        if self.advance_flaps is None:
            return self
        return replace(self, flaps=self.advance_flaps(decisions))

    def apply(
        self,
        new: pl.DataFrame,
        continued: pl.DataFrame,
        repeated: Iterable[str],
        decisions: pl.DataFrame,
    ) -> tuple[pl.DataFrame, pl.DataFrame]:
        """``new`` and ``continued`` (alert rows) with their marks (see the module)."""
        repeated = list(repeated)
        if new.is_empty() and not repeated:
            return new, continued
        silences = self.silences()
        if silences.is_empty() and not self.snoozes and self.flaps is None:
            return new, continued  # the common case: no policy, no cost
        return mark_rows(new, continued, repeated, decisions, silences, self.snoozes, self.flaps)


def firing_instants(rows: pl.DataFrame, decisions: pl.DataFrame) -> pl.DataFrame:
    """``alert_id`` and ``at``: each firing of ``decisions`` (``as_of``, ``trigger``,
    ``strategy_id``, ``symbol``) with the row of ``rows`` it opened or repeated."""
    spans = (
        rows.select("alert_id", *_FP, "last_seen_at")
        .sort(*_FP, "last_seen_at", nulls_last=False)
        .with_columns(after=pl.col("last_seen_at").shift(1).over(_FP))
    )
    fired = decisions.filter(pl.col("trigger").is_not_null()).select(
        "strategy_id", "symbol", rule="trigger", at="as_of"
    )
    return (
        spans.join(fired, on=_FP, how="inner", nulls_equal=True)
        .filter(
            (pl.col("at") <= pl.col("last_seen_at"))
            & (pl.col("after").is_null() | (pl.col("at") > pl.col("after")))
        )
        .select("alert_id", "at")
    )


def mark_rows(
    new: pl.DataFrame,
    continued: pl.DataFrame,
    repeated: Sequence[str],
    decisions: pl.DataFrame,
    silences: pl.DataFrame,
    snoozes: Sequence[SnoozeRule] = (),
    flaps: FlapMarks | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The rows of a commit with their policy marks: ``new`` (alerts opened) and
    ``continued`` (open alerts continued, of which ``repeated`` fired again), in their
    columns and order; see the module docstring for each mark."""
    instants = firing_instants(pl.concat([new, continued]), decisions)
    fired = pl.col("alert_id").is_in(list(repeated))
    new = _mark(new, pl.lit(True), instants, silences, flaps)
    continued = _mark(continued, fired, instants, silences, flaps)
    return _snoozed(new, snoozes), continued


def _mark(
    rows: pl.DataFrame,
    fired: pl.Expr,
    instants: pl.DataFrame,
    silences: pl.DataFrame,
    flaps: FlapMarks | None,
) -> pl.DataFrame:
    if rows.is_empty():
        return rows
    columns = rows.columns
    targets = rows.filter(fired)
    found = _covering(targets.filter(pl.col("silenced_by").is_null()), instants, silences)
    marked = rows.join(found, on="alert_id", how="left", maintain_order="left").with_columns(
        silenced_by=pl.coalesce("silenced_by", "covered_by")
    )
    if flaps is not None:
        latest = instants.group_by("alert_id").agg(evaluated=pl.col("at").max())
        states = _flap_at(
            targets.join(latest, on="alert_id", how="left").with_columns(
                evaluated=pl.coalesce("evaluated", "last_seen_at")
            ),
            flaps,
        )
        marked = marked.join(states, on="alert_id", how="left", maintain_order="left").with_columns(
            flapping=pl.coalesce("flapping_now", "flapping")
        )
    return marked.select(columns)


def _covering(
    targets: pl.DataFrame, instants: pl.DataFrame, silences: pl.DataFrame
) -> pl.DataFrame:
    """``alert_id`` and ``covered_by``: per target, the first silence (by start, then id)
    covering its earliest covered firing."""
    empty = pl.DataFrame(schema={"alert_id": pl.String(), "covered_by": pl.String()})
    mine = instants.join(targets.select("alert_id"), on="alert_id", how="semi")
    if targets.is_empty() or silences.is_empty() or mine.is_empty():
        return empty
    first, last = mine["at"].min(), mine["at"].max()
    candidates = silences.filter((pl.col("starts_at") <= last) & (pl.col("ends_at") > first)).sort(
        "starts_at", "silence_id"
    )
    covers = []
    for silence_id, matchers, starts_at, ends_at in candidates.select(
        "silence_id", "matchers", "starts_at", "ends_at"
    ).iter_rows():
        matched = targets.filter(Matchers.from_json(matchers).expr()).select("alert_id")
        covers.append(
            mine.join(matched, on="alert_id", how="semi")
            .filter((pl.col("at") >= starts_at) & (pl.col("at") < ends_at))
            .group_by("alert_id")
            .agg(pl.col("at").min())
            .with_columns(covered_by=pl.lit(silence_id), starts_at=pl.lit(starts_at))
        )
    if not covers:
        return empty
    return (
        pl.concat(covers)
        .sort("at", "starts_at", "covered_by")
        .unique("alert_id", keep="first", maintain_order=True)
        .select("alert_id", "covered_by")
    )


def _snoozed(new: pl.DataFrame, snoozes: Sequence[SnoozeRule]) -> pl.DataFrame:
    if new.is_empty() or not snoozes:
        return new
    # The first matching rule, in order: the rules' ends, coalesced.
    until = pl.coalesce(
        *(
            pl.when(rule.match.expr()).then(pl.col("created_at") + rule.duration)
            for rule in snoozes
        ),
        pl.lit(None, dtype=new.schema["snoozed_until"]),
    )
    ruled = pl.col("snoozed_until").is_null() & pl.col("__until").is_not_null()
    return (
        new.with_columns(__until=until)
        .with_columns(
            snoozed_at=pl.when(ruled).then("created_at").otherwise("snoozed_at"),
            snoozed_until=pl.when(ruled).then("__until").otherwise("snoozed_until"),
        )
        .drop("__until")
    )


def _flap_at(targets: pl.DataFrame, flaps: FlapMarks) -> pl.DataFrame:
    """``alert_id`` and ``flapping_now``: each target's fingerprint's flapping at the
    evaluation ``evaluated``. The state after the cycle says what it was at its last
    evaluation; a transition of the cycle at or before ``evaluated`` says what it was from
    then on, and the cycle's first transition (if after) what it was before."""
    state = flaps.state.select("strategy_id", "symbol", rule="trigger", final=pl.col("flapping"))
    moves = flaps.transitions.select(
        "strategy_id",
        "symbol",
        rule="trigger",
        moved_at="as_of",
        started=pl.col("reason") == _STARTED,
    ).sort("moved_at")
    first = moves.group_by(_FP).agg(first_started=pl.col("started").first())
    last = (
        targets.select("alert_id", *_FP, "evaluated")
        .join(moves, on=_FP, how="inner", nulls_equal=True)
        .filter(pl.col("moved_at") <= pl.col("evaluated"))
        .sort("moved_at")
        .group_by("alert_id")
        .agg(last_started=pl.col("started").last())
    )
    return (
        targets.select("alert_id", *_FP)
        .join(state, on=_FP, how="inner", nulls_equal=True)
        .join(first, on=_FP, how="left", nulls_equal=True)
        .join(last, on="alert_id", how="left")
        .select(
            "alert_id",
            flapping_now=pl.coalesce("last_started", ~pl.col("first_started"), "final"),
        )
    )


def flap_marks(
    decisions: pl.DataFrame,
    advanced: tuple[pl.DataFrame, pl.DataFrame],
    stored: Callable[[pl.DataFrame], pl.DataFrame],
) -> FlapMarks:
    """The :class:`FlapMarks` of a cycle from its advance (state, transitions). A firing
    fingerprint the advance skipped (its instant was already counted: a cycle run again)
    takes its stored state, read with ``stored`` (the positions' flap state) only then."""
    state, transitions = advanced
    fired = (
        decisions.filter(pl.col("trigger").is_not_null())
        .select("trigger", "strategy_id", "symbol")
        .unique()
        .join(state, on=["trigger", "strategy_id", "symbol"], how="anti", nulls_equal=True)
    )
    if not fired.is_empty():
        before = stored(fired).join(
            fired, on=["trigger", "strategy_id", "symbol"], how="semi", nulls_equal=True
        )
        state = pl.concat([state, before.select(state.columns)])
    return FlapMarks(state, transitions)
