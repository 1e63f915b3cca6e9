"""Setting up in chat: a program with its credit-cap category, a group, a course, and a timetable lesson
the group's students and parents are told of (002 item 26-1), in Kazakh and in Russian."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from sqlalchemy import select

from bot.runtime import Runtime
from db.models import (
    AcademicTerm,
    Course,
    CreditCapCategory,
    Group,
    Lesson,
    LessonMode,
    Person,
    PersonRole,
    Program,
    Role,
)
from tests.harness import Harness, labels, texts

METHODIST = "Салтанат Әбенқызы Исмаилова"
ALMATY = zoneinfo.ZoneInfo("Asia/Almaty")


async def make_staff(runtime: Runtime, full_name: str, role: Role, locale: str) -> None:
    async with runtime.sessions() as session, session.begin():
        person = Person(
            organization_id=await session.scalar(select(Person.organization_id)),
            full_name=full_name,
            locale=locale,
            active_role=role,
        )
        person.roles.append(PersonRole(role=role))
        session.add(person)


def next_weekday(weekday: int) -> dt.date:
    today = dt.datetime.now(ALMATY).date()
    return today + dt.timedelta(days=(weekday - today.weekday()) % 7 or 7)


async def test_methodist_sets_up_a_program_group_course_and_lesson_in_kazakh(
    demo: Runtime, harness: Harness
) -> None:
    methodist = await harness.seat_for(METHODIST)
    student = await harness.seat_for("Айдана Серікқызы Бекова")
    parent = await harness.seat_for("Серік Бекұлы Беков")

    menu = await harness.say(methodist, "/menu")
    replies = await harness.press(methodist, menu[-1], "Ұйымды баптау")
    assert {"Жаңа бағдарлама", "Жаңа топ", "Жаңа курс", "Сабақ кестесіне сабақ қосу"} <= set(
        labels(replies[-1])
    )

    await harness.press(methodist, replies[-1], "Жаңа бағдарлама")
    replies = await harness.say(methodist, "Мейіргер ісі")
    replies = await harness.press(methodist, replies[-1], "бакалавриат")
    replies = await harness.press(methodist, replies[-1], "денсаулық сақтау")
    replies = await harness.press(methodist, replies[-1], "жоғары білім негізінде")
    assert "«Мейіргер ісі» бағдарламасы құрылды: бакалавриат" in texts(replies)
    assert "19-тармақ" in texts(replies)
    async with demo.sessions() as session:
        program = await session.scalar(select(Program).where(Program.name == "Мейіргер ісі"))
    assert program is not None and program.credit_cap_category is CreditCapCategory.restricted_fields
    assert program.on_higher_education_basis and program.field == "health_care"

    replies = await harness.press(methodist, replies[-1], "Жаңа топ")
    replies = await harness.say(methodist, "ПО-21")
    assert "«ПО-21» бұрыннан бар" in texts(replies)
    replies = await harness.say(methodist, "МІ-26")
    replies = await harness.press(methodist, replies[-1], "Мейіргер ісі")
    assert "МІ-26 тобы құрылды" in texts(replies)

    replies = await harness.press(methodist, replies[-1], "Жаңа курс")
    replies = await harness.press(methodist, replies[-1], "МІ-26")
    await harness.say(methodist, "Анатомия")
    replies = await harness.say(methodist, "алты")
    assert "бүтін санмен" in texts(replies)
    await harness.say(methodist, "6")
    replies = await harness.say(methodist, "Нұрланова")
    term_label = labels(replies[-1])[0]
    replies = await harness.press(methodist, replies[-1], term_label)
    assert "МІ-26 тобының «Анатомия» курсы құрылды: 6 кредит, педагог Айгүл Сейітқызы Нұрланова" in texts(
        replies
    )
    async with demo.sessions() as session:
        course = await session.scalar(select(Course).where(Course.discipline == "Анатомия"))
        teacher = await session.scalar(select(Person.id).where(Person.full_name.like("Айгүл%")))
        term = await session.scalar(select(AcademicTerm.name).where(AcademicTerm.id == course.term_id))  # type: ignore[union-attr]
    assert course is not None and course.credits == 6 and course.teacher_id == teacher and term == term_label

    # The timetable: a lesson for ПО-21 typed naturally, online with a link.
    replies = await harness.tap(methodist, "Ұйымды баптау", "Сабақ кестесіне сабақ қосу")
    replies = await harness.press(methodist, replies[-1], "ПО-21")
    replies = await harness.press(methodist, replies[-1], "Python негіздері")
    replies = await harness.say(methodist, "бір кезде")
    assert "Күн мен уақытты түсінбедім" in texts(replies)
    assert "Күн мен уақытты түсінбедім" in texts(await harness.say(methodist, "ертең-ау 10:00"))
    assert "өтіп кетті" in texts(await harness.say(methodist, "кеше 10:00"))  # not tomorrow 10:00
    replies = await harness.say(methodist, "жұма 10:00-11:30")
    replies = await harness.press(methodist, replies[-1], "Онлайн сабақ")
    replies = await harness.say(methodist, "meet.example/x")
    assert "https://" in texts(replies)
    replies = await harness.say(methodist, "https://meet.example/python")
    friday = next_weekday(4)
    assert f"Сабақ кестесіне қосылды: Python негіздері, ПО-21 тобы, {friday.day} " in texts(replies)
    assert "Жетеді: білім алушылар — " in texts(replies)  # honest: who really gets it
    assert "–11:30" in texts(replies)
    async with demo.sessions() as session:
        lesson = await session.scalar(select(Lesson).where(Lesson.link == "https://meet.example/python"))
    assert lesson is not None and lesson.mode is LessonMode.online
    assert lesson.starts_at == dt.datetime.combine(friday, dt.time(10), ALMATY)
    assert lesson.ends_at == dt.datetime.combine(friday, dt.time(11, 30), ALMATY)
    got = await harness.received(student)
    assert "Онлайн сабақ: Python негіздері" in texts(got)
    assert any(b.url == "https://meet.example/python" for r in got for row in r.buttons for b in row)
    # The parent's notice names the child (the link is the student's to use).
    assert "Айдана Серікқызы Бекова: онлайн сабақ: Python негіздері" in texts(await harness.received(parent))


async def test_a_deputy_sets_up_in_russian_and_an_offline_lesson_names_its_room(
    demo: Runtime, harness: Harness
) -> None:
    await make_staff(demo, "Марина Сергеевна Орлова", Role.deputy, "ru")
    deputy = await harness.seat_for("Марина Сергеевна Орлова")
    student = await harness.seat_for("Анна Сергеевна Петрова")
    parent = await harness.seat_for("Ольга Викторовна Петрова")

    await harness.tap(deputy, "Настройка организации", "Новая программа")
    replies = await harness.say(deputy, "Деловое администрирование")
    replies = await harness.press(deputy, replies[-1], "MBA")
    assert "Программа «Деловое администрирование» создана: MBA" in texts(replies)
    assert "пункт 20" in texts(replies) and "30" in texts(replies)
    async with demo.sessions() as session:
        cap = await session.scalar(
            select(Program.credit_cap_category).where(Program.name == "Деловое администрирование")
        )
    assert cap is CreditCapCategory.mba

    replies = await harness.tap(deputy, "Настройка организации", "Новая группа")
    replies = await harness.say(deputy, "МВА-26")
    replies = await harness.press(deputy, replies[-1], "Программы пока нет")
    assert "Группа МВА-26 создана" in texts(replies)
    async with demo.sessions() as session:
        assert await session.scalar(select(Group.program_id).where(Group.name == "МВА-26")) is None

    await harness.tap(deputy, "Настройка организации", "Новый курс")
    await harness.say(deputy, "ИС-22")
    await harness.say(deputy, "Физика")
    await harness.say(deputy, "3")
    replies = await harness.say(deputy, "Ким")
    replies = await harness.press(deputy, replies[-1], "Без академического периода")
    assert "Курс «Физика» группы ИС-22 создан: 3 кредита, преподаватель Сергей Викторович Ким." in texts(
        replies
    )

    replies = await harness.tap(deputy, "Настройка организации", "Добавить занятие в расписание")
    replies = await harness.say(deputy, "ИС-22")  # the group typed instead of pressed
    replies = await harness.press(deputy, replies[-1], "Веб-программирование")
    replies = await harness.say(deputy, "01.01.2026 10:00")
    assert "Это время уже прошло" in texts(replies)
    assert "Это время уже прошло" in texts(await harness.say(deputy, "вчера 18:00"))
    replies = await harness.say(deputy, "понедельник 14:00")
    replies = await harness.press(deputy, replies[-1], "В аудитории")
    replies = await harness.say(deputy, "204")
    assert "Добавлено в расписание занятий: Веб-программирование, группа ИС-22" in texts(replies)
    assert "Дойдёт до " in texts(replies)
    monday = next_weekday(0)
    async with demo.sessions() as session:
        lesson = await session.scalar(select(Lesson).where(Lesson.room == "204"))
    assert lesson is not None and lesson.mode is LessonMode.offline and lesson.link is None
    assert lesson.starts_at == dt.datetime.combine(monday, dt.time(14), ALMATY)
    assert lesson.ends_at - lesson.starts_at == dt.timedelta(minutes=90)
    got = texts(await harness.received(student))
    assert "Занятие в аудитории: Веб-программирование" in got and "аудитория 204" in got
    got = texts(await harness.received(parent))
    assert "Анна Сергеевна Петрова: занятие в аудитории: Веб-программирование" in got
    assert "аудитория 204" in got
