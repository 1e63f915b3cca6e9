"""`ustaz org`: the organization's own settings, shown and changed from the command line.

    ustaz org show
    ustaz org set name "Алматы цифрлық колледжі"
    ustaz org set kind university | timezone Asia/Aqtobe | default_locale ru | grading_scheme school5
    ustaz org set reminders.deadline_minutes "[2880, 120]"     # JSON values under settings
    ustaz org set reminders.quiet_start 23:00                  # a plain value is taken as it is
    ustaz org set grading.admission_weight '"0.5"'

Keys under settings (defaults in DESIGN.md): reminders.{deadline_minutes, lesson_minutes,
quiet_start, quiet_end, rate_per_second}, grading.{admission_weight, exam_weight,
admission_threshold, exam_threshold}, digest.{weekday (0-6 or a day name), hour (0-23)}, order_prefix.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import zoneinfo
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from bot.cli import Register
from bot.config import Settings
from db.models import GradingScheme, Organization, OrgKind


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


def _name(value: str) -> str:
    name = " ".join(value.split())
    if not name:
        raise ValueError("the name must not be empty")
    if len(name) > 300:
        raise ValueError("the name is longer than 300 characters")
    return name


def _enum(kind: Any) -> Callable[[str], Any]:
    def parse(value: str) -> Any:
        try:
            return kind(value)
        except ValueError:
            raise ValueError(f"one of {', '.join(m.value for m in kind)}") from None

    return parse


COLUMNS: dict[str, Callable[[str], Any]] = {
    "name": _name,
    "kind": _enum(OrgKind),
    "timezone": _zone,
    "default_locale": _locale,
    "grading_scheme": _enum(GradingScheme),
}
SECTIONS = ("reminders", "grading", "digest", "order_prefix")


def extend(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    command: Register,
) -> None:
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
    parsed = _value(value)
    settings = json.loads(json.dumps(org.settings or {}))  # a new object, so the JSON column is saved
    if name:
        settings.setdefault(section, {})[name] = parsed
    else:
        settings[section] = parsed
    _check(settings)
    org.settings = settings


def _value(value: str) -> Any:
    """A JSON value (a list, a number, true), or else the plain text as typed («23:00», «monday»)."""
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        if value.lstrip()[:1] in "[{":
            raise ValueError(f'not valid JSON: {value!r}; write a list as "[2880, 120]"') from None
        return value


TIMES = ("quiet_start", "quiet_end")


# Day names a person may write for digest.weekday, stored as 0 (Monday) to 6 (Sunday).
WEEKDAYS: dict[str, int] = {
    name: i
    for names in (
        ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
        ("mon", "tue", "wed", "thu", "fri", "sat", "sun"),
        ("понедельник", "вторник", "среда", "четверг", "пятница", "суббота", "воскресенье"),
        ("дүйсенбі", "сейсенбі", "сәрсенбі", "бейсенбі", "жұма", "сенбі", "жексенбі"),
    )
    for i, name in enumerate(names)
}
DIGEST_KEYS = ("weekday", "hour")


def _int_in(value: Any, low: int, high: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{what} must be a whole number from {low} to {high}, not {value!r}")
    return value


def _check(settings: dict[str, Any]) -> None:
    """The settings must still be readable by the services that use them; day names become numbers."""
    from bot.services.coursework.grading_scale import GradingSettings
    from bot.services.messaging.reminders import ReminderSettings

    reminders = settings.get("reminders", {})
    for name in TIMES:
        if name in reminders:
            reminders[name] = _time(reminders[name], f"reminders.{name}")
    try:
        ReminderSettings.of(settings)
        GradingSettings.of(settings)
    except (TypeError, ValueError, KeyError) as exc:
        raise ValueError(f"not a valid value: {exc}") from exc
    digest = settings.get("digest", {})
    if not isinstance(digest, dict):
        raise ValueError('digest must be an object, e.g. {"weekday": 6, "hour": 18}')
    unknown = sorted(set(digest) - set(DIGEST_KEYS))
    if unknown:
        raise ValueError(f"unknown digest key {unknown[0]!r}: {', '.join(DIGEST_KEYS)}")
    if "weekday" in digest:
        day = digest["weekday"]
        if isinstance(day, str):
            if day.strip().lower() not in WEEKDAYS:
                raise ValueError(
                    f"digest.weekday must be 0 (Monday) to 6 (Sunday) or a day's name, not {day!r}"
                )
            day = WEEKDAYS[day.strip().lower()]
        digest["weekday"] = _int_in(day, 0, 6, "digest.weekday (0 Monday ... 6 Sunday)")
    if "hour" in digest:
        _int_in(digest["hour"], 0, 23, "digest.hour")
    prefix = settings.get("order_prefix", "")
    if not isinstance(prefix, str) or len(prefix) > 20:
        raise ValueError(f"order_prefix must be text of at most 20 characters, not {prefix!r}")


def _time(value: Any, what: str) -> str:
    """A time of day as HH:MM («3:00» becomes «03:00»)."""
    found = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*", value) if isinstance(value, str) else None
    if found is None or int(found[1]) > 23 or int(found[2]) > 59:
        raise ValueError(f"{what} must be a time of day as HH:MM, for example 22:00, not {value!r}")
    return f"{int(found[1]):02d}:{found[2]}"


async def cmd_org(settings: Settings, args: argparse.Namespace) -> int:
    from db.migrate import upgrade
    from db.session import make_engine, make_sessionmaker

    engine = make_engine(settings.database_url.get_secret_value())
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
