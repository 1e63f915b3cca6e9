"""Changing a lesson already in the timetable: moving it, changing its link or room, cancelling it.

Whoever keeps the timetable (002 item 26-1: the methodist) does this for any lesson, a teacher for
the lessons of their own courses (`teacher_id`); the students the lesson is for and their parents are
told at once, in their own language and zone. Lesson reminders follow
by themselves: the tick re-checks that a lesson is still on at the same moment, and planning adds
the reminders of the new moment (bot/services/reminders.py).
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.actions import link_button
from bot.core.messages import Button, Reply
from bot.i18n import Translator
from bot.services.messaging import class_chats, notices
from bot.services.messaging.notices import group_students
from bot.services.messaging.notify import ReplyBuilder, notify
from bot.services.refs import CourseBrief
from bot.services.schedule.lessons import LessonRef
from db.models import Course, Group, Lesson, LessonMode

UPCOMING_SHOWN = 20  # lessons offered to pick from, the nearest first


class ChangeReason(enum.StrEnum):
    """Why a lesson cannot be moved or cancelled."""

    not_found = "not_found"  # no such lesson here, or already cancelled
    started = "started"  # it has begun
    past = "past"  # the new time has passed
    order = "order"  # ends before it starts


class ChangeError(ValueError):
    def __init__(self, reason: ChangeReason) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class UpcomingLesson:
    id: int
    starts_at: dt.datetime
    discipline: str
    group: str
    mode: LessonMode
    individual: bool


async def upcoming(
    session: AsyncSession,
    org_id: int,
    now: dt.datetime,
    *,
    group_id: int | None = None,
    teacher_id: int | None = None,
) -> list[UpcomingLesson]:
    """Lessons of a group, or of a teacher's courses, not started nor cancelled, the nearest first."""
    query = (
        select(Lesson, Course.discipline, Group.name)
        .join(Course, Course.id == Lesson.course_id)
        .join(Group, Group.id == Course.group_id)
        .where(Course.organization_id == org_id, Lesson.starts_at > now, Lesson.cancelled.is_(False))
        .order_by(Lesson.starts_at, Course.discipline)
        .limit(UPCOMING_SHOWN)
    )
    if group_id is not None:
        query = query.where(Course.group_id == group_id)
    if teacher_id is not None:
        query = query.where(Course.teacher_id == teacher_id)
    return [
        UpcomingLesson(
            lesson.id, lesson.starts_at, discipline, group, lesson.mode, lesson.student_id is not None
        )
        for lesson, discipline, group in (await session.execute(query)).all()
    ]


async def changeable(
    session: AsyncSession, org_id: int, lesson_id: int, now: dt.datetime, teacher_id: int | None = None
) -> tuple[LessonRef, CourseBrief]:
    """The lesson with its course, if it belongs here (and to the teacher), is on and has not started."""
    lesson, course = await _changeable(session, org_id, lesson_id, now, teacher_id)
    return LessonRef.of(lesson), CourseBrief.of(course)


async def _changeable(
    session: AsyncSession, org_id: int, lesson_id: int, now: dt.datetime, teacher_id: int | None = None
) -> tuple[Lesson, Course]:
    query = (
        select(Lesson, Course)
        .join(Course, Course.id == Lesson.course_id)
        .where(Lesson.id == lesson_id, Course.organization_id == org_id)
    )
    if teacher_id is not None:
        query = query.where(Course.teacher_id == teacher_id)
    row = (await session.execute(query)).first()
    if row is None or row[0].cancelled:
        raise ChangeError(ChangeReason.not_found)
    lesson, course = row
    if lesson.starts_at <= now:
        raise ChangeError(ChangeReason.started)
    return lesson, course


