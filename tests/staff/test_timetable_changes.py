"""Changing the timetable in chat: a lesson moved, given a new link or room, or cancelled; the students
and their parents are told in their own language, and a lesson that began can't be changed."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from sqlalchemy import select, update

from bot.core.router import dialog_button
from bot.i18n import Translator
from bot.runtime import Runtime
from bot.services.messaging import reminders
from bot.services.schedule import timetable
from db.base import utcnow
from db.models import Course, Lesson, LessonMode, Person, PersonRole, Reminder, ReminderStatus, Role
from tests.harness import Harness, labels, texts
from tests.staff.test_setup_dialogs import METHODIST, make_staff

ALMATY = zoneinfo.ZoneInfo("Asia/Almaty")
KK_STUDENT, KK_PARENT = "Айдана Серікқызы Бекова", "Серік Бекұлы Беков"
RU_STUDENT, RU_PARENT = "Анна Сергеевна Петрова", "Ольга Викторовна Петрова"
DEPUTY = "Марина Сергеевна Орлова"
KIM = "Сергей Викторович Ким"  # teaches Веб-программирование (ИС-22), not Python негіздері


async def add_lesson(runtime: Runtime, discipline: str, days: int, hour: int, mode: LessonMode) -> Lesson:
    """A lesson `days` from today (local), after this week's demo timetable."""
    day = dt.datetime.now(ALMATY).date() + dt.timedelta(days=days)
    starts = dt.datetime.combine(day, dt.time(hour), ALMATY)
    async with runtime.sessions() as session, session.begin():
        course_id = await session.scalar(select(Course.id).where(Course.discipline == discipline))
        assert course_id is not None
        lesson = Lesson(
            course_id=course_id,
            starts_at=starts,
            ends_at=starts + dt.timedelta(minutes=90),
            mode=mode,
            link="https://meet.example/old" if mode is LessonMode.online else None,
            room="101" if mode is LessonMode.offline else None,
        )
        session.add(lesson)
    return lesson


def label_of(lesson: Lesson, discipline: str, locale: str) -> str:
    return f"{Translator(locale).datetime(lesson.starts_at, 'EEE d MMM, HH:mm')} · {discipline}"


async def stored(runtime: Runtime, lesson_id: int) -> Lesson:
    async with runtime.sessions() as session:
        lesson = await session.get(Lesson, lesson_id)
    assert lesson is not None
    return lesson


