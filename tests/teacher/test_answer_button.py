"""The «Answer» button on a student's question reaches the teacher's answer, and the answer the student.

It was dead once: the notice carried one code and the teacher's route handled another. Now the notice
and the route share one action class; this walks it by visible labels only.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.runtime import Runtime
from db.models import Question
from tests.harness import Harness, texts

STUDENT = "Анна Сергеевна Петрова"  # writes in Russian
TEACHER = "Сергей Викторович Ким"  # reads in Russian


async def test_the_teacher_answers_from_the_notice(demo: Runtime, harness: Harness) -> None:
    student = await harness.seat_for(STUDENT)
    teacher = await harness.seat_for(TEACHER)
    asked = await harness.tap(student, "Вопрос педагогу", "Веб-программирование")
    assert "Сергею Викторовичу Киму" in texts(asked)
    assert "Ваш вопрос отправлен" in texts(await harness.say(student, "Можно сдать работу ссылкой?"))

    notice = await harness.received(teacher)
    assert "Можно сдать работу ссылкой?" in texts(notice)
    opened = await harness.press(teacher, notice[-1], "Ответить")
    assert "Напишите ответ." in texts(opened) and "Можно сдать работу ссылкой?" in texts(opened)
    assert "Ответ отправлен обучающемуся." in texts(await harness.say(teacher, "Да, ссылкой на GitHub."))

    assert "Да, ссылкой на GitHub." in texts(await harness.received(student))
    async with demo.sessions() as session:
        question = await session.scalar(select(Question))
    assert question is not None and question.answer == "Да, ссылкой на GitHub."


async def test_an_answer_button_sent_before_the_fix_still_works(demo: Runtime, harness: Harness) -> None:
    """Notices already in people's chats carry `qans:<id>`: it opens the same answer."""
    student = await harness.seat_for(STUDENT)
    teacher = await harness.seat_for(TEACHER)
    await harness.tap(student, "Вопрос педагогу", "Веб-программирование")
    await harness.say(student, "Когда консультация?")
    await harness.received(teacher)
    async with demo.sessions() as session:
        question = await session.scalar(select(Question))
    assert question is not None
    assert "Напишите ответ." in texts(await harness.say(teacher, button=f"qans:{question.id}"))
    assert "Ответ отправлен обучающемуся." in texts(await harness.say(teacher, "В пятницу."))
    assert "В пятницу." in texts(await harness.received(student))
