"""Deadlines typed the way people type them, in Kazakh or Russian, read in the organization's zone.

    parse("25.11 18:00", now, zone)      -> 25 November 18:00 (next year if 25.11 has passed)
    parse("завтра 18:00", ...), parse("ертең 9.05", ...), parse("пт 18:00", ...), parse("жұмада", ...)
    parse("28 ноября", ...), parse("қарашаның 28-і", ...), parse("28-қараша 10:00", ...)
    parse("через неделю", ...), parse("3 күннен кейін 12:00", ...), parse("вчера 18:00", ...)

Every word must be understood: a word the parser does not know (other than fillers such as
«в», «до», «сағат», «дейін») makes the whole text unreadable rather than being skipped, so a
typo never turns into some other date. «H.MM» is a time after a day («завтра 12.10») and a
date on its own («12.10» is 12 October). A day without a time means the end of that day
(23:59). The result is in UTC; whether it lies in the past (yesterday is understood too) is
the caller's rule (`check_future`).
"""

from __future__ import annotations

import datetime as dt
import enum
import re
import zoneinfo
from dataclasses import dataclass
from typing import Any

END_OF_DAY = dt.time(23, 59)

# Kazakh letters are folded onto their Russian look-alikes, in the text and in the words below,
# so «ертен», «бугин», «жума», «караша» typed without a Kazakh keyboard read the same.
FOLD = str.maketrans(
    {
        "ә": "а",
        "ғ": "г",
        "қ": "к",
        "ң": "н",
        "ө": "о",
        "ұ": "у",
        "ү": "у",
        "һ": "х",
        "і": "и",
        "i": "и",
        "ё": "е",
    }
)

# Kazakh case endings a day or month word may carry: «жұмаға», «жұмада», «қарашаның», «ертеңге».
KK_ENDINGS = frozenset(
    (
        "",
        *("га", "ге", "ка", "ке", "на", "не", "а", "е"),
        *("да", "де", "та", "те", "нда", "нде", "дагы", "деги", "тагы", "теги", "ндагы", "ндеги"),
        *("дын", "дин", "тын", "тин", "нын", "нин", "н"),
        *("ны", "ни", "ды", "ди", "ты", "ти"),
        *("дан", "ден", "тан", "тен", "нан", "нен"),
    )
)
# What may follow a number or a time after a hyphen: «28-і», «28-ші», «18:00-ге», «10-да», «28-го».
NUMBER_ENDINGS = frozenset(
    (
        *("и", "ы", "си", "сы", "ши", "шы", "инши", "ынши", "ыншы", "нши", "ншы"),
        *("ге", "га", "ке", "ка", "де", "да", "те", "та", "не", "на"),
        *("ден", "дан", "тен", "тан", "нен", "нан", "нин", "нын", "дин", "дын", "тин", "тын"),
        *("ине", "ына", "сине", "сына", "инде", "ында", "синде", "сында"),
        *("го", "ого", "е", "ое"),
    )
)

# Relative days (folded spelling): Russian words as they are, Kazakh ones with their endings.
RU_DAYS = {"сегодня": 0, "завтра": 1, "послезавтра": 2, "вчера": -1, "позавчера": -2}
KK_DAYS = {"бугин": 0, "ертен": 1, "бурсигуни": 2, "бурсугуни": 2, "кеше": -1}
DAY_PHRASES = {r"аргы\s+куни": 2, r"алдынгы\s+куни": -2}

# Weekdays, Monday = 0.
RU_WEEKDAYS = [
    (r"понедельник(?:а|у|ом|е)?", 0),
    (r"вторник(?:а|у|ом|е)?", 1),
    (r"сред(?:а|у|е|ы|ой)", 2),
    (r"четверг(?:а|у|ом|е)?", 3),
    (r"пятниц(?:а|у|е|ы|ей)", 4),
    (r"суббот(?:а|у|е|ы|ой)", 5),
    (r"воскресень(?:е|я|ю|ем)", 6),
]
KK_WEEKDAYS = {
    "дуйсенби": 0,
    "сейсенби": 1,
    "сарсенби": 2,
    "бейсенби": 3,
    "жума": 4,
    "сенби": 5,
    "жексенби": 6,
}
WEEKDAY_ABBREVIATIONS = {
    **{"пн": 0, "вт": 1, "ср": 2, "чт": 3, "пт": 4, "сб": 5, "вс": 6},
    **{"дс": 0, "сс": 1, "бс": 3, "жм": 4, "сн": 5, "жс": 6},  # Kazakh; «ср» is shared
}

