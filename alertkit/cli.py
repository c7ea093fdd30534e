"""The ``alertkit`` console command: the demo job and day-to-day operations on a lake.

alertkit demo                       run the example job into its own lake, data/lake/demo_alerts
alertkit list [--status S|open] [--type T] [--severity S] [--symbol X] [--limit N | --all]
                                    the board, newest first
alertkit show ID | history ID       one alert, or its transitions
                                    (list, show, history, notifications: --format table|csv|json)
alertkit ack|resolve|dismiss ID [--by NAME] [--note TEXT]
alertkit maintain [--vacuum-hours N]
alertkit watch SOURCE --every SECONDS [--quiet-hours H] [--cycles N] [--handlers FILE]
                                    live monitoring: a cycle per interval on SOURCE's positions,
                                    notifying the file's handlers
alertkit notify --pending --handlers FILE
                                    deliver what earlier commits left pending to those handlers
alertkit notifications [--since ISO] [--handler NAME] [--alert ID] [--limit N | --all]
                                    the notification log: sent, failed, suppressed, pending
alertkit silence add --match FIELD=VALUE [--match ...] (--ends ISO | --for DURATION)
                     --by NAME --comment TEXT [--starts ISO] [--confirm]
alertkit silence list [--all] [--at ISO] | silence expire ID [--by NAME]
                                    silences: matching alerts notify nobody for a time
alertkit snooze ID (--until ISO | --for DURATION) [--by NAME] [--note TEXT]
alertkit assign ID NAME [--by NAME] [--note TEXT] | unassign ID

A handlers file is TOML, one [[handler]] table per handler, e.g.

    [[handler]]
    name = "desk-hook"
    webhook = "https://hooks.example.com/desk"
    group_by = ["rule"]
    repeat_interval = "4h"

(keys: alertkit.notify.config). Pending notifications name their handler: only a handler of
that name can deliver them.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Final, NoReturn

from alertkit import _cli_alerts, _cli_notify, _cli_policies
from alertkit.lake.paths import DEFAULT_LAKE_PATH, missing_s3_credentials
from alertkit.live.cycle import CycleResult
from alertkit.live.monitor import Monitor
from alertkit.live.registration import register_handlers
from alertkit.live.sync_manager import SyncAlertManager
from alertkit.model._text import check_free_text, check_unicode
from alertkit.model.errors import AlertkitError, StoreError, TableNotFoundError, ValidationError
from alertkit.notify import Subscription

__all__ = ["main"]


class _OneLineParser(argparse.ArgumentParser):
    """A command's parser whose refusal is one line, as every other bad input is (argparse
    prints the usage too); it exits with status 2 as argparse does."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.removeprefix("alertkit ")
        self.exit(2, f"alertkit: error: {command}: {message} (see {self.prog} -h)\n")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="alertkit", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--lake",
        default=None,  # resolved in main: the demo has a lake of its own
        help=f"alerts table path or URI (default {DEFAULT_LAKE_PATH}; demo: its own lake)",
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_OneLineParser)
    sub.add_parser(
        "demo",
        help="run the example job into its own lake and print the board",
        description="Run the example job (synthetic history, backtest, triage) into its own"
        " lake and print the board. It takes no options of its own.",
    )
    _cli_alerts.add_commands(sub)
    for name, verb in (("ack", "acknowledge"), ("resolve", "resolve"), ("dismiss", "dismiss")):
        act = sub.add_parser(
            name, help=f"{verb} an open alert", description=f"{verb.capitalize()} an open alert."
        )
        act.add_argument("alert_id", metavar="ID", help="the alert's id")
        act.add_argument("--by", metavar="NAME", help="who does it (kept in the alert's history)")
        act.add_argument("--note", metavar="TEXT", help="a note kept in the alert's history")
    maintain = sub.add_parser(
        "maintain",
        help="compact, checkpoint, optionally vacuum",
        description="Compact small files, write a checkpoint and, with --vacuum-hours,"
        " delete unreferenced files.",
    )
    maintain.add_argument(
        "--vacuum-hours",
        type=int,
        default=None,
        metavar="HOURS",
        help="also delete unreferenced files older than this many hours (>= 24; default:"
        " no vacuum)",
    )
    sub.add_parser(
        "migrate",
        help="move the lake's tables to the monthly partition layout",
        description="Move the alerts table and its notification log, if partitioned by day"
        " (as alertkit wrote them before 2026-12), to partitions by month: one commit each,"
        " nothing lost, earlier versions still readable. Writing to a lake does it too; this"
        " does it now.",
    )
    watch = sub.add_parser(
        "watch",
        help="live monitoring: run the cycle on SOURCE's positions every interval",
        description="Live monitoring: run the cycle on SOURCE's positions every interval,"
        " notifying the handlers of --handlers. Ctrl-C stops cleanly.",
    )
    watch.add_argument("source", help="a Parquet or CSV file or a Delta table of positions")
    watch.add_argument(
        "--every", type=float, required=True, metavar="SECONDS", help="seconds between cycles"
    )
    watch.add_argument(
        "--quiet-hours",
        type=float,
        default=None,
        metavar="HOURS",
        help="resolve an alert once its trigger has not fired for this many hours (default: never)",
    )
    watch.add_argument(
        "--cycles",
        type=int,
        metavar="N",
        default=None,
        help="stop after this many cycles (default: run until Ctrl-C)",
    )
    _cli_notify.add_handlers_argument(watch)
    _cli_notify.add_commands(sub)
    _cli_policies.add_commands(sub)
    return parser


