"""What a tutor sees and does: the groups they accompany and their students' questions (002 item 26-1).

A tutor's groups are their tutor roles' groups. A tutor follows each student's missed deadlines and
answers the questions the group's students ask (a question can be answered once, by the course's
teacher or by the group's tutor, whoever comes first).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.messages import Reply
from bot.i18n import Translator
from bot.services.messaging import questions
from bot.services.messaging.notify import notify
from db.base import utcnow
from db.models import (
    Assignment,
    AssignmentStatus,
    Course,
    Group,
    Person,
    PersonRole,
    Question,
    Role,
    Submission,
)


class NotTutored(Exception):
    """The group or the question is not in this tutor's groups."""


@dataclass(frozen=True, slots=True)
class GroupLine:
    id: int
    name: str
    students: int


@dataclass(frozen=True, slots=True)
class StudentLine:
    name: str
    missed: int  # assignments past their deadline with nothing handed in


@dataclass(frozen=True, slots=True)
class QuestionLine:
    id: int
    student: str
    discipline: str
    text: str
    file_name_id: int | None


def _group_ids(tutor_id: int) -> Select[tuple[int | None]]:
    return select(PersonRole.group_id).where(
        PersonRole.person_id == tutor_id, PersonRole.role == Role.tutor, PersonRole.group_id.is_not(None)
    )


async def groups(session: AsyncSession, tutor_id: int) -> list[GroupLine]:
    rows = await session.execute(
        select(Group.id, Group.name, func.count(PersonRole.id))
        .outerjoin(PersonRole, (PersonRole.group_id == Group.id) & (PersonRole.role == Role.student))
        .where(Group.id.in_(_group_ids(tutor_id)))
        .group_by(Group.id, Group.name)
        .order_by(Group.name)
    )
    return [GroupLine(gid, name, n) for gid, name, n in rows.all()]


async def students(session: AsyncSession, tutor_id: int, group_id: int) -> list[StudentLine]:
    """The group's students, the most missed deadlines first."""
    if group_id not in set(await session.scalars(_group_ids(tutor_id))):
        raise NotTutored
    people = (
        await session.execute(
            select(Person.id, Person.full_name)
            .join(PersonRole, PersonRole.person_id == Person.id)
            .where(PersonRole.role == Role.student, PersonRole.group_id == group_id)
        )
    ).all()
    due = list(
        await session.scalars(
            select(Assignment.id)
            .join(Course, Course.id == Assignment.course_id)
            .where(
                Course.group_id == group_id,
                Assignment.deadline <= utcnow(),
                Assignment.status != AssignmentStatus.draft,
            )
        )
    )
    handed: dict[int, int] = dict(
        (
            await session.execute(
                select(Submission.student_id, func.count())
                .where(Submission.assignment_id.in_(due), Submission.submitted_at.is_not(None))
                .group_by(Submission.student_id)
            )
        )
        .tuples()
        .all()
    )
    lines = [StudentLine(name, len(due) - handed.get(pid, 0)) for pid, name in people]
    return sorted(lines, key=lambda s: (-s.missed, s.name))


async def open_questions(session: AsyncSession, tutor_id: int) -> list[QuestionLine]:
    """Unanswered questions of the tutor's groups' students, oldest first."""
    rows = await session.execute(
        select(Question, Person.full_name, Course.discipline)
        .join(Course, Course.id == Question.course_id)
        .join(Person, Person.id == Question.student_id)
        .where(Course.group_id.in_(_group_ids(tutor_id)), Question.answered_at.is_(None))
        .order_by(Question.created_at, Question.id)
    )
    return [QuestionLine(q.id, name, d, q.text or "", q.file_name_id) for q, name, d in rows.all()]


async def answer(session: AsyncSession, tutor_id: int, question_id: int, text: str) -> None:
    """The tutor's answer goes to the student, as a teacher's would."""
    question = await session.get(Question, question_id)
    course = await session.get(Course, question.course_id) if question is not None else None
    if question is None or course is None or question.answered_at is not None:
        raise NotTutored
    if course.group_id not in set(await session.scalars(_group_ids(tutor_id))):
        raise NotTutored
    answer_text = question.answer = text.strip()
    question.answered_by_id = tutor_id
    question.answered_at = utcnow()
    await session.flush()
    tutor = await session.scalar(select(Person.full_name).where(Person.id == tutor_id))
    asked = (question.text or "")[:300]

    def build(t: Translator) -> Reply:
        return Reply(
            t.gettext("{teacher} answered your question ({course}):").format(
                teacher=tutor, course=course.discipline
            )
            + "\n\n«"
            + asked
            + "»\n\n"
            + answer_text
        )

    await notify(
        session, [question.student_id], build, kind=questions.ANSWER, dedupe_prefix=f"answer:{question.id}"
    )
