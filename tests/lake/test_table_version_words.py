"""One word per thing: a state of a Delta table is a "table version", never a "snapshot".

"Snapshot" means a position observation only (docs/domain.md §3). The phrases below are the
ways the code used to call a Delta table state a snapshot; none may come back, in a module,
the README or the domain reference.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

DELTA_SNAPSHOT = re.compile(
    r"table\s+snapshot"
    r"|snapshot\s+of\s+the\s+(alerts\s+)?table"
    r"|snapshot\s+``table``"
    r"|cached\s+snapshot"
    r"|snapshot\s+(we\s+decided|the\s+manager)"
    r"|read\s+of\s+(a|such\s+a)\s+snapshot"
    r"|loads\s+that\s+snapshot"
    r"|(decided|decide|merged|planned|committed)\s+(and\s+\w+\s+)?on\s+(one|the|that|the\s+same)"
    r"\s+snapshot",
    re.IGNORECASE,
)

TEXTS = sorted(
    [*ROOT.joinpath("alertkit").rglob("*.py"), ROOT / "README.md", ROOT / "docs" / "domain.md"]
)


def _param(path: Path) -> object:
    return pytest.param(path, id=path.relative_to(ROOT).as_posix())


@pytest.mark.parametrize("path", [_param(p) for p in TEXTS])
def test_a_delta_table_state_is_called_a_table_version(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    found = [
        f"line {text.count(chr(10), 0, m.start()) + 1}: {m.group(0)!r}"
        for m in DELTA_SNAPSHOT.finditer(text)
    ]
    assert not found, f"{path.name} calls a Delta table state a snapshot: {found}"


@pytest.mark.parametrize(
    "phrase",
    [
        "decided on one table\nsnapshot",
        "A snapshot of the table: the latest",
        "into snapshot ``table``",
        "the MERGE ran on the snapshot we decided on",
        "dedup read + append on a cached snapshot",
        "decided and merged on one snapshot whose partitions",
        "planned\non the same snapshot, both commit",
        "Turn a failed read of a snapshot into",
    ],
)
def test_the_check_catches_the_old_wording(phrase: str) -> None:
    assert DELTA_SNAPSHOT.search(phrase)


@pytest.mark.parametrize(
    "phrase",
    [
        "evaluates both on one snapshot (per row)",
        "resolves at that last snapshot",
        "the peak is this snapshot alone",
        "Events dated later than their snapshot",
        "every snapshot through the real DecisionEngine",
    ],
)
def test_a_position_snapshot_is_still_a_snapshot(phrase: str) -> None:
    assert not DELTA_SNAPSHOT.search(phrase)