RU_MONTHS = [
    (r"январ[ьяею]|янв", 1),
    (r"феврал[ьяею]|февр?", 2),
    (r"марта?|марте|мар", 3),
    (r"апрел[ьяею]|апр", 4),
    (r"ма[йяюе]", 5),
    (r"июн[ьяею]?", 6),
    (r"июл[ьяею]?", 7),
    (r"августа?|августе|авг", 8),
    (r"сентябр[ьяею]|сент?", 9),
    (r"октябр[ьяею]|окт", 10),
    (r"ноябр[ьяею]|нояб?", 11),
    (r"декабр[ьяею]|дек", 12),
]
KK_MONTHS = {
    "кантар": 1,
    "акпан": 2,
    "наурыз": 3,
    "сауир": 4,
    "мамыр": 5,
    "маусым": 6,
    "шилде": 7,
    "тамыз": 8,
    "кыркуйек": 9,
    "казан": 10,
    "караша": 11,
    "желтоксан": 12,
}

# Small numbers spelled out, for «через две недели», «бір аптадан кейін».
NUMBER_WORDS = {
    **{"один": 1, "одну": 1, "одна": 1, "два": 2, "две": 2, "три": 3, "четыре": 4, "пять": 5},
    **{"шесть": 6, "семь": 7, "восемь": 8, "девять": 9, "десять": 10},
    **{
        "бир": 1,
        "еки": 2,
        "уш": 3,
        "торт": 4,
        "бес": 5,
        "алты": 6,
        "жети": 7,
        "сегиз": 8,
        "тогыз": 9,
        "он": 10,
    },
}
_COUNT = rf"(?:(\d{{1,3}}|{'|'.join(NUMBER_WORDS)})\s+)?"
IN_RU_RE = re.compile(rf"\bчерез\s+{_COUNT}(день|дня|дней|сутки|суток|неделю|недели|недель)\b")
IN_KK_RE = re.compile(rf"\b{_COUNT}(кун|апта)(?:нен|дан|тан|ден|тен|нан)\s+(?:кейин|сон)\b")

# Words that carry no date: prepositions, «сағат», «дейін», «күні» («жұма күні»), «числа».
FILLERS = frozenset(
    ("в", "во", "до", "к", "ко", "на", "с", "со", "сагат", "саг", "саат", "дейин", "шейин", "куни")
)
HOUR_BEFORE = frozenset(("в", "во", "к", "ко", "до", "сагат", "саг", "саат"))  # «в 18», «сағат 9»
HOUR_AFTER = frozenset(("ч", "час", "часа", "часов", "часам", "саг", "сагат"))  # «18 ч», «9 сағ»

ISO_RE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
FULL_DATE_RE = re.compile(r"(\d{1,2})([./-])(\d{1,2})\2(\d{4}|\d{2})")
CLOCK_RE = re.compile(r"(\d{1,2}):(\d{2})(?::\d{2})?(?:-(\w+))?")
PAIR_RE = re.compile(r"(\d{1,2})([./-])(\d{1,2})(?:-(\w+))?")
NUMBER_RE = re.compile(r"(\d{1,4})(?:-(\w+)|(ч|саг))?")
PUNCTUATION = ".,;!?()«»\"'"


class DeadlineReason(enum.StrEnum):
    """Why a deadline is refused."""

    unknown = "unknown"  # could not read it
    past = "past"  # it has already passed


class DeadlineError(ValueError):
    def __init__(self, reason: DeadlineReason) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Parsed:
    moment: dt.datetime  # UTC
    had_time: bool


def parse(text: str, now: dt.datetime, timezone: str = "Asia/Almaty") -> Parsed:
    """Reads a date and time from free text; raises DeadlineError (unknown) if any of it is unreadable."""
    zone = zoneinfo.ZoneInfo(timezone)
    today = now.astimezone(zone).date()
    tokens = _tokens(text, today)
    day, clock = _resolve(tokens, today)
    if day is None:
        if clock is None:
            raise DeadlineError(DeadlineReason.unknown)
        day = today  # "18:00" alone: today, or tomorrow if that hour has passed
        if dt.datetime.combine(day, clock, zone) <= now:
            day += dt.timedelta(days=1)
    moment = dt.datetime.combine(day, clock or END_OF_DAY, zone)
    return Parsed(moment.astimezone(dt.UTC), clock is not None)


def check_future(moment: dt.datetime, now: dt.datetime) -> dt.datetime:
    if moment <= now:
        raise DeadlineError(DeadlineReason.past)
    return moment


