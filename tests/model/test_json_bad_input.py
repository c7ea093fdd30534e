"""Metadata that is not JSON alertkit can store: each is a MetadataError that writes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from _factories import LONE, nested

from alertkit import Decision, MetadataError, SyncAlertManager
from conftest import RefusesBesideAnAlert, position

# The manager and the id of an alert already in its lake.
Case = Callable[[SyncAlertManager, str], object]


def _containing_itself() -> dict[str, Any]:
    loop: dict[str, Any] = {"x": 1}
    loop["me"] = loop
    return loop


CASES: list[tuple[str, Case, type[Exception], str]] = [
    (
        "metadata NaN",
        lambda m, a: m.create_alert(
            Decision("close", "x", "stop_loss_hard", "high", {"upl": float("nan")}), position("QQQ")
        ),
        MetadataError,
        "metadata['upl']: expected a finite number, got nan",
    ),
    (
        "metadata inf nested",
        lambda m, a: m.create_alert(
            Decision("close", "x", "stop_loss_hard", "high", {"g": {"d": [float("-inf")]}}),
            position("QQQ"),
        ),
        MetadataError,
        "metadata['g']['d'][0]: expected a finite number, got -inf",
    ),
    (
        "metadata oversized",
        lambda m, a: m.create_alert(
            Decision("close", "x", "stop_loss_hard", "high", {"blob": "x" * 70_000}),
            position("QQQ"),
        ),
        MetadataError,
        "metadata: expected at most 65536 bytes of JSON",
    ),
    (
        "metadata set",
        lambda m, a: m.create_alert(
            Decision("close", "x", "stop_loss_hard", "high", {"s": {1}}), position("QQQ")
        ),
        MetadataError,
        "metadata['s']: expected a JSON-compatible value, got set",
    ),
    (
        "metadata nested 990 deep",
        lambda m, a: m.create_alert(
            Decision("close", "x", "stop_loss_hard", "high", nested(990)), position("QQQ")
        ),
        MetadataError,
        "metadata['a']['a']['a']",
    ),
    (
        "metadata containing itself",
        lambda m, a: m.create_alert(
            Decision("close", "x", "stop_loss_hard", "high", _containing_itself()),
            position("QQQ"),
        ),
        MetadataError,
        "metadata['me']['me']",
    ),
    (
        "metadata surrogate value",
        lambda m, a: m.create_alert(
            Decision("close", "x", "stop_loss_hard", "high", {"k": LONE}), position("QQQ")
        ),
        MetadataError,
        "metadata['k']: expected a string of valid Unicode, got a lone surrogate '\\udcff'",
    ),
    (
        "metadata surrogate key",
        lambda m, a: m.create_alert(
            Decision("close", "x", "stop_loss_hard", "high", {"k" + LONE: 1}), position("QQQ")
        ),
        MetadataError,
        "metadata: expected keys of valid Unicode, got a lone surrogate '\\udcff' at position 1",
    ),
]


@pytest.mark.parametrize(("case", "call", "error", "message"), CASES, ids=[c[0] for c in CASES])
def test_bad_metadata_is_refused_cleanly(
    refuses_beside_an_alert: RefusesBesideAnAlert,
    case: str,
    call: Case,
    error: type[Exception],
    message: str,
) -> None:
    refuses_beside_an_alert(call, error, message)


def test_metadata_of_exactly_64_levels_and_64_kib_is_stored(sync_manager: SyncAlertManager) -> None:
    deep = sync_manager.create_alert(
        Decision("close", "x", "stop_loss_hard", "high", nested(64)), position("QQQ")
    )
    assert deep is not None and sync_manager.get_alert(deep.alert_id).metadata == nested(64)
    blob = "x" * (64 * 1024 - len('{"b":""}'))
    big = sync_manager.create_alert(
        Decision("close", "x", "vix_level", "high", {"b": blob}), position("QQQ")
    )
    assert big is not None and sync_manager.get_alert(big.alert_id).metadata == {"b": blob}
