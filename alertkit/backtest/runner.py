"""Run the decision rules over a position history and collect the alerts they would raise.

:func:`run_backtest` has two modes that give identical results:

``"engine"``
    Every snapshot goes through the real :class:`~alertkit.rules.engine.DecisionEngine`, in time
    order (:mod:`alertkit.backtest.replay`); its decisions are recorded as a frame, whose
    alert identity :mod:`alertkit.live.episodes` computes as in the vectorized mode, from the
    engine's own decisions: the reference, about 30k snapshots a second.
``"vectorized"``
    The rules run as polars expressions over the whole history
    (:func:`~alertkit.rules.evaluate_frame`) and alert identity is computed on the frame
    (:mod:`alertkit.live.episodes`): a million snapshots in about a second.

Alert identity is that of the live manager (docs/domain.md §6): one alert per open fingerprint
(trigger id, strategy_id, symbol), later firings counted as its occurrences. With
``quiet_period``, an open alert is resolved at the first snapshot of its position at least
``quiet_period`` after it last fired, and a later firing opens a new alert (so the alert
count per position measures flapping). An alert still open when its position has left the
history (the position's last snapshot is before the history's last instant) resolves at that
last snapshot, with the note "position left the history"; alerts of positions present at
the history's last instant stay open. Alert
ids are deterministic UUIDv7 (:func:`~alertkit.model._ids.deterministic_alert_id`), so repeated runs
and both modes give byte-identical frames.

Examples
--------
>>> from datetime import timedelta
>>> from alertkit.backtest import run_backtest, synthetic_history
>>> history = synthetic_history(4, seed=3)
>>> result = run_backtest(history, quiet_period=timedelta(days=1))
>>> result.alerts.height, result.alerts["status"].unique().sort().to_list()
(20, ['active', 'resolved'])
>>> result.alerts.equals(run_backtest(history, mode="engine",
...                                   quiet_period=timedelta(days=1)).alerts)
True
>>> result.summary().columns[:4]
['engine_rule', 'trigger', 'alerts', 'repeats']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal

import polars as pl

from alertkit.backtest._policy_marks import marked
from alertkit.backtest._progress import Progress
from alertkit.backtest.history import HistorySource, load_history
from alertkit.backtest.lake import MAX_CHUNK_ROWS, LakeMode, write_alerts
from alertkit.backtest.outcomes import alert_outcomes, summarize
from alertkit.backtest.replay import DECISIONS_SCHEMA, replay
from alertkit.backtest.scores import DEFAULT_HORIZON, scores
from alertkit.backtest.tables import SummaryFrame
from alertkit.live.episodes import alert_episodes, episode_alerts
from alertkit.model.errors import ValidationError
from alertkit.model.schema import check_alert_frame
from alertkit.model.snapshot_frames import normalize_frame, validate_frame
from alertkit.model.snapshot_schema import SNAPSHOT_SCHEMA
from alertkit.policy import Policies
from alertkit.rules import Rule, default_rules, evaluate_frame, in_order

if TYPE_CHECKING:
    from alertkit.backtest.notifications import NotificationDryRun
    from alertkit.backtest.shadowing import Shadowing
    from alertkit.notify.subscriptions import Subscription

__all__ = ["BacktestMode", "BacktestResult", "run_backtest"]

BacktestMode = Literal["vectorized", "engine"]
VECTORIZED_PROGRESS_MIN_ROWS: Final = 200_000


@dataclass(frozen=True, slots=True, eq=False)  # frames do not compare with ==
class BacktestResult:
    """What :func:`run_backtest` found.

    Attributes
    ----------
    decisions
        One row per snapshot, in time order: the normalised snapshot columns
        (``SNAPSHOT_SCHEMA``; extra history columns are dropped, join them back on
        ``(as_of, strategy_id)``), ``peak_upl_pct``, and ``trigger`` (null = HOLD),
        ``engine_rule``, ``priority``, ``action``, ``urgency``.
    alerts
        Exactly the alerts table's columns (``ALERT_SCHEMA``), sorted by
        ``(created_at, alert_id)``; ``created_at`` is the snapshot's ``as_of``.
    outcomes
        One row per alert: P&L at the alert and at the end of the position's history, the
        benefit of acting, lead time to expiry (:mod:`alertkit.backtest.outcomes`).
    mode, quiet_period, rules
        How it was run.
    lake_version
        The alerts table's version after the write, or None without ``lake``.
    triggers
        Trigger ids in engine order, for a result without ``rules`` (one read back by
        :meth:`read`); otherwise the rules' own triggers are used.
    policies
        The :class:`~alertkit.policy.Policies` replayed (None: none). The alerts then carry
        the policy columns the live commits would have written (docs/policies.md):
        ``silenced_by``, the snooze of a snooze rule, ``flapping``, and ``acknowledged_at``
        (status ``acknowledged`` while open) by ``ack_delay``.
    """

    decisions: pl.DataFrame
    alerts: pl.DataFrame
    outcomes: pl.DataFrame
    mode: BacktestMode
    quiet_period: timedelta | None
    rules: tuple[Rule, ...]
    lake_version: int | None = None
    policies: Policies | None = None
    triggers: tuple[str, ...] = ()

    def trigger_order(self) -> tuple[str, ...]:
        """Trigger ids in the order the engine tries them (the summary's row order)."""
        if not self.rules:
            return self.triggers
        return tuple(t.id for rule in in_order(self.rules) for t in rule.triggers)

    def write(self, path: str | Path, *, overwrite: bool = False) -> None:
        """Write decisions, alerts, outcomes and summary as Parquet, and a ``manifest.json``,
        to the directory ``path`` (layout: :mod:`alertkit.backtest.export`); read it back
        with :meth:`read` or :func:`alertkit.backtest.read_backtest`."""
        from alertkit.backtest.export import write_backtest  # export imports this module

        write_backtest(self, path, overwrite=overwrite)

    @staticmethod
    def read(path: str | Path) -> BacktestResult:
        """The result :meth:`write` wrote to ``path``: equal frames, the same mode, quiet
        period and lake version; no ``rules`` or ``policies`` objects (the manifest names
        them)."""
        from alertkit.backtest.export import read_backtest

        return read_backtest(path)

    def summary(self) -> SummaryFrame:
        """Per engine rule and trigger: ``alerts``, suppressed ``repeats``, ``positions``,
        ``median_lead_days`` (to expiry), ``mean_benefit_usd`` and ``median_benefit_usd``,
        and for quiet-period runs ``alerts_per_position``
        (:data:`~alertkit.backtest.outcomes.SUMMARY_SCHEMA`), rounded.

        The benefit of acting is the P&L at the alert minus the P&L at the end of the
        position's history, in USD per alert: positive when closing the whole position at
        the alert, free of costs, would have beaten holding, whatever the action (a reduce
        counts in full). :meth:`scores` acts as the decision says, with costs. ``print()``
        shows every column (a :class:`~alertkit.backtest.tables.SummaryFrame`, otherwise a
        plain polars DataFrame).
        """
        return summarize(
            self.outcomes,
            trigger_order=self.trigger_order(),
            per_position=self.quiet_period is not None,
        )

    def dry_run_notifications(
        self,
        subscriptions: Subscription | Iterable[Subscription],
        *,
        policies: Policies | None = None,
    ) -> NotificationDryRun:
        """What ``subscriptions`` would have been told during this backtest, cycle by cycle,
        under ``policies`` (default: :attr:`policies`)
        (:func:`alertkit.backtest.notifications.dry_run_notifications`); sends nothing."""
        # Imported here: notifications imports this module for BacktestResult.
        from alertkit.backtest.notifications import dry_run_notifications

        return dry_run_notifications(self, subscriptions, policies=policies)

    def policy_report(
        self, subscriptions: Subscription | Iterable[Subscription] | None = None
    ) -> pl.DataFrame:
        """Per UTC day and rule, what was told and what each of :attr:`policies` hid
        (:func:`alertkit.backtest.policy_report.policy_report`)."""
        from alertkit.backtest.policy_report import policy_report

        return policy_report(self, subscriptions)

    def __repr__(self) -> str:
        quiet = "" if self.quiet_period is None else f", quiet_period={self.quiet_period}"
        if self.policies is not None:
            quiet += f", policies={self.policies.name!r}"
        return (
            f"BacktestResult(mode={self.mode!r}{quiet}: {self.decisions.height} snapshots,"
            f" {self.alerts.height} alerts)"
        )

    def scores(
        self,
        *,
        adverse: pl.Expr | None = None,
        horizon: timedelta = DEFAULT_HORIZON,
        lead_window: timedelta | None = None,
        regime: str | None = None,
        history: pl.DataFrame | None = None,
        contracts: int | str = 1,
        cost_per_contract: float = 0.0,
        slippage: float = 0.0,
    ) -> SummaryFrame:
        """Per trigger (and regime): precision, recall, lead and reset times, and the P&L of
        acting on the alerts against holding (positive is good); the parameters and columns
        are those of :func:`alertkit.backtest.scores.scores`."""
        return scores(
            self,
            adverse=adverse,
            horizon=horizon,
            lead_window=lead_window,
            regime=regime,
            history=history,
            contracts=contracts,
            cost_per_contract=cost_per_contract,
            slippage=slippage,
        )

    # -- rule quality (issue 24): thin views, the work is in alertkit.backtest.shadowing ----

    def all_matches(self) -> pl.DataFrame:
        """Per decision, every rule that matched, not only the first
        (:func:`alertkit.backtest.shadowing.all_matches`)."""
        from alertkit.backtest.shadowing import all_matches

        return all_matches(self)

    def shadowing(self) -> Shadowing:
        """How often each rule matched but an earlier rule decided, and by which
        (:func:`alertkit.backtest.shadowing.shadowing`)."""
        from alertkit.backtest.shadowing import shadowing

        return shadowing(self)

    def priority_change(self, priorities: Mapping[str, float]) -> pl.DataFrame:
        """The alerts that moving the rules in ``priorities`` would add, remove or move
        (:func:`alertkit.backtest.shadowing.priority_change`)."""
        from alertkit.backtest.shadowing import priority_change

        return priority_change(self, priorities)


def run_backtest(
    history: HistorySource,
    *,
    rules: Iterable[Rule] | None = None,
    mode: BacktestMode = "vectorized",
    quiet_period: timedelta | None = None,
    lake: str | Path | None = None,
    lake_mode: LakeMode = "append",
    storage_options: Mapping[str, str] | None = None,
    lake_chunk_rows: int = MAX_CHUNK_ROWS,
    progress: bool = True,
    policies: Policies | None = None,
) -> BacktestResult:
    """Replay ``history`` through the rules and return decisions, alerts and outcomes.

    Parameters
    ----------
    history
        Snapshots (``alertkit.SNAPSHOT_SCHEMA``): a frame, or a Parquet, CSV or Delta path,
        checked and sorted by :func:`~alertkit.backtest.load_history`.
    rules
        :class:`~alertkit.rules.Rule` objects with distinct names; default
        :func:`~alertkit.rules.default_rules`.
    mode
        ``"vectorized"`` (default) or ``"engine"``; the results are identical.
    quiet_period
        Resolve an open alert once its trigger has not fired for this long (see the module
        docstring); None keeps alerts open to the end.
    lake
        Also write the alerts to the Delta table at this path or URI (created if needed),
        in commits of at most ``lake_chunk_rows`` alerts.
    lake_mode
        ``"append"`` refuses, writing nothing, if an open alert of this run has a fingerprint
        already open in the table (e.g. the same backtest written before); ``"overwrite"``
        replaces the table's contents (old versions stay readable by time travel).
    storage_options
        For an object-store ``lake`` (credentials, endpoint...).
    progress
        Show a progress bar (``tqdm.auto``) on runs that take more than a moment.
    policies
        :class:`~alertkit.policy.Policies` to replay: the alerts (and the lake) get the
        policy columns the live commits would have written, and the result's dry runs and
        :meth:`~BacktestResult.policy_report` apply them (docs/policies.md).

    Raises
    ------
    ValidationError
        A history that does not fit the snapshot schema or holds values in a wrong unit,
        bad arguments, or an ``append`` that would clash with open alerts in the lake.
    """
    rule_list = _check_rules(rules)
    _check_options(mode, quiet_period, lake_mode, lake_chunk_rows)
    if policies is not None and not isinstance(policies, Policies):
        raise ValidationError(
            f"policies: expected an alertkit.policy.Policies, got {type(policies).__name__}"
        )
    snapshots = load_history(history).select(list(SNAPSHOT_SCHEMA))
    if mode == "engine":
        validate_frame(normalize_frame(snapshots))  # refuse what vectorized mode refuses
        decisions, alerts = replay(
            snapshots, rule_list, quiet_period=quiet_period, progress=progress
        )
    else:
        decisions, alerts = _vectorized(snapshots, rule_list, quiet_period, progress)
    alerts = check_alert_frame(alerts)
    if policies is not None and not policies.is_empty:
        alerts = marked(alerts, policies, decisions)
    version = None
    if lake is not None:
        version = write_alerts(
            alerts,
            lake,
            mode=lake_mode,
            storage_options=storage_options,
            chunk_rows=lake_chunk_rows,
        )
    return BacktestResult(
        decisions=decisions,
        alerts=alerts,
        outcomes=alert_outcomes(alerts, decisions),
        mode=mode,
        quiet_period=quiet_period,
        rules=tuple(rule_list),
        lake_version=version,
        policies=policies,
    )


def _vectorized(
    snapshots: pl.DataFrame,
    rules: list[Rule],
    quiet_period: timedelta | None,
    progress: bool,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    enabled = progress and snapshots.height >= VECTORIZED_PROGRESS_MIN_ROWS
    with Progress(enabled, 3, "backtest (vectorized)", "stage") as bar:
        bar.stage("rules")
        # load_history sorted the snapshots by (as_of, strategy_id): row order is time order.
        decisions = evaluate_frame(snapshots, rules, order_by=None).select(list(DECISIONS_SCHEMA))
        bar.update()
        bar.stage("alert identity")
        end = decisions.get_column("as_of").max() if decisions.height else None
        episodes = alert_episodes(decisions, quiet_period, left_before=end)  # type: ignore[arg-type]
        bar.update()
        bar.stage("alert rows")
        alerts = episode_alerts(decisions, episodes, rules, quiet_period)
        bar.update()
    return decisions, alerts


def _check_rules(rules: Iterable[Rule] | None) -> list[Rule]:
    rule_list = default_rules() if rules is None else list(rules)
    wrong = [rule for rule in rule_list if not isinstance(rule, Rule)]
    if wrong:
        raise ValidationError(f"rules: expected alertkit.rules.Rule objects, got {wrong[0]!r}")
    names = [rule.name for rule in rule_list]
    if len(set(names)) != len(names):
        raise ValidationError(f"rules: expected distinct names, got {names}")
    return rule_list


def _check_options(
    mode: object, quiet_period: object, lake_mode: object, lake_chunk_rows: object
) -> None:
    if mode not in ("vectorized", "engine"):
        raise ValidationError(f"mode: expected 'vectorized' or 'engine', got {mode!r}")
    if quiet_period is not None and (
        not isinstance(quiet_period, timedelta) or quiet_period <= timedelta(0)
    ):
        raise ValidationError(
            f"quiet_period: expected a positive timedelta or None, got {quiet_period!r}"
        )
    if lake_mode not in ("append", "overwrite"):
        raise ValidationError(f"lake_mode: expected 'append' or 'overwrite', got {lake_mode!r}")
    if (
        isinstance(lake_chunk_rows, bool)
        or not isinstance(lake_chunk_rows, int)
        or not 1 <= lake_chunk_rows <= MAX_CHUNK_ROWS
    ):
        raise ValidationError(
            f"lake_chunk_rows: expected an int in [1, {MAX_CHUNK_ROWS}], got {lake_chunk_rows!r}"
        )
