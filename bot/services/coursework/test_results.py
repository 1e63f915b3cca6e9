"""Which of a student's test answers were wrong, shown only once the test is closed (closed by the
teacher or past its deadline), so that no one passes the right answers to a classmate still taking it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Assignment, AssignmentStatus, TestAnswer, TestAttempt, TestQuestion


@dataclass(frozen=True, slots=True)
class Wrong:
    number: int  # the question's place in the test, from 1
    question: str
    right: list[str]  # the right options' texts


async def wrong_answers(
    session: AsyncSession, student_id: int, assignment: Assignment, now: dt.datetime
) -> list[Wrong] | None:
    """The questions of the student's last finished attempt answered wrongly (or not at all); None while the
    test is still open or the student has not finished an attempt."""
    if assignment.test_id is None:
        return None
    if assignment.status != AssignmentStatus.closed and now <= assignment.deadline:
        return None
    attempt = await session.scalar(
        select(TestAttempt)
        .where(
            TestAttempt.test_id == assignment.test_id,
            TestAttempt.student_id == student_id,
            TestAttempt.finished_at.is_not(None),
        )
        .order_by(TestAttempt.number.desc())
        .limit(1)
    )
    if attempt is None:
        return None
    right = set(
        (
            await session.scalars(
                select(TestAnswer.question_id).where(TestAnswer.attempt_id == attempt.id, TestAnswer.correct)
            )
        ).all()
    )
    questions = (
        await session.scalars(
            select(TestQuestion)
            .where(TestQuestion.test_id == assignment.test_id)
            .order_by(TestQuestion.position)
        )
    ).all()
    return [
        Wrong(n, q.text, [q.options[i] for i in q.correct if 0 <= i < len(q.options)])
        for n, q in enumerate(questions, start=1)
        if q.id not in right
    ]