async def test_methodist_moves_a_lesson_and_gives_it_a_new_link_in_kazakh(
    demo: Runtime, harness: Harness
) -> None:
    lesson = await add_lesson(demo, "Python негіздері", 9, 10, LessonMode.online)
    methodist = await harness.seat_for(METHODIST)
    student, parent = await harness.seat_for(KK_STUDENT), await harness.seat_for(KK_PARENT)

    replies = await harness.tap(methodist, "Ұйымды баптау")
    assert "Сабақ кестесін өзгерту" in labels(replies[-1])
    replies = await harness.press(methodist, replies[-1], "Сабақ кестесін өзгерту")
    replies = await harness.press(methodist, replies[-1], "ПО-21")
    assert "ПО-21 тобының қай сабағы?" in texts(replies)
    replies = await harness.press(methodist, replies[-1], label_of(lesson, "Python негіздері", "kk"))
    replies = await harness.press(methodist, replies[-1], "Басқа уақытқа ауыстыру")
    replies = await harness.say(methodist, "бір кезде")
    assert "Күн мен уақытты түсінбедім" in texts(replies)
    replies = await harness.say(methodist, "01.01.2026 10:00")
    assert "Бұл уақыт өтіп кетті" in texts(replies)
    new_day = dt.datetime.now(ALMATY).date() + dt.timedelta(days=10)
    replies = await harness.say(methodist, f"{new_day:%d.%m.%Y} 15:00-16:20")
    assert "Ауыстырылды: Python негіздері" in texts(replies) and "–16:20" in texts(replies)
    assert "Жетеді: білім алушылар — " in texts(replies) and "Жетпейді: " in texts(replies)

    moved = await stored(demo, lesson.id)
    assert moved.starts_at == dt.datetime.combine(new_day, dt.time(15), ALMATY)
    assert moved.ends_at == dt.datetime.combine(new_day, dt.time(16, 20), ALMATY)
    was, now = Translator("kk").datetime(lesson.starts_at), Translator("kk").datetime(moved.starts_at)
    for seat in (student, parent):
        got = await harness.received(seat)
        assert f"Python негіздері сабағы ауыстырылды: {was} → {now}." in texts(got)
        assert any(b.url == "https://meet.example/old" for r in got for row in r.buttons for b in row)

    # The same lesson, found again at its new time, gets a new link.
    replies = await harness.press(methodist, replies[-1], "Сабақ кестесін өзгерту")
    replies = await harness.press(methodist, replies[-1], "ПО-21")
    replies = await harness.press(methodist, replies[-1], label_of(moved, "Python негіздері", "kk"))
    replies = await harness.press(methodist, replies[-1], "Жаңа сілтеме")
    replies = await harness.say(methodist, "meet.example/new")
    assert "https://" in texts(replies)
    replies = await harness.say(methodist, "https://meet.example/new")
    assert "Өзгертілді: Python негіздері" in texts(replies)
    assert "Жетеді: білім алушылар — " in texts(replies) and "Жетпейді: " in texts(replies)
    assert (await stored(demo, lesson.id)).link == "https://meet.example/new"
    got = await harness.received(student)
    assert "жаңа сілтемесі бар" in texts(got)
    assert any(b.url == "https://meet.example/new" for r in got for row in r.buttons for b in row)


async def test_deputy_cancels_a_lesson_in_russian_after_saying_no_once(
    demo: Runtime, harness: Harness
) -> None:
    lesson = await add_lesson(demo, "Веб-программирование", 8, 14, LessonMode.offline)
    await make_staff(demo, DEPUTY, Role.deputy, "ru")
    deputy = await harness.seat_for(DEPUTY)
    student, parent = await harness.seat_for(RU_STUDENT), await harness.seat_for(RU_PARENT)
    label = label_of(lesson, "Веб-программирование", "ru")

    replies = await harness.tap(deputy, "Настройка организации", "Изменить расписание")
    replies = await harness.press(deputy, replies[-1], "ИС-22")
    replies = await harness.press(deputy, replies[-1], label)
    assert "Другая аудитория" in labels(replies[-1])
    replies = await harness.press(deputy, replies[-1], "Отменить занятие")
    assert "Отменить занятие? Обучающимся и их родителям придёт сообщение." in texts(replies)
    replies = await harness.press(deputy, replies[-1], "Нет, оставить")
    assert "Занятие остаётся как было." in texts(replies)
    assert not (await stored(demo, lesson.id)).cancelled
    assert await harness.received(student) == []

    replies = await harness.press(deputy, replies[-1], "Изменить расписание")
    replies = await harness.press(deputy, replies[-1], "ИС-22")
    replies = await harness.press(deputy, replies[-1], label)
    replies = await harness.press(deputy, replies[-1], "Отменить занятие")
    replies = await harness.press(deputy, replies[-1], "Да, отменить занятие")
    assert "Отменено: Веб-программирование" in texts(replies)
    assert "Дойдёт до " in texts(replies) and "Не дойдёт до: " in texts(replies)
    assert (await stored(demo, lesson.id)).cancelled
    when = Translator("ru").datetime(lesson.starts_at)
    for seat in (student, parent):
        assert f"Занятие Веб-программирование, {when}, отменено." in texts(await harness.received(seat))
    # Gone from the student's timetable and from the list offered for changes.
    async with demo.sessions() as session:
        anna = await session.scalar(select(Person.id).where(Person.full_name == RU_STUDENT))
        assert anna is not None
        week = await timetable.lessons(session, anna, lesson.starts_at, lesson.ends_at)
    assert week == []
    replies = await harness.tap(deputy, "Настройка организации", "Изменить расписание")
    replies = await harness.press(deputy, replies[-1], "ИС-22")
    assert label not in labels(replies[-1])


