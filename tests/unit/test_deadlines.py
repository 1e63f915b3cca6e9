"""Dates and times typed in Kazakh and Russian, read at a fixed moment: Monday 23 November 2026,
12:00 in Almaty. Each accepted form gives an exact local moment; each refused one says why:
"unknown" (the caller explains with an example) or "past" (the caller says the moment has passed).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from bot.services.admin.setup import SetupError, lesson_time
from bot.services.coursework.deadlines import DeadlineError, parse, parse_future

ZONE = "Asia/Almaty"
ALMATY = zoneinfo.ZoneInfo(ZONE)
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=ALMATY).astimezone(dt.UTC)  # a Monday


def local(text: str, now: dt.datetime = NOW) -> str:
    return parse(text, now, ZONE).moment.astimezone(ALMATY).strftime("%a %d.%m.%Y %H:%M")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A time typed after a day word is kept (QA: it was read as a date and dropped).
        ("завтра 12.10", "Tue 24.11.2026 12:10"),
        ("ертең 9.05", "Tue 24.11.2026 09:05"),
        ("Ертең 9.05", "Tue 24.11.2026 09:05"),
        ("бүгін 20.00", "Mon 23.11.2026 20:00"),
        ("пятница 12.10", "Fri 27.11.2026 12:10"),
        ("12.10 завтра", "Tue 24.11.2026 12:10"),
        ("через 3 дня 9.30", "Thu 26.11.2026 09:30"),
        # ... and after a date.
        ("25.11 12.10", "Wed 25.11.2026 12:10"),
        ("25.11 18.00", "Wed 25.11.2026 18:00"),
        ("25.11 18:00", "Wed 25.11.2026 18:00"),
        ("25.11.2026 18.00", "Wed 25.11.2026 18:00"),
        ("25.11.2026 18:00", "Wed 25.11.2026 18:00"),
        ("2026-11-25 18:00:00", "Wed 25.11.2026 18:00"),
        ("28 ноября 9.45", "Sat 28.11.2026 09:45"),
        # A dotted pair alone is a date, as before; a time alone is today's or tomorrow's.
        ("12.10", "Mon 12.10.2026 23:59"),
        ("25.11", "Wed 25.11.2026 23:59"),
        ("25.01", "Mon 25.01.2027 23:59"),
        ("25/11", "Wed 25.11.2026 23:59"),
        ("18.00", "Mon 23.11.2026 18:00"),
        ("18:00", "Mon 23.11.2026 18:00"),
        ("9:00", "Tue 24.11.2026 09:00"),
        ("12:10 25.11", "Wed 25.11.2026 12:10"),
        # Fillers that carry no date.
        ("в 18:00", "Mon 23.11.2026 18:00"),
        ("до 18:00", "Mon 23.11.2026 18:00"),
        ("18:00-ге дейін", "Mon 23.11.2026 18:00"),
        ("к 25.11", "Wed 25.11.2026 23:59"),
        ("завтра, в 18:00", "Tue 24.11.2026 18:00"),
        ("завтра в 18", "Tue 24.11.2026 18:00"),
        ("ертең сағат 9", "Tue 24.11.2026 09:00"),
        ("ертең сағ. 9", "Tue 24.11.2026 09:00"),
        ("ертең саат 18:00", "Tue 24.11.2026 18:00"),
        ("ертең сағат 18-де", "Tue 24.11.2026 18:00"),
        ("завтра 18ч", "Tue 24.11.2026 18:00"),
        ("ертеңге дейін", "Tue 24.11.2026 23:59"),
        ("ертен 18:00", "Tue 24.11.2026 18:00"),  # typed without Kazakh letters
        ("бугин 20:00", "Mon 23.11.2026 20:00"),
        ("послезавтра", "Wed 25.11.2026 23:59"),
        ("арғы күні 10:00", "Wed 25.11.2026 10:00"),
        # Kazakh and Russian day-and-month forms.
        ("қарашаның 28-і", "Sat 28.11.2026 23:59"),
        ("қарашаның 28-і 18:00", "Sat 28.11.2026 18:00"),
        ("28-қараша", "Sat 28.11.2026 23:59"),
        ("28 қараша", "Sat 28.11.2026 23:59"),
        ("28 қарашаға дейін 18:00", "Sat 28.11.2026 18:00"),
        ("5 желтоқсан 18:00", "Sat 05.12.2026 18:00"),
        ("желтоқсанның 5-і", "Sat 05.12.2026 23:59"),
        ("28 ноября", "Sat 28.11.2026 23:59"),
        ("28-го ноября", "Sat 28.11.2026 23:59"),
        ("28 ноя", "Sat 28.11.2026 23:59"),
        ("28 ноя. 10:00", "Sat 28.11.2026 10:00"),
        ("30 ноября 10:00", "Mon 30.11.2026 10:00"),
        ("28 ноября в 18", "Sat 28.11.2026 18:00"),
        ("3 дек", "Thu 03.12.2026 23:59"),
        ("5 января", "Tue 05.01.2027 23:59"),
        ("28 ноября 2027", "Sun 28.11.2027 23:59"),
        # In so many days or weeks (the quick-pick button is labelled «Через неделю»).
        ("через неделю", "Mon 30.11.2026 23:59"),
        ("Через неделю", "Mon 30.11.2026 23:59"),
        ("через неделю 18:00", "Mon 30.11.2026 18:00"),
        ("через две недели", "Mon 07.12.2026 23:59"),
        ("через 3 дня", "Thu 26.11.2026 23:59"),
        ("через 3 дня в 12:00", "Thu 26.11.2026 12:00"),
        ("бір аптадан кейін", "Mon 30.11.2026 23:59"),
        ("аптадан кейін 10:00", "Mon 30.11.2026 10:00"),
        ("3 күннен кейін", "Thu 26.11.2026 23:59"),
        ("3 күннен кейін 12:00", "Thu 26.11.2026 12:00"),
        ("екі күннен кейін", "Wed 25.11.2026 23:59"),
        # Weekdays: abbreviations and full names in any case; today's weekday means next week's.
        ("пн", "Mon 30.11.2026 23:59"),
        ("вт", "Tue 24.11.2026 23:59"),
        ("ср", "Wed 25.11.2026 23:59"),
        ("чт", "Thu 26.11.2026 23:59"),
        ("пт 18:00", "Fri 27.11.2026 18:00"),
        ("пт. 18:00", "Fri 27.11.2026 18:00"),
        ("сб", "Sat 28.11.2026 23:59"),
        ("вс", "Sun 29.11.2026 23:59"),
        ("дс", "Mon 30.11.2026 23:59"),
        ("сс", "Tue 24.11.2026 23:59"),
        ("бс 9:00", "Thu 26.11.2026 09:00"),
        ("жм", "Fri 27.11.2026 23:59"),
        ("сн", "Sat 28.11.2026 23:59"),
        ("жс", "Sun 29.11.2026 23:59"),
        ("понедельник", "Mon 30.11.2026 23:59"),
        ("во вторник 10:00", "Tue 24.11.2026 10:00"),
        ("в среду", "Wed 25.11.2026 23:59"),
        ("пятница 9:30", "Fri 27.11.2026 09:30"),
        ("в пятницу в 18", "Fri 27.11.2026 18:00"),
        ("до пятницы", "Fri 27.11.2026 23:59"),
        ("в субботу", "Sat 28.11.2026 23:59"),
        ("воскресенье", "Sun 29.11.2026 23:59"),
        ("жұма", "Fri 27.11.2026 23:59"),
        ("жұмада 10:00", "Fri 27.11.2026 10:00"),
        ("жұмаға дейін 18:00", "Fri 27.11.2026 18:00"),
        ("жұма күні 18:00", "Fri 27.11.2026 18:00"),
        ("сенбі", "Sat 28.11.2026 23:59"),
        ("сәрсенбіге дейін", "Wed 25.11.2026 23:59"),
        ("дүйсенбі", "Mon 30.11.2026 23:59"),
        ("пятница 27.11", "Fri 27.11.2026 23:59"),  # a weekday that agrees with the date
        # Past days are read, so the caller can say the moment has passed.
        ("вчера 18:00", "Sun 22.11.2026 18:00"),
        ("кеше 10:00", "Sun 22.11.2026 10:00"),
        ("кеше", "Sun 22.11.2026 23:59"),
        ("позавчера", "Sat 21.11.2026 23:59"),
        ("алдыңғы күні 9:00", "Sat 21.11.2026 09:00"),
    ],
)
def test_accepted(text: str, expected: str) -> None:
    assert local(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        # Words the parser does not know make the text unreadable instead of being skipped.
        ("", "unknown"),
        ("   ", "unknown"),
        ("в", "unknown"),
        ("когда-нибудь", "unknown"),
        ("бір кезде", "unknown"),
        ("ертең-ау", "unknown"),
        ("ертеңау", "unknown"),
        ("завтрак 10:00", "unknown"),  # «завтра» inside another word
        ("послезавтрашний", "unknown"),
        ("пятничный вечер", "unknown"),
        ("жұмасы", "unknown"),
        ("завтра вечером", "unknown"),
        ("следующая пятница", "unknown"),
        ("ноябрь", "unknown"),  # a month without a day
        ("28 ноябряя", "unknown"),
        ("28 числа", "unknown"),
        ("28", "unknown"),  # a bare number: neither a day nor an hour
        ("завтра 10", "unknown"),
        ("10:00-11:30", "unknown"),
        # Impossible or contradicting values.
        ("31.02 10:00", "unknown"),
        ("31 февраля", "unknown"),
        ("завтра 25:00", "unknown"),
        ("завтра 18:75", "unknown"),
        ("в 25", "unknown"),
        ("завтра 9.5", "unknown"),  # not a time, and the day is already known
        ("завтра 25.11", "unknown"),  # two different days
        ("12.10 25.11", "unknown"),
        ("завтра пятница", "unknown"),
        ("пятница 26.11", "unknown"),  # the 26th is a Thursday
        ("завтра 10:00 12:00", "unknown"),
        ("через 400 дней", "unknown"),
        # Past moments are read, then refused as past.
        ("вчера 18:00", "past"),
        ("вчера", "past"),
        ("кеше 10:00", "past"),
        ("кеше", "past"),
        ("позавчера 9:00", "past"),
        ("алдыңғы күні", "past"),
        ("20.11 18:00", "past"),
        ("бүгін 10:00", "past"),
        ("12.10", "past"),
    ],
)
def test_refused(text: str, reason: str) -> None:
    with pytest.raises(DeadlineError) as refused:
        parse_future(text, NOW, ZONE)
    assert refused.value.reason == reason


def test_a_weekday_said_on_that_weekday_is_next_weeks() -> None:
    friday = dt.datetime(2026, 11, 27, 9, 0, tzinfo=ALMATY).astimezone(dt.UTC)
    assert local("пт 18:00", friday) == "Fri 04.12.2026 18:00"
    assert local("жұма", friday) == "Fri 04.12.2026 23:59"


@pytest.mark.parametrize(
    ("text", "starts", "ends"),
    [
        ("завтра 12.10", "24.11 12:10", "24.11 13:40"),
        ("ертең 9.05", "24.11 09:05", "24.11 10:35"),
        ("пт 10:00-11:30", "27.11 10:00", "27.11 11:30"),
        ("жұмада 10:00-11:30", "27.11 10:00", "27.11 11:30"),
        ("28 қараша 14:30", "28.11 14:30", "28.11 16:00"),
        ("через неделю 9:00", "30.11 09:00", "30.11 10:30"),
    ],
)
def test_lesson_times(text: str, starts: str, ends: str) -> None:
    start, end = lesson_time(text, NOW, ZONE)
    assert start.astimezone(ALMATY).strftime("%d.%m %H:%M") == starts
    assert end.astimezone(ALMATY).strftime("%d.%m %H:%M") == ends


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("кеше 10:00", "past"),  # was: tomorrow 10:00
        ("вчера 18:00", "past"),  # was: today 18:00
        ("кеше", "past"),
        ("ертең-ау 10:00", "when"),
        ("28 ноября", "when"),  # a lesson needs its time
        ("через неделю", "when"),
    ],
)
def test_lesson_times_refused(text: str, reason: str) -> None:
    with pytest.raises(SetupError) as refused:
        lesson_time(text, NOW, ZONE)
    assert refused.value.reason == reason
