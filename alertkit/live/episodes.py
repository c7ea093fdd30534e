"""Alert identity as frame operations: which firings open an alert, which repeat one, and
when the quiet period resolves it. The one implementation behind both backtest modes (the
engine mode records the engine's decisions as a frame and runs these same functions), the
live monitoring cycle and a single ``create_alert``.

The input is a *decisions* frame in time order, one row per position per instant, with the
columns ``as_of``, ``trigger`` (null: HOLD), ``strategy_id`` and ``symbol``. Optionally,
``open_alerts`` are the alerts already open in a lake when the frame starts (the live case).
Step by step (docs/domain.md §6):

- a *firing* is a row whose ``trigger`` is not null; its fingerprint is
  (trigger, strategy_id, symbol);
- a firing whose fingerprint has an open alert repeats it: one more occurrence, and
  ``last_seen_at`` moves to the latest firing; otherwise it opens a new alert;
- with ``quiet_period`` = Q, a firing at t whose fingerprint last fired at t0 opens a new
  alert iff its position has a snapshot s with t0 < s < t and s - t0 >= Q, i.e. iff the
  position's snapshot just before t (in this frame) is at or after t0 + Q: the alert was
  resolved at s, as nothing fired it in between;
- an alert's ``resolved_at`` is the first snapshot of its position at or after
  last_seen_at + Q (null when the frame ends first);
- with ``left_before`` = E (the end of a backtest's history, or of a live cycle that
  carries the whole book), an alert still open at the last snapshot s of its position with
  s < E (the position left the history) resolves at s (``gone``), with the note
  :data:`GONE_NOTE`. Positions present at E, and alerts without a strategy_id, stay open.

An open alert of the lake enters as a firing at its ``last_seen_at`` placed before every row
of the frame, so a row of the frame continues it rather than opening a new one, even if the
row is dated earlier (an out-of-order live firing is a repeat). The snapshots before the
frame are not known; none of them resolved the alert (it is still open), so the first row of
each position never opens a new alert by the quiet-period rule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Final, Literal

import polars as pl

from alertkit.model._events import event_json_expr, history_event, history_json_expr
from alertkit.model._ids import deterministic_alert_ids, new_alert_ids
from alertkit.model._json import dumps_metadata
from alertkit.model._time import to_utc
from alertkit.model.alerts import AlertStatus, fingerprint_columns
from alertkit.model.decisions import Decision
from alertkit.model.mapping import decision_to_alert
from alertkit.model.schema import ALERT_SCHEMA
from alertkit.model.snapshot_rows import SnapshotRow
from alertkit.rules import Rule, decision_from_row

__all__ = [
    "EPISODE_SCHEMA",
    "FINGERPRINT",
    "GONE_NOTE",
    "OPEN_ALERT_COLUMNS",
    "QUIET_RESOLVER",
    "alert_episodes",
    "episode_alerts",
    "quiet_note",
    "resolve_event",
    "resolve_event_expr",
]

FINGERPRINT: Final = fingerprint_columns("trigger")
"""The alert fingerprint (:data:`alertkit.model.alerts.FINGERPRINT`) as a decisions frame
spells it."""

_TS: Final = pl.Datetime("us", "UTC")
EPISODE_SCHEMA: Final[dict[str, pl.DataType]] = {
    "trigger": pl.String(),
    "strategy_id": pl.Int64(),
    "symbol": pl.String(),
    "created_at": _TS,
    "last_seen_at": _TS,
    "occurrences": pl.Int64(),
    "resolved_at": _TS,
    "opening_row": pl.UInt32(),
    "alert_id": pl.String(),
    "gone": pl.Boolean(),
}
"""One row per alert touched. ``opening_row`` is the index of a new alert's first firing in
the decisions; ``alert_id`` is set instead for an open alert of the lake that continues (its
``occurrences`` is then its total, the earlier ones included). ``gone``: resolved because
its position left the history (else a set ``resolved_at`` is the quiet period's)."""

OPEN_ALERT_COLUMNS: Final = (
    "alert_id",
    "rule",
    "strategy_id",
    "symbol",
    "created_at",
    "last_seen_at",
    "occurrences",
)
"""What :func:`alert_episodes` needs of each open alert of the lake."""

QUIET_RESOLVER: Final = "backtest"
"""The ``by`` of a quiet-period (or position-gone) resolution written by a backtest."""

GONE_NOTE: Final = "position left the history"
"""The note on the resolution of an alert whose position left the history: no later
snapshot of it came (a backtest's history ended after it; a live cycle that carries the
whole book no longer held it)."""

IdMode = Literal["deterministic", "random"]

_ROW: Final = "__alertkit_row"
_SEED_ID: Final = "__alertkit_seed_id"
_SEED_CREATED: Final = "__alertkit_seed_created"
_SEED_OCCURRENCES: Final = "__alertkit_seed_occurrences"


def quiet_note(quiet_period: timedelta) -> str:
    """The note on a quiet-period resolution, e.g. ``trigger quiet for 1 day, 0:00:00``."""
    return f"trigger quiet for {quiet_period}"


def resolve_event(
    at: datetime,
    from_status: str,
    quiet_period: timedelta | None,
    by: str,
    *,
    gone: bool = False,
) -> dict[str, Any]:
    """The history event of a quiet-period resolution, or with ``gone`` of the resolution of
    an alert whose position left the history (note :data:`GONE_NOTE`)."""
    note = GONE_NOTE if gone or quiet_period is None else quiet_note(quiet_period)
    return history_event(at, "resolve", from_status, AlertStatus.RESOLVED, by, note)


def resolve_event_expr(
    at: pl.Expr,
    from_status: pl.Expr | str,
    quiet_period: timedelta | None,
    by: str,
    *,
    gone: pl.Expr | None = None,
) -> pl.Expr:
    """:func:`resolve_event` for whole frames: each row's event JSON, at ``at``, whose note
    is :data:`GONE_NOTE` where the boolean column ``gone`` (default ``gone``) is true."""

    def event(note: str) -> pl.Expr:
        return event_json_expr(at, "resolve", from_status, AlertStatus.RESOLVED, by, note)

    quiet = event(GONE_NOTE if quiet_period is None else quiet_note(quiet_period))
    return pl.when(pl.col("gone") if gone is None else gone).then(event(GONE_NOTE)).otherwise(quiet)


def alert_episodes(
    decisions: pl.DataFrame,
    quiet_period: timedelta | None = None,
    *,
    open_alerts: pl.DataFrame | None = None,
    left_before: datetime | None = None,
) -> pl.DataFrame:
    """The alerts ``decisions`` (in time order) open, repeat or resolve, one row each
    (:data:`EPISODE_SCHEMA`):
    new alerts in order of their first firing, then the continued ``open_alerts`` (columns
    :data:`OPEN_ALERT_COLUMNS`) that the frame repeated or resolved. With ``left_before``,
    alerts of positions whose last snapshot in ``decisions`` is earlier resolve there
    (``gone``). See the module docstring.
    """
    rows = decisions.lazy().select("as_of", *FINGERPRINT).with_row_index(_ROW)
    if quiet_period is not None:
        # Per position over the frame's own rows: the snapshots before it are not known.
        rows = rows.with_columns(previous_snapshot=pl.col("as_of").shift(1).over("strategy_id"))
    firings = rows.filter(pl.col("trigger").is_not_null()).with_columns(
        pl.lit(None, pl.String).alias(_SEED_ID),
        pl.lit(None, _TS).alias(_SEED_CREATED),
        pl.lit(None, pl.Int64).alias(_SEED_OCCURRENCES),
    )
    if open_alerts is not None and not open_alerts.is_empty():
        seeds = open_alerts.lazy().select(
            pl.lit(None, pl.UInt32).alias(_ROW),
            pl.col("last_seen_at").alias("as_of"),
            pl.col("rule").alias("trigger"),
            "strategy_id",
            "symbol",
            *([pl.lit(None, _TS).alias("previous_snapshot")] if quiet_period else []),
            pl.col("alert_id").alias(_SEED_ID),
            pl.col("created_at").alias(_SEED_CREATED),
            pl.col("occurrences").alias(_SEED_OCCURRENCES),
        )
        # Seeds first: inside each fingerprint's window they precede every row of the frame.
        firings = pl.concat([seeds, firings], how="vertical_relaxed")
    # Inside the window below, shift(1) is the fingerprint's previous firing.
    previous_firing = pl.col("as_of").shift(1)
    opens = previous_firing.is_null()
    if quiet_period is not None:
        # No known snapshot before (a seed, or a position's first row) never reopens.
        reopens = (pl.col("previous_snapshot") >= previous_firing + quiet_period).fill_null(False)
        opens = opens | reopens
    # Grouping by category codes rather than strings: the same groups, hashed faster.
    codes = {"__trigger": "trigger", "__symbol": "symbol"}
    keys = [*codes, "strategy_id"]
    seeded = pl.col(_SEED_ID).first().is_not_null()
    episodes = (
        firings.with_columns(
            pl.col(name).cast(pl.Categorical).to_physical().alias(code)
            for code, name in codes.items()
        )
        .with_columns(episode=opens.cum_sum().over(keys))
        .group_by(*keys, "episode")
        .agg(
            pl.col("trigger", "symbol").first(),
            alert_id=pl.col(_SEED_ID).first(),
            created_at=pl.coalesce(pl.col(_SEED_CREATED).first(), pl.col("as_of").first()),
            last_seen_at=pl.col("as_of").max(),
            occurrences=pl.len().cast(pl.Int64)
            + pl.when(seeded)
            .then(pl.col(_SEED_OCCURRENCES).first() - 1)
            .otherwise(pl.lit(0, pl.Int64)),
            opening_row=pl.col(_ROW).first(),
            fired=pl.col(_ROW).is_not_null().any(),
        )
    )
    if quiet_period is None:
        episodes = episodes.with_columns(resolved_at=pl.lit(None, dtype=_TS))
    else:
        snapshots = decisions.lazy().select("strategy_id", resolved_at=pl.col("as_of"))
        episodes = (
            episodes.with_columns(due=pl.col("last_seen_at") + quiet_period)
            .sort("due")
            .join_asof(
                snapshots,
                left_on="due",
                right_on="resolved_at",
                by="strategy_id",
                strategy="forward",
                check_sortedness=False,  # decisions are in time order; the left side is sorted
            )
        )
    if left_before is None:
        episodes = episodes.with_columns(gone=pl.lit(False))
    else:
        last = (
            decisions.lazy()
            .filter(pl.col("strategy_id").is_not_null())
            .group_by("strategy_id")
            .agg(last_snapshot=pl.col("as_of").max())
        )
        gone = (
            pl.col("resolved_at").is_null()
            & (pl.col("last_snapshot") < to_utc(left_before, "left_before"))
        ).fill_null(False)
        episodes = (
            episodes.join(last, on="strategy_id", how="left")
            .with_columns(gone=gone)
            .with_columns(
                # A lake alert may have been seen later than this frame's rows (by another
                # process): never resolve it before it last fired.
                resolved_at=pl.when(pl.col("gone"))
                .then(pl.max_horizontal("last_snapshot", "last_seen_at"))
                .otherwise("resolved_at")
            )
        )
    touched = pl.col("fired") | pl.col("resolved_at").is_not_null()
    return (
        episodes.filter(touched)
        .sort(pl.col("alert_id").is_not_null(), "opening_row", "alert_id")
        .select(list(EPISODE_SCHEMA))
        .collect()
    )


def episode_alerts(
    decisions: pl.DataFrame,
    episodes: pl.DataFrame,
    rules: Sequence[Rule],
    quiet_period: timedelta | None = None,
    *,
    ids: IdMode = "deterministic",
    resolved_by: str = QUIET_RESOLVER,
    decided: Mapping[int, Decision] | None = None,
) -> pl.DataFrame:
    """Table rows (``ALERT_SCHEMA``) for the *new* alerts of ``episodes`` (those with an
    ``opening_row``), sorted by (created_at, alert_id).

    ``decided`` holds decisions already taken, by row index of ``decisions`` (an engine-mode
    backtest passes the engine's own); without it each opening row's decision is rebuilt
    from ``rules`` by :func:`~alertkit.rules.decision_from_row`.

    ``ids="deterministic"`` derives each id from (created_at, fingerprint), so a backtest
    is reproducible; ``"random"`` mints fresh UUIDv7 ids, as live alerts get.
    Only the opening rows go through Python, where :func:`~alertkit.rules.decision_from_row`
    and :func:`~alertkit.model.mapping.decision_to_alert` make type, severity, title, message and
    metadata exactly as in the engine and the live manager.
    """
    episodes = episodes.filter(pl.col("opening_row").is_not_null())
    opening = decisions[episodes["opening_row"]]
    made: dict[str, list[Any]] = {
        "type": [],
        "severity": [],
        "title": [],
        "message": [],
        "metadata": [],
        "engine_rule": [],
        "rule_priority": [],
    }
    for index, named in zip(episodes["opening_row"], opening.iter_rows(named=True), strict=True):
        # The frame was normalised and validated as the engine does each row: mark the row
        # as such, so the rules do not normalise it again.
        row = SnapshotRow(named)
        decision = decision_from_row(row, rules) if decided is None else decided[index]
        alert = decision_to_alert(decision, row, row["as_of"])
        assert alert is not None  # an opening row fired, so it is not HOLD
        made["type"].append(alert.type.value)
        made["severity"].append(alert.severity.value)
        made["title"].append(alert.title)
        made["message"].append(alert.message)
        made["metadata"].append(dumps_metadata(alert.metadata))
        made["engine_rule"].append(alert.engine_rule)
        made["rule_priority"].append(alert.rule_priority)
    if ids == "deterministic":
        alert_ids = deterministic_alert_ids(
            episodes["created_at"], [episodes[key] for key in FINGERPRINT]
        )
    else:
        alert_ids = new_alert_ids(episodes["created_at"])
    resolved = pl.col("resolved_at").is_not_null()
    frame = episodes.drop("alert_id").with_columns(
        *pl.DataFrame(made, schema={name: ALERT_SCHEMA[name] for name in made}).get_columns(),
        alert_id=alert_ids,
        status=pl.when(resolved)
        .then(pl.lit(AlertStatus.RESOLVED.value))
        .otherwise(pl.lit(AlertStatus.ACTIVE.value)),
        rule=pl.col("trigger"),
        acknowledged_at=pl.lit(None, dtype=_TS),
        revision=pl.lit(0, dtype=pl.Int64),
        history=_history_json(quiet_period, resolved_by),
        created_date=pl.col("created_at").dt.date(),
        notify_pending=pl.lit(None, dtype=pl.String),  # the live outbox marks its own
        # policies set their own (alertkit.policy): none by default
        silenced_by=pl.lit(None, dtype=pl.String),
        snoozed_until=pl.lit(None, dtype=_TS),
        snoozed_at=pl.lit(None, dtype=_TS),
        assignee=pl.lit(None, dtype=pl.String),
        flapping=pl.lit(False),
    )
    return frame.select(list(ALERT_SCHEMA)).sort("created_at", "alert_id")


def _history_json(quiet_period: timedelta | None, resolved_by: str) -> pl.Expr:
    """The history column: the create event, then the resolve event where resolved (by the
    quiet period, or because the position left), in the live manager's JSON."""
    create = event_json_expr(pl.col("created_at"), "create", None, AlertStatus.ACTIVE, None, None)
    resolve = resolve_event_expr(
        pl.col("resolved_at"), AlertStatus.ACTIVE.value, quiet_period, resolved_by
    )
    return (
        pl.when(pl.col("resolved_at").is_not_null())
        .then(history_json_expr(create, resolve))
        .otherwise(history_json_expr(create))
    )
