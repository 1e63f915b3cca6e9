"""Who has not handed an assignment in, by name, and a teacher's one-tap reminder to them (and, if the
teacher wishes, to their parents). «Handed in» is the reminders' own rule: work submitted, or a test
attempt finished."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.actions.student import Submit
from bot.core.messages import Reply
from bot.i18n import Translator
from bot.services.messaging import notices
from bot.services.messaging.notify import notify
from bot.services.messaging.reminders import handed_in
from bot.services.people.teacher_scope import own_assignment
from db.base import utcnow
from db.models import Assignment, Course, Person, PersonRole, Role

NUDGE = "nudge"  # the kind of a teacher's reminder (a person may switch deadline notices off)


@dataclass(frozen=True, slots=True)
class Missing:
    student_id: int
    name: str


async def not_handed_in(session: AsyncSession, assignment: Assignment) -> list[Missing]:
    rows = (
        await session.execute(
            select(Person.id, Person.full_name)
            .join(PersonRole, PersonRole.person_id == Person.id)
            .join(Course, Course.group_id == PersonRole.group_id)
            .where(
                Course.id == assignment.course_id,
                PersonRole.role == Role.student,
                ~handed_in(assignment.id, Person.id),
            )
        )
    ).all()
    # Sorted here, not by the database: collations differ between SQLite and PostgreSQL.
    return sorted({Missing(*row) for row in rows}, key=lambda m: m.name)


async def remind(
    session: AsyncSession, teacher_id: int, assignment_id: int, parents: bool
) -> tuple[list[int], bool]:
    """Tells each student who has not handed in (and their parents if asked); once a day per assignment.
    Returns the students reminded and whether their parents were."""
    assignment = await own_assignment(session, teacher_id, assignment_id)
    course = await session.get(Course, assignment.course_id)
    assert course is not None
    students = [m.student_id for m in await not_handed_in(session, assignment)]
    title, discipline, deadline = assignment.title, course.discipline, assignment.deadline
    day = utcnow().date().isoformat()

    def for_student(t: Translator) -> Reply:
        return Reply(
            t.gettext(
                "A reminder from your teacher: «{title}» ({course}) is due {deadline}, and your work is not "
                "handed in yet."
            ).format(title=title, course=discipline, deadline=t.datetime(deadline)),
            buttons=[[Submit(assignment_id).button(t.gettext("Submit work"))]],
        )

    def for_parent(t: Translator, child: str) -> Reply:
        return Reply(
            t.gettext(
                "{child}: «{title}» ({course}) is due {deadline}, and the work is not handed in yet."
            ).format(child=child, title=title, course=discipline, deadline=t.datetime(deadline))
        )

    await notify(session, students, for_student, kind=NUDGE, dedupe_prefix=f"nudge:{assignment_id}:{day}")
    if parents:
        await notices.to_parents(
            session, students, notices.PARENT_ASSIGNMENT, for_parent, dedupe=f"nudgep:{assignment_id}:{day}"
        )
    return students, parents