def _check_arguments(args: argparse.Namespace) -> None:
    """Refuse, before anything is opened, arguments no table operation could use: text that
    is not valid Unicode (a non-UTF-8 byte on the command line becomes a lone surrogate)."""
    check_unicode(args.lake, "--lake")
    for name in ("by", "note"):
        check_free_text(getattr(args, name, None), f"--{name}")
    for name in ("alert_id", "status", "type", "symbol", "severity", "source", "handler", "alert"):
        value = getattr(args, name, None)
        if value is not None:
            check_unicode(value, name if name == "alert_id" else f"--{name}")


_CREATES: Final = ("watch",)
"""The commands that may create the lake: those that write alerts (``demo`` has its own
lake). A read, a transition or ``maintain`` on a path holding no table is refused, so a
mistyped ``--lake`` never leaves an empty table behind."""


def _run(args: argparse.Namespace) -> int:
    _check_arguments(args)
    if args.command == "demo":
        from alertkit.demo import run_demo

        run_demo(args.lake)
        return 0
    if args.command == "watch":
        _check_watch_arguments(args)  # before the lake is touched: nothing to clean up
    _cli_notify.check_arguments(args)
    _cli_policies.check_arguments(args)
    _cli_alerts.check_arguments(args)
    handlers = _cli_notify.handlers_of(args)  # a bad file is refused before the lake opens
    problem = missing_s3_credentials(args.lake, None)
    if problem is not None:
        raise StoreError(problem)
    manager = SyncAlertManager(args.lake)
    if args.command in _CREATES:
        manager.initialize()
    elif not manager.store.exists():
        raise TableNotFoundError(
            f"no alerts table at {manager.path} (check --lake; `alertkit watch` or the"
            " library creates one)"
        )
    if args.command == "watch":
        return _watch(manager, args, handlers)
    if args.command == "notify":
        return _cli_notify.deliver_pending(manager, args, handlers)
    if args.command == "notifications":
        return _cli_notify.show_notifications(manager, args)
    if args.command in _cli_policies.COMMANDS:
        return _cli_policies.run(manager, args)
    if args.command in _cli_alerts.COMMANDS:
        return _cli_alerts.run(manager, args)
    if args.command in ("ack", "resolve", "dismiss"):
        action = {"ack": "acknowledge"}.get(args.command, args.command)
        alert = manager.transition(args.alert_id, action, by=args.by, note=args.note)
        print(f"{alert.alert_id}: {alert.status.value}")
    elif args.command == "maintain":
        report = manager.maintain(vacuum_retention_hours=args.vacuum_hours)
        print(report.describe())
    elif args.command == "migrate":
        moved = manager.migrate()
        for migration in moved:
            print(migration.describe())
        if not moved:
            print(f"nothing to migrate: {manager.path} is already partitioned by month")
    return 0


