"""What parents are told, child by child: a missed deadline by the child's own (extended) deadline, a
changed deadline, a timetable change naming the child, and absences only if they want them."""

from __future__ import annotations

import datetime as dt

import time_machine
from sqlalchemy import select

from bot.i18n import Translator
from bot.runtime import Runtime
from bot.services.coursework import posting, review
from bot.services.messaging import digest
from bot.services.schedule import changes as timetable_changes
from bot.services.schedule import lessons
from db.base import utcnow
from db.models import Assignment, Course, Extension, Lesson, LessonMode, Person
from tests.harness import Harness, texts

KIM, ANNA, OLGA = "Сергей Викторович Ким", "Анна Сергеевна Петрова", "Ольга Викторовна Петрова"


async def ids(runtime: Runtime, *names: str) -> list[int]:
    async with runtime.sessions() as session:
        found = dict(
            (
                await session.execute(select(Person.full_name, Person.id).where(Person.full_name.in_(names)))
            ).all()
        )
    return [found[n] for n in names]


async def test_a_missed_extended_deadline_is_told_by_the_childs_own_deadline(
    clock: time_machine.Coordinates, demo: Runtime, harness: Harness
) -> None:
    olga = await harness.seat_for(OLGA)
    kim, anna = await ids(demo, KIM, ANNA)
    async with demo.sessions() as session, session.begin():
        assignment = await session.scalar(select(Assignment).where(Assignment.title == "Рубежный контроль 1"))
        assert assignment is not None
        extended_to = assignment.deadline + dt.timedelta(days=2)
        await review.extend(session, kim, assignment.id, anna, extended_to)
    clock.move_to(assignment.deadline + dt.timedelta(minutes=10))
    async with demo.sessions() as session, session.begin():
        await digest.missed_deadlines(session)
    await harness.settle()
    assert "не сдана в срок" not in texts(await harness.received(olga))  # her daughter still has two days
    clock.move_to(extended_to + dt.timedelta(minutes=10))
    async with demo.sessions() as session, session.begin():
        await digest.missed_deadlines(session)
        await digest.missed_deadlines(session)
    await harness.settle()
    got = texts(await harness.received(olga))
    assert got.count("Анна Сергеевна Петрова: работа «Рубежный контроль 1»") == 1
    assert Translator("ru").datetime(extended_to) in got  # her own deadline, not the group's


async def test_a_later_deadline_takes_the_place_of_an_extension_it_reaches(
    clock: time_machine.Coordinates, demo: Runtime, harness: Harness
) -> None:
    olga = await harness.seat_for(OLGA)
    kim, anna = await ids(demo, KIM, ANNA)
    async with demo.sessions() as session, session.begin():
        assignment = await session.scalar(select(Assignment).where(Assignment.title == "Рубежный контроль 1"))
        assert assignment is not None
        await review.extend(session, kim, assignment.id, anna, assignment.deadline + dt.timedelta(days=2))
        await posting.change_deadline(session, kim, assignment.id, assignment.deadline + dt.timedelta(days=5))
    async with demo.sessions() as session:
        assert await session.scalar(select(Extension).where(Extension.student_id == anna)) is None
    await harness.settle()
    got = texts(await harness.received(olga))
    assert "Анна Сергеевна Петрова: срок сдачи «Рубежный контроль 1» (Веб-программирование) изменён" in got


async def test_timetable_changes_name_the_child_and_absences_can_be_switched_off(
    demo: Runtime, harness: Harness
) -> None:
    olga = await harness.seat_for(OLGA)
    kim, anna = await ids(demo, KIM, ANNA)
    starts = utcnow() + dt.timedelta(days=8)
    async with demo.sessions() as session, session.begin():
        org_id, course_id = (
            await session.execute(
                select(Course.organization_id, Course.id).where(Course.discipline == "Веб-программирование")
            )
        ).one()
        lesson = Lesson(course_id=course_id, starts_at=starts, ends_at=starts + dt.timedelta(minutes=90),
                        mode=LessonMode.online, link="https://meet.example/web")  # fmt: skip
        session.add(lesson)
        await session.flush()
        await timetable_changes.cancel(session, org_id, lesson.id, utcnow())
    await harness.settle()
    assert "Анна Сергеевна Петрова: Занятие Веб-программирование" in texts(await harness.received(olga))

    await harness.tap(olga, "Настройки уведомлений", "Пропуски занятий")  # switched off
    async with demo.sessions() as session, session.begin():
        past = Lesson(
            course_id=course_id,
            starts_at=utcnow() - dt.timedelta(hours=2),
            ends_at=utcnow() - dt.timedelta(minutes=30),
            mode=LessonMode.online,
            link="https://x.example",
        )
        session.add(past)
        await session.flush()
        await lessons.toggle(session, kim, past.id, anna)
        assert await lessons.save(session, kim, past.id) == [ANNA]
    await harness.settle()
    assert "отсутствие на онлайн-занятии" not in texts(await harness.received(olga))
    await harness.tap(olga, "Настройки уведомлений", "Пропуски занятий")  # on again
    async with demo.sessions() as session, session.begin():
        again = Lesson(
            course_id=course_id,
            starts_at=utcnow() - dt.timedelta(hours=1),
            ends_at=utcnow() - dt.timedelta(minutes=10),
            mode=LessonMode.online,
            link="https://x.example",
        )
        session.add(again)
        await session.flush()
        await lessons.toggle(session, kim, again.id, anna)
        await lessons.save(session, kim, again.id)
    await harness.settle()
    assert "Анна Сергеевна Петрова: отсутствие" in texts(await harness.received(olga))
