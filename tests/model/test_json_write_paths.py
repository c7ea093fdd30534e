"""Metadata JSON that cannot mean one thing everywhere is refused (issue 18 §8): integers past
Python's int-string limit, and objects with a duplicate key (alertkit reads the last value,
DuckDB the first), on every write path, with a MetadataError that says where."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from _factories import an_alert

from alertkit import Alert, Decision, SyncAlertManager
from alertkit.model._json import dumps_metadata, metadata_column_problems
from alertkit.model.errors import MetadataError, ValidationError
from alertkit.model.schema import alerts_to_frame
from conftest import position

HUGE = 10**5000


def alert(strategy_id: int = 1, metadata: dict[str, object] | None = None) -> Alert:
    return an_alert(strategy_id=strategy_id, metadata=metadata or {})


@pytest.fixture
def manager(tmp_path: Path) -> SyncAlertManager:
    m = SyncAlertManager(str(tmp_path / "lake"), maintain_every=0)
    m.initialize()
    return m


INT_MESSAGE = (
    r"expected an integer of at most 4300 digits \(Python's int-string limit\), got one of"
    r" about 5000 digits"
)


@pytest.mark.parametrize(
    ("metadata", "where"),
    [
        ({"x": HUGE}, r"metadata\['x'\]"),
        ({"x": -HUGE}, r"metadata\['x'\]"),
        ({"legs": [{"strike": HUGE}]}, r"metadata\['legs'\]\[0\]\['strike'\]"),
    ],
)
def test_an_integer_past_pythons_limit_is_a_metadata_error(
    metadata: dict[str, object], where: str
) -> None:
    with pytest.raises(MetadataError, match=rf"^{where}: {INT_MESSAGE}$"):
        dumps_metadata(metadata)


def test_large_but_readable_integers_are_kept() -> None:
    assert dumps_metadata({"x": 10**4299}) == '{"x":1' + "0" * 4299 + "}"


def test_create_alert_with_a_huge_integer_is_a_metadata_error_and_writes_nothing(
    manager: SyncAlertManager,
) -> None:
    decision = Decision("close", "r", "stop_loss_hard", "immediate", {"x": HUGE})
    with pytest.raises(MetadataError, match=INT_MESSAGE):
        manager.create_alert(decision, position())
    with pytest.raises(MetadataError, match=INT_MESSAGE):
        manager.insert_alerts([alert(metadata={"x": HUGE})])
    assert manager.version() == 0


def _frame_with_metadata(texts: list[str]) -> pl.DataFrame:
    frame = alerts_to_frame([alert(i + 1) for i in range(len(texts))])
    return frame.with_columns(metadata=pl.Series(texts))


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            '{"x":' + "1" * 5000 + "}",
            "metadata holds a value alertkit refuses (first: an integer longer than 4300 digits)",
        ),
        (
            '{"a":1,"a":2}',
            "metadata has a duplicate key (first: the key 'a' appears twice in one object)",
        ),
        (
            '{"n":{"b":1,"c":[{"d":1,"d":2}]}}',
            "metadata has a duplicate key (first: the key 'd' appears twice in one object)",
        ),
        (
            '{"a" : 1, "a":2}',
            "metadata has a duplicate key (first: the key 'a' appears twice in one object)",
        ),
        (
            '{"a":1,"\\u0061":2}',  # the same key, spelled with an escape
            "metadata has a duplicate key (first: the key 'a' appears twice in one object)",
        ),
    ],
)
def test_bulk_metadata_json_that_reads_two_ways_is_a_metadata_error(
    manager: SyncAlertManager, text: str, problem: str
) -> None:
    frame = _frame_with_metadata(['{"ok":1}', text])
    assert metadata_column_problems(frame["metadata"]) == {problem: 1}
    with pytest.raises(MetadataError, match=r"^alerts frame: 1 rows: metadata "):
        manager.insert_alerts(frame)
    assert manager.version() == 0


def test_repeated_keys_in_different_objects_are_fine(manager: SyncAlertManager) -> None:
    texts = [
        '{"legs":[{"strike":400,"side":"put"},{"strike":420,"side":"call"}]}',
        '{"a":{"x":1},"b":{"x":2}}',
        '{"note":"\\"a\\": 1, \\"a\\": 2"}',  # a string that merely looks like two keys
    ]
    frame = _frame_with_metadata(texts)
    assert metadata_column_problems(frame["metadata"]) == {}
    assert manager.insert_alerts(frame) == 3
    stored = {a.strategy_id: a.metadata for a in manager.query_alerts()}
    assert stored[1] == {"legs": [{"strike": 400, "side": "put"}, {"strike": 420, "side": "call"}]}
    assert stored[3] == {"note": '"a": 1, "a": 2'}


def test_a_history_with_a_duplicate_key_is_refused(manager: SyncAlertManager) -> None:
    frame = alerts_to_frame([alert()])
    history = frame["history"][0]
    doubled = history.replace('"by":null', '"by":null,"by":"eve"', 1)
    assert doubled != history
    with pytest.raises(ValidationError, match="history is not a JSON list of alertkit events"):
        manager.insert_alerts(frame.with_columns(history=pl.lit(doubled)))
    assert manager.version() == 0
