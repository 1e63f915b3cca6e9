"""`ustaz org`: the organization's own settings, shown and changed from the command line.

    ustaz org show
    ustaz org set name "Алматы цифрлық колледжі"
    ustaz org set kind university | timezone Asia/Aqtobe | default_locale ru | grading_scheme school5
    ustaz org set reminders.deadline_minutes "[2880, 120]"     # JSON values under settings
    ustaz org set reminders.quiet_start '"23:00"'
    ustaz org set grading.admission_weight '"0.5"'

Keys under settings (defaults in DESIGN.md): reminders.{deadline_minutes, lesson_minutes,
quiet_start, quiet_end, rate_per_second}, grading.{admission_weight, exam_weight,
admission_threshold, exam_threshold}, digest.{weekday, hour}, order_prefix.
"""

from __future__ import annotations

import argparse
import json
import sys
import zoneinfo
from collections.abc import Callable, Coroutine
from typing import Any

from sqlalchemy import select

from bot.config import Settings
from db.models import GradingScheme, Organization, OrgKind

Command = Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]


def _zone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r}") from exc
    return value


def _locale(value: str) -> str:
    if value not in ("kk", "ru"):
        raise ValueError("kk or ru")
    return value


COLUMNS: dict[str, Callable[[str], Any]] = {
    "name": str,
    "kind": OrgKind,
    "timezone": _zone,
    "default_locale": _locale,
    "grading_scheme": GradingScheme,
}
SECTIONS = ("reminders", "grading", "digest", "order_prefix")


def extend(sub: argparse._SubParsersAction, command: Callable[[str], Callable[[Command], Command]]) -> None:  # type: ignore[type-arg]
    org = sub.add_parser("org", help="the organization's settings: show, set")
    org.add_argument("--org", type=int, help="the organization's id (default: the first)")
    org_sub = org.add_subparsers(dest="org_action", required=True)
    org_sub.add_parser("show", help="print the organization and its settings")
    setp = org_sub.add_parser("set", help="set a column (name, kind, timezone, ...) or a settings key")
    setp.add_argument("key")
    setp.add_argument("value")
    command("org")(cmd_org)


def apply(org: Organization, key: str, value: str) -> None:
    """Changes one setting; raises ValueError with the reason for a wrong key or value."""
    if key in COLUMNS:
        setattr(org, key, COLUMNS[key](value))
        return
    section, _, name = key.partition(".")
    if section not in SECTIONS:
        raise ValueError(f"unknown key {key!r}: {', '.join([*COLUMNS, *SECTIONS])}")
    parsed = json.loads(value) if value[:1] in '[{"0123456789-tfn' else value
    settings = json.loads(json.dumps(org.settings or {}))  # a new object, so the JSON column is saved
    if name:
        settings.setdefault(section, {})[name] = parsed
    else:
        settings[section] = parsed
    _check(settings)
    org.settings = settings


def _check(settings: dict[str, Any]) -> None:
    """The settings must still be readable by the services that use them."""
    from bot.services.grading_scale import GradingSettings
    from bot.services.reminders import ReminderSettings

    try:
        ReminderSettings.of(settings)
        GradingSettings.of(settings)
    except (TypeError, ValueError, KeyError) as exc:
        raise ValueError(f"not a valid value: {exc}") from exc


async def cmd_org(settings: Settings, args: argparse.Namespace) -> int:
    from db.migrate import upgrade
    from db.session import make_engine, make_sessionmaker

    engine = make_engine(settings.database_url)
    await upgrade(engine)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            query = select(Organization).order_by(Organization.id)
            if args.org:
                query = query.where(Organization.id == args.org)
            org = await session.scalar(query)
            if org is None:
                print("No organization yet: run `ustaz demo` or import a roster first.", file=sys.stderr)
                return 2
            if args.org_action == "set":
                try:
                    apply(org, args.key, args.value)
                except (ValueError, json.JSONDecodeError) as exc:
                    print(f"{args.key}: {exc}", file=sys.stderr)
                    return 2
            columns = (
                org.id,
                org.name,
                org.kind.value,
                org.timezone,
                org.default_locale,
                org.grading_scheme.value,
            )
            print("\t".join(str(c) for c in columns))
            print(json.dumps(org.settings or {}, ensure_ascii=False, indent=2, sort_keys=True))
    finally:
        await engine.dispose()
    return 0
