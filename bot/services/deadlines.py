"""Deadlines typed the way people type them, in Kazakh or Russian, read in the organization's zone.

    parse("25.11 18:00", now, zone)      -> 25 November 18:00 (next year if 25.11 has passed)
    parse("завтра 18:00", ...), parse("ертең 18:00", ...), parse("пятница", ...), parse("жұма 9:30", ...)
    parse("через 3 дня", ...), parse("3 күннен кейін 12:00", ...)

A day without a time means the end of that day (23:59). The result is in UTC; whether
it lies in the past is the caller's rule (`check_future`).
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass

END_OF_DAY = dt.time(23, 59)

# Relative days: today, tomorrow, the day after, in both languages (and a few spellings).
RELATIVE_DAYS = {
    "сегодня": 0,
    "бүгін": 0,
    "бугин": 0,
    "завтра": 1,
    "ертең": 1,
    "ертен": 1,
    "послезавтра": 2,
    "бүрсігүні": 2,
    "бүрсүгүні": 2,
    "арғы күні": 2,
}

# Weekday stems (Monday = 0); a stem matches "пятница", "пятницу", "в пятницу"...
WEEKDAYS = {
    "понедельник": 0,
    "вторник": 1,
    "сред": 2,
    "четверг": 3,
    "пятниц": 4,
    "суббот": 5,
    "воскресень": 6,
    "дүйсенбі": 0,
    "сейсенбі": 1,
    "сәрсенбі": 2,
    "бейсенбі": 3,
    "жұма": 4,
    "сенбі": 5,
    "жексенбі": 6,
}

MONTHS = {
    "январ": 1,
    "феврал": 2,
    "март": 3,
    "апрел": 4,
    "ма": 5,  # мая, май
    "июн": 6,
    "июл": 7,
    "август": 8,
    "сентябр": 9,
    "октябр": 10,
    "ноябр": 11,
    "декабр": 12,
    "қаңтар": 1,
    "ақпан": 2,
    "наурыз": 3,
    "сәуір": 4,
    "мамыр": 5,
    "маусым": 6,
    "шілде": 7,
    "тамыз": 8,
    "қыркүйек": 9,
    "қазан": 10,
    "қараша": 11,
    "желтоқсан": 12,
}

TIME_RE = re.compile(r"(?<![\d.])([01]?\d|2[0-3])[:.]([0-5]\d)(?![\d.])")
DATE_RE = re.compile(r"(?<!\d)(\d{1,2})[./-](\d{1,2})(?:[./-](\d{2}|\d{4}))?(?!\d)")
ISO_RE = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
DAY_MONTH_RE = re.compile(r"(?<!\d)(\d{1,2})\s+([а-яёәғқңөұүһі]+)", re.IGNORECASE)
IN_DAYS_RE = re.compile(r"(?:через\s+(\d{1,3})\s+(?:день|дня|дней))|(?:(\d{1,3})\s+күн\w*\s+кейін)")
HOUR_ONLY_RE = re.compile(r"(?:\bв\s+|сағат\s+)(\d{1,2})\b|(?<!\d)(\d{1,2})\s*(?:ч\b|сағ)")


class DeadlineError(ValueError):
    """`reason`: "unknown" (could not read it) or "past" (it has already passed)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Parsed:
    moment: dt.datetime  # UTC
    had_time: bool


def parse(text: str, now: dt.datetime, timezone: str = "Asia/Almaty") -> Parsed:
    """Reads a date and time from free text; raises DeadlineError("unknown") if there is none."""
    zone = zoneinfo.ZoneInfo(timezone)
    today = now.astimezone(zone).date()
    raw = " ".join(text.lower().replace("ё", "е").split())
    if not raw:
        raise DeadlineError("unknown")

    clock, rest = _time_of(raw)
    day = _day_of(rest, today)
    if day is None:
        if clock is None:
            raise DeadlineError("unknown")
        day = today  # "18:00" alone: today, or tomorrow if that hour has passed
        if dt.datetime.combine(day, clock, zone) <= now:
            day += dt.timedelta(days=1)
    moment = dt.datetime.combine(day, clock or END_OF_DAY, zone)
    return Parsed(moment.astimezone(dt.UTC), clock is not None)


