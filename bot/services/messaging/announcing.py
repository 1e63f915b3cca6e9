"""A teacher's announcements to a group, its parents or both, who acknowledged them, and
answers to students' questions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.messages import Reply
from bot.i18n import Translator
from bot.services.messaging import notices, questions
from bot.services.messaging.notices import group_students, parents_of
from bot.services.messaging.notify import notify
from bot.services.people.teacher_scope import NotYours, courses_of, own_course
from db.base import utcnow
from db.models import Acknowledgement, Announcement, Course, Person, Question

AUDIENCES = ("students", "parents", "both")
PREVIEW_FROM = 30  # an announcement to this many people or more is shown to its author before it goes


async def reach(session: AsyncSession, group_id: int, audience: str) -> int:
    """How many people an announcement to this group and audience goes to (the preview's count)."""
    students = await group_students(session, group_id)
    parents = {p for ids in (await parents_of(session, students)).values() for p in ids}
    return (len(students) if audience != "parents" else 0) + (len(parents) if audience != "students" else 0)


@dataclass(frozen=True, slots=True)
class AnnouncementLine:
    id: int
    created_at: dt.datetime
    text: str

    @classmethod
    def of(cls, announcement: Announcement) -> AnnouncementLine:
        return cls(announcement.id, announcement.created_at, announcement.text)


@dataclass(frozen=True, slots=True)
class AskedQuestion:
    """A student's question waiting for the teacher's answer."""

    id: int
    text: str
    file_name_id: int | None


async def post(
    session: AsyncSession, teacher_id: int, group_id: int, audience: str, text: str
) -> AnnouncementLine:
    if (
        group_id not in {c.group_id for c in await courses_of(session, teacher_id)}
        or audience not in AUDIENCES
    ):
        raise NotYours
    author = await session.get(Person, teacher_id)
    assert author is not None
    announcement = Announcement(
        organization_id=author.organization_id,
        author_id=teacher_id,
        group_id=group_id,
        audience=audience,
        text=text.strip(),
        needs_ack=audience != "students",
    )
    session.add(announcement)
    await session.flush()
    await notices.announcement_posted(session, announcement.id)
    return AnnouncementLine.of(announcement)


async def mine(session: AsyncSession, teacher_id: int, limit: int = 10) -> list[AnnouncementLine]:
    rows = await session.scalars(
        select(Announcement)
        .where(Announcement.author_id == teacher_id)
        .order_by(Announcement.id.desc())
        .limit(limit)
    )
    return [AnnouncementLine.of(a) for a in rows.all()]


@dataclass(frozen=True, slots=True)
class Acks:
    announcement_id: int
    acknowledged: list[str]
    waiting: list[str]


async def acknowledgements(session: AsyncSession, teacher_id: int, announcement_id: int) -> Acks:
    """Which parents acknowledged the announcement, and which have not yet."""
    ann = await session.get(Announcement, announcement_id)
    if ann is None or ann.author_id != teacher_id or ann.group_id is None:
        raise NotYours
    students = await group_students(session, ann.group_id)
    parents = sorted({p for ps in (await parents_of(session, students)).values() for p in ps})
    done = set(
        (
            await session.scalars(
                select(Acknowledgement.person_id).where(Acknowledgement.announcement_id == ann.id)
            )
        ).all()
    )
    names = dict(
        (await session.execute(select(Person.id, Person.full_name).where(Person.id.in_(parents))))
        .tuples()
        .all()
    )
    return Acks(
        ann.id,
        sorted(names[p] for p in parents if p in done),
        sorted(names[p] for p in parents if p not in done),
    )


async def open_questions(session: AsyncSession, teacher_id: int) -> list[tuple[AskedQuestion, str, str]]:
    """Unanswered questions on the teacher's courses, oldest first: (question, student, discipline)."""
    rows = (
        await session.execute(
            select(Question, Person.full_name, Course.discipline)
            .join(Course, Course.id == Question.course_id)
            .join(Person, Person.id == Question.student_id)
            .where(Course.teacher_id == teacher_id, Question.answered_at.is_(None))
            .order_by(Question.created_at, Question.id)
        )
    ).all()
    return [(AskedQuestion(q.id, q.text, q.file_name_id), name, discipline) for q, name, discipline in rows]


async def answer(session: AsyncSession, teacher_id: int, question_id: int, text: str) -> None:
    question = await session.get(Question, question_id)
    if question is None:
        raise NotYours
    course = await own_course(session, teacher_id, question.course_id)
    answer_text = question.answer = text.strip()
    question.answered_by_id = teacher_id
    question.answered_at = utcnow()
    await session.flush()
    teacher = await session.scalar(select(Person.full_name).where(Person.id == teacher_id))

    def build(t: Translator) -> Reply:
        return Reply(
            t.gettext("{teacher} answered your question ({course}):").format(
                teacher=teacher, course=course.discipline
            )
            + "\n\n«"
            + (question.text or "")[:300]
            + "»\n\n"
            + answer_text
        )

    dedupe = f"answer:{question.id}"
    await notify(session, [question.student_id], build, kind=questions.ANSWER, dedupe_prefix=dedupe)
