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

from babel import Locale
from babel.dates import format_date, format_datetime, format_time
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

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


class Translator:
    """Everything locale-bound a handler needs: gettext, plurals, dates in the organization's zone."""

    def __init__(self, locale: str, timezone: str = "Asia/Almaty") -> None:
        self.locale = locale
        self.tz = zoneinfo.ZoneInfo(timezone)
        self._t = _translations(locale)
        self._babel_locale = Locale.parse(locale)

    def gettext(self, message: str) -> str:
        return self._t.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._t.ngettext(singular, plural, n)

    def local(self, moment: dt.datetime) -> dt.datetime:
        return moment.astimezone(self.tz)

    def datetime(self, moment: dt.datetime, fmt: str = "d MMMM, HH:mm") -> str:
        return format_datetime(self.local(moment), fmt, tzinfo=self.tz, locale=self._babel_locale)

    def date(self, day: dt.date | dt.datetime, fmt: str = "d MMMM y") -> str:
        if isinstance(day, dt.datetime):
            day = self.local(day).date()
        return format_date(day, fmt, locale=self._babel_locale)

    def weekday_date(self, day: dt.date) -> str:
        return format_date(day, "EEEE, d MMMM", locale=self._babel_locale)

    def time(self, moment: dt.datetime) -> str:
        return format_time(self.local(moment), "HH:mm", tzinfo=self.tz, locale=self._babel_locale)

    def number(self, value: int | float | Decimal) -> str:
        return format_decimal(value, locale=self._babel_locale)
