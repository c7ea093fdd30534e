"""Metadata JSON: what round-trips, and the errors for what cannot."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import numpy as np
import pytest

from alertkit import MetadataError
from alertkit._json import MAX_METADATA_BYTES, dumps_metadata


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
    ],
)
def test_unencodable_metadata_is_a_clear_error(meta: dict[str, object], message: str) -> None:
    with pytest.raises(MetadataError) as info:
        dumps_metadata(meta)
    assert str(info.value).startswith(message)
