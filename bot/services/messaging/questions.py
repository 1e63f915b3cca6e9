"""A student's question to the course's teacher; the teacher's answer goes back to the student.

The teacher is told with a button `qans:<question_id>` (the teachers' module opens the
answer dialog); `answer()` stores the answer and sends it to the student's chat.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from bot.actions.teacher import StudentQuestions
from bot.core.messages import OutFile, Reply
from bot.i18n import Translator
from bot.services.messaging.notify import notify
from db.models import Course, Person, Question

QUESTION = "question"
ANSWER = "answer"


async def ask(
    session: AsyncSession, student_id: int, course_id: int, text: str, file_name_id: int | None = None
) -> None:
    question = Question(course_id=course_id, student_id=student_id, text=text, file_name_id=file_name_id)
    session.add(question)
    await session.flush()
    course = await session.get(Course, course_id)
    student = await session.get(Person, student_id)
    assert course is not None and student is not None
    if course.teacher_id is not None:

        def build(t: Translator) -> Reply:
            return Reply(
                t.gettext("Question from {student} ({course}):").format(
                    student=student.full_name, course=course.discipline
                )
                + "\n\n"
                + (text or ""),
                files=[OutFile(file_name_id)] if file_name_id else [],
                buttons=[[StudentQuestions(question.id).button(t.gettext("Answer"))]],
            )

        await notify(session, [course.teacher_id], build, kind=QUESTION, dedupe_prefix=f"q:{question.id}")


async def answer(
    session: AsyncSession, question_id: int, teacher_id: int, text: str, now: dt.datetime
) -> None:
    question = await session.get(Question, question_id)
    assert question is not None
    question.answer = text
    question.answered_by_id = teacher_id
    question.answered_at = now
    course = await session.get(Course, question.course_id)
    assert course is not None

    def build(t: Translator) -> Reply:
        return Reply(
            t.gettext("The teacher answered your question ({course}):").format(course=course.discipline)
            + "\n\n«"
            + (question.text or "…")
            + "»\n\n"
            + text
        )

    await notify(session, [question.student_id], build, kind=ANSWER)
    await session.flush()
