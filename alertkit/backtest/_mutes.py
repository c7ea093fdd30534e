"""The dry run's policy stages: silence, inhibition, snooze and flapping, on cycle intervals.

docs/policies.md decides whether a notification of alert A due at cycle ``c`` is muted from A,
``c`` and the reason only (never the handler), so each stage is a set of half-open cycle
intervals ``[lo, hi)`` per alert, each with why it mutes (the text the live log writes):

- **silence** S (``starts_at <= t < ends_at``, matching A): ``silence: <id>``, the first by
  ``starts_at`` then id;
- **inhibition** I and a source alert B != A open at ``c`` (I active, B matching its source
  matchers, A its target matchers, B's ``equal`` fields those of A): ``inhibition: <B's id>``,
  the earliest-created B, then by fingerprint (rule, strategy_id, symbol);
- **snooze** (``snoozed_at <= t < wakes_at``, :func:`~alertkit.policy.snooze.wake_times`):
  ``snooze: until <wakes_at ISO>``;
- **flapping** (A's fingerprint flapping at its latest evaluation at or before ``c``, for any
  reason but ``flapping_started``/``flapping_stopped``): ``flapping: <changes> changes in the
  last <evaluations> evaluations``, the detection's two numbers.

An instant ``x`` is first seen by cycle ``searchsorted(cycles, x, "left")``, so "active at the
cycle's instant" is ``[first cycle at or after the start, first cycle at or after the end)``.
:meth:`Mutes.resolve` names the stage that mutes each due (the first in that order that
does).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

from alertkit.backtest._due import REASON_CODE, DueAlerts
from alertkit.model.alerts import FINGERPRINT
from alertkit.policy import Inhibition, Policies
from alertkit.policy.snooze import wake_times

__all__ = ["FLAP_NEWS", "MUTE_SCHEMA", "STAGES", "Mutes"]

Ints = npt.NDArray[np.int64]

STAGES: Final = ("silence", "inhibition", "snooze", "flapping")
"""The stages, in the order a due passes them."""
FLAP_NEWS: Final = (REASON_CODE["flapping_started"], REASON_CODE["flapping_stopped"])
"""The reasons the flapping stage lets through (the news of the flapping itself)."""

_TS: Final = pl.Datetime("us", "UTC")
MUTE_SCHEMA: Final[dict[str, pl.DataType]] = {
    "row": pl.Int64(),
    "lo": pl.Int64(),
    "hi": pl.Int64(),
    "stage": pl.Int64(),
    "key_at": _TS,
    "key_id": pl.String(),
    "why": pl.String(),
}
"""One muting interval: the alert's row, cycles ``[lo, hi)``, the stage (index in
:data:`STAGES`), the order among the causes of one stage (``key_at``, ``key_id``) and why."""


def _first_seen(cycles: Ints, instant: datetime | None, absent: int) -> int:
    """The first cycle at or after ``instant`` (``absent`` for None)."""
    if instant is None:
        return absent
    micros = int(pl.Series([instant], dtype=_TS).dt.epoch("us")[0])
    return int(np.searchsorted(cycles, micros, "left"))


def _seen(cycles: Ints, instants: pl.Series) -> pl.Series:
    """The first cycle at or after each of ``instants`` (none null)."""
    micros = instants.dt.epoch("us").to_numpy().astype(np.int64)
    return pl.Series(np.searchsorted(cycles, micros, "left").astype(np.int64), dtype=pl.Int64)


@dataclass(frozen=True, slots=True)
class Mutes:
    """Every muting interval of the alerts of one dry run."""

    intervals: pl.DataFrame
    """:data:`MUTE_SCHEMA` rows (non-empty intervals only)."""

    @classmethod
    def of(
        cls,
        alerts: pl.DataFrame,
        due: DueAlerts,
        policies: Policies,
        flaps: pl.DataFrame | None,
    ) -> Mutes:
        """The intervals of ``policies`` over ``alerts`` (the rows ``due`` was made of), with
        ``flaps`` the :func:`~alertkit.policy.flapping.flap_states` of the run (None without
        flap detection)."""
        n = len(due.cycles)
        rows = alerts.with_row_index("row").with_columns(
            pl.col("row").cast(pl.Int64),
            told=pl.Series(due.told),
            closed=pl.Series(due.closed),
        )
        parts = [_silences(rows, due.cycles, policies, n)]
        parts += [_inhibited(rows, due.cycles, i, n) for i in policies.inhibitions]
        parts.append(_snoozes(rows, due.cycles))
        if flaps is not None and policies.flapping is not None:
            why = (
                f"flapping: {policies.flapping.changes} changes in the last"
                f" {policies.flapping.evaluations} evaluations"
            )
            parts.append(_flapping(rows, due.cycles, flaps, why, n))
        intervals = (
            pl.concat([p.select(list(MUTE_SCHEMA)) for p in parts])
            .filter(pl.col("lo") < pl.col("hi"))
            .sort("row", "lo", "stage")
        )
        return cls(intervals=intervals)

    def resolve(self, items: pl.DataFrame) -> pl.DataFrame:
        """``items`` (``row``, ``cycle``, ``reason`` code, ...) with ``stage`` (the first
        stage that mutes the item, null when none does) and ``why``."""
        keys = items.select("row", "cycle", "reason").unique()
        inside = (pl.col("lo") <= pl.col("cycle")) & (pl.col("cycle") < pl.col("hi"))
        news = (pl.col("stage") == STAGES.index("flapping")) & pl.col("reason").is_in(FLAP_NEWS)
        hits = (
            keys.join(self.intervals, on="row")
            .filter(inside & ~news)
            .sort("row", "cycle", "reason", "stage", "key_at", "key_id", nulls_last=False)
            .unique(["row", "cycle", "reason"], keep="first", maintain_order=True)
            .select("row", "cycle", "reason", "stage", "why")
        )
        return items.join(hits, on=["row", "cycle", "reason"], how="left", maintain_order="left")


def _silences(rows: pl.DataFrame, cycles: Ints, policies: Policies, n: int) -> pl.DataFrame:
    parts = [pl.DataFrame(schema=MUTE_SCHEMA)]
    for s in policies.silences:
        parts.append(
            rows.filter(s.match.expr()).select(
                "row",
                lo=pl.lit(_first_seen(cycles, s.starts_at, 0), pl.Int64),
                hi=pl.lit(_first_seen(cycles, s.ends_at, n), pl.Int64),
                stage=pl.lit(STAGES.index("silence"), pl.Int64),
                key_at=pl.lit(s.starts_at, _TS),
                key_id=pl.lit(s.silence_id),
                why=pl.lit(f"silence: {s.silence_id}"),
            )
        )
    return pl.concat(parts)


def _inhibited(rows: pl.DataFrame, cycles: Ints, rule: Inhibition, n: int) -> pl.DataFrame:
    """Each (target, source) pair's cycles: the source open and the rule active."""
    lo = _first_seen(cycles, rule.starts_at, 0)
    hi = _first_seen(cycles, rule.ends_at, n)
    equal = list(rule.equal_fields)
    # The source named is the earliest created, then by fingerprint: live ids are random, so
    # the id cannot break the tie the same way live and here.
    order = pl.struct("created_at", "rule", "strategy_id", "symbol", "alert_id").rank("dense")
    sources = rows.filter(rule.source.expr()).select(
        *equal,
        source="row",
        key_at="created_at",
        key_id=order.cast(pl.String).str.zfill(12),
        source_id="alert_id",
        opened="told",
        closes="closed",
    )
    targets = rows.filter(rule.target.expr()).select("row", *equal)
    if equal:
        pairs = targets.join(sources, on=equal, nulls_equal=True)
    else:
        pairs = targets.join(sources, how="cross")
    return pairs.filter(pl.col("row") != pl.col("source")).select(
        "row",
        lo=pl.max_horizontal("opened", pl.lit(lo, pl.Int64)),
        hi=pl.min_horizontal("closes", pl.lit(hi, pl.Int64)),
        stage=pl.lit(STAGES.index("inhibition"), pl.Int64),
        key_at="key_at",
        key_id="key_id",
        why=pl.concat_str(pl.lit("inhibition: "), "source_id"),
    )


