"""Metadata JSON: what round-trips, and the errors for what cannot."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import numpy as np
import polars as pl
import pytest

from alertkit import MetadataError
from alertkit.model._json import MAX_METADATA_BYTES, dumps_metadata, metadata_column_problems


def test_rich_values_encode_exactly() -> None:
    meta = {
        "nested": {"legs": [{"strike": 450, "right": "P"}, (1, 2)]},
        "at": datetime(2026, 1, 5, 15, 0, 1, 250, tzinfo=UTC),
        "expiry": date(2026, 2, 20),
        "credit": Decimal("1.2500"),
        "np_float": np.float64(0.28),
        "np_int": np.int32(7),
        "np_bool": np.bool_(True),
        "none": None,
    }
    assert json.loads(dumps_metadata(meta)) == {
        "nested": {"legs": [{"strike": 450, "right": "P"}, [1, 2]]},
        "at": "2026-01-05T15:00:01.000250+00:00",
        "expiry": "2026-02-20",
        "credit": "1.2500",
        "np_float": 0.28,
        "np_int": 7,
        "np_bool": True,
        "none": None,
    }


def _nested(depth: int) -> dict[str, object]:
    value: dict[str, object] = {}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


@pytest.mark.parametrize(
    ("meta", "message"),
    [
        ({"x": float("nan")}, "metadata['x']: expected a finite number, got nan"),
        ({"x": [1, float("inf")]}, "metadata['x'][1]: expected a finite number, got inf"),
        ({"x": Decimal("NaN")}, "metadata['x']: expected a finite Decimal, got Decimal('NaN')"),
        ({"x": {1: "a"}}, "metadata['x']: expected str keys, got int 1"),
        ({"x": {1, 2}}, "metadata['x']: expected a JSON-compatible value, got set {1, 2}"),
        ({"x": object}, "metadata['x']: expected a JSON-compatible value, got type"),
        ({"x": np.float64("nan")}, "metadata['x']: expected a finite number, got np.float64(nan)"),
        (
            {"x": "a" * MAX_METADATA_BYTES},
            "metadata: expected at most 65536 bytes of JSON, got 65544",
        ),
        (
            {"x": "ok \udcff"},
            "metadata['x']: expected a string of valid Unicode, got a lone surrogate '\\udcff'"
            " at position 3 (not storable as UTF-8)",
        ),
        (
            {"x": {"\ud800": 1}},
            "metadata['x']: expected keys of valid Unicode, got a lone surrogate '\\ud800'",
        ),
        (_nested(65), "metadata" + "['a']" * 11 + "['...: expected at most 64 levels of nested"),
        (_nested(990), "metadata" + "['a']" * 11 + "['...: expected at most 64 levels of nested"),
    ],
)
def test_unencodable_metadata_is_a_clear_error(meta: dict[str, object], message: str) -> None:
    with pytest.raises(MetadataError) as info:
        dumps_metadata(meta)
    assert str(info.value).startswith(message)


def test_64_levels_are_stored() -> None:
    assert json.loads(dumps_metadata(_nested(64))) == _nested(64)


@pytest.mark.parametrize(
    ("texts", "problems"),
    [
        (['{"a": 1}', ' {"b": [1, {"c": null}]} ', "{}", '{"r":"\\ud83d\\ude80"}'], {}),
        ([None, "null"], {"metadata is null": 1, "metadata is not a JSON object": 1}),
        (
            ['{"a":1}', "[1]", '"s"'],
            {"metadata is not a JSON object (first: a JSON list)": 2},
        ),
        (
            ['{"a":"\\udcff"}'],
            {
                "metadata holds a value alertkit refuses (first: metadata['a']: expected a string"
                " of valid Unicode, got a lone surrogate '\\udcff' at position 0 (not storable as"
                " UTF-8))": 1
            },
        ),
        (
            ['{"a":' * 1500 + "1" + "}" * 1500],
            {"metadata is nested too deeply (first: more than 64 levels)": 1},
        ),
        (
            ['{"a":1e999}', "{'a': 1}"],
            {
                "metadata holds a value alertkit refuses (first: metadata['a']: expected a finite"
                " number, got inf)": 1,
                "metadata is not valid JSON (first: Expecting property name enclosed in double"
                " quotes: line 1 column 2 (char 1))": 1,
            },
        ),
    ],
)
def test_a_column_of_metadata_is_held_to_the_same_rules(
    texts: list[str | None], problems: dict[str, int]
) -> None:
    assert metadata_column_problems(pl.Series("metadata", texts, dtype=pl.String)) == problems


_TWICE = "metadata has a duplicate key (first: the key {!r} appears twice in one object)"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        # A string that begins with a colon once hid a repeated key from the key scan.
        ('{":x":1,":x":2}', _TWICE.format(":x")),
        ('{"{": "a\\"b",":x":{"k":1},":x":true}', _TWICE.format(":x")),
        ('{" :x" : 1, " :x":2}', _TWICE.format(" :x")),
        # Fewer than 300 digits, but past 1e308 with its exponent: Python reads inf.
        (
            '{"x":' + "1" * 250 + "e99}",
            "metadata holds a value alertkit refuses (first: metadata['x']: expected a finite"
            " number, got inf)",
        ),
    ],
)
def test_flat_and_nested_rows_are_judged_as_the_exact_check_judges_them(
    text: str, problem: str
) -> None:
    texts = ['{"a":1,"b":"x"}', text, '{"legs":[{"k":1}]}']
    assert metadata_column_problems(pl.Series("metadata", texts)) == {problem: 1}


def test_a_column_that_repeats_its_texts_is_counted_row_by_row() -> None:
    texts = ['{"a":1,"b":2}'] * 9_000 + ['{"a":1,"a":2}'] * 3 + ['{"c":1e999}', None]
    assert metadata_column_problems(pl.Series("metadata", texts)) == {
        _TWICE.format("a"): 3,
        "metadata holds a value alertkit refuses (first: metadata['c']: expected a finite"
        " number, got inf)": 1,
        "metadata is null": 1,
    }
    assert metadata_column_problems(pl.Series("metadata", texts[:9_000])) == {}
