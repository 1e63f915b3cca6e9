"""Late work where the teacher allows it (issue 14): the choice is made when posting; past the deadline the
student's card and the reminder's button offer «Hand in late», or say that late work is not accepted and whom
to ask."""

from __future__ import annotations

import datetime as dt

import time_machine
from sqlalchemy import select

from bot.runtime import Runtime
from db.models import Assignment, Submission, SubmissionVersion
from tests.harness import Harness, Seat, labels, texts
from tests.students.test_reminders import tick_at


async def post(harness: Harness, teacher: Seat, course: str, title: str, *labels_: str) -> list:
    """Walks «New assignment» to the preview; `labels_` are the choices (score, control, kind...)."""
    replies = await harness.tap(teacher, *labels_[:1], course)
    replies = await harness.say(teacher, title)
    replies = await harness.tap(teacher, labels_[1], on=replies)  # «Done»
    replies = await harness.say(teacher, labels_[2])  # the deadline
    return await harness.tap(teacher, *labels_[3:], on=replies)


async def the_assignment(runtime: Runtime, title: str) -> Assignment:
    async with runtime.sessions() as session:
        found = await session.scalar(select(Assignment).where(Assignment.title == title))
    assert found is not None
    return found


async def test_kazakh_late_work_refused_names_the_teacher(
    clock: time_machine.Coordinates, demo: Runtime, harness: Harness
) -> None:
    teacher = await harness.seat_for("Айгүл Сейітқызы Нұрланова")
    student = await harness.seat_for("Айдана Серікқызы Бекова")
    replies = await post(
        harness,
        teacher,
        "Python негіздері — ПО-21",
        "Кешікпеу керек",
        "Жаңа тапсырма",
        "Дайын",
        "ертең 18:00",
        "100",
        "үлгерімді ағымдағы бақылау",
        "жазбаша жұмыс",
    )
    assert "Кешіктірілген жұмыс: қабылданады, кешіктіріп тапсырылды деп белгіленеді." in texts(replies)
    replies = await harness.press(teacher, replies[-1], "Кешіктірілген жұмысты қабылдамау")
    assert "Кешіктірілген жұмыс: орындау мерзімінен кейін қабылданбайды." in texts(replies)
    assert "Кешіктірілген жұмысты қабылдау" in labels(replies[-1])  # the choice can be undone
    await harness.press(teacher, replies[-1], "Жариялау")
    assignment = await the_assignment(demo, "Кешікпеу керек")
    assert assignment.accepts_late is False
    notice = (await harness.received(student))[-1]
    assert "Жұмысты тапсыру" in labels(notice)

    clock.move_to(assignment.deadline + dt.timedelta(minutes=5))
    refused = texts(await harness.press(student, notice, "Жұмысты тапсыру"))
    assert "Орындау мерзімі өтті, педагог бұл тапсырма бойынша кешіктірілген жұмысты қабылдамайды." in refused
    assert "Айгүл Сейітқызы Нұрланова" in refused
    card = await harness.tap(student, "Тапсырмалар", "Кешікпеу керек")
    assert "кешіктірілген жұмысты қабылдамайды" in texts(card)
    assert "Жұмысты тапсыру" not in labels(card[-1]) and "Кешіктіріп тапсыру" not in labels(card[-1])
    asked = await harness.press(student, card[-1], "Педагогке сұрақ қою")  # whom to ask: one tap
    assert "Сұрағыңызды педагог Айгүл Сейітқызы Нұрлановаға жазыңыз (Python негіздері)" in texts(asked)
    async with demo.sessions() as session:
        assert (
            await session.scalar(select(Submission).where(Submission.assignment_id == assignment.id)) is None
        )


async def test_russian_late_work_accepted_from_the_reminder_and_the_card(
    clock: time_machine.Coordinates, demo: Runtime, harness: Harness
) -> None:
    teacher = await harness.seat_for("Сергей Викторович Ким")
    student = await harness.seat_for("Анна Сергеевна Петрова")
    replies = await post(
        harness,
        teacher,
        "Веб-программирование — ИС-22",
        "Формы поздно",
        "Новое задание",
        "Готово",
        "завтра 18:00",
        "100",
        "текущий контроль успеваемости",
        "письменная работа",
    )
    assert "Работы после срока: принимаются с отметкой об опоздании." in texts(replies)
    await harness.press(teacher, replies[-1], "Опубликовать")
    assignment = await the_assignment(demo, "Формы поздно")
    assert assignment.accepts_late is True
    await harness.received(student)
    # The 2-hour reminder comes with its button; she presses it only after the deadline.
    await tick_at(demo, harness, assignment.deadline - dt.timedelta(hours=2) + dt.timedelta(minutes=1))
    reminder = (await harness.received(student))[-1]
    assert "Сдать работу" in labels(reminder)
    clock.move_to(assignment.deadline + dt.timedelta(minutes=5))
    card = await harness.tap(student, "Задания", "Формы поздно")
    assert "Сдать с опозданием" in labels(card[-1])
    opened = await harness.press(student, reminder, "Сдать работу")
    assert "Срок сдачи прошёл: работа будет принята с отметкой об опоздании." in texts(opened)
    draft = await harness.say(student, "готово")
    assert "Квитанция" in texts(await harness.press(student, draft[-1], "Подтвердить и сдать"))
    async with demo.sessions() as session:
        late = await session.scalar(
            select(SubmissionVersion.late)
            .join(Submission, Submission.id == SubmissionVersion.submission_id)
            .where(Submission.assignment_id == assignment.id, SubmissionVersion.number == 1)
        )
    assert late is True