def parse_future(text: str, now: dt.datetime, timezone: str = "Asia/Almaty") -> dt.datetime:
    return check_future(parse(text, now, timezone).moment, now)


def at_local(days: int, hour: int, now: dt.datetime, timezone: str) -> dt.datetime:
    """`days` from today at `hour`:00 in the organization's zone, in UTC (the quick-pick buttons)."""
    zone = zoneinfo.ZoneInfo(timezone)
    day = now.astimezone(zone).date() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour), zone).astimezone(dt.UTC)


@dataclass
class _Token:
    """One understood piece of the text.

    kind: "day" (a date), "weekday" (0-6), "month" (1-12), "clock" (a time), "pair" (a dotted
    «12.10», a date or a time depending on the rest), "number" (a day of a month or an hour),
    "year", or "filler" (`word` tells which, for «в 18» and «18 ч»).
    """

    kind: str
    value: Any = None
    word: str = ""
    hour: bool = False  # a number written as an hour: «18ч», «9сағ»
    used: bool = False


def _tokens(text: str, today: dt.date) -> list[_Token]:
    raw = text.lower().translate(FOLD).replace("\x00", " ")
    raw = re.sub(r"[,;]", " ", raw)
    for pattern, offset in DAY_PHRASES.items():
        raw = re.sub(rf"\b{pattern}\b", f" \x00{offset} ", raw)
    raw = IN_RU_RE.sub(
        lambda m: f" \x00{_in_days(m.group(1), 7 if m.group(2).startswith('недел') else 1)} ", raw
    )
    raw = IN_KK_RE.sub(lambda m: f" \x00{_in_days(m.group(1), 7 if m.group(2) == 'апта' else 1)} ", raw)
    tokens: list[_Token] = []
    for chunk in raw.split():
        chunk = chunk.strip(PUNCTUATION + "-–—")
        if chunk:
            tokens.extend(_classify(chunk, today))
    return tokens


def _in_days(count: str | None, unit: int) -> int:
    number = 1 if count is None else int(count) if count.isdigit() else NUMBER_WORDS[count]
    if not 0 < number * unit <= 366:
        raise DeadlineError(DeadlineReason.unknown)
    return number * unit


def _classify(chunk: str, today: dt.date) -> list[_Token]:
    if chunk.startswith("\x00"):
        return [_Token("day", today + dt.timedelta(days=int(chunk[1:])))]
    if chunk in FILLERS or chunk in HOUR_AFTER:
        return [_Token("filler", word=chunk)]
    if match := ISO_RE.fullmatch(chunk):
        return [_Token("day", _date(int(match.group(1)), int(match.group(2)), int(match.group(3))))]
    if match := FULL_DATE_RE.fullmatch(chunk):
        year = match.group(4)
        day = _date(int(year) + (2000 if len(year) == 2 else 0), int(match.group(3)), int(match.group(1)))
        return [_Token("day", day)]
    if match := CLOCK_RE.fullmatch(chunk):
        _ending(match.group(3))
        hour, minute = int(match.group(1)), int(match.group(2))
        if hour > 23 or minute > 59:
            raise DeadlineError(DeadlineReason.unknown)
        return [_Token("clock", dt.time(hour, minute))]
    if match := PAIR_RE.fullmatch(chunk):
        _ending(match.group(4))
        first, separator, second = match.group(1), match.group(2), match.group(3)
        if separator != ".":  # «25/11», «25-11»: only ever a date
            return [_Token("day", _next_date(today, int(second), int(first)))]
        return [_Token("pair", (first, second))]
    if match := NUMBER_RE.fullmatch(chunk):
        digits, ending = match.group(1), match.group(2)
        if len(digits) == 4:
            if ending or match.group(3):
                raise DeadlineError(DeadlineReason.unknown)
            return [_Token("year", int(digits))]
        if len(digits) == 3:
            raise DeadlineError(DeadlineReason.unknown)
        number = _Token("number", int(digits), hour=match.group(3) is not None)
        if ending and ending not in NUMBER_ENDINGS:
            return [number, _Token("month", _word_month(ending))]  # «28-қараша»
        return [number]
    return [_word(chunk, today)]


def _ending(ending: str | None) -> None:
    if ending is not None and ending not in NUMBER_ENDINGS:
        raise DeadlineError(DeadlineReason.unknown)


