"""The command line refuses bad arguments: exit 2 and one clear line, nothing written."""

from __future__ import annotations

import pytest
from _factories import LONE

from alertkit import SyncAlertManager, cli
from conftest import WritesNothing, close_now, position

CLI_CASES: list[tuple[str, list[str], str]] = [
    ("list --limit 2**63", ["list", "--limit", str(2**63)], "limit: expected a positive int up to"),
    ("list --limit -1", ["list", "--limit", "-1"], "limit: expected a positive int up to"),
    ("ack with a non-UTF-8 --by", ["ack", "{id}", "--by", "ann" + LONE], "--by: expected valid"),
    ("resolve with a non-UTF-8 --note", ["resolve", "{id}", "--note", LONE], "--note: expected"),
    ("list with a non-UTF-8 --symbol", ["list", "--symbol", LONE], "--symbol: expected valid"),
    ("show an id with a trailing newline", ["show", "{id}\n"], "no alert with alert_id='"),
    ("dismiss an id with a trailing newline", ["dismiss", "{id}\n"], "no alert with alert_id="),
    ("list --status opened", ["list", "--status", "opened"], "--status: expected open or one"),
]


@pytest.mark.parametrize(("case", "args", "message"), CLI_CASES, ids=[c[0] for c in CLI_CASES])
def test_bad_command_lines_exit_2_with_one_line(
    sync_manager: SyncAlertManager,
    lake: str,
    writes_nothing: WritesNothing,
    capsys: pytest.CaptureFixture[str],
    case: str,
    args: list[str],
    message: str,
) -> None:
    existing = sync_manager.create_alert(close_now(), position("SPY", 1))
    assert existing is not None
    with writes_nothing():
        status = cli.main(["--lake", lake, *(a.replace("{id}", existing.alert_id) for a in args)])
    out, err = capsys.readouterr()
    assert (status, out) == (2, "")
    assert err.startswith("alertkit: error: " + message), err
    assert err.count("\n") == 1, err


def test_a_non_utf8_lake_path_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--lake", "data/" + LONE, "list"]) == 2
    assert capsys.readouterr().err == (
        "alertkit: error: --lake: expected valid Unicode text, got a lone surrogate '\\udcff'"
        " at position 5 (not storable as UTF-8)\n"
    )
