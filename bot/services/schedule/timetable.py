"""The student's timetable: group lessons plus their individual schedule, and each course's topics."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Select, and_, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Translator
from bot.services.people import student_scope
from db.models import Course, Lesson, LessonMode, Topic


@dataclass(frozen=True, slots=True)
class LessonView:
    starts_at: dt.datetime
    ends_at: dt.datetime
    discipline: str
    mode: LessonMode
    link: str | None
    room: str | None
    topic: str | None
    individual: bool  # from the student's individual schedule (002 item 10)


@dataclass(frozen=True, slots=True)
class TopicView:
    position: int
    title: str
    hours: int
    deadline: dt.datetime | None


def local_days(t: Translator, first: dt.date, days: int) -> tuple[dt.datetime, dt.datetime]:
    """The UTC range covering `days` local days from `first`, in the organization's zone."""
    start = dt.datetime.combine(first, dt.time(0), t.tz)
    return start.astimezone(dt.UTC), (start + dt.timedelta(days=days)).astimezone(dt.UTC)


def student_lessons(
    student_id: int, groups: list[int], start: dt.datetime, end: dt.datetime
) -> Select[tuple[Lesson, str]]:
    """The lessons a student has between start and end: their own and their groups', not cancelled;
    with each its course's discipline (the timetable and the calendar feed read the same)."""
    return (
        select(Lesson, Course.discipline)
        .join(Course, Course.id == Lesson.course_id)
        .where(
            Lesson.starts_at >= start,
            Lesson.starts_at < end,
            Lesson.cancelled.is_(False),
            or_(
                Lesson.student_id == student_id,
                and_(Course.group_id.in_(groups), Lesson.student_id.is_(None)) if groups else false(),
            ),
        )
    )


async def lessons(
    session: AsyncSession, student_id: int, start: dt.datetime, end: dt.datetime
) -> list[LessonView]:
    groups = await student_scope.group_ids(session, student_id)
    rows = (
        await session.execute(
            student_lessons(student_id, groups, start, end).order_by(Lesson.starts_at, Course.discipline)
        )
    ).all()
    return [
        LessonView(
            lesson.starts_at,
            lesson.ends_at,
            discipline,
            lesson.mode,
            lesson.link,
            lesson.room,
            lesson.topic,
            lesson.student_id is not None,
        )
        for lesson, discipline in rows
    ]


async def topics(session: AsyncSession, course_id: int) -> list[TopicView]:
    rows = await session.scalars(
        select(Topic).where(Topic.course_id == course_id).order_by(Topic.position, Topic.id)
    )
    return [TopicView(t.position, t.title, t.hours, t.deadline) for t in rows.all()]
