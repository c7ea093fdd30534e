"""The CLI's policy commands: ``silence add|list|expire``, ``snooze``, ``assign``, ``unassign``.

``alertkit.cli`` parses and dispatches; this module adds these commands' arguments, checks
them whole before the lake is opened (a bad matcher, time or duration writes nothing) and
runs them on the manager the CLI opened, one manager call each (``create_silence``,
``list_silences``, ``expire_silence``, ``snooze_alert``, ``assign_alert``).

A matcher is written ``FIELD=VALUE``, ``FIELD!=VALUE``, ``FIELD=~REGEX`` or ``FIELD!~REGEX``
(Prometheus Alertmanager's operators, over the fields of
:data:`alertkit.policy.MATCHER_FIELDS`); a ``*`` in a ``=`` or ``!=`` value is a wildcard.
Durations are read as :func:`alertkit.notify.parse_duration` reads them (``90s``, ``30m``,
``2h``, ``1d``, ``1h30m``), times as ISO 8601 (a time without an offset is local time).
"""

from __future__ import annotations

import argparse
import re
from datetime import datetime
from typing import Any, Final

import polars as pl

from alertkit._console import print_table
from alertkit.live.sync_manager import SyncAlertManager
from alertkit.model._text import check_free_text, check_unicode
from alertkit.model.errors import SilenceTooBroadError, ValidationError
from alertkit.notify import parse_duration
from alertkit.policy import MATCHER_FIELDS, Matchers

__all__ = [
    "COMMANDS",
    "add_commands",
    "add_list_filters",
    "check_arguments",
    "parse_instant",
    "parse_match",
    "run",
]

COMMANDS: Final = frozenset({"silence", "snooze", "assign", "unassign"})
"""The top-level commands this module runs."""

SILENCE_COLUMNS: Final = (
    "silence_id",
    "state",
    "matchers",
    "starts_at",
    "ends_at",
    "created_by",
    "comment",
    "expired_by",
    "suppressed_alerts",
    "suppressed_notifications",
)
"""The columns ``silence list`` prints, in order."""

_MATCH: Final = re.compile(r"\A([a-z_]+)(=~|!~|!=|=)(.*)\Z", re.S)
_ISO_EXAMPLE: Final = "2026-01-05T15:00:00+00:00"


