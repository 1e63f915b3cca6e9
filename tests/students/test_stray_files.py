"""A file sent outside any dialog is kept: offered to the student's open assignments (one tap attaches
it) or sent to a teacher as a question; never «first choose an assignment»."""

from __future__ import annotations

import time_machine
from sqlalchemy import select

from bot.runtime import Runtime
from db.models import Question, SubmissionFile
from tests.harness import Harness, labels, texts
from tests.students.test_student_journeys import KK_STUDENT, PDF, PNG, RU_STUDENT


async def test_a_file_sent_outside_a_dialog_is_offered_to_the_open_assignments(
    clock: time_machine.Coordinates, demo: Runtime, harness: Harness
) -> None:
    student = await harness.seat_for(RU_STUDENT)
    offered = await harness.say(student, files=[("control.pdf", PDF)])
    assert "Ваш файл сохранён" in texts(offered)
    shown = labels(offered[-1])
    assert "Рубежный контроль 1" in shown and "Вопрос педагогу" in shown
    attached = await harness.press(student, offered[-1], "Рубежный контроль 1")
    assert "Прикреплено" in texts(attached) and "control.pdf" in texts(attached)
    receipt = await harness.press(student, attached[-1], "Подтвердить и сдать")
    assert "Квитанция №" in texts(receipt) and "control.pdf" in texts(receipt)
    async with demo.sessions() as session:
        assert await session.scalar(select(SubmissionFile.id)) is not None


async def test_a_photo_sent_outside_a_dialog_can_go_to_the_teacher_as_a_question(
    clock: time_machine.Coordinates, demo: Runtime, harness: Harness
) -> None:
    student = await harness.seat_for(KK_STUDENT)
    offered = await harness.say(student, files=[("task.jpg", PNG)])
    assert "Файлыңыз сақталды" in texts(offered)
    assert "не понял" not in texts(offered).lower()
    courses = await harness.press(student, offered[-1], "Педагогке сұрақ қою")
    assert "Сұрағыңыз қай пән бойынша?" in texts(courses)
    sent = await harness.press(student, courses[-1], labels(courses[-1])[0])
    assert "жіберілді" in texts(sent)
    async with demo.sessions() as session:
        question = await session.scalar(select(Question))
    assert question is not None and question.file_name_id is not None
