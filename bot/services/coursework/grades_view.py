"""A student's grades per course, with the teacher's comments and the current rating."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.coursework import grading_scale
from bot.services.people import student_scope
from db.models import Assignment, Grade, GradingScheme, Submission, SubmissionStatus


@dataclass(frozen=True, slots=True)
class GradeLine:
    assignment_id: int
    title: str
    score: Decimal | None  # None: returned for revision, no grade yet
    max_score: int
    comment: str | None
    graded_at: dt.datetime | None
    returned: bool


@dataclass(frozen=True, slots=True)
class CourseGrades:
    course_id: int
    discipline: str
    lines: list[GradeLine]
    rating: Decimal | None  # percent
    mark: grading_scale.Mark | None


async def course_grades(
    session: AsyncSession, student_id: int, scheme: GradingScheme | str, course_id: int | None = None
) -> list[CourseGrades]:
    out = []
    for course in await student_scope.courses(session, student_id):
        if course_id is not None and course.id != course_id:
            continue
        graded = (
            await session.execute(
                select(Assignment, Grade)
                .join(Grade, Grade.assignment_id == Assignment.id)
                .where(
                    Assignment.course_id == course.id,
                    Grade.student_id == student_id,
                    Grade.released.is_(True),
                )
                .order_by(Assignment.deadline)
            )
        ).all()
        returned = (
            await session.scalars(
                select(Assignment)
                .join(Submission, Submission.assignment_id == Assignment.id)
                .where(
                    Assignment.course_id == course.id,
                    Submission.student_id == student_id,
                    Submission.status == SubmissionStatus.returned,
                )
            )
        ).all()
        lines = [
            GradeLine(a.id, a.title, g.score, a.max_score, g.comment, g.graded_at, False) for a, g in graded
        ]
        graded_ids = {line.assignment_id for line in lines}
        lines += [
            GradeLine(a.id, a.title, None, a.max_score, None, None, True)
            for a in returned
            if a.id not in graded_ids
        ]
        rating = grading_scale.current_rating((a_g[1].score, a_g[0].max_score) for a_g in graded)
        out.append(
            CourseGrades(
                course.id,
                course.discipline,
                lines,
                rating,
                grading_scale.mark(rating, scheme) if rating is not None else None,
            )
        )
    return out
