"""A released grade found again from the gradebook by the student's name and changed with a reason;
the student is told and the change is kept."""

from __future__ import annotations

from decimal import Decimal

import time_machine
from sqlalchemy import select

from bot.runtime import Runtime
from db.models import Grade, GradeChange
from tests.harness import Harness, labels, texts
from tests.teacher.test_review import ids

KIM, ANNA = "Сергей Викторович Ким", "Анна Сергеевна Петрова"


async def test_a_released_grade_is_changed_from_the_gradebook_by_the_students_name(
    clock: time_machine.Coordinates, demo: Runtime, harness: Harness
) -> None:
    teacher, anna = await harness.seat_for(KIM), await harness.seat_for(ANNA)
    replies = await harness.tap(teacher, "Журнал оценок")
    if "Вёрстка" not in texts(replies):  # more than one course: choose it
        replies = await harness.press(teacher, replies[-1], labels(replies[-1])[0])
    replies = await harness.tap(teacher, ANNA, on=replies)
    assert "Оценённые работы" in texts(replies)
    replies = await harness.press(teacher, replies[-1], "Вёрстка страницы")
    assert "Оценка: 95 из 100 (объявлена)" in texts(replies)
    replies = await harness.press(teacher, replies[-1], "Изменить оценку")
    assert "от 0 до 100" in texts(await harness.say(teacher, "120"))
    assert "Почему вы её меняете" in texts(await harness.say(teacher, "80"))
    replies = await harness.say(teacher, "Макет сверстан не по сетке")
    assert "Оценка изменена на 80" in texts(replies)
    assert "80" in texts(await harness.received(anna))

    assignment_id, student_id, _ = await ids(demo, "Вёрстка страницы", ANNA)
    async with demo.sessions() as session:
        grade = await session.scalar(
            select(Grade).where(Grade.assignment_id == assignment_id, Grade.student_id == student_id)
        )
        assert grade is not None and grade.score == Decimal(80)
        change = await session.scalar(select(GradeChange).where(GradeChange.grade_id == grade.id))
        assert change is not None and change.old_score == Decimal(95)
        assert change.reason == "Макет сверстан не по сетке"


async def test_another_teachers_grade_cannot_be_opened(
    clock: time_machine.Coordinates, demo: Runtime, harness: Harness
) -> None:
    teacher = await harness.seat_for("Айгүл Сейітқызы Нұрланова")
    assignment_id, student_id, _ = await ids(demo, "Вёрстка страницы", ANNA)
    async with demo.sessions() as session:
        grade_id = await session.scalar(
            select(Grade.id).where(Grade.assignment_id == assignment_id, Grade.student_id == student_id)
        )
    replies = await harness.say(teacher, button=f"tgc:{grade_id}")
    assert "Бағаны өзгерту" not in labels(replies[-1])
    async with demo.sessions() as session:
        assert await session.scalar(select(GradeChange.id)) is None
