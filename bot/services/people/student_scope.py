"""What a student takes part in: their groups and the courses taught to them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Course, Person, PersonRole, Role


@dataclass(frozen=True, slots=True)
class CourseRef:
    id: int
    discipline: str
    teacher_id: int | None
    teacher_name: str | None


async def group_ids(session: AsyncSession, student_id: int) -> list[int]:
    rows = await session.scalars(
        select(PersonRole.group_id).where(
            PersonRole.person_id == student_id,
            PersonRole.role == Role.student,
            PersonRole.group_id.is_not(None),
        )
    )
    return sorted({g for g in rows.all() if g is not None})


async def courses(session: AsyncSession, student_id: int) -> list[CourseRef]:
    groups = await group_ids(session, student_id)
    if not groups:
        return []
    rows = (
        await session.execute(
            select(Course.id, Course.discipline, Course.teacher_id, Person.full_name)
            .outerjoin(Person, Person.id == Course.teacher_id)
            .where(Course.group_id.in_(groups))
            .order_by(Course.discipline, Course.id)
        )
    ).all()
    return [CourseRef(*row) for row in rows]


async def course_of(session: AsyncSession, student_id: int, course_id: int) -> CourseRef | None:
    """The course if the student takes it: guards every id that arrives in a button."""
    return next((c for c in await courses(session, student_id) if c.id == course_id), None)
