"""Changing a course after set-up: another teacher (one leaves mid-term), or other credits.

The change is kept in the audit trail; with a new teacher, the new and the old teacher and the
group's students are told. Credits feed the study plans' caps (bot/services/study_plans.py), so a
change there is recorded too.
"""

from __future__ import annotations

import enum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.messages import Reply
from bot.i18n import Translator
from bot.services.admin import audit
from bot.services.messaging.notices import group_students
from bot.services.messaging.notify import notify
from bot.services.refs import CourseFacts, PersonRef
from db.models import Course, Group, Person, PersonRole, Role

MAX_CREDITS = 300


class CourseChangeReason(enum.StrEnum):
    """Why a course change is refused."""

    not_found = "not_found"  # no such course here
    not_teacher = "not_teacher"
    credits = "credits"
    same = "same"  # nothing would change


class CourseChangeError(ValueError):
    def __init__(self, reason: CourseChangeReason) -> None:
        super().__init__(reason)
        self.reason = reason


async def _course(session: AsyncSession, org_id: int, course_id: int) -> tuple[Course, Group]:
    row = (
        await session.execute(
            select(Course, Group)
            .join(Group, Group.id == Course.group_id)
            .where(Course.id == course_id, Course.organization_id == org_id)
        )
    ).first()
    if row is None:
        raise CourseChangeError(CourseChangeReason.not_found)
    return row[0], row[1]


async def change_teacher(
    session: AsyncSession, org_id: int, actor_id: int, course_id: int, teacher_id: int
) -> tuple[CourseFacts, PersonRef, PersonRef | None]:
    """Gives the course to another teacher; returns the course, the new and the former teacher."""
    course, group = await _course(session, org_id, course_id)
    teacher = await session.get(Person, teacher_id)
    teaches = await session.scalar(
        select(PersonRole.id).where(PersonRole.person_id == teacher_id, PersonRole.role == Role.teacher)
    )
    if teacher is None or teacher.organization_id != org_id or teaches is None:
        raise CourseChangeError(CourseChangeReason.not_teacher)
    if course.teacher_id == teacher_id:
        raise CourseChangeError(CourseChangeReason.same)
    former = await session.get(Person, course.teacher_id) if course.teacher_id else None
    course.teacher_id = teacher_id
    await session.flush()
    await audit.record(
        session,
        actor_id,
        "course",
        course.id,
        "update",
        {"course": course.discipline, "teacher": former.full_name if former else None},
        {"course": course.discipline, "teacher": teacher.full_name},
        organization_id=org_id,
    )
    discipline, group_name, new_name = course.discipline, group.name, teacher.full_name

    def to_new(t: Translator) -> Reply:
        text = t.gettext("You now teach «{course}» to group {group}.")
        return Reply(text.format(course=discipline, group=group_name))

    def to_former(t: Translator) -> Reply:
        text = t.gettext("«{course}» of group {group} is now taught by {teacher}.")
        return Reply(text.format(course=discipline, group=group_name, teacher=new_name))

    def to_students(t: Translator) -> Reply:
        text = t.gettext("Your teacher of «{course}» is now {teacher}.")
        return Reply(text.format(course=discipline, teacher=new_name))

    await notify(session, [teacher_id], to_new, kind="course")
    if former is not None:
        await notify(session, [former.id], to_former, kind="course")
    await notify(session, await group_students(session, course.group_id), to_students, kind="course")
    return (
        CourseFacts.of(course, group),
        PersonRef.of(teacher),
        PersonRef.of(former) if former is not None else None,
    )


async def change_credits(
    session: AsyncSession, org_id: int, actor_id: int, course_id: int, credits: int
) -> CourseFacts:
    course, group = await _course(session, org_id, course_id)
    if not 0 < credits <= MAX_CREDITS:
        raise CourseChangeError(CourseChangeReason.credits)
    if course.credits == credits:
        raise CourseChangeError(CourseChangeReason.same)
    before = course.credits
    course.credits = credits
    await session.flush()
    await audit.record(
        session,
        actor_id,
        "course",
        course.id,
        "update",
        {"course": course.discipline, "credits": before},
        {"course": course.discipline, "credits": credits},
        organization_id=org_id,
    )
    return CourseFacts.of(course, group)