def add_commands(sub: Any) -> None:
    """Add ``silence``, ``snooze``, ``assign`` and ``unassign`` to the CLI's subparsers."""
    silence = sub.add_parser(
        "silence",
        help="silences: matching alerts are recorded but nobody is told, for a time",
        description="Silences: matching alerts are still recorded, but no notification of"
        " them is sent while the silence is active.",
    )
    verbs = silence.add_subparsers(dest="silence_command", required=True, metavar="VERB")
    add = verbs.add_parser(
        "add",
        help="create a silence",
        description="Create a silence. A silence that would match more than half of the"
        " open alerts is refused unless --confirm is given.",
    )
    add.add_argument(
        "--match",
        action="append",
        required=True,
        metavar="FIELD=VALUE",
        help="a matcher, repeatable (all must hold): FIELD=VALUE, FIELD!=VALUE, FIELD=~REGEX"
        f" or FIELD!~REGEX, FIELD one of {', '.join(MATCHER_FIELDS)} (rule is the trigger);"
        " a * in a = or != value is a wildcard",
    )
    ends = add.add_mutually_exclusive_group(required=True)
    ends.add_argument("--ends", metavar="ISO", help="when the silence ends (ISO 8601)")
    ends.add_argument(
        "--for",
        dest="duration",
        metavar="DURATION",
        help="how long the silence lasts from its start: 30m, 2h, 1d, 1h30m, ...",
    )
    add.add_argument(
        "--starts", metavar="ISO", help="when the silence starts (ISO 8601; default now)"
    )
    add.add_argument("--by", required=True, help="who makes the silence (kept with it)")
    add.add_argument("--comment", required=True, help="why: kept with the silence, shown in lists")
    add.add_argument(
        "--confirm",
        action="store_true",
        help="create it even if it matches more than half of the open alerts",
    )
    listing = verbs.add_parser(
        "list",
        help="the silences, with how much each has suppressed",
        description="The active and pending silences as a table, with the alerts each"
        " has hidden and the notifications it has muted.",
    )
    listing.add_argument("--all", action="store_true", help="include expired silences")
    listing.add_argument(
        "--at", metavar="ISO", help="the silences active at this instant (ISO 8601)"
    )
    expire = verbs.add_parser(
        "expire",
        help="end a silence now (it is kept, marked expired)",
        description="End a silence now; it is kept (silence list --all shows it).",
    )
    expire.add_argument("silence_id", metavar="ID", help="the silence's id (sil-...)")
    expire.add_argument("--by", help="who expires it (kept with the silence)")

    snooze = sub.add_parser(
        "snooze",
        help="send nothing about an open alert until a time",
        description="Snooze an open alert: it sends nothing until the time given, or"
        " until a more severe alert opens on its position.",
    )
    snooze.add_argument("alert_id", metavar="ID", help="the alert's id")
    until = snooze.add_mutually_exclusive_group(required=True)
    until.add_argument("--until", metavar="ISO", help="when the snooze ends (ISO 8601)")
    until.add_argument(
        "--for", dest="duration", metavar="DURATION", help="how long from now: 30m, 2h, 1d, ..."
    )
    _add_by_note(snooze)
    assign = sub.add_parser(
        "assign", help="assign an alert to someone", description="Assign an alert to someone."
    )
    assign.add_argument("alert_id", metavar="ID", help="the alert's id")
    assign.add_argument("assignee", metavar="NAME", help="who it is assigned to")
    _add_by_note(assign)
    unassign = sub.add_parser(
        "unassign", help="take an alert's assignee away", description="Unassign an alert."
    )
    unassign.add_argument("alert_id", metavar="ID", help="the alert's id")
    _add_by_note(unassign)