def _check_watch_arguments(args: argparse.Namespace) -> None:
    if not args.every > 0:  # also refuses NaN
        raise ValidationError(f"--every: expected a positive number of seconds, got {args.every:g}")
    if args.quiet_hours is not None and not args.quiet_hours > 0:
        raise ValidationError(f"--quiet-hours: expected a positive number, got {args.quiet_hours}")
    if args.cycles is not None and args.cycles < 1:
        raise ValidationError(f"--cycles: expected a positive number, got {args.cycles}")
    if not Path(args.source).exists():
        raise ValidationError(f"source: {args.source} does not exist")


class _OneLine(logging.Formatter):
    """A log record on one line: its message and the error, without the traceback."""

    def format(self, record: logging.LogRecord) -> str:
        error = record.exc_info[1] if record.exc_info else None
        text = f"alertkit: {record.levelname.lower()}: {record.getMessage()}"
        return text if error is None else f"{text} ({type(error).__name__}: {error})"


def _watch(
    manager: SyncAlertManager, args: argparse.Namespace, handlers: list[Subscription] | None
) -> int:
    register_handlers(manager, handlers or ())
    quiet = None if args.quiet_hours is None else timedelta(hours=args.quiet_hours)

    def report(result: CycleResult) -> None:
        print(f"{manager.clock().isoformat(timespec='seconds')} {result.summary()}", flush=True)

    monitor = Monitor(
        manager, Path(args.source), every=args.every, quiet_period=quiet, on_cycle=report
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_OneLine())
    monitor_log = logging.getLogger("alertkit.live.monitor")
    monitor_log.addHandler(handler)
    try:
        print(f"watching {args.source} every {args.every:g} s (Ctrl-C stops)", flush=True)
        monitor.run(cycles=args.cycles)
        _finish_deliveries(manager)
    finally:
        monitor_log.removeHandler(handler)
    stats = monitor.stats
    summary = (
        f"stopped after {stats.ticks} cycles: {stats.new_alerts} new alerts,"
        f" {stats.repeats} repeats, {stats.resolved} resolved, {stats.failures} failed cycles"
        + (f" (last error: {stats.last_error})" if stats.last_error else "")
    )
    if stats.ticks and stats.failures == stats.ticks:
        print(f"alertkit: error: every cycle failed; {summary}", file=sys.stderr)
        return 1
    print(summary)
    return 0


def _finish_deliveries(manager: SyncAlertManager) -> None:
    """Wait for the deliveries the last cycles queued: the worker is a daemon thread, and
    what it has not sent when the process exits stays pending until the next run."""
    if not manager.notifications.subscriptions:
        return
    try:
        manager.flush_notifications()  # bounded: every call is cut off at its timeout
    except KeyboardInterrupt:
        print(
            "alertkit: stopped waiting for deliveries; the undelivered stay pending"
            " (`alertkit notify --pending` sends them)",
            file=sys.stderr,
        )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit status (2 for alertkit errors)."""
    args = _parser().parse_args(argv)
    if args.lake is None:
        if args.command == "demo":
            from alertkit.demo import DEMO_LAKE_PATH

            args.lake = DEMO_LAKE_PATH
        else:
            args.lake = DEFAULT_LAKE_PATH
    try:
        status = _run(args)
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
    except BrokenPipeError:
        # The reader went away (`alertkit list | head -1`): stop quietly, as the Python docs'
        # "Note on SIGPIPE" advises, pointing stdout at devnull so the exit flush is silent.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except AlertkitError as exc:
        print(f"alertkit: error: {exc}", file=sys.stderr)
        return 2
    return status


if __name__ == "__main__":
    sys.exit(main())
