"""The README's custom rule (section "Your own rule") runs alike in the engine, in the
vectorized backtest and in live cycles, as the twelve built-in rules do."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from alertkit import SyncAlertManager
from alertkit.backtest import run_backtest, synthetic_history
from alertkit.model.snapshot_frames import normalize_frame
from alertkit.rules import Rule, default_rules, peak_upl_expr
from alertkit.rules.compile_polars import to_polars
from alertkit.rules.compile_row import evaluate

README = Path(__file__).resolve().parents[2] / "README.md"
COMPARED = ["rule", "strategy_id", "symbol", "created_at", "occurrences", "last_seen_at"]
COMPARED += ["resolved_at", "status", "severity", "title", "message"]


def readme_rule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> type[Rule]:
    [block] = [
        code
        for code in re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)
        if "class ExpiryWeekLoss(Rule)" in code
    ]
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {"__name__": "readme_example"}
    # dont_inherit: the README runs without this module's `from __future__ import annotations`
    exec(compile(block, "README.md", "exec", dont_inherit=True), namespace)  # asserts too
    rule: type[Rule] = namespace["ExpiryWeekLoss"]
    return rule


def test_the_readme_rule_agrees_in_engine_vectorized_and_live(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = [*default_rules(), readme_rule(tmp_path, monkeypatch)()]
    history = synthetic_history(8, seed=1)
    fired = history.filter((pl.col("dte") <= 7) & (pl.col("upl_pct") <= -0.25))
    # Those positions in their last ten days: where the rule fires, in about a hundred cycles.
    history = history.filter(
        pl.col("strategy_id").is_in(fired["strategy_id"].unique().implode()), pl.col("dte") <= 10
    )
    vectorized = run_backtest(history, rules=rules, progress=False).alerts
    engine = run_backtest(history, rules=rules, mode="engine", progress=False).alerts
    assert vectorized.equals(engine)
    ours = vectorized.filter(pl.col("rule") == "expiry_week_loss")
    assert ours.height == 4  # cropped: the trailing stop has less peak to trail
    assert ours["message"][0].startswith("Losing -")

    manager = SyncAlertManager(str(tmp_path / "lake"), maintain_every=0)
    manager.initialize()
    for _, instant in history.group_by("as_of", maintain_order=True):
        manager.run_cycle(instant, rules=rules, complete=True)
    live = manager.read_board().sort(COMPARED[:4]).select(COMPARED)
    assert live.equals(vectorized.sort(COMPARED[:4]).select(COMPARED))


def test_the_readme_rules_condition_agrees_row_by_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not only the winner: the condition's result is the same per row (engine) and as a
    polars expression (vectorized) on every row, firing or not."""
    [trigger] = readme_rule(tmp_path, monkeypatch)(days=5, loss=-0.1).triggers
    frame = synthetic_history(4, seed=2)
    normal = normalize_frame(frame).with_columns(peak_upl_expr(None)).collect()
    by_frame = normal.select(to_polars(trigger.when).alias("fires"))["fires"].to_list()
    by_row = [evaluate(trigger.when, row) for row in normal.iter_rows(named=True)]
    assert by_row == by_frame
    assert set(by_row) == {True, False}