def check_future(moment: dt.datetime, now: dt.datetime) -> dt.datetime:
    if moment <= now:
        raise DeadlineError("past")
    return moment


def parse_future(text: str, now: dt.datetime, timezone: str = "Asia/Almaty") -> dt.datetime:
    return check_future(parse(text, now, timezone).moment, now)


def at_local(days: int, hour: int, now: dt.datetime, timezone: str) -> dt.datetime:
    """`days` from today at `hour`:00 in the organization's zone, in UTC (the quick-pick buttons)."""
    zone = zoneinfo.ZoneInfo(timezone)
    day = now.astimezone(zone).date() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour), zone).astimezone(dt.UTC)


def _time_of(raw: str) -> tuple[dt.time | None, str]:
    # A full date with a year must not lend its "11.2026" to the clock: take dates out first.
    masked = ISO_RE.sub(" ", raw)
    masked = re.sub(r"(?<!\d)\d{1,2}[./-]\d{1,2}[./-](?:\d{4}|\d{2})(?!\d)", " ", masked)
    for match in TIME_RE.finditer(masked):
        if not _is_date_like(masked, match):
            clock = dt.time(int(match.group(1)), int(match.group(2)))
            return clock, raw.replace(match.group(0), " ", 1)
    match = HOUR_ONLY_RE.search(raw)
    if match:
        hour = int(match.group(1) or match.group(2))
        if hour <= 23:
            return dt.time(hour), raw.replace(match.group(0), " ", 1)
    return None, raw


def _is_date_like(text: str, match: re.Match[str]) -> bool:
    """'25.11' is a date, '18.00' a time: a dot-separated pair reads as a time only if it can't be a date."""
    if ":" in match.group(0):
        return False
    day, month = int(match.group(1)), int(match.group(2))
    has_other_time = bool(re.search(r"\d:\d", text))
    return has_other_time or (1 <= day <= 31 and 1 <= month <= 12 and match.group(2) != "00")


def _day_of(text: str, today: dt.date) -> dt.date | None:
    for word, offset in sorted(RELATIVE_DAYS.items(), key=lambda kv: -len(kv[0])):
        if word in text:
            return today + dt.timedelta(days=offset)
    match = IN_DAYS_RE.search(text)
    if match:
        return today + dt.timedelta(days=int(match.group(1) or match.group(2)))
    match = ISO_RE.search(text)
    if match:
        return _date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    match = DATE_RE.search(text)
    if match:
        day, month = int(match.group(1)), int(match.group(2))
        year = match.group(3)
        if year:
            return _date(int(year) + (2000 if len(year) == 2 else 0), month, day)
        return _next_date(today, month, day)
    match = DAY_MONTH_RE.search(text)
    if match:
        month = _month(match.group(2))
        if month:
            return _next_date(today, month, int(match.group(1)))
    for stem, weekday in WEEKDAYS.items():
        if re.search(rf"(?<![а-яәғқңөұүһі]){stem}", text):
            ahead = (weekday - today.weekday()) % 7
            return today + dt.timedelta(days=ahead or 7)  # "Friday" said on a Friday: next week's
    return None


def _month(word: str) -> int | None:
    for stem, number in sorted(MONTHS.items(), key=lambda kv: -len(kv[0])):
        if word.startswith(stem) and (stem != "ма" or word in ("мая", "май")):
            return number
    return None


def _date(year: int, month: int, day: int) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError as exc:
        raise DeadlineError("unknown") from exc


def _next_date(today: dt.date, month: int, day: int) -> dt.date:
    """The next such day: 25.01 said in November means next January."""
    candidate = _date(today.year, month, day) if _valid(today.year, month, day) else None
    if candidate is None or candidate < today - dt.timedelta(days=60):
        return _date(today.year + 1, month, day)
    return candidate


def _valid(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True