def _add_by_note(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--by", help="who does it (kept in the alert's history)")
    parser.add_argument("--note", help="a note kept in the alert's history")


def add_list_filters(parser: argparse.ArgumentParser) -> None:
    """``list``'s policy filters."""
    parser.add_argument(
        "--assignee", metavar="NAME", help="only alerts assigned to NAME (default any)"
    )
    parser.add_argument(
        "--flapping",
        action="store_true",
        help="only alerts whose fingerprint was flapping at its latest firing",
    )


def parse_match(text: str) -> tuple[str, str]:
    """``--match`` text as a field and a value in :class:`~alertkit.policy.Matchers` form.

    >>> parse_match("rule=~vix_.*"), parse_match("symbol!=SPY"), parse_match("symbol=SPY")
    (('rule', '=~vix_.*'), ('symbol', '!=SPY'), ('symbol', '=SPY'))
    """
    found = _MATCH.match(text)
    if found is None:
        raise ValidationError(
            "--match: expected FIELD=VALUE, FIELD!=VALUE, FIELD=~REGEX or FIELD!~REGEX"
            f" (FIELD one of {', '.join(MATCHER_FIELDS)}), got {text!r}"[:300]
        )
    field, op, value = found.groups()
    # "=VALUE" is Matchers' explicit form of an equal value: "symbol==~x" means the text "=~x".
    return field, op + value


def matchers_of(texts: list[str]) -> Matchers:
    """The matcher set of every ``--match``; a field given twice is refused."""
    given: dict[str, str] = {}
    for text in texts:
        field, value = parse_match(check_unicode(text, "--match"))
        if field in given:
            raise ValidationError(
                f"--match: field {field!r} given twice ({field}{given[field]} and {text});"
                " a silence holds one matcher per field"
            )
        given[field] = value
    return Matchers.of(given, "--match")


def parse_instant(text: str, option: str) -> datetime:
    """An ISO 8601 instant (naive: local time), else a ValidationError naming ``option``."""
    check_unicode(text, option)
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(
            f"{option}: expected an ISO-8601 time such as {_ISO_EXAMPLE}, got {text!r}"
        ) from None


def check_arguments(args: argparse.Namespace) -> None:
    """Parse and check every policy argument before the lake is opened; the parsed values
    are kept on ``args`` (``matchers``, ``ends_at``, ``starts_at``, ``until``, ``at``,
    ``period``)."""
    command = args.command
    if command not in COMMANDS:
        if command == "list" and args.assignee is not None:
            check_free_text(args.assignee, "--assignee")
        return
    for name, shown in (("comment", "--comment"), ("assignee", "NAME"), ("silence_id", "ID")):
        value = getattr(args, name, None)
        if value is not None:
            check_free_text(value, shown)
    verb = getattr(args, "silence_command", None)
    if command == "silence" and verb == "add":
        args.matchers = matchers_of(args.match)
        args.starts_at = None if args.starts is None else parse_instant(args.starts, "--starts")
        args.ends_at = None if args.ends is None else parse_instant(args.ends, "--ends")
    if command == "silence" and verb == "list":
        args.at_instant = None if args.at is None else parse_instant(args.at, "--at")
    if command == "snooze":
        args.until_instant = None if args.until is None else parse_instant(args.until, "--until")
    duration = getattr(args, "duration", None)
    args.period = None if duration is None else parse_duration(duration, "--for")


def run(manager: SyncAlertManager, args: argparse.Namespace) -> int:
    """Run the policy command ``args`` names on ``manager``; the exit status."""
    if args.command == "silence":
        if args.silence_command == "add":
            return _add_silence(manager, args)
        if args.silence_command == "list":
            return _list_silences(manager, args)
        silence = manager.expire_silence(args.silence_id, by=args.by)
        by = "" if silence.expired_by is None else f" by {silence.expired_by}"
        print(f"{silence.silence_id}: expired at {_iso(silence.expired_at)}{by}")
        return 0
    if args.command == "snooze":
        until = args.until_instant
        if until is None:
            until = manager.clock() + args.period
        alert = manager.snooze_alert(args.alert_id, until=until, by=args.by, note=args.note)
        print(f"{alert.alert_id}: snoozed until {_iso(alert.snoozed_until)}")
        return 0
    assignee = args.assignee if args.command == "assign" else None
    alert = manager.assign_alert(args.alert_id, assignee, by=args.by, note=args.note)
    if alert.assignee is None:
        print(f"{alert.alert_id}: unassigned")
    else:
        print(f"{alert.alert_id}: assigned to {alert.assignee}")
    return 0


def _add_silence(manager: SyncAlertManager, args: argparse.Namespace) -> int:
    try:
        silence = manager.create_silence(
            args.matchers.to_dict(),
            ends_at=args.ends_at,
            duration=args.period,
            starts_at=args.starts_at,
            created_by=args.by,
            comment=args.comment,
            confirm=args.confirm,
        )
    except SilenceTooBroadError as exc:
        raise ValidationError(f"{exc} (here: --confirm)") from None
    print(
        f"{silence.silence_id}: silences {silence.match} from {_iso(silence.starts_at)}"
        f" until {_iso(silence.ends_at)}"
    )
    return 0


def _list_silences(manager: SyncAlertManager, args: argparse.Namespace) -> int:
    frame = manager.list_silences(active_at=args.at_instant, include_expired=args.all)
    if frame.is_empty():
        if args.at_instant is not None:
            print(f"no silences active at {_iso(args.at_instant)}")
        else:
            print(
                "no silences" if args.all else "no active or pending silences (--all: expired too)"
            )
        return 0
    shown = frame.select(
        [
            pl.col("matchers").map_elements(_matchers_text, return_dtype=pl.String)
            if name == "matchers"
            else pl.col(name)
            for name in SILENCE_COLUMNS
        ]
    )
    print_table(shown)  # the CLI's one table style: Markdown, full width, ids whole
    return 0


def _matchers_text(stored: str) -> str:
    """A stored matcher set as the CLI writes it: ``rule=~vix_.*, symbol!=SPY``."""
    return str(Matchers.from_json(stored))


def _iso(value: datetime | None) -> str:
    return "-" if value is None else value.isoformat(timespec="seconds")