def _snoozes(rows: pl.DataFrame, cycles: Ints) -> pl.DataFrame:
    times = wake_times(rows.drop("row", "told", "closed")).join(
        rows.select("alert_id", "row"), on="alert_id"
    )
    wakes = [f"snooze: until {w.isoformat()}" for w in times["wakes_at"].to_list()]
    return times.select(
        "row",
        lo=_seen(cycles, times["snoozed_at"]),
        hi=_seen(cycles, times["wakes_at"]),
        stage=pl.lit(STAGES.index("snooze"), pl.Int64),
        key_at=pl.lit(None, _TS),
        key_id=pl.lit(None, pl.String),
        why=pl.Series(wakes, dtype=pl.String),
    )


def _flapping(
    rows: pl.DataFrame, cycles: Ints, flaps: pl.DataFrame, why: str, n: int
) -> pl.DataFrame:
    """Each fingerprint's flapping stretches, from the evaluation that starts one to the
    next evaluation that is not flapping (or the end), for every alert of it."""
    fp = ["trigger", *FINGERPRINT[1:]]
    ordered = flaps.sort(*fp, "as_of", nulls_last=False)
    stretches = (
        ordered.with_columns(at=_seen(cycles, ordered["as_of"]))
        .with_columns(
            until=pl.col("at").shift(-1).over(fp).fill_null(n),
            run=(pl.col("flapping") != pl.col("flapping").shift(1).over(fp))
            .fill_null(True)
            .cum_sum(),
        )
        .filter(pl.col("flapping"))
        .group_by("run")
        .agg(pl.col(fp).first(), lo=pl.col("at").min(), hi=pl.col("until").max())
        .rename({"trigger": "rule"})
    )
    return (
        rows.select("row", *FINGERPRINT)
        .join(stretches, on=list(FINGERPRINT), nulls_equal=True)
        .select(
            "row",
            "lo",
            "hi",
            stage=pl.lit(STAGES.index("flapping"), pl.Int64),
            key_at=pl.lit(None, _TS),
            key_id=pl.lit(None, pl.String),
            why=pl.lit(why),
        )
    )