async def move(
    session: AsyncSession,
    org_id: int,
    lesson_id: int,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    now: dt.datetime,
    teacher_id: int | None = None,
) -> tuple[LessonRef, CourseBrief, dt.datetime]:
    """Moves the lesson; returns it, its course and the moment it had before."""
    lesson, course = await _changeable(session, org_id, lesson_id, now, teacher_id)
    if starts_at <= now:
        raise ChangeError(ChangeReason.past)
    if ends_at <= starts_at:
        raise ChangeError(ChangeReason.order)
    was = lesson.starts_at
    lesson.starts_at, lesson.ends_at = starts_at, ends_at
    await session.flush()

    def build(t: Translator) -> Reply:
        return Reply(
            t.gettext("The lesson {course} is moved: {was} → {when}.").format(
                course=course.discipline, was=t.datetime(was), when=t.datetime(starts_at)
            ),
            buttons=_join_button(t, lesson),
        )

    await _tell(session, course, lesson, build)
    return LessonRef.of(lesson), CourseBrief.of(course), was


async def change_place(
    session: AsyncSession,
    org_id: int,
    lesson_id: int,
    place: str,
    now: dt.datetime,
    teacher_id: int | None = None,
) -> tuple[LessonRef, CourseBrief]:
    """A new link for an online lesson, or a new room for one in class (the handler checks the link)."""
    lesson, course = await _changeable(session, org_id, lesson_id, now, teacher_id)
    if lesson.mode is LessonMode.online:
        lesson.link = place
    else:
        lesson.room = place.strip()[:64]
    await session.flush()
    starts_at, online, room = lesson.starts_at, lesson.mode is LessonMode.online, lesson.room

    def build(t: Translator) -> Reply:
        if online:
            text = t.gettext("The lesson {course}, {when}, has a new link.")
        else:
            text = t.gettext("The lesson {course}, {when}, is now in room {room}.")
        return Reply(
            text.format(course=course.discipline, when=t.datetime(starts_at), room=room),
            buttons=_join_button(t, lesson),
        )

    await _tell(session, course, lesson, build)
    return LessonRef.of(lesson), CourseBrief.of(course)


async def cancel(
    session: AsyncSession, org_id: int, lesson_id: int, now: dt.datetime, teacher_id: int | None = None
) -> tuple[LessonRef, CourseBrief]:
    """The lesson stays in the database, marked cancelled: attendance and history keep their link."""
    lesson, course = await _changeable(session, org_id, lesson_id, now, teacher_id)
    lesson.cancelled = True
    await session.flush()
    starts_at = lesson.starts_at

    def build(t: Translator) -> Reply:
        return Reply(
            t.gettext("The lesson {course}, {when}, is cancelled.").format(
                course=course.discipline, when=t.datetime(starts_at)
            )
        )

    await _tell(session, course, lesson, build)
    return LessonRef.of(lesson), CourseBrief.of(course)


def _join_button(t: Translator, lesson: Lesson) -> list[list[Button]]:
    if lesson.mode is LessonMode.online and lesson.link:
        return [[link_button(t.gettext("Join the lesson"), lesson.link)]]
    return []


async def _tell(session: AsyncSession, course: Course, lesson: Lesson, build: ReplyBuilder) -> None:
    """The lesson's students (one for an individual lesson, else the group), and their parents with the
    child named (a parent may have children in several groups) unless they switched this off."""
    students = (
        [lesson.student_id]
        if lesson.student_id is not None
        else await group_students(session, course.group_id)
    )
    await notify(session, students, build, kind="timetable")

    def for_parent(t: Translator, child: str) -> Reply:
        reply = build(t)
        assert reply is not None
        return Reply(f"{child}: {reply.text}", buttons=reply.buttons)

    change = uuid.uuid4().hex[:12]  # each change is news once, however many a lesson gets
    await notices.to_parents(session, students, notices.PARENT_TIMETABLE, for_parent, dedupe=f"tt:{change}")
    if lesson.student_id is None:  # a group's lesson: its group chat sees the change (one student's: never)
        await class_chats.post(session, course.group_id, build, f"tt:{change}")
