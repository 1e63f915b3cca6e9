"""Graded work, found again: by assignment, by student, or by one grade, for a change with a reason.

The review queue shows only work waiting for a grade; this is how a teacher reaches work already
graded (a test's automatic grade too, which has no submission) to change its grade.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.coursework.review import change_grade
from bot.services.people.teacher_scope import NotYours
from db.models import Assignment, Course, Grade, Person

LIMIT = 60  # one screen of buttons


@dataclass(frozen=True, slots=True)
class GradedLine:
    grade_id: int
    assignment_id: int
    student: str
    title: str
    score: Decimal
    max_score: int
    released: bool
    comment: str | None = None


def _lines() -> Select[tuple[int, int, str, str, Decimal, int, bool, str | None]]:
    return (
        select(
            Grade.id,
            Grade.assignment_id,
            Person.full_name,
            Assignment.title,
            Grade.score,
            Assignment.max_score,
            Grade.released,
            Grade.comment,
        )
        .join(Assignment, Assignment.id == Grade.assignment_id)
        .join(Course, Course.id == Assignment.course_id)
        .join(Person, Person.id == Grade.student_id)
    )


async def graded_work(
    session: AsyncSession,
    teacher_id: int,
    *,
    assignment_id: int | None = None,
    student_id: int | None = None,
    course_id: int | None = None,
) -> list[GradedLine]:
    """The teacher's own grades narrowed by an assignment, a student and/or a course."""
    query = _lines().where(Course.teacher_id == teacher_id)
    if assignment_id is not None:
        query = query.where(Grade.assignment_id == assignment_id)
    if student_id is not None:
        query = query.where(Grade.student_id == student_id)
    if course_id is not None:
        query = query.where(Course.id == course_id)
    rows = [GradedLine(*row) for row in (await session.execute(query.order_by(Grade.id))).all()]
    # Sorted here, not by the database: collations differ between SQLite and PostgreSQL.
    return sorted(rows, key=lambda r: (r.student, r.title))[:LIMIT]


async def one(session: AsyncSession, teacher_id: int, grade_id: int) -> GradedLine:
    row = (
        await session.execute(_lines().where(Grade.id == grade_id, Course.teacher_id == teacher_id))
    ).first()
    if row is None:
        raise NotYours
    return GradedLine(*row)


async def change(
    session: AsyncSession, teacher_id: int, grade_id: int, score: Decimal, reason: str
) -> GradedLine:
    """The teacher's own grade changed with a reason (ReviewError needs_reason without one)."""
    await one(session, teacher_id, grade_id)
    await change_grade(session, teacher_id, grade_id, score, reason)
    return await one(session, teacher_id, grade_id)
