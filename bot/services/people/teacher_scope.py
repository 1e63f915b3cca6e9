"""What a teacher may touch: their own courses and everything that hangs off them.

Every teacher service goes through these look-ups, so a teacher never acts on another
teacher's course even with a forged button payload.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Assignment, Course, Group, Person, Submission


class NotYours(Exception):
    """The course, assignment or submission belongs to someone else (or does not exist)."""


@dataclass(frozen=True, slots=True)
class CourseLine:
    id: int
    discipline: str
    group_id: int
    group: str

    @property
    def label(self) -> str:
        return f"{self.discipline} — {self.group}"


async def courses_of(session: AsyncSession, teacher_id: int) -> list[CourseLine]:
    rows = (
        await session.execute(
            select(Course.id, Course.discipline, Group.id, Group.name)
            .join(Group, Group.id == Course.group_id)
            .where(Course.teacher_id == teacher_id)
        )
    ).all()
    # Sorted here, not by the database: collations differ between SQLite and PostgreSQL.
    return sorted((CourseLine(*row) for row in rows), key=lambda c: (c.group, c.discipline))


async def own_course(session: AsyncSession, teacher_id: int, course_id: int | str) -> Course:
    course = await session.get(Course, int(course_id))
    if course is None or course.teacher_id != teacher_id:
        raise NotYours
    return course


async def own_assignment(session: AsyncSession, teacher_id: int, assignment_id: int | str) -> Assignment:
    assignment = await session.get(Assignment, int(assignment_id))
    if assignment is None:
        raise NotYours
    await own_course(session, teacher_id, assignment.course_id)
    return assignment


async def own_submission(session: AsyncSession, teacher_id: int, submission_id: int | str) -> Submission:
    submission = await session.get(Submission, int(submission_id))
    if submission is None:
        raise NotYours
    await own_assignment(session, teacher_id, submission.assignment_id)
    return submission


async def course_label(session: AsyncSession, course: Course) -> str:
    group = await session.get(Group, course.group_id)
    return f"{course.discipline} — {group.name if group else ''}"


async def name_of(session: AsyncSession, person_id: int | None) -> str:
    if person_id is None:
        return ""
    return (await session.scalar(select(Person.full_name).where(Person.id == person_id))) or ""