async def test_a_room_change_and_a_lesson_that_began_meanwhile(demo: Runtime, harness: Harness) -> None:
    lesson = await add_lesson(demo, "Веб-программирование", 8, 9, LessonMode.offline)
    await make_staff(demo, DEPUTY, Role.deputy, "ru")
    deputy = await harness.seat_for(DEPUTY)
    student = await harness.seat_for(RU_STUDENT)
    label = label_of(lesson, "Веб-программирование", "ru")

    replies = await harness.tap(deputy, "Настройка организации", "Изменить расписание")
    replies = await harness.press(deputy, replies[-1], "ИС-22")
    replies = await harness.press(deputy, replies[-1], label)
    replies = await harness.press(deputy, replies[-1], "Другая аудитория")
    replies = await harness.say(deputy, "  305  ")
    assert "Изменено: Веб-программирование" in texts(replies)
    assert "Дойдёт до " in texts(replies) and "Не дойдёт до: " in texts(replies)
    assert (await stored(demo, lesson.id)).room == "305"
    assert "теперь в аудитории 305" in texts(await harness.received(student))

    # Picked while it was coming; by the time the answer comes the lesson has begun.
    replies = await harness.press(deputy, replies[-1], "Изменить расписание")
    replies = await harness.press(deputy, replies[-1], "ИС-22")
    replies = await harness.press(deputy, replies[-1], label)
    async with demo.sessions() as session, session.begin():
        row = await session.get(Lesson, lesson.id)
        assert row is not None
        row.starts_at = utcnow() - dt.timedelta(minutes=5)
    replies = await harness.press(deputy, replies[-1], "Отменить занятие")
    replies = await harness.press(deputy, replies[-1], "Да, отменить занятие")
    assert "уже началось или отменено" in texts(replies)
    assert not (await stored(demo, lesson.id)).cancelled
    assert await harness.received(student) == []


async def test_a_teacher_changes_only_the_lessons_of_their_own_courses(
    demo: Runtime, harness: Harness
) -> None:
    others = await add_lesson(demo, "Python негіздері", 8, 10, LessonMode.online)
    own = await add_lesson(demo, "Веб-программирование", 9, 10, LessonMode.online)
    kim, student = await harness.seat_for(KIM), await harness.seat_for(RU_STUDENT)

    replies = await harness.tap(kim, "Запланировать занятие")
    replies = await harness.press(kim, replies[-1], "Изменить назначенное занятие")
    offered = labels(replies[-1])
    assert f"{label_of(own, 'Веб-программирование', 'ru')} · ИС-22" in offered
    assert not any("Python негіздері" in label for label in offered)
    # A forged press on another teacher's lesson (no screen of his shows it: sent as a code) is refused
    # and changes nothing.
    replies = await harness.say(kim, button=dialog_button(others.id))
    assert "изменить его больше нельзя" in texts(replies)

    replies = await harness.press(kim, replies[-1], "Изменить назначенное занятие")
    replies = await harness.press(kim, replies[-1], label_of(own, "Веб-программирование", "ru"))
    replies = await harness.press(kim, replies[-1], "Новая ссылка")
    replies = await harness.say(kim, "https://meet.example/kim")
    assert "Изменено: Веб-программирование" in texts(replies)
    assert "Дойдёт до " in texts(replies) and "Не дойдёт до: " in texts(replies)
    assert "Изменить назначенное занятие" in labels(replies[-1])
    assert (await stored(demo, own.id)).link == "https://meet.example/kim"
    assert (await stored(demo, others.id)).link == "https://meet.example/old"
    assert "новая ссылка" in texts(await harness.received(student))
    # The staff's button stays the staff's (forged: no screen of a teacher shows it).
    assert "недоступно" in texts(await harness.say(kim, button="schg"))