def _word(word: str, today: dt.date) -> _Token:
    offset = RU_DAYS.get(word, _kk_word(word, KK_DAYS))
    if offset is not None:
        return _Token("day", today + dt.timedelta(days=offset))
    if word in WEEKDAY_ABBREVIATIONS:
        return _Token("weekday", WEEKDAY_ABBREVIATIONS[word])
    for pattern, weekday in RU_WEEKDAYS:
        if re.fullmatch(pattern, word):
            return _Token("weekday", weekday)
    if (kk_weekday := _kk_word(word, KK_WEEKDAYS)) is not None:
        return _Token("weekday", kk_weekday)
    return _Token("month", _word_month(word))


def _word_month(word: str) -> int:
    for pattern, month in RU_MONTHS:
        if re.fullmatch(pattern, word):
            return month
    kk_month = _kk_word(word, KK_MONTHS)
    if kk_month is None:
        raise DeadlineError(DeadlineReason.unknown)
    return kk_month


def _kk_word(word: str, stems: dict[str, int]) -> int | None:
    for stem, value in stems.items():
        if word.startswith(stem) and word[len(stem) :] in KK_ENDINGS:
            return value
    return None


def _resolve(tokens: list[_Token], today: dt.date) -> tuple[dt.date | None, dt.time | None]:
    """The day and the time the tokens name; anything left over or contradicting makes it unreadable."""
    days: list[dt.date] = [t.value for t in tokens if t.kind == "day"]
    for i, token in enumerate(tokens):
        if token.kind == "month":
            days.append(_month_day(tokens, i, today))
    weekdays = {t.value for t in tokens if t.kind == "weekday"}
    clocks = [t.value for t in tokens if t.kind == "clock"]
    for i, token in enumerate(tokens):
        if token.kind == "number" and not token.used:
            before = tokens[i - 1].word if i > 0 else ""
            after = tokens[i + 1].word if i + 1 < len(tokens) else ""
            if not (token.hour or before in HOUR_BEFORE or after in HOUR_AFTER) or token.value > 23:
                raise DeadlineError(DeadlineReason.unknown)
            clocks.append(dt.time(token.value))
        elif token.kind == "year" and not token.used:
            raise DeadlineError(DeadlineReason.unknown)
    for token in tokens:
        if token.kind == "pair":
            first, second = token.value
            as_time = int(first) <= 23 and len(second) == 2 and int(second) <= 59
            as_date = 1 <= int(first) <= 31 and 1 <= int(second) <= 12 and second != "00"
            if (days or weekdays) and as_time and not clocks:  # «завтра 12.10», «25.11 18.00»
                clocks.append(dt.time(int(first), int(second)))
            elif as_date and not days:  # «12.10» alone: 12 October
                days.append(_next_date(today, int(second), int(first)))
            elif as_time and not clocks:  # «18.00» alone
                clocks.append(dt.time(int(first), int(second)))
            else:
                raise DeadlineError(DeadlineReason.unknown)
    if len(set(days)) > 1 or len(weekdays) > 1 or len(set(clocks)) > 1:
        raise DeadlineError(DeadlineReason.unknown)
    day = days[0] if days else None
    if weekdays:
        weekday = weekdays.pop()
        if day is None:
            ahead = (weekday - today.weekday()) % 7
            day = today + dt.timedelta(days=ahead or 7)  # "Friday" said on a Friday: next week's
        elif day.weekday() != weekday:  # «пятница 26.11» but the 26th is a Thursday
            raise DeadlineError(DeadlineReason.unknown)
    return day, clocks[0] if clocks else None


def _month_day(tokens: list[_Token], i: int, today: dt.date) -> dt.date:
    """«28 ноября», «28-қараша», «қарашаның 28-і», «28 ноября 2027»: the number next to a month."""
    number = _free_number(tokens, i - 1)
    following = i + 1
    if number is None:
        number = _free_number(tokens, i + 1)
        following = i + 2
    if number is None:
        raise DeadlineError(DeadlineReason.unknown)
    number.used = True
    month, day = tokens[i].value, number.value
    if following < len(tokens) and tokens[following].kind == "year":
        tokens[following].used = True
        return _date(tokens[following].value, month, day)
    return _next_date(today, month, day)


def _free_number(tokens: list[_Token], i: int) -> _Token | None:
    if 0 <= i < len(tokens) and tokens[i].kind == "number" and not tokens[i].used and not tokens[i].hour:
        return tokens[i]
    return None


def _date(year: int, month: int, day: int) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError as exc:
        raise DeadlineError(DeadlineReason.unknown) from exc


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
