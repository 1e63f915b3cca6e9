"""The thematic schedule (chat and XLSX), lessons, attendance with the parents of the absent told,
announcements with their acknowledgements, and answering a student's question."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
import time_machine
from sqlalchemy import select

from bot.runtime import Runtime
from db.models import (
    Acknowledgement,
    Announcement,
    Attendance,
    Course,
    Lesson,
    LessonMode,
    Person,
    Question,
    Topic,
)
from tests.harness import Harness, labels, texts
from tests.teacher.test_posting import ALMATY


async def person_id(runtime: Runtime, name: str) -> int:
    async with runtime.sessions() as session:
        found = await session.scalar(select(Person.id).where(Person.full_name == name))
    assert found is not None
    return found


async def course_id(runtime: Runtime, discipline: str) -> int:
    async with runtime.sessions() as session:
        found = await session.scalar(select(Course.id).where(Course.discipline == discipline))
    assert found is not None
    return found


async def test_thematic_schedule_in_chat_and_from_xlsx(
    clock: time_machine.Coordinates, demo: Runtime, harness: Harness
) -> None:
    teacher = await harness.seat_for("Айгүл Сейітқызы Нұрланова")
    student = await harness.seat_for("Айдана Серікқызы Бекова")
    parent = await harness.seat_for("Серік Бекұлы Беков")
    replies = await harness.say(teacher, "/menu")
    replies = await harness.press(teacher, replies[-1], "Тақырыптық кесте")
    await harness.press(teacher, replies[-1], "Python негіздері — ПО-21")
    assert "2-жол: сағат саны" in texts(await harness.say(teacher, "Кіріспе; 2\nЦиклдер; көп"))
    replies = await harness.say(teacher, "Кіріспе; 2; 27.11 18:00\nЦиклдер; 4; 04.12 18:00\nФункциялар; 6")
    assert "2. Циклдер — 4 сағат, 4 желтоқсан, 18:00-ге дейін" in texts(replies)
    replies = await harness.press(teacher, replies[-1], "Жариялау")
    assert "курс жоспары ретінде сақталды" in texts(replies)
    assert "Жетеді: білім алушылар — 1 / 10; ата-аналар — 1." in texts(replies)  # honest: 1 has joined
    async with demo.sessions() as session:
        topics = (
            await session.scalars(
                select(Topic)
                .where(Topic.course_id == await course_id(demo, "Python негіздері"))
                .order_by(Topic.position)
            )
        ).all()
    assert [(t.title, t.hours) for t in topics] == [("Кіріспе", 2), ("Циклдер", 4), ("Функциялар", 6)]
    assert (
        topics[0].deadline == dt.datetime(2026, 11, 27, 18, 0, tzinfo=ALMATY) and topics[2].deadline is None
    )
    assert "Тақырыптық кесте: Python негіздері" in texts(await harness.received(student))
    assert "3. Функциялар — 6 сағат" in texts(await harness.received(parent))

    kim = await harness.seat_for("Сергей Викторович Ким")
    anna_mother = await harness.seat_for("Ольга Викторовна Петрова")
    book = openpyxl.Workbook()
    book.active.append(["Тема", "Часы", "Срок"])
    book.active.append(["Формы", 4, dt.datetime(2026, 12, 1, 18, 0)])
    book.active.append(["Fetch API", 2, None])
    data = io.BytesIO()
    book.save(data)
    await harness.tap(kim, "Тематический график", "Веб-программирование — ИС-22")
    replies = await harness.say(kim, files=[("plan.xlsx", data.getvalue())])
    assert "1. Формы — 4 часа, до 1 декабря, 18:00" in texts(replies)
    await harness.press(kim, replies[-1], "Опубликовать")
    assert "Тематический график: Веб-программирование" in texts(await harness.received(anna_mother))


async def test_online_lesson_and_attendance(
    clock: time_machine.Coordinates, demo: Runtime, harness: Harness
) -> None:
    kim = await harness.seat_for("Сергей Викторович Ким")
    anna = await harness.seat_for("Анна Сергеевна Петрова")
    await harness.tap(kim, "Запланировать занятие", "Веб-программирование — ИС-22", "Онлайн-занятие")
    assert "уже прошло" in texts(await harness.say(kim, "20.11 10:00"))
    assert "уже прошло" in texts(await harness.say(kim, "вчера 10:00"))  # not today 10:00
    assert "Не удалось прочитать" in texts(await harness.say(kim, "завтра-то 10:00"))
    await harness.say(kim, "завтра 10:00")
    assert "https://" in texts(await harness.say(kim, "meet.example"))
    replies = await harness.say(kim, "https://meet.jit.si/web-ustaz")
    assert "Запланировано на 24 ноября, 10:00" in texts(replies)
    assert "Дойдёт до " in texts(replies) and "Не дойдёт до: " in texts(replies)
    got = await harness.received(anna)
    assert "Онлайн-занятие: Веб-программирование, 24 ноября, 10:00" in texts(got)
    assert got[-1].buttons[0][0].url == "https://meet.jit.si/web-ustaz"
    async with demo.sessions() as session:
        lesson = await session.scalar(select(Lesson).where(Lesson.link == "https://meet.jit.si/web-ustaz"))
    assert lesson is not None and lesson.mode == LessonMode.online

    # Attendance of this morning's online lesson of Python негіздері.
    teacher = await harness.seat_for("Айгүл Сейітқызы Нұрланова")
    parent = await harness.seat_for("Серік Бекұлы Беков")
    other_parent = await harness.seat_for("Марат Жақыпұлы Жақыпов")
    aidana = await harness.seat_for("Айдана Серікқызы Бекова")
    replies = await harness.say(teacher, "/menu")
    replies = await harness.press(teacher, replies[-1], "Қатысу")
    replies = await harness.press(teacher, replies[-1], "Python негіздері · 23.11 09:00")
    assert "Болмағандар: 0" in texts(replies) and len(labels(replies[-1])) == 11
    replies = await harness.press(teacher, replies[-1], "✅ Айдана Серікқызы Бекова")
    assert "Болмағандар: 1" in texts(replies) and "❌ Айдана Серікқызы Бекова" in labels(replies[-1])
    replies = await harness.press(teacher, replies[-1], "Сақтау")
    assert "Болмағандар: Айдана Серікқызы Бекова" in texts(replies)
    assert (
        "Айдана Серікқызы Бекова 23 қараша, 09:00 өткен «Python негіздері» онлайн сабағына қатыспады"
        in texts(await harness.received(parent))
    )
    assert await harness.received(other_parent) == []
    # The student is told too, not only her parents.
    assert "«Python негіздері» онлайн сабағына келмеді деп белгілендіңіз" in texts(
        await harness.received(aidana)
    )
    async with demo.sessions() as session:
        marks = (await session.scalars(select(Attendance))).all()
    assert len(marks) == 10 and sum(1 for m in marks if not m.present) == 1


async def test_announcement_acknowledgements_and_a_question(
    clock: time_machine.Coordinates, demo: Runtime, harness: Harness
) -> None:
    teacher = await harness.seat_for("Айгүл Сейітқызы Нұрланова")
    student = await harness.seat_for("Айдана Серікқызы Бекова")
    parent = await harness.seat_for("Серік Бекұлы Беков")
    replies = await harness.say(teacher, "/menu")
    replies = await harness.press(teacher, replies[-1], "Хабарландыру")
    replies = await harness.press(teacher, replies[-1], "ПО-21")
    replies = await harness.press(teacher, replies[-1], "Ата-аналар")
    assert "бос" in texts(await harness.say(teacher, "  "))
    replies = await harness.say(teacher, "Жұма күні ата-аналар жиналысы болады.")
    assert "Хабарландыру жіберілді" in texts(replies)
    assert "ата-аналар жиналысы" in texts(await harness.received(parent))
    assert await harness.received(student) == []  # parents only

    async with demo.sessions() as session, session.begin():
        ann = await session.scalar(select(Announcement))
        assert ann is not None and ann.needs_ack
        session.add(
            Acknowledgement(announcement_id=ann.id, person_id=await person_id(demo, "Серік Бекұлы Беков"))
        )
    replies = await harness.press(teacher, replies[-1], "Кім танысты")
    shown = texts(replies)
    assert "Танысқандар: 1\n✅ Серік Бекұлы Беков" in shown and "Әлі танысқан жоқ: 3" in shown

    async with demo.sessions() as session, session.begin():
        session.add(
            Question(
                course_id=await course_id(demo, "Python негіздері"),
                student_id=await person_id(demo, "Айдана Серікқызы Бекова"),
                text="while циклі қашан тоқтайды?",
            )
        )
    replies = await harness.tap(teacher, "Білім алушылардың сұрақтары")
    replies = await harness.press(teacher, replies[-1], "Айдана Серікқызы Бекова")
    assert "while циклі қашан тоқтайды?" in texts(replies)
    replies = await harness.say(teacher, "Шарт жалған болғанда.")
    assert "Жауап білім алушыға жіберілді" in texts(replies)
    assert "Шарт жалған болғанда." in texts(await harness.received(student))
    assert "күтіп тұрған сұрақ жоқ" in texts(await harness.tap(teacher, "Білім алушылардың сұрақтары"))


@pytest.mark.parametrize(
    ("teacher_name", "course", "menu", "shown"),
    [
        (
            "Айгүл Сейітқызы Нұрланова",
            "Python негіздері — ПО-21",
            "Тақырыптық кесте",
            ["2-жол: сағат саны", "3-жол: мерзімді түсіне алмадым", "4-жол: тақырыбы жоқ", "5-жол: сағат"],
        ),
        (
            "Сергей Викторович Ким",
            "Веб-программирование — ИС-22",
            "Тематический график",
            ["Строка 2: часы", "Строка 3: не удалось прочитать срок", "Строка 4: нет темы", "Строка 5: часы"],
        ),
    ],
)
async def test_every_bad_line_of_a_typed_thematic_schedule_is_reported(
    clock: time_machine.Coordinates,
    demo: Runtime,
    harness: Harness,
    teacher_name: str,
    course: str,
    menu: str,
    shown: list[str],
) -> None:
    """002 item 26-1 (teachers send the thematic schedule with deadlines): a typed schedule with several bad
    lines names every one of them at once, not only the first, and nothing is kept."""
    teacher = await harness.seat_for(teacher_name)
    await harness.tap(teacher, menu, course)
    replies = await harness.say(teacher, "Кіріспе; 2\nЦиклдер; көп\nТізімдер; 2; бір кезде\n; 4\nSQL; 0")
    for line in shown:
        assert line in texts(replies)
    async with demo.sessions() as session:
        assert await session.scalar(select(Topic).where(Topic.title == "Кіріспе")) is None
