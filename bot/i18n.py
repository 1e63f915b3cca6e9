"""Kazakh and Russian: gettext catalogs compiled by Babel, dates and numbers by Babel.

msgids are English; every text a person sees is looked up in locales/<lang>.
Module-level strings are marked with N_() and translated when shown.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from decimal import Decimal
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date, format_datetime, format_time
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

from bot.language import kazakh, russian
from bot.language.gender import Gender, gender_of

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
LOCALES = ("kk", "ru")
DOMAIN = "messages"


def N_(message: str) -> str:
    """Marks a string for extraction without translating it yet."""
    return message


def pick_locale(language_code: str | None, default: str) -> str:
    """kk or ru from what the messenger says (e.g. 'ru-RU', 'kk'), else the organization's default."""
    if language_code:
        base = language_code.replace("_", "-").split("-", 1)[0].lower()
        if base in LOCALES:
            return base
    return default


@functools.cache
def _translations(locale: str) -> NullTranslations:
    return Translations.load(str(LOCALES_DIR), [locale], DOMAIN)


# Each language's own order of a date's parts, in one place; Babel (CLDR) gives the words. Kazakh puts
# the year first, as a genitive: «2026 жылғы 2 желтоқсан»; Russian «2 декабря 2026».
PATTERNS: dict[str, dict[str, str]] = {
    "kk": {
        "date": "y 'жылғы' d MMMM",
        "day_month": "d MMMM",
        "datetime": "d MMMM, HH:mm",
        "datetime_year": "y 'жылғы' d MMMM, HH:mm",
        "weekday_date": "EEEE, d MMMM",
    },
    "ru": {
        "date": "d MMMM y",
        "day_month": "d MMMM",
        "datetime": "d MMMM, HH:mm",
        "datetime_year": "d MMMM y, HH:mm",
        "weekday_date": "EEEE, d MMMM",
    },
}


KAZAKH_CASES = frozenset(case.value for case in kazakh.Case)
RUSSIAN_CASES = frozenset(case.value for case in russian.Case)
CASES = KAZAKH_CASES | RUSSIAN_CASES


class Inflectable:
    """A value in a translated sentence. `{name}` is the value as it is; a format spec asks for more:
    - a case (`{max:dative}`, `{student:genitive}`): in Kazakh the ending the sentence puts on the
      value («0-ден {max:dative} дейін» → «0-ден 10-ға дейін»); in Russian a person's name declined
      («заявления {student:genitive}» → «заявления Петровой Анны Сергеевны»);
    - a choice by the person's gender, `{student:обучающемуся|обучающейся}`: the first form (the
      generic one) when the gender is not known from the patronymic.
    """

    __slots__ = ("locale", "value")

    def __init__(self, value: Any, locale: str) -> None:
        self.value = value
        self.locale = locale

    def __format__(self, spec: str) -> str:
        text = format(self.value, "" if spec in CASES or "|" in spec else spec)
        if "|" in spec:
            generic, female = spec.split("|", 1)
            return female if gender_of(text) is Gender.female else generic
        if spec in CASES:
            if self.locale == "kk":
                return kazakh.attach(text, kazakh.Case(spec)) if spec in KAZAKH_CASES else text
            if spec in RUSSIAN_CASES:
                return russian.decline(text, russian.Case(spec)) or text
            return text
        return text

    def __str__(self) -> str:
        return str(self.value)


class Template(str):
    """A translated string whose format() reads the specs of its placeholders (see Inflectable)."""

    __slots__ = ("locale",)
    locale: str

    def __new__(cls, text: str, locale: str = "") -> Template:
        made = super().__new__(cls, text)
        made.locale = locale
        return made

    def __getnewargs__(self) -> tuple[str, str]:  # type: ignore[override]  # copies keep the language
        return (str(self), self.locale)

    def format(self, *args: Any, **kwargs: Any) -> str:
        return str.format(self, *args, **{k: Inflectable(v, self.locale) for k, v in kwargs.items()})


@functools.cache
def _babel_locale(locale: str) -> Locale:
    """Parsed once per language: a Translator is made for every message handled."""
    return Locale.parse(locale)


class Translator:
    """Everything locale-bound a handler needs: gettext, plurals, dates in the organization's zone."""

    def __init__(self, locale: str, timezone: str = "Asia/Almaty") -> None:
        self.locale = locale
        self.tz = zoneinfo.ZoneInfo(timezone)
        self._t = _translations(locale)
        self._babel_locale = _babel_locale(locale)
        self.patterns = PATTERNS.get(locale, PATTERNS["ru"])

    def gettext(self, message: str) -> str:
        return Template(self._t.gettext(message), self.locale)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return Template(self._t.ngettext(singular, plural, n), self.locale)

    def local(self, moment: dt.datetime) -> dt.datetime:
        return moment.astimezone(self.tz)

    def datetime(self, moment: dt.datetime, fmt: str | None = None, *, year: bool = False) -> str:
        """In the language's order («2 желтоқсан, 21:18»; with the year «2026 жылғы 2 желтоқсан, 21:18»);
        `fmt` only for numeric forms that read the same in both languages."""
        pattern = fmt or self.patterns["datetime_year" if year else "datetime"]
        return format_datetime(self.local(moment), pattern, tzinfo=self.tz, locale=self._babel_locale)

    def date(self, day: dt.date | dt.datetime, fmt: str | None = None) -> str:
        if isinstance(day, dt.datetime):
            day = self.local(day).date()
        return format_date(day, fmt or self.patterns["date"], locale=self._babel_locale)

    def period(self, start: dt.date, end: dt.date) -> str:
        """«1 сентября – 25 декабря 2027», «2027 жылғы 1 қыркүйек – 25 желтоқсан»: the year (and the
        month) once when both days share it."""
        if start == end:
            return self.date(start)
        if start.year != end.year:
            return f"{self.date(start)} – {self.date(end)}"
        if start.month == end.month:  # «14–19 декабря 2027», «2027 жылғы 14–19 желтоқсан»
            both_days = self.patterns["date"].replace("d MMMM", f"'{start.day}–'d MMMM")
            return format_date(end, both_days, locale=self._babel_locale)
        day_month = self.patterns["day_month"]
        if self.patterns["date"].startswith("y"):  # the year leads: it goes with the first day
            return f"{self.date(start)} – {format_date(end, day_month, locale=self._babel_locale)}"
        return f"{format_date(start, day_month, locale=self._babel_locale)} – {self.date(end)}"

    def weekday_date(self, day: dt.date) -> str:
        return format_date(day, self.patterns["weekday_date"], locale=self._babel_locale)

    def time(self, moment: dt.datetime) -> str:
        return format_time(self.local(moment), "HH:mm", tzinfo=self.tz, locale=self._babel_locale)

    def number(self, value: int | float | Decimal) -> str:
        return format_decimal(value, locale=self._babel_locale)