async def test_reminders_follow_a_moved_and_a_cancelled_lesson(demo: Runtime, harness: Harness) -> None:
    """The old moment's reminder is skipped at sending; planning adds one for the new moment."""
    moving = await add_lesson(demo, "Python негіздері", 3, 10, LessonMode.online)
    dropping = await add_lesson(demo, "Python негіздері", 4, 10, LessonMode.online)
    async with demo.sessions() as session, session.begin():
        await reminders.plan(session)
    methodist = await harness.seat_for(METHODIST)
    new_day = dt.datetime.now(ALMATY).date() + dt.timedelta(days=5)
    replies = await harness.tap(methodist, "Ұйымды баптау", "Сабақ кестесін өзгерту")
    replies = await harness.press(methodist, replies[-1], "ПО-21")
    replies = await harness.press(methodist, replies[-1], label_of(moving, "Python негіздері", "kk"))
    replies = await harness.press(methodist, replies[-1], "Басқа уақытқа ауыстыру")
    await harness.say(methodist, f"{new_day:%d.%m.%Y} 10:00")
    replies = await harness.tap(methodist, "Ұйымды баптау", "Сабақ кестесін өзгерту")
    replies = await harness.press(methodist, replies[-1], "ПО-21")
    replies = await harness.press(methodist, replies[-1], label_of(dropping, "Python негіздері", "kk"))
    replies = await harness.press(methodist, replies[-1], "Сабақты болдырмау")
    await harness.press(methodist, replies[-1], "Иә, сабақты болдырмау")

    async with demo.sessions() as session, session.begin():
        await reminders.plan(session)
        planned = (await session.execute(select(Reminder.lesson_id, Reminder.expires_at))).all()
    moments = {(lesson_id, at) for lesson_id, at in planned if lesson_id in (moving.id, dropping.id)}
    new_start = dt.datetime.combine(new_day, dt.time(10), ALMATY)
    assert (moving.id, new_start) in moments, "planned for the new moment"
    # At each old moment's reminder time, the tick sends nothing for these two lessons.
    for old in (moving, dropping):
        await reminders.tick(demo.sessions, old.starts_at - dt.timedelta(minutes=29))
        async with demo.sessions() as session:
            statuses = set(
                (
                    await session.scalars(
                        select(Reminder.status).where(
                            Reminder.lesson_id == old.id, Reminder.expires_at == old.starts_at
                        )
                    )
                ).all()
            )
        assert statuses and ReminderStatus.queued not in statuses


async def test_a_student_in_no_group_sees_their_individual_lessons(demo: Runtime) -> None:
    """No group: no group lessons, the individual ones still (the query once failed on an empty list)."""
    lesson = await add_lesson(demo, "Веб-программирование", 8, 9, LessonMode.offline)
    async with demo.sessions() as session, session.begin():
        anna = await session.scalar(select(Person.id).where(Person.full_name == RU_STUDENT))
        assert anna is not None
        await session.execute(
            update(PersonRole)
            .where(PersonRole.person_id == anna, PersonRole.role == Role.student)
            .values(group_id=None)
        )
        assert await timetable.lessons(session, anna, lesson.starts_at, lesson.ends_at) == []
        own = Lesson(
            course_id=lesson.course_id,
            student_id=anna,
            starts_at=lesson.starts_at,
            ends_at=lesson.ends_at,
            mode=LessonMode.offline,
            room="102",
        )
        session.add(own)
        await session.flush()
        week = await timetable.lessons(session, anna, lesson.starts_at, lesson.ends_at)
    assert [(v.room, v.individual) for v in week] == [("102", True)]
