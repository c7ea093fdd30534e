"""The CLI as a new user meets it (issue 18 §3 and §8): one line and exit 2 for every error, no
table created by a typo, a case-insensitive symbol filter, honest exit codes from `watch`, and
a quiet end when the reader of a pipe goes away."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from alertkit import AlertQuery, SyncAlertManager, cli
from alertkit.model.errors import StoreError
from conftest import close_now, position

T = datetime(2026, 1, 5, 15, tzinfo=UTC)


def one_error_line(err: str) -> str:
    assert err.count("\n") == 1 and err.startswith("alertkit: error: "), err
    assert "Traceback" not in err
    return err


@pytest.fixture
def lake(tmp_path: Path) -> str:
    path = str(tmp_path / "alerts")
    manager = SyncAlertManager(path, maintain_every=0)
    manager.initialize()
    manager.create_alert(close_now("stop_loss_hard"), position("SPY", 1))
    manager.create_alert(close_now("stop_loss_hard"), position("QQQ", 2, minutes=1))
    return path


# -- §3: only watch creates a table ------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ["maintain"],
        ["maintain", "--vacuum-hours", "24"],
        ["list"],
        ["show", "a-1"],
        ["history", "a-1"],
        ["ack", "a-1"],
        ["resolve", "a-1"],
        ["dismiss", "a-1"],
    ],
)
def test_no_command_but_watch_creates_a_table_at_a_mistyped_lake(
    tmp_path: Path, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    typo = tmp_path / "alertz"
    assert cli.main(["--lake", str(typo), *command]) == 2
    err = one_error_line(capsys.readouterr().err)
    assert err.startswith(f"alertkit: error: no alerts table at {typo} (check --lake")
    assert not typo.exists()


# -- §3: errors the CLI turns into one line ----------------------------------------------------


@pytest.mark.parametrize("command", [["list"], ["maintain"], ["ack", "a-1"]])
def test_a_lake_that_is_a_file_is_one_line(
    tmp_path: Path, command: list[str], capfd: pytest.CaptureFixture[str]
) -> None:
    for file in (Path("/etc/passwd"), tmp_path / "notes.txt"):
        if not file.exists():
            file.write_text("not a lake\n")
        before = file.read_bytes()
        assert cli.main(["--lake", str(file), *command]) == 2
        err = one_error_line(capfd.readouterr().err)
        assert err == f"alertkit: error: {file} is a file, not a Delta table directory\n"
        assert file.read_bytes() == before


def _bare_environment(home: Path) -> dict[str, str]:
    """No AWS credentials anywhere, and a HOME without ~/.aws. The metadata service is
    disabled too, so that even on an EC2 machine nothing leaves this one."""
    keep = ("PATH", "LANG", "LC_ALL", "SYSTEMROOT", "TMPDIR")
    env = {k: v for k, v in os.environ.items() if k in keep}
    return env | {
        "HOME": str(home),
        "PYTHONPATH": str(Path(cli.__file__).parents[1]),
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def test_an_s3_lake_without_credentials_fails_fast_in_one_line(tmp_path: Path) -> None:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "alertkit.cli", "--lake", "s3://nobucket/alerts", "list"],
        env=_bare_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert time.monotonic() - started < 10
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert done.stderr == (
        "alertkit: error: no AWS credentials for s3://nobucket/alerts: none in the storage"
        " options, the environment (AWS_ACCESS_KEY_ID, AWS_PROFILE, ...) or ~/.aws, and this"
        " is no EC2 instance whose metadata service could supply them\n"
    )


def test_s3_credentials_found_anywhere_are_left_to_delta_rs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alertkit.lake.paths import missing_s3_credentials

    for name in ("AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    assert missing_s3_credentials("s3://b/alerts", None) is not None
    assert missing_s3_credentials("s3://b/alerts", {"AWS_ACCESS_KEY_ID": "k"}) is None
    assert missing_s3_credentials("gs://b/alerts", None) is None
    assert missing_s3_credentials("/local/alerts", None) is None
    monkeypatch.setenv("AWS_PROFILE", "work")
    assert missing_s3_credentials("s3://b/alerts", None) is None
    monkeypatch.delenv("AWS_PROFILE")
    (tmp_path / ".aws").mkdir()
    (tmp_path / ".aws" / "credentials").write_text("[default]\n")
    assert missing_s3_credentials("s3://b/alerts", None) is None


def test_only_an_ec2_machine_is_left_to_its_metadata_service(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Told by the machine's local DMI data, never by asking the network."""
    from alertkit.lake.paths import missing_s3_credentials

    for name in ("AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("AWS_EC2_METADATA_DISABLED", raising=False)
    ec2, laptop = tmp_path / "ec2", tmp_path / "laptop"
    ec2.mkdir()
    laptop.mkdir()
    (ec2 / "sys_vendor").write_text("Amazon EC2\n")
    (laptop / "sys_vendor").write_text("LENOVO\n")
    assert missing_s3_credentials("s3://b/alerts", None, dmi=ec2) is None
    assert missing_s3_credentials("s3://b/alerts", None, dmi=laptop) is not None
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    assert missing_s3_credentials("s3://b/alerts", None, dmi=ec2) is not None


@pytest.fixture
def read_only_lake(tmp_path: Path) -> Iterator[Path]:
    """A lake on a tmpfs remounted read-only: unwritable even for root (tests run as root,
    for whom permissions are no obstacle)."""
    mount = tmp_path / "ro"
    mount.mkdir()
    if shutil.which("mount") is None:
        pytest.skip("no mount command")
    made = subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(mount)], capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.decode().strip()}")
    try:
        manager = SyncAlertManager(str(mount / "lake"), maintain_every=0)
        manager.initialize()
        manager.create_alert(close_now("stop_loss_hard"), position("SPY", 1))
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        yield mount / "lake"
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def test_a_read_only_lake_reads_and_refuses_writes_in_one_line(
    read_only_lake: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    lake = str(read_only_lake)
    manager = SyncAlertManager(lake, maintain_every=0)
    (alert,) = manager.query_alerts()
    message = rf"^the alerts table at {lake} is read-only: this process cannot write to"
    for write in (
        manager.maintain,
        lambda: manager.acknowledge_alert(alert.alert_id),
        lambda: manager.create_alert(close_now("catastrophe_drop"), position("QQQ", 2)),
    ):
        with pytest.raises(StoreError, match=message):
            write()
    capfd.readouterr()
    assert cli.main(["--lake", lake, "list"]) == 0
    assert "stop_loss_hard" in capfd.readouterr().out
    for command in (["maintain"], ["ack", alert.alert_id]):
        assert cli.main(["--lake", lake, *command]) == 2
        err = one_error_line(capfd.readouterr().err)
        assert "is read-only" in err and "initialize" not in err


# -- §8: the symbol filter ---------------------------------------------------------------------


def test_the_symbol_filter_ignores_case_in_the_api_and_the_cli(
    lake: str, capsys: pytest.CaptureFixture[str]
) -> None:
    manager = SyncAlertManager(lake)
    for typed in ("spy", "SPY", "Spy"):
        assert [a.symbol for a in manager.query_alerts(AlertQuery(symbol=typed))] == ["SPY"]
    assert cli.main(["--lake", lake, "list", "--symbol", "spy"]) == 0
    out = capsys.readouterr().out
    assert "| SPY " in out and "QQQ" not in out


# -- §8: watch ---------------------------------------------------------------------------------


def _positions(path: Path) -> Path:
    pl.DataFrame(
        {
            "as_of": [T] * 2,
            "strategy_id": [1, 2],
            "symbol": ["SPY", "QQQ"],
            "strategy_type": ["iron_condor"] * 2,
            "dte": [40] * 2,
            "upl_pct": [0.1] * 2,
            "vix": [41.0] * 2,
        }
    ).write_parquet(path)
    return path


def test_watch_on_a_missing_source_is_one_line_before_any_cycle(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    lake = tmp_path / "alerts"
    missing = tmp_path / "missing.csv"
    assert (
        cli.main(["--lake", str(lake), "watch", str(missing), "--cycles", "1", "--every", "1"]) == 2
    )
    out, err = capfd.readouterr()
    assert out == ""
    assert err == f"alertkit: error: source: {missing} does not exist\n"
    assert not lake.exists()


@pytest.mark.parametrize("every", ["0", "-1", "-0.5", "nan"])
def test_watch_refuses_an_interval_that_is_not_positive(
    tmp_path: Path, every: str, capfd: pytest.CaptureFixture[str]
) -> None:
    lake = tmp_path / "alerts"
    source = _positions(tmp_path / "book.parquet")
    assert (
        cli.main(["--lake", str(lake), "watch", str(source), "--every", every, "--cycles", "1"])
        == 2
    )
    err = one_error_line(capfd.readouterr().err)
    assert err.startswith("alertkit: error: --every: expected a positive number of seconds, got")
    assert not lake.exists()


def test_watch_exits_1_with_a_summary_when_every_cycle_failed(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "positions.txt"  # exists, but is no format alertkit reads
    source.write_text("strategy_id,symbol\n1,SPY\n")
    args = ["--lake", str(tmp_path / "alerts"), "watch", str(source), "--every", "0.01"]
    assert cli.main([*args, "--cycles", "2"]) == 1
    out, err = capfd.readouterr()
    assert out == f"watching {source} every 0.01 s (Ctrl-C stops)\n"
    lines = err.splitlines()
    assert "Traceback" not in err
    problem = (
        f"cannot tell the format of {str(source)!r} from its suffix; pass format='parquet',"
        " 'csv' or 'delta'"
    )
    reason = f"(ValidationError: {problem})"
    for line in lines[:2]:  # each failed tick: one line of the monitor's log, no traceback
        assert line.startswith("alertkit: error: ") and line.endswith(reason)
    assert lines[2] == (
        "alertkit: error: every cycle failed; stopped after 2 cycles: 0 new alerts, 0 repeats,"
        f" 0 resolved, 2 failed cycles (last error: ValidationError: {problem})"
    )
    assert len(lines) == 3


def test_watch_with_some_good_cycles_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _positions(tmp_path / "book.parquet")
    lake = str(tmp_path / "alerts")
    assert cli.main(["--lake", lake, "watch", str(source), "--every", "0.01", "--cycles", "2"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("stopped after 2 cycles:")


# -- §8: a closed pipe -------------------------------------------------------------------------


def _run_into_a_closed_pipe(args: list[str]) -> tuple[int, str]:
    """Run the CLI with a stdout nobody reads: its reader is gone before the first write."""
    child = subprocess.Popen(
        [sys.executable, "-m", "alertkit.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stderr is not None
    child.stdout.close()  # like `| head -1` once it has its line
    with child.stderr:
        err = child.stderr.read()
    return child.wait(timeout=60), err


def test_list_into_a_closed_pipe_ends_quietly(lake: str) -> None:
    status, err = _run_into_a_closed_pipe(["--lake", lake, "list"])
    assert err == ""
    assert status == 1  # as the Python docs' "Note on SIGPIPE" has it


def test_watch_into_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    source = _positions(tmp_path / "book.parquet")
    lake = str(tmp_path / "alerts")
    status, err = _run_into_a_closed_pipe(
        ["--lake", lake, "watch", str(source), "--every", "0.01", "--cycles", "3"]
    )
    assert err == ""
    assert status == 1
