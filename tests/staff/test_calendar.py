"""Academic periods and the academic calendar: entered in chat, imported (all rows or none, errors by
line) in chat and by CLI, and read by students, parents and teachers in their language."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from sqlalchemy import func, select

from bot.cli import staff as staff_cli
from bot.files.tables import xlsx
from bot.runtime import Runtime
from db.models import AcademicTerm, CalendarEvent, Person, PersonRole, Role
from tests.harness import Harness, texts
from tests.staff.helpers import start_import

METHODIST = "Салтанат Әбенқызы Исмаилова"
YEAR = 2027  # the next academic year, well after the demo's


async def count(runtime: Runtime, model: type) -> int:  # type: ignore[type-arg]
    async with runtime.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_periods_and_dates_entered_in_chat_are_read_by_everyone(
    demo: Runtime, harness: Harness
) -> None:
    methodist = await harness.seat_for(METHODIST)
    await harness.tap(methodist, "Ұйымды баптау", "Жаңа академиялық кезең")
    await harness.say(methodist, f"{YEAR}-{YEAR + 1}, 1-семестр")
    replies = await harness.say(methodist, "бір кезде")
    assert "Күндерді түсінбедім" in texts(replies)
    replies = await harness.say(methodist, f"25.12.{YEAR} – 01.09.{YEAR}")
    assert "басталмай тұрып аяқталады" in texts(replies)
    replies = await harness.say(methodist, f"01.09.{YEAR} – 25.12.{YEAR}")
    assert (
        f"«{YEAR}-{YEAR + 1}, 1-семестр» академиялық кезеңі сақталды: {YEAR} жылғы 1 қыркүйек – 25 желтоқсан"
        in texts(replies)
    )

    replies = await harness.press(methodist, replies[-1], "Академиялық күнтізбеге қосу")
    replies = await harness.press(methodist, replies[-1], "Аттестаттау аптасы")
    await harness.say(methodist, "Аралық аттестаттау")
    replies = await harness.say(methodist, f"14.12.{YEAR} - 19.12.{YEAR}")
    assert "Академиялық күнтізбеге қосылды: Аттестаттау аптасы «Аралық аттестаттау»" in texts(replies)
    await harness.tap(methodist, "Ұйымды баптау", "Академиялық күнтізбеге қосу", "Демалыс және мерекелер")
    await harness.say(methodist, "Тәуелсіздік күні")
    replies = await harness.say(methodist, f"16.12.{YEAR}")  # one day
    assert f"{YEAR} жылғы 16 желтоқсан." in texts(replies)
    async with demo.sessions() as session:
        term = await session.scalar(select(AcademicTerm).where(AcademicTerm.starts_on == dt.date(YEAR, 9, 1)))
        events = (await session.scalars(select(CalendarEvent).order_by(CalendarEvent.starts_on))).all()
    assert term is not None and term.ends_on == dt.date(YEAR, 12, 25)
    assert [(e.kind, e.term_id) for e in events] == [("attestation", term.id), ("holiday", term.id)]

    student = await harness.seat_for("Айдана Серікқызы Бекова")
    menu = await harness.say(student, "/menu")
    shown = texts(await harness.press(student, menu[-1], "Академиялық күнтізбе"))
    assert f"{YEAR}-{YEAR + 1}, 1-семестр: {YEAR} жылғы 1 қыркүйек – 25 желтоқсан" in shown
    assert f"• Аттестаттау аптасы: Аралық аттестаттау — {YEAR} жылғы 14–19 желтоқсан" in shown
    assert f"• Демалыс және мерекелер: Тәуелсіздік күні — {YEAR} жылғы 16 желтоқсан" in shown

    parent = await harness.seat_for("Ольга Викторовна Петрова")
    shown = texts(await harness.tap(parent, "Академический календарь"))
    assert "Академический календарь" in shown
    assert f"• Неделя аттестации: Аралық аттестаттау — 14–19 декабря {YEAR}" in shown
    teacher = await harness.seat_for("Сергей Викторович Ким")
    assert f"• Каникулы и праздники: Тәуелсіздік күні — 16 декабря {YEAR}" in texts(
        await harness.tap(teacher, "Академический календарь")
    )


def calendar_file(rows: list[list[object]]) -> bytes:
    return xlsx([("К", ["вид", "название", "начало", "конец", "период"], rows)])


GOOD = [
    ["семестр", f"Весенний семестр {YEAR}", f"11.01.{YEAR}", f"30.05.{YEAR}", ""],
    ["каникулы", "Весенние каникулы", f"21.03.{YEAR}", f"27.03.{YEAR}", f"Весенний семестр {YEAR}"],
    ["сессия", "Экзаменационная сессия", dt.date(YEAR, 5, 18), dt.date(YEAR, 5, 30), ""],
]


async def test_calendar_import_bad_rows_change_nothing_good_rows_all_land(
    demo: Runtime, harness: Harness
) -> None:
    from tests.staff.test_setup_dialogs import make_staff

    await make_staff(demo, "Марина Сергеевна Орлова", Role.deputy, "ru")
    deputy = await harness.seat_for("Марина Сергеевна Орлова")
    await harness.tap(deputy, "Настройка организации", "Новый академический период")
    await harness.say(deputy, f"Летний семестр {YEAR}")
    replies = await harness.say(deputy, f"1 июня {YEAR} по 31 августа {YEAR}")
    assert f"Академический период «Летний семестр {YEAR}» сохранён: 1 июня – 31 августа {YEAR}." in texts(
        replies
    )
    await harness.tap(deputy, "Настройка организации", "Добавить в академический календарь", "Мероприятие")
    await harness.say(deputy, "День открытых дверей")
    replies = await harness.say(deputy, f"15.06.{YEAR}")
    assert (
        f"Добавлено в академический календарь: Мероприятие «День открытых дверей», 15 июня {YEAR}."
        in texts(replies)
    )
    terms, events = await count(demo, AcademicTerm), await count(demo, CalendarEvent)
    bad = calendar_file(
        [
            *GOOD,
            ["экскурсия", "Музей", f"01.04.{YEAR}", f"01.04.{YEAR}", ""],
            ["каникулы", "", f"31.04.{YEAR}", f"01.04.{YEAR}", ""],
            ["сессия", "Летняя сессия", f"10.06.{YEAR}", f"20.06.{YEAR}", f"Весенний семестр {YEAR}"],
            ["аттестация", "Рубеж", f"01.03.{YEAR}", f"05.03.{YEAR}", "Осенний семестр"],
        ]
    )
    replies = await start_import(harness, deputy, "calendar")
    assert "Отправьте академический календарь файлом XLSX или CSV" in texts(replies)
    replies = await harness.say(deputy, files=[("calendar.xlsx", bad)])
    shown = texts(replies)
    assert "Ничего не импортировано: 5 ошибок." in shown
    assert "Строка 5: вид «экскурсия» неизвестен" in shown
    assert "Строка 6: не указано название" in shown and "Строка 6: «31.04." in shown
    assert f"Строка 7: даты выходят за академический период «Весенний семестр {YEAR}»" in shown
    assert "Строка 8: нет академического периода «Осенний семестр»" in shown
    assert (await count(demo, AcademicTerm), await count(demo, CalendarEvent)) == (terms, events)

    replies = await harness.say(deputy, files=[("calendar.xlsx", calendar_file(GOOD))])
    assert "Импортировано: 3 новые записи, 0 записей обновлено." in texts(replies)
    async with demo.sessions() as session:
        term = await session.scalar(
            select(AcademicTerm).where(AcademicTerm.name == f"Весенний семестр {YEAR}")
        )
        linked = (
            await session.scalars(
                select(CalendarEvent.term_id).where(CalendarEvent.starts_on < dt.date(YEAR, 6, 1))
            )
        ).all()
    assert term is not None and term.starts_on == dt.date(YEAR, 1, 11)
    assert linked == [term.id, term.id]  # the session found its period by its dates


async def test_calendar_import_by_cli(demo: Runtime, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.csv"
    bad.write_text(f"kind,name,start,end\nholiday,Каникулы,2027-13-01,{YEAR}-01-05\n", encoding="utf-8")
    args = argparse.Namespace(file=bad, org=None, lang="kk")
    assert await staff_cli.cmd_calendar(demo.settings, args) == 1
    assert "2-жол: «2027-13-01» күн емес" in capsys.readouterr().err

    good = tmp_path / "calendar.xlsx"
    good.write_bytes(calendar_file(GOOD))
    args = argparse.Namespace(file=good, org=None, lang="ru")
    assert await staff_cli.cmd_calendar(demo.settings, args) == 0
    assert "Импортировано: 3 новые записи, 0 записей обновлено." in capsys.readouterr().out
    assert await count(demo, CalendarEvent) == 2
    # Again: the same entries are updated, not doubled.
    assert await staff_cli.cmd_calendar(demo.settings, args) == 0
    assert "0 новых записей, 3 записи обновлены" in capsys.readouterr().out


async def test_nobody_outside_staff_edits_the_calendar(demo: Runtime, harness: Harness) -> None:
    async with demo.sessions() as session:
        assert await session.scalar(
            select(func.count()).select_from(PersonRole).where(PersonRole.role == Role.head)
        )
        assert await session.scalar(select(Person.id).where(Person.full_name == METHODIST))
    head = await harness.seat_for("Ерлан Маратұлы Жұмабаев")
    # The head reads the calendar but holidays and sessions are the academic side's.
    assert "Академиялық күнтізбе" in texts(await harness.tap(head, "Академиялық күнтізбе"))
    # Forged: no screen of the head shows «Add to the academic calendar».
    assert "қолжетімді емес" in texts(await harness.say(head, button="sevt"))


async def test_a_holiday_spanning_two_periods_is_accepted(demo: Runtime, harness: Harness) -> None:
    """002 item 26-1 (the academic calendar every participant is told of): winter holidays run from the
    first period into the second; they are accepted, attached to the period they start in and shown with
    their whole dates. A session outside its period is still refused."""
    from tests.staff.test_setup_dialogs import make_staff

    await make_staff(demo, "Марина Сергеевна Орлова", Role.deputy, "ru")
    deputy = await harness.seat_for("Марина Сергеевна Орлова")
    rows: list[list[object]] = [
        ["семестр", f"Осенний семестр {YEAR}", f"01.09.{YEAR}", f"31.12.{YEAR}", ""],
        ["семестр", f"Весенний семестр {YEAR + 1}", f"05.01.{YEAR + 1}", f"30.05.{YEAR + 1}", ""],
        ["каникулы", "Зимние каникулы", f"29.12.{YEAR}", f"07.01.{YEAR + 1}", f"Осенний семестр {YEAR}"],
        ["каникулы", "Новогодние дни", f"27.12.{YEAR}", f"09.01.{YEAR + 1}", ""],
    ]
    await start_import(harness, deputy, "calendar")
    replies = await harness.say(deputy, files=[("calendar.xlsx", calendar_file(rows))])
    assert "Импортировано: 4 новые записи" in texts(replies)
    async with demo.sessions() as session:
        autumn = await session.scalar(
            select(AcademicTerm).where(AcademicTerm.name == f"Осенний семестр {YEAR}")
        )
        holidays = (
            await session.scalars(
                select(CalendarEvent).where(CalendarEvent.kind == "holiday").order_by(CalendarEvent.id)
            )
        ).all()
    assert autumn is not None and [h.term_id for h in holidays] == [autumn.id, autumn.id]
    student = await harness.seat_for("Анна Сергеевна Петрова")
    with_dates = texts(await harness.tap(student, "Академический календарь"))
    assert "Зимние каникулы — 29 декабря" in with_dates and f"7 января {YEAR + 1}" in with_dates

    session_outside = [
        ["сессия", "Зимняя сессия", f"20.12.{YEAR}", f"10.01.{YEAR + 1}", f"Осенний семестр {YEAR}"],
    ]
    await start_import(harness, deputy, "calendar")
    replies = await harness.say(deputy, files=[("calendar.xlsx", calendar_file(session_outside))])
    assert f"даты выходят за академический период «Осенний семестр {YEAR}»" in texts(replies)
