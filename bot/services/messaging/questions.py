"""A student's question to the course's teacher; the teacher's answer goes back to the student.

The teacher is told with a button (StudentQuestions: the teacher's module opens the answer
dialog); the answer is stored and sent back by announcing.answer(), with the teacher's other
conversations with students.
"""

from __future__ import annotations

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
