"""No user string is ever pasted into a Delta predicate or SQL expression unescaped.

Property tests with arbitrary text: as a SQL literal it evaluates back to itself; as the
trigger id in a MERGE guard it touches only its own alert; as a note or a name on a transition it
round-trips exactly and leaves every other row byte-identical; as an alert id it finds
nothing and writes nothing.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import polars as pl
import pytest
from deltalake import DeltaTable, QueryBuilder
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alertkit import AlertkitError, SyncAlertManager
from alertkit.lake._sql import sql_literal
from conftest import T0, close_now, position

HOSTILE = [
    "x' OR '1'='1",
    "'; DELETE FROM alerts; --",
    "\\'",
    "a'' OR alert_id IS NOT NULL OR ''='",
    "1 = 1",
    "<script>alert(1)</script>",
    "\x00",
    "ünï 🚀",
    "",
]
texts = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=200))
SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@pytest.fixture(scope="module")
def shared_lake(tmp_path_factory: pytest.TempPathFactory) -> str:
    lake = str(tmp_path_factory.mktemp("security") / "alerts")
    manager = SyncAlertManager(lake, maintain_every=0)
    manager.initialize()
    for symbol in ("SPY", "QQQ", "IWM"):
        manager.create_alert(close_now(), position(symbol, 1))
    return lake


@SETTINGS
@given(text=texts)
def test_a_sql_literal_evaluates_to_the_text_itself(text: str) -> None:
    result = QueryBuilder().execute(f"SELECT {sql_literal(text)} AS v").read_all()
    assert pl.DataFrame(result)["v"].to_list() == [text]


_rules = itertools.count()


@SETTINGS
@given(text=texts)
def test_hostile_text_as_a_trigger_id_in_the_merge_guard_touches_no_other_row(
    shared_lake: str, text: str
) -> None:
    """A trigger id reaches SQL as a literal of the MERGE's read guard (``t.rule IN (...)``):
    whatever it holds, the firing creates its own alert, then repeats it, and no other row
    changes."""
    rule = f"r{next(_rules)}{text}".replace("\x00", "")
    if not rule.strip() or any(0xD800 <= ord(c) <= 0xDFFF for c in rule):
        return  # refused at the boundary (tested in test_bad_input)
    manager = SyncAlertManager(shared_lake, maintain_every=0)
    before = pl.read_delta(shared_lake)
    decision = close_now(rule)
    first = manager.create_alert(decision, position("SPY", 1), at=T0)
    again = manager.create_alert(decision, position("SPY", 1), at=T0)
    assert first is not None and again is not None
    assert (again.alert_id, again.occurrences) == (first.alert_id, 2)
    after = pl.read_delta(shared_lake)
    assert (
        after.filter(pl.col("alert_id") != first.alert_id)
        .sort("alert_id")
        .equals(before.sort("alert_id"))
    )
    assert after.filter(pl.col("rule") == rule)["alert_id"].to_list() == [first.alert_id]


_strategy_ids = itertools.count(1000)


@SETTINGS
@given(note=texts, by=texts)
def test_any_note_and_name_round_trip_and_touch_no_other_row(
    shared_lake: str, note: str, by: str
) -> None:
    manager = SyncAlertManager(shared_lake, maintain_every=0)
    alert = manager.create_alert(close_now(), position("SPY", next(_strategy_ids)), at=T0)
    assert alert is not None
    others = pl.read_delta(shared_lake).filter(pl.col("alert_id") != alert.alert_id)
    done = manager.acknowledge_alert(alert.alert_id, by=by, note=note, at=T0)
    closed = manager.dismiss_alert(alert.alert_id, by=note, note=by, at=T0)
    assert (done.history[-1]["by"], done.history[-1]["note"]) == (by, note)
    stored = manager.get_alert(alert.alert_id)
    assert stored == closed
    assert [(e["by"], e["note"]) for e in stored.history] == [(None, None), (by, note), (note, by)]
    after = pl.read_delta(shared_lake).filter(pl.col("alert_id") != alert.alert_id)
    assert after.sort("alert_id").equals(others.sort("alert_id"))
    audit = [(h["alertkit.subject"], h["alertkit.by"]) for h in DeltaTable(shared_lake).history(2)]
    assert audit == [(alert.alert_id, note), (alert.alert_id, by)]  # newest first


@SETTINGS
@given(alert_id=texts)
def test_hostile_alert_ids_find_nothing_and_write_nothing(shared_lake: str, alert_id: str) -> None:
    manager = SyncAlertManager(shared_lake, maintain_every=0)
    before, version = pl.read_delta(shared_lake), DeltaTable(shared_lake).version()
    calls: list[Callable[[], object]] = [
        lambda: manager.get_alert(alert_id),
        lambda: manager.acknowledge_alert(alert_id, note=alert_id),
        lambda: manager.resolve_alert(alert_id, by=alert_id),
        lambda: manager.dismiss_alert(alert_id),
    ]
    for call in calls:
        with pytest.raises(AlertkitError, match=r"^no alert with alert_id="):
            call()
    assert DeltaTable(shared_lake).version() == version
    assert pl.read_delta(shared_lake).equals(before)
